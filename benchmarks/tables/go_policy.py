"""The results tables of ``docs/go_policy.md``, from ``benchmarks/results/go_*.json`` and the preset records."""

from __future__ import annotations

import re

from benchmarks.report import ROOT, lookup, markdown_table, number, percent, provenance, rerun, result, table

SYMMETRIES = "8_symmetries"


def _as_percent(fraction: str) -> str:
    """``"0.444"`` -> ``"44.4"``, ``"0.86"`` -> ``"86"``: as many digits as the fraction had beyond two."""
    digits = max(len(fraction.split(".")[1]) - 2, 0)
    return f"{float(fraction) * 100:.{digits}f}"


def published(text: str | None) -> str:
    """A reference string of a record with its fractions as percentages: ``0.444 (...)`` -> ``44.4% (...)``."""
    if not text:
        return "-"
    text = re.sub(r"\b(0\.\d+)-(0\.\d+)\b", lambda m: f"{_as_percent(m[1])}-{_as_percent(m[2])}%", text)
    return re.sub(r"\b0\.\d+\b", lambda m: f"{_as_percent(m[0])}%", text)


def interval(bounds, digits: int = 1) -> str:
    """``[0.42, 0.43]`` -> ``42.1-43.2%``."""
    if not bounds:
        return "-"
    low, high = bounds
    return f"{low * 100:.{digits}f}-{high * 100:.{digits}f}%"


def with_interval(value, bounds, digits: int = 1) -> str:
    return f"{percent(value, digits)} ({interval(bounds, digits)})" if value is not None else "-"


# --- move prediction ------------------------------------------------------------------------------

@table("go_accuracy")
def accuracy() -> str:
    """Held-out top-1 / top-5 of the shipped preset, raw and averaged over the 8 symmetries, by phase."""
    record = result("go_accuracy")
    m = record["metrics"]
    rows = []
    for label, suffix in (("shipped preset, raw network", ""), ("shipped preset, 8 symmetries", f"_{SYMMETRIES}")):
        phases = m[f"by_phase{suffix}"]
        rows.append([label, number(m["positions"]), with_interval(m[f"top1{suffix}"], m[f"top1{suffix}_ci95"]),
                     percent(m[f"top5{suffix}"], 1),
                     *(percent(phases[phase]["top1"], 1) for phase in ("opening", "middlegame", "endgame")),
                     published(record["references"].get(f"top1{suffix}"))])
    phases = m["by_phase"]
    headers = ["network", "positions", "top-1 (95% CI over games)", "top-5",
               *(f"top-1 {phase} (moves {phases[phase]['moves']})" for phase in ("opening", "middlegame", "endgame")),
               "published top-1"]
    return "\n".join([markdown_table(headers, rows), "", provenance(record)])


@table("go_presets")
def presets() -> str:
    """The shipped networks: size, training and held-out accuracy, from their training records."""
    from apps.go_policy.presets import PRESETS, preset_record

    rows = []
    for name in sorted(PRESETS, key=lambda n: preset_record(n)["parameters"]):
        record = preset_record(name)
        held_out = record.get("measured_accuracy_held_out") or {}
        rows.append([f"`{name}`", f"{record['depth']}x{record['filters']}", number(record["parameters"]),
                     number(record["planes"]),
                     number(record.get("train_minutes_total", record.get("train_minutes")), 1),
                     number(record.get("train_positions_seen_total", record.get("train_positions_seen"))),
                     percent(held_out.get("top1"), 1), percent(held_out.get(f"top1_{SYMMETRIES}"), 1),
                     percent(held_out.get("top5"), 1), number(PRESETS[name].stat().st_size / 1e6, 1)])
    headers = ["preset", "layers x filters", "parameters", "input planes", "training minutes",
               "positions seen in training", "held-out top-1", "with 8 symmetries", "top-5", "file MB"]
    return "\n".join([markdown_table(headers, rows), "",
                      "Source: the training record of `apps/go_policy/presets/<preset>.json` (held-out accuracy: "
                      "the first 200 games of shard 12, written there by `python -m benchmarks.go_accuracy`)."])


