"""``cnnkit dta``: train, evaluate, predict and screen drug-target models."""

from __future__ import annotations

import argparse
import sys

from apps.drug_target.options import DEFAULT_PATIENCE, DEFAULT_VALID_FRACTION, check_training_options
from apps.drug_target.presets import ARCHITECTURES
from shared.cli import (
    add_common_arguments,
    add_distribute_argument,
    add_fresh_argument,
    add_precision_argument,
    fast_mode,
    positive_float,
    positive_int,
    progress_bar,
    run,
)
from shared.runtime import add_export_command, add_runtime_argument

EPILOG = """examples:
  cnnkit dta train --data davis --out runs/davis
  cnnkit dta train --data pairs.csv --valid held_out.csv --patience 20 --out runs/mine
  cnnkit dta baseline --data pairs.csv --out runs/mine_baselines   # fingerprint forests on the same split
  cnnkit dta evaluate --model runs/davis/model.keras --data davis --json
  cnnkit dta evaluate --model deepdta_davis --data davis                # a shipped preset (`cnnkit presets`)
  cnnkit dta predict --model runs/davis/model.keras --pairs pairs.csv --out predictions.csv
  cnnkit dta screen --model runs/davis/model.keras --target P00533.fasta --ligands lib.smi --top 20 --out screen/
  cnnkit dta evaluate --model runs/s0/model.keras runs/s1/model.keras --data held_out.csv   # fits spread_scale
  cnnkit dta predict --model runs/s0/model.keras runs/s1/model.keras --spread-scale 2.4 --pairs pairs.csv
  cnnkit dta predict --model deepdta_ecfp_kiba_ensemble --pairs pairs.csv   # an ensemble preset: 3 seeds, spread
  cnnkit dta export --model runs/davis/model.keras   # predict and screen then start without TensorFlow
"""


MODEL_HELP = "a .keras file or a preset name (`cnnkit presets`)"
ENSEMBLE_HELP = (MODEL_HELP + "; several (models of one task, e.g. seeds of one recipe), or an ensemble preset, "
                 "predict their mean, with their standard deviation in a spread column")
SPREAD_SCALE_HELP = ("with several --model: multiply their standard deviation by F in the spread column (default: "
                     "an ensemble preset's recorded factor, else 1; `cnnkit dta evaluate` with the same models on "
                     "held-out pairs fits F so that about 68%% of them lie within one spread)")
SPLIT_CHOICES = ("setting1", "random", "cold-drug", "cold-target", "cold")
ARCH_CHOICES = tuple(ARCHITECTURES)


