"""Win rate of the shipped policy preset (no search) against GNU Go level 10 on 19x19.

    CNNKIT_DATA=../shared/data python benchmarks/go_match.py --games 10 --max-minutes 25

Colors alternate; GNU Go scores each finished game (``final_score``, dead stones
removed); games that reach ``--max-moves`` are scored the same way at that point.
SGFs go to benchmarks/results/go_match_games/ (go_match_games_8_symmetries/ with
``--symmetries 8``). ``--first-game 32 --games 64`` plays games 33-96 of the same
set-up into the same folder; ``--summarise-only`` then scores all of them together.
``--play-out --max-moves 700`` plays every game of the set-up that was adjudicated at
the move limit (neither two passes nor a resignation) on from its last move to its
end, the same players with the same seeds, and compares the two verdicts.
Published CNNs (Clark & Storkey 2015,
Maddison et al. 2015) won 86-97% against GNU Go with the network alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _suffix(args) -> str:
    """Result and folder names of a match with symmetry averaging get ``_8_symmetries`` appended,
    and ``_TAG`` for ``--tag TAG`` (a rerun that keeps the earlier games)."""
    suffix = f"_{args.symmetries}_symmetries" if args.symmetries > 1 else ""
    return suffix + (f"_{args.tag}" if args.tag else "")


def _references(args) -> dict:
    """The papers' win rates against GNU Go are for 19x19; on smaller boards there is none to show."""
    if args.size != 19:
        return {}
    return {"win_rate": "0.86-0.97 (Clark & Storkey 2015: 86-91%; Maddison et al. 2015: 97%)"}


def _games_folder(args) -> Path:
    """Where a set-up's SGFs go: every run of one set-up (``--first-game``) shares it. 19x19 games go
    without a size in the name (the first matches were 19x19 only), others under ``_9x9`` / ``_13x13``."""
    size = "" if args.size == 19 else f"_{args.size}x{args.size}"
    return ROOT / "benchmarks" / "results" / f"go_match_games{size}{_suffix(args)}"


def _result_name(args, ending: str = "") -> str:
    return f"go_match_{args.size}x{args.size}_level{args.level}{_suffix(args)}{ending}"