@table("go_small_boards")
def small_boards() -> str:
    """The 19x19 preset on 9x9 and 13x13 professional games."""
    record = result("go_small_boards")
    rows = []
    for board, m in record["metrics"].items():
        size = int(board.split("x")[0])
        rows.append([board, number(m["games"]), number(m["positions"]), with_interval(m["top1"], m["top1_ci95"]),
                     with_interval(m.get(f"top1_{SYMMETRIES}"), m.get(f"top1_{SYMMETRIES}_ci95")),
                     percent(m["top5"], 1), percent(m.get(f"top5_{SYMMETRIES}"), 1), percent(1 / size ** 2, 1)])
    headers = ["board", "games", "positions", "top-1 (95% CI)", "top-1, 8 symmetries", "top-5",
               "top-5, 8 symmetries", "chance (one point)"]
    return "\n".join([markdown_table(headers, rows), "", "Nothing is published for these games. " + provenance(record)])


# --- matches against GNU Go -----------------------------------------------------------------------

MATCHES = (
    # (result, label, board, engine, where the win rate is in the record)
    ("go_match_19x19_level10_8_symmetries_gpu_continuation_all_games", "shipped preset",
     "19x19", "8 symmetries", ""),
    ("go_match_19x19_level10_8_symmetries_tactics_gpu_continuation_all_games", "shipped preset",
     "19x19", "8 symmetries, tactical reading (`--tactics`)", ""),
    ("go_match_19x19_level10_8_symmetries_dead_stone_count_played_out", "preset before its last training stage",
     "19x19", "8 symmetries", "all_games_"),
    ("go_match_19x19_level10", "preset after its first training stage", "19x19", "raw network", ""),
    ("go_match_9x9_level10_8_symmetries_all_games", "preset before its last training stage",
     "9x9", "8 symmetries", ""),
    ("go_match_13x13_level10_8_symmetries_played_out", "preset before its last training stage",
     "13x13", "8 symmetries", "all_games_"),
)


SGF_MOVE = re.compile(r";\s*([BW])\[([a-z]{0,2})\]")
SGF_RESULT = re.compile(r"RE\[([^\]]*)\]")


def ended_at_move_limit(sgf: str) -> bool:
    """Whether a saved game was scored where it stood: it ended neither by two passes nor by resignation."""
    text = (ROOT / sgf).read_text(errors="replace")
    moves = SGF_MOVE.findall(text)
    two_passes = len(moves) >= 2 and all(point in ("", "tt") for _, point in moves[-2:])
    resigned = "+R" in (SGF_RESULT.search(text) or [None, ""])[1].upper()
    return not (two_passes or resigned)


def scored_at_limit(record: dict) -> int:
    """Games of a match result that were scored at the move limit instead of played to their end."""
    m = record["metrics"]
    if "all_games_still_adjudicated" in m:  # a play-out: what is left of the adjudications
        return m["all_games_still_adjudicated"] + m["reached_new_limit"]
    return sum(ended_at_move_limit(game["sgf"]) for game in record["game_records"])


def _match_records(name: str) -> tuple[dict, dict]:
    """A match result and the record holding its games by color (the set-up's _all_games summary)."""
    record = result(name)
    if name.endswith("_played_out"):
        return record, result(name.replace("_played_out", "_all_games"))
    return record, record


def paired_sentence(m: dict, this: str, other: str) -> str:
    """The game-by-game comparison in a match summary's ``compared_*`` metrics, as a sentence."""
    return (f"On the {m['compared_paired_games']} game numbers (same GNU Go seed and color) both played, {this} won "
            f"{m['compared_paired_wins']} and {other} {m['compared_paired_wins_other']}: "
            f"{m['compared_won_only_by_this']} won only by the first, {m['compared_won_only_by_other']} only by the "
            f"second, exact McNemar p = {m['compared_mcnemar_exact_p']:.2f}.")


@table("go_matches")
def matches() -> str:
    """Win rates against GNU Go level 10 with their Wilson intervals, every game finished unless marked."""
    rows, records = [], []
    for name, label, board, engine, prefix in MATCHES:
        record, summary = _match_records(name)
        m, s = record["metrics"], summary["metrics"]
        if "distinct_games" not in s:
            distinct = "-"
        elif s["distinct_games"] == s["games"]:
            distinct = "all distinct"
        else:
            distinct = f"{s['distinct_wins']} of {s['distinct_games']}, {percent(s['distinct_win_rate'], 1)}"
        by_color = f"{s['wins_as_black']} / {s['wins_as_white']}" if summary is record else "-"
        reference = lookup(record, f"references.{prefix}win_rate")
        rows.append([label, board, engine, f"{m[prefix + 'wins']} of {m[prefix + 'games']}",
                     with_interval(m[prefix + "win_rate"], m[prefix + "win_rate_ci95"]), by_color, distinct,
                     number(scored_at_limit(record)), published(reference)])
        records.append(record)
    headers = ["network", "board", "engine", "games won", "win rate (95% Wilson CI)", "won as black / white",
               "distinct games won", "scored at the move limit", "published (network alone)"]
    paired = " ".join(paired_sentence(result(name)["metrics"], this, other) for name, this, other in (
        (MATCHES[0][0], "the shipped preset", "the preset before its last stage"),
        (MATCHES[1][0], "the shipped preset with tactical reading", "the network alone")))
    played = result(MATCHES[2][0])
    p = played["metrics"]
    play_out = (f"Row 3's {p['adjudicated_games']} games first scored at the move limit (borders still open) were "
                f"played on to their end (`go_match_play_out`): {p['win_to_loss']} wins became losses and "
                f"{p['loss_to_win']} losses wins (exact McNemar p = {p['flips_mcnemar_exact_p']:.3f}); where GNU Go "
                f"passed, the side our count put ahead won {p['ahead_at_first_opponent_pass_won']} of "
                f"{p['opponent_passed']}.")
    return "\n".join([markdown_table(headers, rows), "", paired, play_out, "", provenance(*records)])