def add_split_arguments(parser) -> None:
    """The options that choose the data and its training, validation and test pairs (train and baseline
    take the same, so that a baseline is fitted on the pairs the network trains on)."""
    parser.add_argument("--data", required=True, help="davis, kiba, human, bindingdb or FILE.csv "
                        "(columns smiles, sequence and affinity or label)")
    parser.add_argument("--task", choices=("affinity", "interaction"), default=None,
                        help="default: from the data (affinity column -> affinity, 0/1 label -> interaction)")
    parser.add_argument("--split", choices=SPLIT_CHOICES, default=None,
                        help="default: setting1 for davis/kiba, random otherwise")
    parser.add_argument("--valid", default=None, metavar="FILE.csv",
                        help="validation pairs (the columns of --data); --data then splits into training and "
                             "test pairs only (default: drawn from --data, or the dataset's own)")
    parser.add_argument("--valid-fraction", type=float, default=None, metavar="F",
                        help=f"the share drawn from --data for validation: of the pairs (random), of the drugs or "
                             f"proteins (cold-drug, cold-target), of the non-test pairs (cold on a CSV) (default "
                             f"{DEFAULT_VALID_FRACTION:g}; not for splits with their own validation part: davis/kiba "
                             "setting1, human, bindingdb)")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N pairs of each split (smoke runs)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnkit dta", description="Drug-target affinity (DeepDTA) and interaction prediction with RDKit.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train DeepDTA on davis, kiba, human or a CSV",
                                description="Train DeepDTA; saves OUT/model.keras and OUT/metrics.json.")
    add_split_arguments(train)
    train.add_argument("--epochs", type=int, default=None, help="default 100 (2 with CNNKIT_FAST=1)")
    train.add_argument("--batch-pairs", type=int, default=256, help="pairs per training batch (default 256)")
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--weight-decay", type=float, default=0.0,
                       help="AdamW's decoupled weight decay; each step shrinks the weights by learning rate x "
                            "this (default 0: Adam)")
    train.add_argument("--patience", type=int, default=None,
                       help=f"stop after N epochs without a better validation score (MSE for affinity, AUROC "
                            f"for interaction) and keep the best epoch's weights (default {DEFAULT_PATIENCE}; "
                            "0: train all --epochs)")
    train.add_argument("--arch", choices=ARCH_CHOICES, default="deepdta",
                       help="the network: deepdta (Öztürk et al. 2018), attention (attention pooling instead of "
                            "the maximum), attention_masked (the same, with no weight on the padding), multiscale "
                            "(three parallel kernel widths in every convolution stage) or ecfp (the drug's ECFP4 "
                            "bits joined to its learned vector); default deepdta")
    train.add_argument("--max-smiles-length", type=int, default=None, help="default: 85 davis, 100 otherwise")
    train.add_argument("--max-protein-length", type=int, default=None, help="default: 1200 davis, 1000 otherwise")
    train.add_argument("--embed-dim", type=int, default=None, help="default: the preset's (128)")
    train.add_argument("--filters", type=int, nargs=3, default=None, metavar="N",
                       help="default: the preset's (32 64 96)")
    train.add_argument("--hidden-units", type=int, nargs="+", default=None, metavar="N",
                       help="default: the preset's (1024 1024 512)")
    train.add_argument("--dropout", type=float, default=None, help="default: the preset's (0.1)")
    train.add_argument("--per-pair", action="store_true",
                       help="train the plain per-pair model instead of the entity-batched view (slower, same model)")
    train.add_argument("--time-budget-min", type=float, default=None, help="stop after the epoch that crosses this")
    add_precision_argument(train)
    add_distribute_argument(train)
    add_fresh_argument(train)
    add_common_arguments(train)

    baseline = commands.add_parser(
        "baseline", help="fit the fingerprint baselines (random forest, gradient boosting) on the split train uses",
        description="ECFP4 (Morgan radius 2, 1024 bits) + protein amino-acid/dipeptide composition features; "
                    "scikit-learn random forest and histogram gradient boosting fitted on the training pairs of "
                    "the split `cnnkit dta train` uses with the same options, scored on its test pairs. "
                    "Writes OUT/baselines.json when --out is given.")
    add_split_arguments(baseline)
    add_common_arguments(baseline)
    baseline.set_defaults(light=True)  # scikit-learn only: --seed seeds Python and NumPy, Keras is not loaded

    evaluate = commands.add_parser("evaluate", help="score a saved model on a dataset's test split or a CSV",
                                   description="Metrics: ci, mse, pearson, spearman, rm2 (affinity); auroc, auprc "
                                               "(interaction).")
    evaluate.add_argument("--model", required=True, nargs="+",
                          help=MODEL_HELP + "; several score their mean and report how well their spread tells "
                                            "the error, with the spread_scale that predict and screen take")
    evaluate.add_argument("--data", required=True, help="davis, kiba, human, bindingdb or FILE.csv (all rows)")
    evaluate.add_argument("--split", default=None, help="which split's test part (default as in train)")
    evaluate.add_argument("--limit", type=int, default=None, help="only the first N test pairs")
    add_common_arguments(evaluate)

    predict = commands.add_parser("predict", help="predict pairs from a CSV (columns smiles, sequence)",
                                  description="Writes a CSV in input order with a prediction and an error column.")
    predict.add_argument("--model", required=True, nargs="+", help=ENSEMBLE_HELP)
    predict.add_argument("--spread-scale", type=positive_float, default=None, metavar="F", help=SPREAD_SCALE_HELP)
    predict.add_argument("--pairs", required=True, help="CSV with columns smiles and sequence")
    predict.add_argument("--batch-size", type=positive_int, default=4096,
                         help="rows scored and written at a time; memory follows it, not the file (default 4096)")
    add_runtime_argument(predict)
    add_common_arguments(predict)

    screen = commands.add_parser("screen", help="rank a ligand library against one target",
                                 description="Writes OUT/ranked.csv and OUT/top_molecules.png (RDKit drawings).")
    screen.add_argument("--model", required=True, nargs="+", help=ENSEMBLE_HELP)
    screen.add_argument("--spread-scale", type=positive_float, default=None, metavar="F", help=SPREAD_SCALE_HELP)
    screen.add_argument("--target", required=True, help="a protein sequence, or a FASTA file (first record)")
    screen.add_argument("--ligands", required=True, help=".smi file: one SMILES per line, optional name after it")
    screen.add_argument("--top", type=int, default=20)
    add_runtime_argument(screen)
    add_common_arguments(screen)
    add_export_command(commands, MODEL_HELP)
    return parser


def main(argv=None) -> int:
    return run(build_parser(), sys.modules[__name__], argv)


def _print_errors(pair_data, prefix):
    for message in pair_data.errors.values():
        print(f"{prefix}: {message}", file=sys.stderr)


