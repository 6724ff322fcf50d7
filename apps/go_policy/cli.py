"""``cnnkit go``: encode, train, evaluate, review, gtp, play, match, bench.

Examples::

    cnnkit go train --sgf data/go/cwi_pro/cwi_pro_19x19_part01.tar.gz --out runs/go --max-games 2000
    cnnkit go evaluate --sgf data/go/cwi_pro/cwi_pro_19x19_part12.tar.gz --max-games 200 --json
    cnnkit go review --sgf game.sgf --out reviewed.sgf   # the network's view of every move
    cnnkit go gtp                      # a GTP engine on stdin/stdout (GoGui, Sabaki, ...)
    cnnkit go play --size 9 --out my_game.sgf   # play the network in the terminal
    cnnkit go match --opponent "gnugo --mode gtp --level 10" --games 10 --size 19 --out runs/match
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from apps.go_policy.presets import DEFAULT_PRESET, DEFAULT_PRESET_NAME
from apps.go_policy.presets import FOLDER as PRESETS
from shared.cli import (
    add_common_arguments,
    add_distribute_argument,
    add_fresh_argument,
    add_precision_argument,
    choose_precision,
    format_table,
    run,
)
from shared.presets import resolve_model
from shared.runtime import add_export_command, add_runtime_argument


def finite_float(text: str) -> float:
    """An argparse type: a float that is not NaN or infinite (``--komi nan`` would score every game 0)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _sgf_argument(parser):
    parser.add_argument("--sgf", nargs="+", required=True, metavar="ARCHIVE_OR_FOLDER",
                        help="SGF sources: folders, .sgf files, .zip, .tar.gz or .tar.bz2 archives")
    parser.add_argument("--max-games", type=int, default=None,
                        help="use at most this many games (SGF files; a collection file counts once) per source")
    parser.add_argument("--skip-games", type=int, default=0,
                        help="pass over the first games (SGF files) of each source (e.g. those an earlier run "
                             "trained on)")
    parser.add_argument("--workers", type=int, default=2, help="encoding worker processes (default: 2)")
    parser.add_argument("--size", type=int, default=19, choices=[9, 13, 19],
                        help="board size of the games to use; games of other sizes are skipped and counted "
                             "(default: 19; the network is fully convolutional, so the 19x19 preset plays "
                             "and is scored on 9x9 and 13x13 too)")


def _playouts_argument(parser):
    parser.add_argument("--playouts", type=int, default=64,
                        help="random play-outs that count a finished game with its dead stones off (the "
                             "pass decision, final_score, final_status_list; default 64); 0: Tromp-Taylor")


def _tactics_argument(parser):
    parser.add_argument("--tactics", action="store_true",
                        help="read out the strings short of liberties (ladders, ataris) before each move and "
                             "drop the moves that leave 3+ stones more capturable than the best move read; "
                             "without it the network plays alone")


def _value_argument(parser):
    parser.add_argument("--value", default=None, metavar="VALUE.keras",
                        help="read one move ahead on 19x19 boards with this value network, or value head under the "
                             "network's trunk (written by `python -m benchmarks.go_value`; needs the Keras runtime): "
                             "of the likeliest moves, play another than the favourite only where the value after it "
                             "is clearly higher")


def _model_argument(parser, symmetries: int = 1):
    parser.add_argument("--model", default=None,
                        help="a .keras file or a preset name (`cnnkit presets`; default: the preset "
                             f"{DEFAULT_PRESET_NAME})")
    parser.add_argument("--symmetries", type=int, default=symmetries, choices=range(1, 9), metavar="1..8",
                        help=f"average the network over this many board symmetries (default: {symmetries}; "
                             "8 is more accurate and stronger, for 8 times the network work)")


