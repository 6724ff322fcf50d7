"""What the Go benchmarks share: their command line, the held-out data, the published figures,
the shipped preset's description, and the set-up, games and scoring of the matches against GNU Go
(``go_match``, ``go_match_play_out``, ``go_match_summary``).

A match set-up (board size, GNU Go level, symmetries, tag) names its games folder and its results:
every run of one set-up saves its SGFs in the same folder, so more games can be added later
(``go_match --first-game``), summarised together (``go_match_summary``) and the games stopped at the
move limit played on to their end (``go_match_play_out``).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from shared.benchmarking import RESULTS

# Before any Go benchmark imports TensorFlow: its start-up chatter is not a result.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = RESULTS.parent.parent
HELD_OUT_SHARD = "cwi_pro_19x19_part12.tar.gz"  # go_pro shard 12: never trained on
ENGINE_NAME = "cnnkit-go"  # the engine's player name in the SGF records of its games
PUBLISHED_TOP1 = "0.444 (Clark & Storkey 2015, 8 layers); 0.552-0.570 (Maddison 2015; AlphaGo SL)"
PUBLISHED_WIN_RATE = "0.86-0.97 (Clark & Storkey 2015: 86-91%; Maddison et al. 2015: 97%)"
GNUGO_VERSION = "GNU Go 3.8"
KOMI = 7.5
VALUE_HEAD = RESULTS / "go_value" / "value_head.keras"  # written by benchmarks.go_value


def argument_parser(doc: str, script: str) -> argparse.ArgumentParser:
    """The parser of a Go benchmark: ``python -m benchmarks.<name>``, its docstring as the help."""
    return argparse.ArgumentParser(prog=f"python -m benchmarks.{Path(script).stem}", description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def limit_tensorflow_threads(intra: int = 2, inter: int | None = None) -> None:
    """Hold TensorFlow to the threads of the 2-core machines the CPU figures are measured on."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(intra)
    if inter is not None:
        tf.config.threading.set_inter_op_parallelism_threads(inter)


def load_preset(file=None):
    """A shipped preset's network (``file``; default ``DEFAULT_PRESET``), as the engine and ``evaluate`` load it."""
    from apps.go_policy.play.engine import load_policy
    from apps.go_policy.presets import DEFAULT_PRESET

    return load_policy(DEFAULT_PRESET if file is None else file)


def add_symmetries_argument(parser: argparse.ArgumentParser, default: int = 8) -> None:
    parser.add_argument("--symmetries", type=int, default=default,
                        help="also score the network averaged over this many board symmetries (1: skip)")


def evaluate_raw_and_averaged(model, sources, symmetries: int, **options) -> tuple[dict, dict | None]:
    """``evaluate_policy`` of ``model`` on ``sources`` as it is and, when ``symmetries`` > 1, averaged over
    that many board symmetries (else None); ``options`` go to both (``max_games``, ``size``, ...)."""
    from apps.go_policy.model.train import evaluate_policy

    raw = evaluate_policy(model, sources, workers=2, progress=False, **options)
    if symmetries <= 1:
        return raw, None
    return raw, evaluate_policy(model, sources, workers=2, progress=False, symmetries=symmetries, **options)


def symmetry_metrics(averaged: dict | None, symmetries: int, keys=("top1", "top1_ci95", "top5")) -> dict:
    """The figures ``keys`` of an averaged evaluation, named ``top1_8_symmetries``, ``top1_8_symmetries_ci95``, ..."""
    if averaged is None:
        return {}
    named = {}
    for key in keys:
        base, interval = (key[:-len("_ci95")], "_ci95") if key.endswith("_ci95") else (key, "")
        named[f"{base}_{symmetries}_symmetries{interval}"] = averaged[key]
    return named


def preset_line(tactics: bool = False, value: bool = False) -> str:
    """One sentence on the shipped preset that played (with ``tactics``: checked by tactical
    reading; with ``value``: reading one move ahead with the value head), for a match result's notes."""
    from apps.go_policy.presets import DEFAULT_PRESET, preset_record

    preset = preset_record()
    held_out = preset.get("measured_accuracy_held_out") or {}
    accuracy = ", ".join(f"{100 * held_out[key]:.1f}% {label}" for key, label in
                         (("top1", "held-out top-1"), ("top1_8_symmetries", "with 8 symmetries")) if key in held_out)
    how = ("plays the network's favourite among the moves that tactical reading (play.tactics: ladders and "
           "ataris) finds no 3+ stones worse than the best" if tactics else "plays without search")
    if value:
        how += (", and reads one move ahead with the value head of benchmarks/results/go_value (play.lookahead: of "
                "its up to 4 likeliest moves with at least a quarter of the favourite's probability, another than "
                "the favourite only where the value after it is higher by more than 0.1)")
    return (f"The preset ({DEFAULT_PRESET.name}, {preset.get('depth')}x{preset.get('filters')}, {accuracy}) "
            f"{how}; the papers' networks reached 44-57% top-1 without search.")


def engine_color(row: dict) -> str:
    """The engine's color ("B"/"W") in a game row; the committed match records spell the key ``engine_colour``."""
    return row["engine_color"] if "engine_color" in row else row["engine_colour"]


