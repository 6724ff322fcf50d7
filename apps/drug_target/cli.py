"""``cnnkit dta``: train, evaluate, predict and screen drug-target models.

    cnnkit dta train --data davis --out runs/davis
    cnnkit dta evaluate --model runs/davis/model.keras --data davis --json
    cnnkit dta predict --model runs/davis/model.keras --pairs pairs.csv --out predictions.csv
    cnnkit dta screen --model runs/davis/model.keras --target P00533.fasta --ligands lib.smi --top 20 --out screen/
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from shared.cli import add_common_arguments, emit_json, fail, seed_everything

CONFIG_FILE = "dta_config.json"


def _fast() -> bool:
    return os.environ.get("CNNKIT_FAST", "") not in ("", "0")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnkit dta", description="Drug-target affinity (DeepDTA) and interaction prediction with RDKit.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train DeepDTA on davis, kiba, human or a CSV",
                                description="Train DeepDTA; saves OUT/model.keras and OUT/metrics.json.")
    train.add_argument("--data", required=True, help="davis, kiba, human, bindingdb or FILE.csv "
                       "(columns smiles, sequence and affinity or label)")
    train.add_argument("--task", choices=("affinity", "interaction"), default=None,
                       help="default: from the data (affinity column -> affinity, 0/1 label -> interaction)")
    train.add_argument("--split", choices=("setting1", "random", "cold-drug", "cold-target", "cold"), default=None,
                       help="default: setting1 for davis/kiba, random otherwise")
    train.add_argument("--epochs", type=int, default=None, help="default 100 (2 with CNNKIT_FAST=1)")
    train.add_argument("--batch-pairs", type=int, default=256, help="pairs per training batch (default 256)")
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--max-smiles-length", type=int, default=None, help="default: 85 davis, 100 otherwise")
    train.add_argument("--max-protein-length", type=int, default=None, help="default: 1200 davis, 1000 otherwise")
    train.add_argument("--embed-dim", type=int, default=128)
    train.add_argument("--filters", type=int, nargs=3, default=(32, 64, 96), metavar="N")
    train.add_argument("--hidden-units", type=int, nargs="+", default=(1024, 1024, 512), metavar="N")
    train.add_argument("--dropout", type=float, default=0.1)
    train.add_argument("--limit", type=int, default=None, help="use only the first N pairs of each split (smoke runs)")
    train.add_argument("--per-pair", action="store_true",
                       help="train the plain per-pair model instead of the entity-batched view (slower, same model)")
    train.add_argument("--time-budget-min", type=float, default=None, help="stop after the epoch that crosses this")
    add_common_arguments(train)

    evaluate = commands.add_parser("evaluate", help="score a saved model on a dataset's test split or a CSV",
                                   description="Metrics: ci, mse, pearson, spearman, rm2 (affinity); auroc, auprc (interaction).")
    evaluate.add_argument("--model", required=True, help="a model.keras written by `train`")
    evaluate.add_argument("--data", required=True, help="davis, kiba, human, bindingdb or FILE.csv (all rows)")
    evaluate.add_argument("--split", default=None, help="which split's test part (default as in train)")
    evaluate.add_argument("--limit", type=int, default=None, help="only the first N test pairs")
    add_common_arguments(evaluate)

    predict = commands.add_parser("predict", help="predict pairs from a CSV (columns smiles, sequence)",
                                  description="Writes a CSV in input order with a prediction and an error column.")
    predict.add_argument("--model", required=True)
    predict.add_argument("--pairs", required=True, help="CSV with columns smiles and sequence")
    add_common_arguments(predict)

    screen = commands.add_parser("screen", help="rank a ligand library against one target",
                                 description="Writes OUT/ranked.csv and OUT/top_molecules.png (RDKit drawings).")
    screen.add_argument("--model", required=True)
    screen.add_argument("--target", required=True, help="a protein sequence, or a FASTA file (first record)")
    screen.add_argument("--ligands", required=True, help=".smi file: one SMILES per line, optional name after it")
    screen.add_argument("--top", type=int, default=20)
    add_common_arguments(screen)
    return parser


def _load_model(path):
    import keras

    import apps.drug_target.model  # noqa: F401 - registers the custom layers

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such model file; expected the model.keras written by `cnnkit dta train`.")
    model = keras.models.load_model(path, compile=False)
    task = "interaction" if model.__class__.__name__ == "MultiLabelClassifier" else "affinity"
    return model, task


def _limit(indices, limit):
    return indices if limit is None else indices[:limit]


def cmd_train(args) -> dict:
    from apps.drug_target import trainer
    from apps.drug_target.data import load_dataset, max_lengths_for
    from apps.drug_target.model import build_deepdta

    if not args.out:
        raise ValueError("train needs --out DIR (the model is saved as DIR/model.keras).")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pair_data, split = load_dataset(args.data, args.split, seed=args.seed, task=args.task)
    for message in list(pair_data.errors.values())[:20]:
        print(f"skipped: {message}", file=sys.stderr)
    if pair_data.errors:
        print(f"skipped {len(pair_data.errors)} bad row(s) of {args.data}", file=sys.stderr)
    train_idx, valid_idx, test_idx = (_limit(split[k], args.limit) for k in ("train", "valid", "test"))
    default_smiles, default_protein = max_lengths_for(args.data)
    smiles_length = args.max_smiles_length or default_smiles
    protein_length = args.max_protein_length or default_protein
    epochs = args.epochs or (2 if _fast() else 100)
    model = build_deepdta(pair_data.task, smiles_length, protein_length, embed_dim=args.embed_dim,
                          filters=tuple(args.filters), hidden_units=tuple(args.hidden_units),
                          dropout=args.dropout, learning_rate=args.learning_rate)
    print(f"{args.data}: {len(pair_data.drugs)} drugs, {len(pair_data.proteins)} proteins; train "
          f"{len(train_idx)}, valid {len(valid_idx)}, test {len(test_idx)} pairs; task {pair_data.task}")
    result = trainer.train(
        model, pair_data, train_idx, valid_idx, epochs=epochs, batch_pairs=args.batch_pairs,
        learning_rate=args.learning_rate, entity_batched=not args.per_pair, seed=args.seed,
        checkpoint_dir=str(out / "checkpoint"), log_path=out / "training_log.csv",
        time_budget_s=args.time_budget_min * 60 if args.time_budget_min else None,
        verbose=0 if args.json else "auto",
    )
    model.save(out / "model.keras")
    config = {"data": args.data, "task": pair_data.task, "split": args.split, "seed": args.seed,
              "smiles_length": smiles_length, "protein_length": protein_length,
              "target_unit": "pKd" if args.data == "davis" else ("KIBA score" if args.data == "kiba" else None)}
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    metrics = {}
    if len(test_idx):
        metrics, _ = trainer.evaluate(model, pair_data, test_idx)
    summary = {"model": str(out / "model.keras"), "task": pair_data.task, "epochs": result["epochs_run"],
               "seconds": round(result["seconds"], 2), "seconds_per_epoch": result["seconds_per_epoch"],
               "pairs_per_second": result["pairs_per_second"], "skipped_rows": len(pair_data.errors),
               **{f"test_{k}": v for k, v in metrics.items()}}
    (out / "metrics.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    print(f"saved {out / 'model.keras'}; test: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items() if k != "n"))
    return summary


def cmd_evaluate(args) -> dict:
    from apps.drug_target import trainer
    from apps.drug_target.data import load_dataset, read_pairs
    from apps.drug_target.model import input_lengths

    model, task = _load_model(args.model)
    if args.data.lower().endswith((".csv", ".tsv")) or Path(args.data).is_file() and args.data not in (
            "davis", "kiba", "human", "bindingdb"):
        pair_data = read_pairs(args.data, task=task)
        indices = np.arange(len(pair_data))
    else:
        pair_data, split = load_dataset(args.data, args.split, seed=args.seed, task=task)
        indices = split["test"]
    indices = _limit(indices, args.limit)
    if pair_data.errors:
        for message in list(pair_data.errors.values())[:20]:
            print(f"skipped: {message}", file=sys.stderr)
        print(f"skipped {len(pair_data.errors)} bad row(s)", file=sys.stderr)
    if len(indices) == 0:
        raise ValueError(f"{args.data}: no valid pairs to evaluate.")
    if pair_data.task != task:
        raise ValueError(f"The model predicts {task} but {args.data} holds {pair_data.task} targets.")
    smiles_tokens, protein_tokens, _ = trainer.encode_entities(pair_data, *input_lengths(model))
    metrics, _ = trainer.evaluate(model, pair_data, indices, smiles_tokens, protein_tokens)
    metrics["skipped_rows"] = len(pair_data.errors)
    if not args.json:
        for key, value in metrics.items():
            print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    return metrics


def predict_frame(model, frame, name="pairs"):
    """Predictions for a DataFrame of pairs in input order, with an ``error`` column."""
    import pandas as pd

    from apps.drug_target import trainer
    from apps.drug_target.data import read_pairs
    from apps.drug_target.model import input_lengths

    pair_data = read_pairs(frame, require_target=False, name=name)
    predictions = np.full(len(frame), np.nan)
    if len(pair_data):
        smiles_tokens, protein_tokens, _ = trainer.encode_entities(pair_data, *input_lengths(model))
        values = trainer.predict_entities(model, smiles_tokens, protein_tokens,
                                          pair_data.drug_index, pair_data.protein_index)
        predictions[pair_data.source_rows] = values
    errors = [""] * len(frame)
    for row, message in pair_data.errors.items():
        errors[row] = message
    canonical = [""] * len(frame)
    for position, row in enumerate(pair_data.source_rows):
        canonical[row] = pair_data.drugs[pair_data.drug_index[position]]
    out = pd.DataFrame({"row": np.arange(1, len(frame) + 1)})
    for column in frame.columns:
        out[column] = frame[column].values
    out["canonical_smiles"] = canonical
    out["prediction"] = predictions
    out["error"] = errors
    return out, pair_data


def cmd_predict(args) -> dict:
    import pandas as pd

    model, task = _load_model(args.model)
    path = Path(args.pairs)
    if not path.is_file():
        raise ValueError(f"{path}: no such file; expected a CSV with columns smiles and sequence.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out_frame, pair_data = predict_frame(model, frame, name=path.name)
    out_path = Path(args.out) if args.out else path.with_name(path.stem + "_predictions.csv")
    if out_path.suffix.lower() != ".csv":
        out_path.mkdir(parents=True, exist_ok=True)
        out_path = out_path / "predictions.csv"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_frame.to_csv(out_path, index=False)
    for message in pair_data.errors.values():
        print(f"error: {message}", file=sys.stderr)
    print(f"wrote {len(out_frame)} rows ({len(pair_data)} predicted, {len(pair_data.errors)} with errors) to {out_path}")
    return {"output": str(out_path), "task": task, "rows": len(out_frame), "predicted": len(pair_data),
            "errors": len(pair_data.errors)}


def read_ligands(path):
    """``.smi``: one SMILES per line, optional name after whitespace; '#' lines are comments."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such ligand file; expected one SMILES per line (optionally a name).")
    smiles, names = [], []
    for line_number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split(None, 1)
        if parts[0].lower() == "smiles":  # header line
            continue
        smiles.append(parts[0])
        names.append(parts[1].strip() if len(parts) > 1 else f"line{line_number}")
    if not smiles:
        raise ValueError(f"{path}: no SMILES found.")
    return smiles, names