def _temperature_argument(parser):
    parser.add_argument("--temperature", type=finite_float, default=0.0,
                        help="0 plays the most probable sensible move; above 0 samples from the network's "
                             "probabilities raised to 1/T (a varied, weaker opponent)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnkit go", description="Go policy network: rules, SGF data, "
                                     "training, evaluation, a GTP engine and matches against GNU Go.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    encode = commands.add_parser("encode", help="encode SGF sources into cached position shards")
    _sgf_argument(encode)
    encode.add_argument("--features", default="small", help="feature set: minimal, small, full or plane groups")
    add_common_arguments(encode)

    train = commands.add_parser("train", help="train a policy network on SGF sources")
    _sgf_argument(train)
    train.add_argument("--features", default=None,
                       help="feature set: minimal, small (22 planes, the default), full (47); with --init-model, "
                            "a superset of the model's extends its input (new planes start at zero weight)")
    train.add_argument("--depth", type=int, default=6, help="convolution layers (AlphaGo: 13)")
    train.add_argument("--filters", type=int, default=48, help="filters per layer (AlphaGo: 192)")
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--steps-per-epoch", type=int, default=None,
                       help="batches per epoch (default: all training positions)")
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--max-minutes", type=float, default=None, help="stop training after this wall time")
    train.add_argument("--anneal", action="store_true",
                       help="cosine-decay the learning rate to 1%% of --learning-rate over --max-minutes")
    train.add_argument("--loader-workers", type=int, default=1,
                       help="threads preparing training batches (several keep a GPU fed; default: 1)")
    train.add_argument("--init-model", default=None, metavar="MODEL",
                       help="continue training this policy, a .keras file or a preset name (its architecture replaces "
                            "--depth and --filters, its features --features unless that extends them)")
    add_precision_argument(train, mixed_precision_alias=True)
    add_distribute_argument(train)
    train.add_argument("--ema-momentum", type=float, default=None, metavar="M",
                       help="save the exponential moving average of the weights (e.g. 0.999) "
                            "instead of the last ones")
    train.add_argument("--device-augmentation", action="store_true",
                       help="feed bit-packed planes and unpack and turn them on the device (for a GPU: "
                            "the loader threads then only slice shards)")
    add_fresh_argument(train)
    add_common_arguments(train, out_default="runs/go_policy")

    evaluate = commands.add_parser("evaluate", help="top-1 / top-5 move prediction on SGF games")
    _sgf_argument(evaluate)
    _model_argument(evaluate)
    evaluate.add_argument("--max-positions", type=int, default=None)
    evaluate.add_argument("--split", default="all", choices=["all", "test", "validation"],
                          help="all games of the sources (held-out archives) or one split of them")
    add_common_arguments(evaluate)

    review = commands.add_parser("review",
                                 help="the network's view of every move of one game (an annotated SGF)")
    review.add_argument("--sgf", required=True, metavar="GAME.sgf", help="one game record to review")
    _model_argument(review, symmetries=8)
    review.add_argument("--top", type=int, default=3, help="the network's choices listed at each move (default: 3)")
    review.add_argument("--surprises", type=int, default=5,
                        help="list this many least expected moves in the summary (default: 5)")
    add_common_arguments(review)
    review.set_defaults(summary=False)  # its report is printed by the command

    gtp = commands.add_parser("gtp", help="a GTP version 2 engine on stdin/stdout")
    _model_argument(gtp, symmetries=8)
    add_runtime_argument(gtp)
    _temperature_argument(gtp)
    gtp.add_argument("--superko", action="store_true", help="positional superko instead of simple ko")
    _playouts_argument(gtp)
    _tactics_argument(gtp)
    _value_argument(gtp)
    add_common_arguments(gtp)
    gtp.set_defaults(summary=False)  # standard output is the GTP session

    play = commands.add_parser("play", help="play the network in the terminal, as GNU Go's ASCII mode")
    _model_argument(play, symmetries=8)
    add_runtime_argument(play)
    play.add_argument("--color", default="black", choices=["black", "white"], help="your color (default: black)")
    play.add_argument("--size", type=int, default=19, choices=[9, 13, 19])
    play.add_argument("--komi", type=finite_float, default=7.5)
    play.add_argument("--handicap", type=int, default=0,
                      help="black stones on the fixed handicap points before White's first move (2-9)")
    play.add_argument("--load", metavar="GAME.sgf", default=None,
                      help="go on from a game record (its size, komi, stones and moves)")
    play.add_argument("--superko", action="store_true", help="positional superko instead of simple ko")
    _temperature_argument(play)
    _playouts_argument(play)
    _tactics_argument(play)
    _value_argument(play)
    add_common_arguments(play)  # --out FILE.sgf: where the game is written when it ends
    play.set_defaults(summary=False)  # standard output is the game; --json adds its outcome

    match = commands.add_parser("match", help="play the engine against a GTP opponent (e.g. GNU Go)")
    _model_argument(match, symmetries=8)
    add_runtime_argument(match)
    match.add_argument("--opponent", default="gnugo --mode gtp --level 10",
                       help='opponent command line (default: "gnugo --mode gtp --level 10")')
    match.add_argument("--games", type=int, default=10)
    match.add_argument("--size", type=int, default=19, choices=[9, 13, 19])
    match.add_argument("--komi", type=finite_float, default=7.5)
    match.add_argument("--max-moves", type=int, default=None, help="adjudicate by area score after this many moves")
    _temperature_argument(match)
    match.add_argument("--max-minutes", type=float, default=None, help="start no new game after this wall time")
    match.add_argument("--max-restarts", type=int, default=2,
                       help="restart an opponent that exits mid-game and replay the game, at most this often")
    _playouts_argument(match)
    _tactics_argument(match)
    _value_argument(match)
    add_common_arguments(match, out_default="runs/go_match")

    bench = commands.add_parser("bench", help="rules-engine speed: random legal moves per second")
    bench.add_argument("--size", type=int, default=19)
    bench.add_argument("--moves", type=int, default=20000)
    add_common_arguments(bench)
    add_export_command(commands, "a .keras file or a go preset name (`cnnkit presets --app go`)")
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    return run(build_parser(), sys.modules[__name__], argv, setup=lambda args: setattr(args, "argv", argv))