# --- match set-ups -------------------------------------------------------------------------------

def add_setup_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that name a match set-up, and so its games folder and results."""
    parser.add_argument("--size", type=int, default=19, choices=[9, 13, 19])
    parser.add_argument("--level", type=int, default=10, help="GNU Go's level")
    parser.add_argument("--symmetries", type=int, default=1,
                        help="the engine averages the network over this many board symmetries (1 to 8)")
    parser.add_argument("--tactics", action="store_true",
                        help="the engine reads out its strings short of liberties before it moves (play.tactics); "
                             "the result and games folder names get _tactics")
    parser.add_argument("--value", action="store_true",
                        help="the engine reads one move ahead with the value head of benchmarks.go_value "
                             "(play.lookahead); the result and games folder names get _value")
    parser.add_argument("--tag", default="", help="append _TAG to the result and games folder names")


def setup_suffix(args) -> str:
    """``_8_symmetries`` for a match with symmetry averaging, ``_tactics`` for an engine with
    tactical reading, ``_value`` for one reading ahead with the value head, then ``_TAG`` for ``--tag TAG``."""
    suffix = f"_{args.symmetries}_symmetries" if args.symmetries > 1 else ""
    suffix += "_tactics" if args.tactics else ""
    suffix += "_value" if args.value else ""
    return suffix + (f"_{args.tag}" if args.tag else "")


def games_folder(args) -> Path:
    """Where a set-up's SGFs go: ``go_match_games[_SIZE][_suffix]``; 19x19 games go without a size."""
    size = "" if args.size == 19 else f"_{args.size}x{args.size}"
    return RESULTS / f"go_match_games{size}{setup_suffix(args)}"


def played_out_folder(args) -> Path:
    """Where ``go_match_play_out`` saves the set-up's games played on to their end."""
    folder = games_folder(args)
    return folder.with_name(folder.name + "_played_out")


def result_name(args, ending: str = "") -> str:
    """``go_match_<size>x<size>_level<level><suffix><ending>``."""
    return f"go_match_{args.size}x{args.size}_level{args.level}{setup_suffix(args)}{ending}"


def match_references(args) -> dict:
    """The papers' win rates against GNU Go are for 19x19; on smaller boards there is none to show."""
    return {"win_rate": PUBLISHED_WIN_RATE} if args.size == 19 else {}


def win_metrics(records) -> dict:
    """Win rate with its 95% Wilson interval, overall and by the engine's color."""
    from apps.go_policy.play.match import wilson_interval

    wins = sum(g["won"] for g in records)
    return {
        "games": len(records), "wins": wins, "win_rate": wins / len(records),
        "win_rate_ci95": list(wilson_interval(wins, len(records))),
        "wins_as_black": sum(g["won"] for g in records if engine_color(g) == "B"),
        "wins_as_white": sum(g["won"] for g in records if engine_color(g) == "W"),
    }


def saved_games(folder: Path) -> list[tuple[int, object, dict]]:
    """Every game saved in ``folder``: (game number, its GameRecord, its summary row)."""
    from apps.go_policy.rules.records import parse_game

    games = []
    for file in sorted(folder.glob("game_*.sgf")):
        game = parse_game(file.read_bytes(), file.name, min_moves=0)
        color = "B" if game.black == ENGINE_NAME else "W"
        won = (game.result or "").upper().startswith(color + "+")
        games.append((int(file.stem.split("_")[1]), game,
                      {"sgf": str(file.relative_to(ROOT)), "engine_color": color, "result": game.result,
                       "moves": len(game.moves), "won": won}))
    return games


def final_verdicts(folder: Path) -> dict:
    """Game number -> won for every game saved in ``folder``, with the verdict of its play-out
    (the ``_played_out`` folder beside it) in place of an adjudication at the move limit."""
    verdicts = {number: row["won"] for number, _, row in saved_games(folder)}
    played_out = folder.with_name(folder.name + "_played_out")
    if played_out.is_dir():
        verdicts.update({number: row["won"] for number, _, row in saved_games(played_out)})
    return verdicts


def adjudicated_games(saved) -> dict:
    """The games of ``saved_games`` that ended neither by two passes nor by resignation: game
    number -> (GameRecord, summary row)."""
    games = {}
    for number, game, row in saved:
        two_passes = len(game.moves) >= 2 and game.moves[-1][1] is None and game.moves[-2][1] is None
        if not two_passes and not (game.result or "").upper().endswith("+R"):
            games[number] = (game, row)
    return games


def run_jobs(function, jobs, folder: Path) -> list:
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


def players(args):
    """The engine (the shipped preset) and the GNU Go command line of this set-up."""
    limit_tensorflow_threads(2)
    from apps.go_policy.play.engine import PolicyEngine

    gnugo = shutil.which("gnugo") or "/usr/games/gnugo"
    policy = load_preset()
    value = None
    if args.value:
        from apps.go_policy.play.engine import load_value

        value = load_value(VALUE_HEAD, policy)
    engine = PolicyEngine(policy, symmetries=args.symmetries, tactics=args.tactics, value=value)
    return engine, f"{gnugo} --mode gtp --level {args.level}"