def preset_line() -> str:
    """One sentence on the shipped preset that played, for a result's notes."""
    from apps.go_policy.presets import DEFAULT_PRESET, preset_record

    preset = preset_record()
    held_out = preset.get("measured_accuracy_held_out") or {}
    accuracy = ", ".join(f"{100 * held_out[key]:.1f}% {label}" for key, label in
                         (("top1", "held-out top-1"), ("top1_8_symmetries", "with 8 symmetries")) if key in held_out)
    return (f"The preset ({DEFAULT_PRESET.name}, {preset.get('depth')}x{preset.get('filters')}, {accuracy}) "
            "plays without search; the papers' networks reached 44-57% top-1.")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=10)
    parser.add_argument("--size", type=int, default=19, choices=[9, 13, 19])
    parser.add_argument("--level", type=int, default=10)
    parser.add_argument("--max-moves", type=int, default=250)
    parser.add_argument("--max-minutes", type=float, default=25.0)
    parser.add_argument("--parallel", type=int, default=1, help="processes sharing the games")
    parser.add_argument("--symmetries", type=int, default=1,
                        help="the engine averages the network over this many board symmetries (1 to 8)")
    parser.add_argument("--tag", default="", help="append _TAG to the result and games folder names")
    parser.add_argument("--first-game", type=int, default=0,
                        help="number the games from FIRST_GAME + 1 (their GNU Go seeds and colors): more games "
                             "of an earlier run's set-up, saved beside its games; the result is named _games_A_B")
    parser.add_argument("--play-out", action="store_true",
                        help="play every game of the games folder that was adjudicated at the move limit on from "
                             "where it stopped to its end (--max-moves: the new limit), into a _played_out folder; "
                             "the result (_played_out) compares the adjudicated and the played-out verdicts")
    parser.add_argument("--summarise-only", action="store_true",
                        help="write a result (named _all_games) from every finished game saved in the games "
                             "folder: several runs of one set-up, or a run that stopped early")
    parser.add_argument("--compare-with", default=None, metavar="TAG",
                        help="with --summarise-only: compare game by game (same GNU Go seeds and colors) with "
                             "the games of the set-up with --tag TAG ('' for none), each game's played-out "
                             "verdict in place of its adjudication where there is one")
    args = parser.parse_args()
    if args.compare_with is not None and not args.summarise_only:
        parser.error("--compare-with goes with --summarise-only")
    if args.first_game < 0:
        parser.error(f"--first-game must be >= 0, got {args.first_game}")
    if args.summarise_only:
        return summarise(args)
    if args.play_out:
        return play_out(args)

    from shared.benchmarking import write_result

    start = time.perf_counter()
    per_process = -(-args.games // args.parallel)
    jobs = [(args.first_game + first, min(per_process, args.games - first), args)
            for first in range(0, args.games, per_process)]
    results = _run_jobs(_play, jobs, _games_folder(args))
    records = sorted((g for r in results for g in r["game_records"]), key=lambda g: g["sgf"])
    for game in records:
        game["sgf"] = str(Path(game["sgf"]).relative_to(ROOT))
    metrics = _win_metrics(records)
    metrics.update(
        engine_genmove_ms_mean=sum(g["engine_think_ms_mean"] for g in records) / len(records),
        opponent=f"{results[0]['opponent_name']} level {args.level}",
        opponent_restarts=sum(r["opponent_restarts"] for r in results),
        games_abandoned=sum(r["games_abandoned"] for r in results),
    )
    result = {"games": len(records), "game_records": records}
    notes = (f"{result['games']} of {args.games} requested games were played within the {args.max_minutes}-minute "
             f"budget ({args.parallel} processes) "
             f"on a shared 2-core CPU (GNU Go level 10 needs seconds per move there); komi 7.5, "
             f"area scoring by GNU Go's final_score; games reaching {args.max_moves} moves are scored at that "
             f"point. The engine passes after an opponent's pass only when ahead by its own count with the dead "
             f"stones off (64 play-outs; commit 7c3029d on, Tromp-Taylor before). {preset_line()} Per-game records: " +
             "; ".join(f"{g['engine_color']} {g['result']} {g['moves']} moves" for g in result["game_records"]))
    games_range = f"_games_{args.first_game + 1}_{args.first_game + args.games}" if args.first_game else ""
    write_result(_result_name(args, games_range), metrics,
                 _references(args), wall_time_s=time.perf_counter() - start, notes=notes, extra={"game_records": records})
    print(metrics)


def _win_metrics(records):
    """Win rate with its 95% Wilson interval, overall and by the engine's color."""
    from apps.go_policy.play.match import wilson_interval

    wins = sum(g["won"] for g in records)
    return {
        "games": len(records), "wins": wins, "win_rate": wins / len(records),
        "win_rate_ci95": list(wilson_interval(wins, len(records))),
        "wins_as_black": sum(g["won"] for g in records if g["engine_color"] == "B"),
        "wins_as_white": sum(g["won"] for g in records if g["engine_color"] == "W"),
    }


def saved_games(folder: Path) -> list[tuple[int, object, dict]]:
    """Every game saved in ``folder``: (game number, its GameRecord, its summary row)."""
    from apps.go_policy.rules.records import parse_game

    games = []
    for file in sorted(folder.glob("game_*.sgf")):
        game = parse_game(file.read_bytes(), file.name, min_moves=0)
        color = "B" if game.black == "cnnkit-go" else "W"
        won = (game.result or "").upper().startswith(color + "+")
        games.append((int(file.stem.split("_")[1]), game,
                      {"sgf": str(file.relative_to(ROOT)), "engine_color": color, "result": game.result,
                       "moves": len(game.moves), "won": won}))
    return games


def final_verdicts(folder: Path) -> dict:
    """Game number -> won for every game saved in ``folder``, with the verdict of its play-out
    (``--play-out``'s ``_played_out`` folder) in place of an adjudication at the move limit."""
    verdicts = {number: row["won"] for number, _, row in saved_games(folder)}
    played_out = folder.with_name(folder.name + "_played_out")
    if played_out.is_dir():
        verdicts.update({number: row["won"] for number, _, row in saved_games(played_out)})
    return verdicts


def summarise(args):
    """Score every finished game saved in the set-up's games folder (their SGF RE property)."""
    from shared.benchmarking import write_result

    folder = _games_folder(args)
    records = [{**row, "sequence": (row["engine_color"], tuple(game.moves))} for _, game, row in saved_games(folder)]
    if not records:
        raise SystemExit("no finished games in " + str(folder))
    metrics = _win_metrics(records)
    # Both engines are deterministic but for GNU Go's seed, and on small boards different seeds
    # often give the same game: the interval above treats repeats as independent, this one does not.
    distinct = list({game.pop("sequence"): game for game in records}.values())
    metrics["distinct_games"] = len(distinct)
    metrics.update({f"distinct_{key}": value for key, value in _win_metrics(distinct).items()
                    if key in ("wins", "win_rate", "win_rate_ci95")})
    metrics["opponent"] = f"GNU Go 3.8 level {args.level}"
    compared = ""
    if args.compare_with is not None:
        from argparse import Namespace

        from apps.go_policy.play.match import paired_comparison

        other = _games_folder(Namespace(**{**vars(args), "tag": args.compare_with}))
        if not other.is_dir():
            raise SystemExit(f"--compare-with {args.compare_with!r}: no games folder {other.relative_to(ROOT)}")
        paired = paired_comparison(final_verdicts(folder), final_verdicts(other))
        metrics.update({f"compared_{key}": value for key, value in paired.items()})
        compared = (f"compared_*: game by game against the games of {other.relative_to(ROOT)} with the same "
                    "numbers (GNU Go seeds and colors), played-out verdicts in place of adjudications on both "
                    "sides; paired_wins_other is that set-up's, mcnemar_exact_p the exact test of the games only "
                    "one side won. ")
    notes = (f"Summarised from the {len(records)} finished games saved in {folder.relative_to(ROOT)} (one or more "
             "runs of `benchmarks/go_match.py` with this set-up; see their own results for each run's command, "
             f"commit and timing). Komi 7.5; each game scored by GNU Go's final_score (dead stones removed), at "
             f"move {args.max_moves} if it had not ended. distinct_*: each different move sequence counted "
             "once (the same game repeated under other GNU Go seeds counts once). "
             f"{compared}{preset_line()} Games: " +
             "; ".join(f"engine {g['engine_color']} {g['result']} {g['moves']} moves" for g in records))
    tag = f" --tag {args.tag}" if args.tag else ""
    size = "" if args.size == 19 else f" --size {args.size}"
    compare = "" if args.compare_with is None else f" --compare-with '{args.compare_with}'"
    write_result(_result_name(args, "_all_games"), metrics, _references(args),
                 command=f"benchmarks/go_match.py --summarise-only{size} --symmetries {args.symmetries}{tag}{compare}",
                 notes=notes, extra={"game_records": records})
    print(metrics)


def _run_jobs(function, jobs, folder: Path) -> list:
    """``function`` over ``jobs``, one spawned process each when there are several; then the
    per-process summaries ``play_match`` left in ``folder`` go (the combined result replaces them)."""
    if len(jobs) == 1:
        results = [function(jobs[0])]
    else:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
            results = pool.map(function, jobs)
    for partial in folder.glob("match*.json"):
        partial.unlink()
    return results


def adjudicated_games(saved) -> dict:
    """The games of ``saved_games`` that ended neither by two passes nor by resignation: game
    number -> (GameRecord, summary row)."""
    games = {}
    for number, game, row in saved:
        two_passes = len(game.moves) >= 2 and game.moves[-1][1] is None and game.moves[-2][1] is None
        if not two_passes and not (game.result or "").upper().endswith("+R"):
            games[number] = (game, row)
    return games


def play_out(args):
    """Play the adjudicated games on to their end and compare the verdicts."""
    from shared.benchmarking import write_result

    folder = _games_folder(args)
    saved = saved_games(folder)
    adjudicated = adjudicated_games(saved)
    if not adjudicated:
        raise SystemExit(f"no adjudicated game in {folder.relative_to(ROOT)}")
    start = time.perf_counter()
    numbers = sorted(adjudicated)
    openings = {n: adjudicated[n][0].moves for n in numbers}
    jobs = [({n: openings[n] for n in numbers[i::args.parallel]}, args) for i in range(args.parallel)]
    results = _run_jobs(_play_on, [job for job in jobs if job[0]], _played_out_folder(args))
    played = sorted((g for r in results for g in r["game_records"]), key=lambda g: g["game"])
    rows = []
    for game in played:
        before = adjudicated[game["game"]][1]
        sgf = Path(game["sgf"])
        rows.append({"game": game["game"], "engine_color": before["engine_color"],
                     "adjudicated_result": before["result"], "adjudicated_at": before["moves"],
                     "adjudicated_won": before["won"], "result": game["result"], "scored_by": game["scored_by"],
                     "moves": game["moves"], "won": game["won"], "reached_new_limit": game["adjudicated_at_max_moves"],
                     "count_at_first_opponent_pass": _count_at_first_opponent_pass(sgf, before["moves"]),
                     "sgf": str(sgf.relative_to(ROOT)), "seconds": game["seconds"]})
    counted = [r for r in rows if r["count_at_first_opponent_pass"]]
    from apps.go_policy.play.match import paired_comparison

    after = _win_metrics(rows)
    flips = paired_comparison({r["game"]: r["won"] for r in rows}, {r["game"]: r["adjudicated_won"] for r in rows})
    loss_to_win, win_to_loss = flips["won_only_by_this"], flips["won_only_by_other"]
    metrics = {
        "adjudicated_games": len(adjudicated), "played_out": len(rows),
        "adjudicated_wins": sum(r["adjudicated_won"] for r in rows), "played_out_wins": after["wins"],
        "played_out_win_rate": after["win_rate"], "played_out_win_rate_ci95": after["win_rate_ci95"],
        "loss_to_win": loss_to_win, "win_to_loss": win_to_loss,
        "flips_mcnemar_exact_p": flips["mcnemar_exact_p"],
        "ended_by_resignation": sum(r["scored_by"] == "resignation" for r in rows),
        "ended_by_two_passes": sum(r["scored_by"] != "resignation" and not r["reached_new_limit"] for r in rows),
        "reached_new_limit": sum(r["reached_new_limit"] for r in rows),
        "opponent_passed": len(counted),
        "ahead_at_first_opponent_pass_won": sum(
            r["count_at_first_opponent_pass"].startswith(r["engine_color"] + "+") == r["won"] for r in counted),
    }
    # every game of the folder, each played-out verdict in place of its adjudication
    played_won = {r["game"]: r["won"] for r in rows}
    everything = [{**row, "won": played_won.get(number, row["won"])} for number, _, row in saved]
    overall = _win_metrics(everything)
    metrics.update({f"all_games_{key}": overall[key] for key in ("games", "wins", "win_rate", "win_rate_ci95")})
    metrics["all_games_still_adjudicated"] = len(adjudicated) - len(rows)
    notes = (f"{len(rows)} of the {len(adjudicated)} games of {folder.relative_to(ROOT)} that had been adjudicated "
             f"(scored by GNU Go's final_score at the move limit) were played on from where they stopped, within "
             f"a {args.max_minutes}-minute budget ({args.parallel} processes), to two passes, a resignation or move "
             f"{args.max_moves}: the same engine and opponent, GNU Go seeded with the game's number. "
             f"flips_mcnemar_exact_p: the exact McNemar test of loss_to_win against win_to_loss. "
             f"ahead_at_first_opponent_pass_won: of the opponent_passed games where GNU Go passed after the old "
             f"limit, those won by the side our count (64 play-outs, dead stones off) put ahead at its first pass, "
             f"where the engine decides between passing and playing on. all_games_*: every "
             f"game of the folder with the played-out verdicts in place of the adjudications "
             f"(all_games_still_adjudicated were not reached within the budget). {preset_line()} Games: " +
             "; ".join(f"{r['game']} engine {r['engine_color']} {r['adjudicated_result']} at {r['adjudicated_at']} "
                       f"-> {r['result']} at {r['moves']}" for r in rows))
    reference = _references(args).get("win_rate")
    references = {"all_games_win_rate": reference} if reference else {}  # the played-out subset is not a match
    write_result(_result_name(args, "_played_out"), metrics, references, wall_time_s=time.perf_counter() - start,
                 notes=notes, extra={"game_records": rows})
    print(metrics)


def _count_at_first_opponent_pass(sgf: Path, after: int) -> str | None:
    """Our count (64 play-outs, dead stones off) of the position where GNU Go first passed after
    move ``after``; None when it never did."""
    from apps.go_policy.rules.board import BLACK, WHITE
    from apps.go_policy.rules.scoring import final_score
    from apps.go_policy.rules.records import parse_game

    game = parse_game(sgf.read_bytes(), sgf.name, min_moves=0)
    engine = BLACK if game.black == "cnnkit-go" else WHITE
    for number, (color, point) in enumerate(game.moves[after:], start=after):
        if point is None and color != engine:
            return final_score(game.board(number), playouts=64)
    return None


def _played_out_folder(args) -> Path:
    return _games_folder(args).with_name(_games_folder(args).name + "_played_out")


def _play_on(job):
    openings, args = job
    engine, opponent = _players(args)
    from apps.go_policy.play.match import play_match

    return play_match(engine, opponent, size=args.size, komi=7.5, out=_played_out_folder(args),
                      max_moves=args.max_moves, max_minutes=args.max_minutes, openings=openings)


def _players(args):
    """The engine (the shipped preset) and the GNU Go command line of this set-up."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(2)
    from apps.go_policy.presets import DEFAULT_PRESET
    from apps.go_policy.play.engine import PolicyEngine, load_policy

    gnugo = shutil.which("gnugo") or "/usr/games/gnugo"
    return PolicyEngine(load_policy(DEFAULT_PRESET), symmetries=args.symmetries), f"{gnugo} --mode gtp --level {args.level}"


def _play(job):
    first, games, args = job
    engine, opponent = _players(args)
    from apps.go_policy.play.match import play_match

    out = _games_folder(args)
    return play_match(engine, opponent, games=games, size=args.size,
                      komi=7.5, out=out, max_moves=args.max_moves, max_minutes=args.max_minutes, first_game=first)


if __name__ == "__main__":
    main()