def _print_notes(pair_data, limit=20):
    """The first ``limit`` rows whose SMILES or sequence the model cut, and how many there were."""
    notes = list(pair_data.notes.values())
    for message in notes[:limit]:
        print(f"note: {message}", file=sys.stderr)
    if len(notes) > limit:
        print(f"note: {len(notes) - limit} more row(s) were cut to the model's input lengths "
              "(the note column names them)", file=sys.stderr)


def _print_truncation(counts, lengths, pairs):
    smiles, proteins = counts["smiles_truncated"], counts["proteins_truncated"]
    if smiles or proteins:
        print(f"note: of {pairs} pairs, {smiles} have a SMILES longer than the model's {lengths[0]} characters "
              f"and {proteins} a sequence longer than its {lengths[1]} residues; the model reads only their start",
              file=sys.stderr)


def _check_options(command, **values):
    """Bad option values get the project's error, naming the option as typed (``--valid-fraction``)."""
    check_training_options(f"cnnkit dta {command}", lambda name: "--" + name.replace("_", "-"), **values)


def cmd_train(args) -> dict:
    if not args.out:
        raise ValueError("train needs --out DIR (the model is saved as DIR/model.keras).")
    patience = DEFAULT_PATIENCE if args.patience is None else args.patience
    _check_options("train", patience=patience, weight_decay=args.weight_decay,
                   valid_fraction=args.valid_fraction)
    from apps.drug_target.train import train_and_save

    return train_and_save(
        args.data, args.out, task=args.task, split=args.split, seed=args.seed,
        epochs=args.epochs or (2 if fast_mode() else 100), batch_pairs=args.batch_pairs,
        learning_rate=args.learning_rate, weight_decay=args.weight_decay, patience=patience, valid=args.valid,
        valid_fraction=args.valid_fraction, limit=args.limit, entity_batched=not args.per_pair,
        time_budget_s=args.time_budget_min * 60 if args.time_budget_min else None,
        verbose=0 if args.json else "auto", resume=not args.fresh, arch=args.arch,
        smiles_length=args.max_smiles_length, protein_length=args.max_protein_length, embed_dim=args.embed_dim,
        filters=tuple(args.filters) if args.filters else None,
        hidden_units=tuple(args.hidden_units) if args.hidden_units else None, dropout=args.dropout,
    )


def cmd_baseline(args) -> dict:
    _check_options("baseline", valid_fraction=args.valid_fraction)
    from apps.drug_target.baselines import baselines_and_save

    return baselines_and_save(args.data, args.out, task=args.task, split=args.split, seed=args.seed,
                              valid=args.valid, valid_fraction=args.valid_fraction, limit=args.limit)


def cmd_evaluate(args) -> dict:
    from apps.drug_target.data import load_evaluation_pairs, report_skipped
    from apps.drug_target.model import load_model
    from apps.drug_target.predict import Ensemble, evaluate, input_lengths, truncation_counts

    specs, paths = _model_files(args.model)
    loaded = [load_model(path) for path in paths]
    task = _one_task(specs, [task for _, task in loaded])
    models = [model for model, _ in loaded]
    pair_data, indices = load_evaluation_pairs(args.data, args.split, seed=args.seed, task=task)
    if args.limit is not None:
        indices = indices[:args.limit]
    report_skipped(pair_data, args.data)
    if len(indices) == 0:
        raise ValueError(f"{args.data}: no valid pairs to evaluate.")
    if pair_data.task != task:
        raise ValueError(f"The model predicts {task} but {args.data} holds {pair_data.task} targets.")
    scored = [evaluate(model, pair_data, indices) for model in models]
    metrics = scored[0][0] if len(models) == 1 else _ensemble_metrics(task, pair_data.y[indices], scored)
    metrics["skipped_rows"] = len(pair_data.errors)
    lengths = input_lengths(models[0] if len(models) == 1 else Ensemble(models))
    counts = truncation_counts(pair_data, indices, *lengths)
    _print_truncation(counts, lengths, len(indices))
    return {**metrics, **counts}


def _one_task(specs, tasks) -> str:
    """The task that every model of ``--model`` predicts (an ensemble averages one kind of output)."""
    if len(set(tasks)) > 1:
        named = ", ".join(f"{spec} ({task})" for spec, task in zip(specs, tasks))
        raise ValueError(f"--model: an ensemble's models must predict one task; got {named}")
    return tasks[0]


