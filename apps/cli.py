"""``cnnkit <app> ...``: one console script, one subcommand per application."""

from __future__ import annotations

import importlib
import sys

APPS = {
    "image": ("image_recognition", "image classifiers: train, evaluate, predict, explain, finetune, export"),
    "video": ("video_analysis", "video: shot boundaries, frame embeddings, clip classifiers, annotation"),
    "text": ("text_classification", "sentence classification: Kim 2014 CNN, char-CNN, DCNN"),
    "dta": ("drug_target", "drug-target affinity and interaction (DeepDTA) with RDKit"),
    "go": ("go_policy", "Go policy network: training, evaluation, GTP engine, matches against GNU Go"),
}


def usage() -> str:
    lines = ["usage: cnnkit <app> [options]", "", "applications:"]
    lines += [f"  {name:<6} {text}" for name, (_, text) in APPS.items()]
    lines += ["", "  presets  the shipped trained models, with their metrics (cnnkit presets --help)",
              "", "Run `cnnkit <app> --help` for an application's commands."]
    return "\n".join(lines)


def main(argv=None) -> int:
    if argv is None:  # the `cnnkit` program: Ctrl-C ends it at once (shared.cli.end_interrupted_program)
        from shared.cli import end_interrupted_program

        return end_interrupted_program(main(sys.argv[1:]))
    argv = list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name == "presets":
        from apps.presets_cli import main as presets_main

        return int(presets_main(rest) or 0)
    if name not in APPS:
        sys.stderr.write(f"error: unknown application {name!r}; expected one of {', '.join(APPS)} or presets.\n")
        return 2
    module = importlib.import_module(f"apps.{APPS[name][0]}.cli")
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
