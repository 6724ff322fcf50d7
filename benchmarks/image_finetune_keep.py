"""Adding a class without losing the old ones: the fine-tuning strategies side by side.

One two-class model per dataset (``benchmarks.image_finetune``'s cases: MNIST 0+1, CIFAR-10
airplane+automobile), then each strategy extends a copy of it to the third class (MNIST 2,
CIFAR-10 bird) with the same schedule (head epochs with the backbone frozen, then epochs with
everything trainable at ``--unfreeze-rate`` times the rate, a tenth by default):

- ``all old images``: the three-class training set as it is (no strategy);
- ``new images only``: the new class's training images alone (the old ones are gone);
- ``distill``: all images, plus learning without forgetting's distillation term;
- ``rehearsal``: the new class's images and ``--rehearsal-size`` stored images per old class;
- ``distill + rehearsal``: both.

Old-class accuracy on the same old-class test images before and after (target: at most 1
point lost), the new class's accuracy against the same architecture trained from scratch on
all three classes for the same number of epochs (target: at least as good; it is the extended
model re-initialised, so its augmentation is the same), and each time.

    CNNKIT_DATA=../shared/data python -m benchmarks.image_finetune_keep --datasets cifar10
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks.image_finetune import CASES
from shared.benchmarking import RESULTS, write_result

# label -> finetune() keyword arguments
STRATEGIES = {
    "all old images": {},
    "new images only": {"old_images": 0},
    "distill": {"keep": "distill"},
    "rehearsal": {"keep": "rehearsal"},
    "distill + rehearsal": {"keep": "distill,rehearsal"},
}


def run_dataset(name, case, strategies, unfreeze_epochs, rehearsal_size, seed=0, limit=None, unfreeze_rate=0.1,
                head_epochs=None, base_epochs=None):
    import keras

    from apps.image_recognition import finetune as image_finetune
    from apps.image_recognition import train as image_train

    head_epochs = case["head_epochs"] if head_epochs is None else head_epochs
    base_epochs = case["epochs"] if base_epochs is None else base_epochs
    keras.utils.set_random_seed(seed)
    start = time.time()
    model, class_names, _ = image_train.train(
        name, arch=case["arch"], epochs=base_epochs, batch_size=64, classes=case["old"], augment=case["augment"],
        seed=seed, verbose=2, backbone_kwargs={"width": case["width"]}, limit=limit, test_limit=limit)
    base_seconds = time.time() - start
    rows, scratch = {}, None
    for label in strategies:
        copy = model.__class__.from_config(model.get_config())
        copy.set_weights(model.get_weights())
        _, _, metrics = image_finetune.finetune(
            copy, class_names, name, add_classes=True, epochs=head_epochs, unfreeze_epochs=unfreeze_epochs,
            batch_size=64, classes=case["old"] + [case["new"]], compare_scratch=scratch is None, seed=seed,
            verbose=2, arch=case["arch"], limit=limit, test_limit=limit, rehearsal_size=rehearsal_size,
            unfreeze_rate=unfreeze_rate,
            **STRATEGIES[label])
        scratch = metrics.get("scratch", scratch)
        rows[label] = {
            "old_class_accuracy_before": metrics["old_class_accuracy_before"],
            "old_class_accuracy_after": metrics["old_class_accuracy_after"],
            "old_class_drop_points": metrics["old_class_accuracy_drop_points"],
            "old_task_accuracy_after": metrics["old_task_accuracy_after"],
            "old_task_drop_points": metrics["old_task_drop_points"],
            "new_class_accuracy": metrics["new_class_accuracy"],
            "three_class_accuracy": metrics["accuracy"],
            "finetune_seconds": metrics["finetune_seconds"],
            "train_images": metrics["train_images"], "keep": metrics["keep"],
        }
        print(f"{name} / {label}: old classes lose {rows[label]['old_class_drop_points']:.2f} points "
              f"({rows[label]['old_task_drop_points']:.2f} among themselves), new class "
              f"{100 * rows[label]['new_class_accuracy']:.1f}% (scratch {100 * scratch['new_class_accuracy']:.1f}%), "
              f"{rows[label]['finetune_seconds']:.0f} s", flush=True)
    return {"strategies": rows, "scratch": scratch, "base_model_seconds": round(base_seconds, 2),
            "base_model_epochs": base_epochs, "old_classes": case["old"], "new_class": case["new"],
            "head_epochs": head_epochs, "unfreeze_epochs": unfreeze_epochs, "unfreeze_rate": unfreeze_rate,
            "seed": seed}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_finetune_keep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="cifar10", help="comma-separated: mnist, cifar10")
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help=f"comma-separated labels (default all): {', '.join(STRATEGIES)}")
    parser.add_argument("--base-epochs", type=int, default=None,
                        help="epochs of the two-class model (default: the case's, 6 on CIFAR-10, 3 on MNIST)")
    parser.add_argument("--head-epochs", type=int, default=None,
                        help="epochs with the backbone frozen (default: the case's, 3 on CIFAR-10, 2 on MNIST)")
    parser.add_argument("--unfreeze-epochs", type=int, default=2)
    parser.add_argument("--unfreeze-rate", type=float, default=0.1,
                        help="the unfrozen epochs' learning rate as a fraction of the head's (default 0.1)")
    parser.add_argument("--rehearsal-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the two-class model, the fine-tunes and the from-scratch model (default 0)")
    parser.add_argument("--limit", type=int, default=None, help="images per split (smoke runs)")
    parser.add_argument("--name", default="image_finetune_keep")
    args = parser.parse_args(argv)
    strategies = args.strategies.split(",")
    unknown = [label for label in strategies if label not in STRATEGIES]
    if unknown:
        parser.error(f"--strategies: unknown {unknown}; expected labels among {list(STRATEGIES)}")
    start = time.time()
    results, metrics, references = {}, {}, {}
    for name in args.datasets.split(","):
        results[name] = run_dataset(name, CASES[name], strategies, args.unfreeze_epochs, args.rehearsal_size,
                                    seed=args.seed, limit=args.limit, unfreeze_rate=args.unfreeze_rate,
                                    head_epochs=args.head_epochs, base_epochs=args.base_epochs)
        scratch_new = results[name]["scratch"]["new_class_accuracy"]
        for label, row in results[name]["strategies"].items():
            key = f"{name}/{label}"
            metrics[f"{key}/old_class_drop_points"] = row["old_class_drop_points"]
            metrics[f"{key}/new_class_accuracy"] = row["new_class_accuracy"]
            references[f"{key}/old_class_drop_points"] = 1.0
            metrics[f"{key}/old_task_drop_points"] = row["old_task_drop_points"]
            references[f"{key}/old_task_drop_points"] = (
                "no target of its own (the issue's <= 1 applies to old_class_drop_points); the old classes told "
                "apart from each other, as learning without forgetting measures its old task")
            references[f"{key}/new_class_accuracy"] = scratch_new
    head = args.head_epochs if args.head_epochs is not None else "the case's"
    notes = (
        "Issue 39 targets: the old classes lose at most 1.0 point of test accuracy, and the new class scores at least "
        "what the same architecture trained from scratch on all three classes for the same number of epochs gives it "
        "(the reference of each new_class_accuracy). Every strategy starts from the same two-class model and runs "
        f"the same schedule ({head} epochs with the backbone frozen, then {args.unfreeze_epochs} unfrozen epochs at "
        f"{args.unfreeze_rate:g} times the rate); "
        "the from-scratch model is the extended model re-initialised, its augmentation layers included; "
        f"rehearsal keeps {args.rehearsal_size} images per old class, repeated to the new class's size each epoch. "
        "'new images only' and 'rehearsal' stand for a user whose old training set is gone or only sampled. "
        "old_class_drop_points takes the argmax over all three classes, so it counts old images called 'bird' too "
        "(the from-scratch model's old-class accuracy shows what that confusion costs with nothing forgotten); "
        "old_task_drop_points takes it over the old classes' outputs only: what was forgotten of telling them apart."
    )
    write_result(args.name, metrics, references, wall_time_s=time.time() - start, notes=notes,
                 extra={"datasets": results})
    print(f"wrote {RESULTS / (args.name + '.json')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