def load_model(args):
    """The policy network of ``--model``: a ``.keras`` file or a preset name (the default preset without it)."""
    from apps.go_policy.play.engine import load_policy

    return load_policy(resolve_model(args.model or DEFAULT_PRESET_NAME, "--model", app="go"))


def cmd_encode(args) -> dict:
    from apps.go_policy.model.data import encode_dataset

    manifest = encode_dataset(args.sgf, features=args.features, workers=args.workers, max_games=args.max_games,
                              skip_games=args.skip_games, sizes=(args.size,), progress=not args.json)
    return {k: manifest[k] for k in ("folder", "planes", "positions", "games", "report", "positions_per_s", "cached")}


def cmd_train(args) -> dict:
    from apps.go_policy.model.train import train_policy

    summary = train_policy(
        args.sgf, args.out, features=args.features, depth=args.depth, filters=args.filters,
        batch_size=args.batch_size, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        max_games=args.max_games, max_minutes=args.max_minutes, learning_rate=args.learning_rate,
        workers=args.workers, seed=args.seed, progress=not args.json, verbose=0 if args.json else "auto",
        command="cnnkit go " + " ".join(args.argv), anneal=args.anneal, loader_workers=args.loader_workers,
        init_model=None if args.init_model is None else str(resolve_model(args.init_model, "--init-model", app="go")),
        precision=choose_precision(args.precision), skip_games=args.skip_games,
        ema_momentum=args.ema_momentum, device_augmentation=args.device_augmentation, size=args.size,
        resume=not args.fresh,
    )
    summary.pop("history", None)
    return summary


def cmd_evaluate(args) -> dict:
    from apps.go_policy.model.train import evaluate_policy

    metrics = evaluate_policy(load_model(args), args.sgf, max_games=args.max_games,
                              max_positions=args.max_positions, split=args.split, workers=args.workers,
                              progress=not args.json, symmetries=args.symmetries, skip_games=args.skip_games,
                              size=args.size)
    metrics["model"] = str(args.model or DEFAULT_PRESET.relative_to(PRESETS.parents[2]))  # no machine path
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(metrics, indent=1))
    return metrics


def cmd_review(args) -> dict:
    from apps.go_policy.play.engine import PolicyEngine
    from apps.go_policy.play.review import review_file

    engine = PolicyEngine(load_model(args), symmetries=args.symmetries)
    summary = review_file(engine, args.sgf, out=args.out, top=args.top, surprises=args.surprises)
    if not args.json:
        _print_review(summary)
    return summary