BLUNDERS = (
    # (result, engine): the same preset's games against GNU Go level 10, 8 symmetries
    ("go_blunders_8_symmetries_gpu_continuation", "network alone"),
    ("go_blunders_8_symmetries_tactics_gpu_continuation", "with tactical reading (`--tactics`)"),
)


@table("go_blunders")
def blunders() -> str:
    """The engine's strings of 3+ stones GNU Go captured, by what the engine's move before did to them."""
    from benchmarks.go_blunders import MIN_STONES

    records = [result(name) for name, _ in BLUNDERS]
    rows = []
    for record, (_, engine) in zip(records, BLUNDERS):
        m = record["metrics"]

        def captured(cause, outcome="lost"):
            return f"{m[f'{outcome}.{cause}.captures']} ({m[f'{outcome}.{cause}.stones']} stones)"

        per_game = [number(m[f"{outcome}.stones_captured_per_game"], 1) for outcome in ("lost", "won")]
        rows.append([engine, number(m["games"]), f"{m['lost.games']} / {m['won.games']}",
                     f"{m['lost.games_with_a_capture']} of {m['lost.games']}", " / ".join(per_game),
                     captured("played_into_atari"), captured("left_in_atari_savable"),
                     captured("left_in_atari_lost")])
    headers = ["engine", "games", "lost / won", f"lost games with a capture of {MIN_STONES}+",
               "stones captured per lost / won game", "in lost games: played into atari",
               "left in atari, savable", "left in atari, lost already"]
    explained = (f"Each row replays one engine's games: the same preset, game numbers, GNU Go seeds and colors. Every "
                 f"capture of {MIN_STONES} or more of the engine's stones is classed by the engine's move just before "
                 "it: that move played the string into atari; or the string was in atari already, and reading "
                 "finds a move that would have saved it (savable) or none (lost already).")
    return "\n".join([markdown_table(headers, rows), "", explained, "", provenance(*records), "",
                      *(rerun(record) for record in records)])


VALUE_RESULTS = (
    # (result, what learns): value estimates trained on the outcomes of the professional games
    ("go_value", "the head alone, on the frozen policy trunk"),
    ("go_value_trunk", "the whole network, from the policy's weights"),
)


@table("go_value")
def value_estimates() -> str:
    """How well each value estimate names the eventual winner: training, validation and held-out positions."""
    records = [result(name) for name, _ in VALUE_RESULTS]
    rows = []
    for record, (_, learns) in zip(records, VALUE_RESULTS):
        m = record["metrics"]
        phases = m["test_by_phase"]
        rows.append([learns, f"{number(m['train_positions'])} / {number(m['epochs_run'])}",
                     f"{number(m['train_mse'], 3)} / {percent(m['train_winner_accuracy'], 1)}",
                     f"{number(m['validation_mse'], 3)} / {percent(m['validation_winner_accuracy'], 1)}",
                     f"{number(m['test_mse'], 3)} / {percent(m['test_winner_accuracy'], 1)}",
                     " / ".join(percent(phases[phase]["winner_accuracy"], 1) for phase in ("opening", "middlegame",
                                                                                            "endgame")),
                     " + ".join(number(m[key] / 60, 1) for key in ("trunk_features_train_s", "fit_s") if key in m)])
    headers = ["what learns", "training positions / epochs", "training: MSE / winner named",
               "validation: MSE / winner named", "test (shard 12): MSE / winner named",
               "test, winner named: opening / middlegame / endgame",
               "minutes: feature maps + fitting"]
    explained = ("MSE: mean squared error of the value against the outcome (+1 / -1 for the player to move; a value "
                 "of 0 everywhere scores 1.000). Winner named: the share of positions whose eventual winner the "
                 "sign of the value names (50%: chance). Published MSE: "
                 f"{lookup(records[0], 'references.test_mse')}.")
    return "\n".join([markdown_table(headers, rows), "", explained, "", provenance(*records), "",
                      *(rerun(record) for record in records)])