def _ensemble_metrics(task, y, scored) -> dict:
    """The metrics of the members' mean; for affinity, how well their spread tells the error and the
    ``spread_scale`` that makes about 68% of these pairs lie within one spread."""
    import numpy as np

    from apps.drug_target.metrics import score, spread_calibration, spread_scale

    stacked = np.stack([predictions for _, predictions in scored])
    mean, spread = stacked.mean(axis=0), stacked.std(axis=0)
    metrics = {**score(task, y, mean), "models": len(scored)}
    if task == "affinity":
        calibration = spread_calibration(y, mean, spread, bins=min(5, len(y)))
        metrics.update({key: calibration[key] for key in ("spearman_spread_error", "within_1_spread",
                                                          "within_2_spreads")})
        metrics["spread_scale"] = spread_scale(y, mean, spread)
    return metrics


def _model_files(model_option) -> tuple[list, list]:
    """``(names, .keras files)`` of ``--model``, one each per model: an ensemble preset gives its members'."""
    from shared.presets import ensemble_members, is_preset, resolve_models

    specs = [model_option] if isinstance(model_option, str) else list(model_option)
    names = []
    for spec in specs:
        names.extend((ensemble_members(spec) if is_preset(spec) else []) or [spec])
    return names, resolve_models(specs, app="dta")


def _predictor(specs, runtime="auto", spread_scale=None):
    """``(model, task)`` for ``--model``: one model, or an ``Ensemble`` of several of one task (or of
    an ensemble preset's members) whose spread is multiplied by ``spread_scale`` (default: the
    ensemble preset's recorded factor when ``--model`` is one, else 1)."""
    names, paths = _model_files(specs)
    if len(paths) == 1:
        if spread_scale is not None:
            raise ValueError(f"--spread-scale scales the spread of several --model; got one model and "
                             f"--spread-scale {spread_scale:g}")
        return _one_predictor(paths[0], runtime)
    from apps.drug_target.predict import Ensemble

    if spread_scale is None:
        spread_scale = _recorded_spread_scale(specs)
    loaded = [_one_predictor(path, runtime) for path in paths]
    task = _one_task(names, [task for _, task in loaded])
    return Ensemble([model for model, _ in loaded], names=names, spread_scale=spread_scale), task


def _recorded_spread_scale(specs) -> float:
    """The ``spread_scale`` an ensemble preset records when ``--model`` is that one preset, else 1."""
    from shared.presets import is_preset, preset_metadata

    specs = [specs] if isinstance(specs, str) else list(specs)
    if len(specs) == 1 and is_preset(specs[0]):
        return float(preset_metadata(specs[0]).get("spread_scale", 1.0))
    return 1.0


def _one_predictor(path, runtime="auto"):
    """``(model, task)`` for one model file: its exported entity view when ``--runtime`` allows (no
    Keras import: ``shared.runtime``), else the Keras model."""
    from shared.runtime import open_exported

    exported = open_exported(path, runtime)
    if exported is not None:
        return exported, "interaction" if exported.class_name == "MultiLabelClassifier" else "affinity"
    from apps.drug_target.model import load_model

    return load_model(path)


def cmd_export(args) -> dict:
    """Export ``--model``'s entity view to ONNX (``shared.runtime``): ``predict`` then starts without TensorFlow."""
    from apps.drug_target.model import load_model
    from apps.drug_target.presets import inference_graph
    from shared.runtime import export_command

    return export_command(args.model, "dta", lambda spec: inference_graph(load_model(spec)[0]), args.out)


def cmd_predict(args) -> dict:
    from apps.drug_target.predict import predict_file

    model, task = _predictor(args.model, args.runtime, args.spread_scale)
    with progress_bar(None, "checking pairs", "pair") as checking, progress_bar(None, "predict", "pair") as scoring:
        out_path, pair_data = predict_file(model, args.pairs, args.out, batch_size=args.batch_size,
                                           progress=scoring.update, check_progress=checking.update)
    rows = len(pair_data) + len(pair_data.errors)
    _print_errors(pair_data, "error")
    _print_notes(pair_data)
    print(f"wrote {rows} rows ({len(pair_data)} predicted, {len(pair_data.errors)} with errors) to {out_path}")
    return {"output": str(out_path), "task": task, "rows": rows, "predicted": len(pair_data),
            "errors": len(pair_data.errors), **pair_data.truncated, "runtime": getattr(model, "runtime", "keras"),
            "models": len(getattr(model, "members", [model])),
            **({"spread_scale": model.spread_scale} if hasattr(model, "spread_scale") else {})}


def cmd_screen(args) -> dict:
    from apps.drug_target.predict import screen

    model, task = _predictor(args.model, args.runtime, args.spread_scale)
    summary, pair_data = screen(model, args.target, args.ligands, args.out or "screen", top=args.top)
    _print_errors(pair_data, "skipped")
    _print_notes(pair_data)
    image = summary["image"]
    print(f"ranked {summary['scored']} ligands against {summary['target']} ({summary['errors']} invalid); "
          f"wrote {summary['ranked']}" + (f" and {image}" if image else ""))
    return {**summary, "task": task}