def cmd_screen(args) -> dict:
    import pandas as pd

    from apps.drug_target.chemistry import draw_grid
    from apps.drug_target.proteins import read_fasta_or_sequence

    model, task = _load_model(args.model)
    target_text = args.target
    if Path(target_text).is_file():
        target_text = Path(target_text).read_text()
    try:
        target_name, sequence = read_fasta_or_sequence(target_text)[0]
    except ValueError as error:
        raise ValueError(f"--target: {error}") from None
    smiles, names = read_ligands(args.ligands)
    frame = pd.DataFrame({"name": names, "smiles": smiles, "sequence": sequence})
    scored, pair_data = predict_frame(model, frame, name=Path(args.ligands).name)
    scored = scored.drop(columns=["sequence"])
    scored.insert(1, "target", target_name)
    valid = scored[scored["error"] == ""].sort_values("prediction", ascending=False, kind="mergesort")
    invalid = scored[scored["error"] != ""]
    valid.insert(0, "rank", np.arange(1, len(valid) + 1))
    invalid.insert(0, "rank", "")
    ranked = pd.concat([valid, invalid], ignore_index=True)
    out = Path(args.out or "screen")
    out.mkdir(parents=True, exist_ok=True)
    ranked.to_csv(out / "ranked.csv", index=False)
    top = valid.head(args.top)
    png = None
    if len(top):
        legends = [f"{r}. {n}: {p:.2f}" for r, n, p in zip(top["rank"], top["name"], top["prediction"])]
        png = draw_grid(list(top["canonical_smiles"]), legends, out / "top_molecules.png")
    for message in pair_data.errors.values():
        print(f"skipped: {message}", file=sys.stderr)
    print(f"ranked {len(valid)} ligands against {target_name} ({len(invalid)} invalid); "
          f"wrote {out / 'ranked.csv'}" + (f" and {png}" if png else ""))
    return {"ranked": str(out / "ranked.csv"), "image": str(png) if png else None, "task": task,
            "ligands": len(frame), "scored": len(valid), "errors": len(invalid),
            "top": [{"name": n, "smiles": s, "prediction": float(p)}
                    for n, s, p in zip(top["name"], top["canonical_smiles"], top["prediction"])]}


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "screen": cmd_screen}


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not args.command:
        parser.print_help()
        return 0
    seed_everything(args.seed)
    start = time.perf_counter()
    try:
        result = COMMANDS[args.command](args)
    except ValueError as error:
        return fail(str(error))
    if args.json:
        result = dict(result)
        result.setdefault("seconds", round(time.perf_counter() - start, 2))
        emit_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