@table("go_elo")
def elo_ratings() -> str:
    """Every 19x19 preset stage's Elo against GNU Go level 10, and the paired differences between stages."""
    from benchmarks.go_elo import SETUPS, elo

    record = result("go_elo")
    m = record["metrics"]

    def rated(value):
        return "-" if value is None else f"{value:+.0f}"

    def interval(pair):
        return f"[{rated(pair[0])}, {rated(pair[1])}]"

    rows = [[m[name]["setup"], f"{m[name]['wins']} of {m[name]['games']}", percent(m[name]["win_rate"], 1),
             f"**{rated(m[name]['elo'])}** {interval(m[name]['elo_ci95'])}", number(m[name]["scored_at_move_limit"])]
            for name, _ in SETUPS]
    rows.append(["target (issue 40)", "-", ">= 85%", f">= {rated(elo(0.85))}", "-"])
    table_text = markdown_table(["set-up (network, engine)", "games won", "win rate", "Elo vs GNU Go (95% CI)",
                                 "scored at the move limit"], rows)
    labels = {name: m[name]["setup"] for name, _ in SETUPS}
    paired_rows = []
    for key, entry in m.items():
        if "_vs_" not in key:
            continue
        later, earlier = key.split("_vs_")
        paired_rows.append([labels[later], labels[earlier], number(entry["paired_games"]),
                            f"{entry['won_only_by_this']} / {entry['won_only_by_other']}",
                            f"**{rated(entry['elo_difference'])}** {interval(entry['elo_difference_ci95'])}",
                            f"{entry['mcnemar_exact_p']:.3f}"])
    paired = markdown_table(["later set-up", "earlier set-up", "games both played", "won only by later / earlier",
                             "Elo difference (95% CI)", "exact McNemar p"], paired_rows)
    return "\n".join([table_text, "", paired, "", record["notes"], "", provenance(record), "", rerun(record)])


# --- counting and analysis ------------------------------------------------------------------------

@table("go_scoring")
def scoring() -> str:
    """The end-of-game count (dead stones from play-outs) next to GNU Go's and the plain Tromp-Taylor count."""
    record = result("go_scoring")
    pro, games = record["metrics"]["pro_games"], record["metrics"]["match_games"]
    rows = [
        ["positions", number(pro["positions"]), number(games["positions"])],
        ["winner agrees with the recorded result: ours / GNU Go / Tromp-Taylor",
         " / ".join(percent(pro[key], 0) for key in ("winner_agrees_with_record", "winner_agrees_with_record_gnugo",
                                                       "winner_agrees_with_record_tromp_taylor")), "-"],
        ["winner agrees with GNU Go: ours / Tromp-Taylor",
         *(f"{percent(m['winner_agrees_with_gnugo'], 0)} / {percent(m['winner_agrees_with_gnugo_tromp_taylor'], 0)}"
           for m in (pro, games))],
        ["dead stones identical to GNU Go's (games)", percent(pro["dead_sets_equal_gnugo"], 0),
         percent(games["dead_sets_equal_gnugo"], 0)],
        ["points called dead by both, of those either calls dead", percent(pro["dead_points_jaccard_with_gnugo"], 0),
         percent(games["dead_points_jaccard_with_gnugo"], 0)],
        ["mean score difference to GNU Go, points: ours / Tromp-Taylor",
         *(f"{number(m['score_mean_abs_difference_to_gnugo'], 1)} / "
           f"{number(m['score_mean_abs_difference_to_gnugo_tromp_taylor'], 1)}" for m in (pro, games))],
        ["seconds per position: ours / GNU Go",
         *(f"{number(m['seconds_per_position_ours'], 2)} / {number(m['seconds_per_position_gnugo'], 1)}"
           for m in (pro, games))],
    ]
    return "\n".join([markdown_table(["", "counted professional games", "match games"], rows), "",
                      f"Reference: {record['references']['pro_games']}. {provenance(record)}"])