def _print_review(summary: dict) -> None:
    print(format_table({key: value for key, value in summary.items() if key != "move_reviews"}))
    print("agreement with the network (top-1, top-5, mean probability of the played move):")
    for who, agreement in summary["agreement"].items():
        if agreement["moves"]:
            print(f"  {who:<5} {agreement['top1']:.1%}, {agreement['top5']:.1%}, "
                  f"{agreement['mean_probability']:.3f} ({agreement['moves']} moves)")
    print("least expected moves:")
    for surprise in summary["surprises"]:
        rank = "not sensible" if surprise["rank"] is None else f"rank {surprise['rank']}"
        print(f"  {surprise['number']:>4} {surprise['color']} {surprise['played']:<4} {surprise['probability']:.2%} "
              f"({rank}; network: {surprise['network_choice']})")
    out = summary.get("annotated_sgf")
    print(f"{len(summary['move_reviews'])} moves reviewed"
          + (f"; annotated SGF: {out}" if out else " (--out FILE.sgf writes them as SGF comments)"))


def _policy_engine(args):
    """The engine of gtp, play and match: the network's ONNX export when ``--runtime`` allows
    (no Keras import, ``shared.runtime``), else the Keras model."""
    from apps.go_policy.play.engine import PolicyEngine
    from shared.runtime import open_exported

    path = resolve_model(args.model or DEFAULT_PRESET_NAME, "--model", app="go")
    if args.value and args.runtime == "onnx":
        raise ValueError("--value needs the Keras runtime (the value network runs in Keras): drop --runtime onnx")
    model = open_exported(path, "keras" if args.value else args.runtime)
    if model is None:
        from apps.go_policy.play.engine import load_policy

        model = load_policy(path)
    value = None
    if args.value:
        from apps.go_policy.play.engine import load_value

        value = load_value(args.value, model)
    return PolicyEngine(model, temperature=args.temperature, seed=args.seed,
                        symmetries=args.symmetries, playouts=args.playouts, tactics=args.tactics, value=value)


def cmd_export(args) -> dict:
    """Export ``--model`` to ONNX (``shared.runtime``): gtp, play and match then start without TensorFlow."""
    from shared.runtime import export_command

    return export_command(args.model, "go", lambda spec: load_model(args), args.out)


def cmd_gtp(args) -> None:
    from apps.go_policy.play.gtp import GtpEngine

    GtpEngine(_policy_engine(args), superko=args.superko, playouts=args.playouts).serve(sys.stdin, sys.stdout)


def cmd_play(args) -> dict:
    from apps.go_policy.play.gtp import GtpEngine
    from apps.go_policy.play.terminal import TerminalGame, start_position
    from apps.go_policy.rules.board import BLACK, WHITE

    gtp = GtpEngine(None, size=args.size, komi=args.komi, superko=args.superko, playouts=args.playouts)
    start_position(gtp, load=args.load, handicap=args.handicap)  # a refused record fails before the model loads
    gtp.engine = _policy_engine(args)
    human = {"black": BLACK, "white": WHITE}[args.color]
    outcome = TerminalGame(gtp, human=human, sgf_out=args.out, echo=not sys.stdin.isatty()).run()
    return {"result": outcome.result, "reason": outcome.reason, "moves": outcome.moves, "sgf": outcome.sgf}


def cmd_match(args) -> dict:
    from apps.go_policy.play.match import play_match

    return play_match(_policy_engine(args), args.opponent, games=args.games, size=args.size, komi=args.komi,
                      out=args.out, max_moves=args.max_moves, progress=not args.json,
                      max_minutes=args.max_minutes, max_restarts=args.max_restarts)


def cmd_bench(args) -> dict:
    from apps.go_policy.rules.board import random_playout_speed

    start = time.perf_counter()
    speed = random_playout_speed(args.size, args.moves, seed=args.seed)
    return {"size": args.size, "moves": args.moves, "moves_per_s": round(speed, 1),
            "seconds": round(time.perf_counter() - start, 2)}
