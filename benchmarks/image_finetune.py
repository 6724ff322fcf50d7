"""Fine-tuning 2 -> 3 classes (target: old classes lose no more than 1 point).

For each dataset: train a classifier on two classes from scratch; then extend it to three
classes with ``shared.finetune.extend_classes`` (old rows of the softmax layer kept, backbone
frozen) and train the head on the three-class training data. Old-class test accuracy is
measured before and after (an old-class image predicted as the new class counts as wrong), the
new class's accuracy after, and the time against training the three-class model from scratch.

    CNNKIT_DATA=../shared/data python -m benchmarks.image_finetune [--unfreeze-epochs 1] [--datasets mnist]
"""

from __future__ import annotations

import argparse
import sys
import time

from shared.benchmarking import write_result

CASES = {
    "mnist": dict(old=["0", "1"], new="2", arch="convnet", width=16, epochs=3, head_epochs=2, augment="translate"),
    "cifar10": dict(old=["airplane", "automobile"], new="bird", arch="resnet_small", width=16, epochs=6,
                    head_epochs=3, augment="flip,crop"),
}


def run_case(name, case, seed=0, limit=None, unfreeze_epochs=0):
    import keras

    from apps.image_recognition import finetune as image_finetune
    from apps.image_recognition import train as image_train

    keras.utils.set_random_seed(seed)
    t = time.time()
    model, class_names, info = image_train.train(
        name, arch=case["arch"], epochs=case["epochs"], batch_size=64, classes=case["old"],
        augment=case["augment"], seed=seed, verbose=2, backbone_kwargs={"width": case["width"]},
        limit=limit, test_limit=limit)
    base_seconds = time.time() - t
    _, _, metrics = image_finetune.finetune(
        model, class_names, name, add_classes=True, epochs=case["head_epochs"], batch_size=64,
        unfreeze_epochs=unfreeze_epochs, classes=case["old"] + [case["new"]], compare_scratch=True, seed=seed,
        verbose=2, arch=case["arch"], limit=limit, test_limit=limit)
    metrics.pop("history", None)
    metrics["base_model_seconds"] = round(base_seconds, 2)
    metrics["base_model_epochs"] = case["epochs"]
    return metrics


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_finetune", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="mnist,cifar10")
    parser.add_argument("--name", default="image_finetune")
    parser.add_argument("--unfreeze-epochs", type=int, default=0,
                        help="after the head, train everything at a tenth of the rate for this many epochs")
    parser.add_argument("--limit", type=int, default=None, help="images per split (smoke runs)")
    parser.add_argument("--epochs", type=int, default=None, help="override every case's epochs (smoke runs)")
    args = parser.parse_args(argv)
    start = time.time()
    metrics, lines = {}, []
    for name in args.datasets.split(","):
        case = dict(CASES[name])
        if args.epochs is not None:
            case.update(epochs=args.epochs, head_epochs=args.epochs)
        result = run_case(name, case, limit=args.limit, unfreeze_epochs=args.unfreeze_epochs)
        drop = result["old_class_accuracy_drop_points"]
        metrics[name] = {
            "old_classes": "+".join(case["old"]), "new_class": case["new"],
            "old_class_accuracy_before": round(result["old_class_accuracy_before"], 5),
            "old_class_accuracy_after": round(result["old_class_accuracy_after"], 5),
            "old_class_drop_points": drop,
            "new_class_accuracy": round(result["new_class_accuracy"], 5),
            "three_class_accuracy": round(result["accuracy"], 5),
            "head_epochs": case["head_epochs"], "unfreeze_epochs": args.unfreeze_epochs,
            "finetune_seconds": result["finetune_seconds"],
            "scratch_three_class_accuracy": round(result["scratch"]["accuracy"], 5),
            # How much a three-class model trained from scratch loses on the old classes against the
            # two-class model: the share of the drop that comes from the new class itself.
            "scratch_old_class_accuracy": round(result["scratch"]["old_class_accuracy"], 5),
            "scratch_old_class_drop_points": round(
                100 * (result["old_class_accuracy_before"] - result["scratch"]["old_class_accuracy"]), 3),
            "scratch_seconds": result["scratch"]["seconds"],
            "scratch_epochs": result["scratch"]["epochs"],
        }
        lines.append(f"{name}: old classes {'+'.join(case['old'])} lose {drop:.2f} points "
                     f"({'within' if drop <= 1.0 else 'OVER'} the 1-point target); new class "
                     f"'{case['new']}' {100 * result['new_class_accuracy']:.1f}%; fine-tune "
                     f"{result['finetune_seconds']:.0f} s ({case['head_epochs']} head epochs + {args.unfreeze_epochs} "
                     f"unfrozen) vs "
                     f"{result['scratch']['seconds']:.0f} s from scratch ({result['scratch']['epochs']} epochs, "
                     f"{100 * result['scratch']['accuracy']:.1f}% three-class accuracy).")
        print(lines[-1], flush=True)
    references = {name: {"old_class_drop_points": "target <= 1.0"} for name in metrics}
    stage = (f"then {args.unfreeze_epochs} epoch(s) with everything trainable at 1e-4; " if args.unfreeze_epochs
             else "backbone kept frozen throughout; ")
    notes = ("Backbone frozen, head trained on the three-class training data with Adam 1e-3 cosine, " + stage +
             "old-class accuracy on the same old-class test images before and after. " + " ".join(lines))
    write_result(args.name, metrics, references, wall_time_s=time.time() - start, notes=notes)
    print(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