@table("go_analysis")
def analysis() -> str:
    """``lz-analyze`` on held-out games: its speed and how often its play-out win rate sides with the winner."""
    record = result("go_analysis")
    m = record["metrics"]
    rows = [[f"after move {move}", number(v["positions"]),
             with_interval(v["winrate_on_winners_side"], v["winrate_on_winners_side_ci95"], 0),
             number(v["brier"], 3), percent(v["majority_baseline"], 0), percent(v["tromp_taylor_on_winners_side"], 0)]
            for move, v in m["by_move"].items()]
    headers = ["position", "positions", "win rate on the winner's side (95% CI)", "Brier score",
               "baseline: the more frequent winner", "baseline: sign of the Tromp-Taylor count"]
    speed = (f"First info line after {number(m['seconds_to_first_info_mean'], 2)} s on average (at most "
             f"{number(m['seconds_to_first_info_max'], 1)} s), then {number(m['playouts_per_second'], 0)} play-outs "
             f"a second; the professional's next move was among the candidates in "
             f"{percent(m['next_move_in_candidates'], 1)} of {number(m['positions'])} positions of "
             f"{number(m['games'])} games. A constant 50% scores a Brier score of 0.25.")
    return "\n".join([speed, "", markdown_table(headers, rows), "", provenance(record)])


# --- speed ----------------------------------------------------------------------------------------

SPEED_RECORDS = ("go_speed", "go_speed_slower_amd", "go_speed_xeon")


@table("go_speed")
def speed() -> str:
    """Rules engine, encoding, genmove latency and CPU training throughput on three 2-core machines."""
    records = [result(name) for name in SPEED_RECORDS]
    # the network measured is the preset's shape, which names the training keys (cnnkit_policy_12x96_...)
    shape = re.search(r"_(\d+x\d+)_", next(iter(records[0]["metrics"]["training_positions_per_s"]))).group(1)

    def cells(keys, digits=0):
        """One cell per machine: the figures under ``keys``, slash-separated."""
        return [" / ".join(number(lookup(r["metrics"], key), digits) for key in keys) for r in records]

    training = "training_positions_per_s."
    train_keys = [f"cnnkit_policy_{shape}_streaming_symmetries", f"cnnkit_policy_{shape}_device_symmetries",
                  f"plain_keras_{shape}_numpy_arrays"]
    target = re.sub(r"\s*\(.*\)", "", lookup(records[0], "references.genmove_ms.mean", "-")) + " ms"
    rows = [
        ["genmove, ms: mean / 95th percentile", *cells(["genmove_ms.mean", "genmove_ms.p95"], 1), target],
        ["genmove with 8 symmetries, ms: mean / 95th percentile",
         *cells(["genmove_ms_8_symmetries.mean", "genmove_ms_8_symmetries.p95"], 1), target],
        ["genmove with 8 symmetries and tactical reading (`--tactics`), ms: mean / 95th percentile",
         *cells(["genmove_ms_8_symmetries_tactics.mean", "genmove_ms_8_symmetries_tactics.p95"], 1), target],
        ["random legal moves/s: 9x9 / 13x13 / 19x19",
         *cells([f"random_play_moves_per_s.{board}" for board in ("9x9", "13x13", "19x19")]), "-"],
        ["encoding positions/s, one process: small / full planes",
         *cells(["encoding_positions_per_s.small_22_planes_one_process",
                 "encoding_positions_per_s.full_47_planes_one_process"]), "-"],
        ["encoding pipeline positions/s, 2 worker processes, SGF parsing and shard writing included",
         *cells(["encoding_positions_per_s.small_pipeline_2_spawn_workers_incl_parsing_and_writing"]), "-"],
        ["one batch-loading thread, positions/s: boards turned on the host / packed for `--device-augmentation`",
         *cells([f"loader_positions_per_s_one_thread_batch_512.{key}"
                 for key in ("host_unpack_and_symmetries", "packed_for_the_device")]), "-"],
        [f"training {shape} positions/s, float32, batch 128: PositionDataset / symmetries in the graph / "
         "plain Keras on NumPy arrays", *cells([training + key for key in train_keys]), "-"],
        ["the same, mixed bfloat16, batch 512 (`--mixed-precision`)",
         *cells([training + key + "_mixed_bfloat16_batch512" for key in train_keys]), "-"],
    ]
    headers = ["measure", *(f"`{name}`" for name in SPEED_RECORDS), "target (2 CPU cores)"]
    return "\n".join([markdown_table(headers, rows), "",
                      "TensorFlow limited to 2 threads; `-`: not measured (mixed bfloat16 needs a CPU with "
                      f"bfloat16 units). {provenance(*records)}"])
