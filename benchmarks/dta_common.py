"""What the DTA benchmarks share: the training options, the preset's model, the side-by-side table."""

from __future__ import annotations


def add_training_arguments(parser, time_budget_min: float) -> None:
    """``--epochs``, ``--time-budget-min``, ``--batch-pairs``, ``--learning-rate``, ``--seed``, ``--arch``
    and ``--precision`` (float32 unless asked: the recorded runs trained in float32)."""
    from shared.cli import add_precision_argument

    parser.add_argument("--epochs", type=int, default=None, help="default: the preset's (DeepDTA trains 100 epochs)")
    parser.add_argument("--time-budget-min", type=float, default=time_budget_min,
                        help=f"stop training after the epoch that crosses this budget (default {time_budget_min:g})")
    parser.add_argument("--batch-pairs", type=int, default=None, help="default: the preset's")
    parser.add_argument("--learning-rate", type=float, default=None, help="default: the preset's (Adam 1e-3)")
    parser.add_argument("--seed", type=int, default=0)
    add_arch_argument(parser)
    add_precision_argument(parser, default="float32")


def add_arch_argument(parser) -> None:
    """``--arch``: which network of ``apps.drug_target.presets.ARCHITECTURES`` to train."""
    from apps.drug_target.presets import ARCHITECTURES

    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="deepdta",
                        help="the network: DeepDTA or one of its variants (default deepdta)")


def arch_suffix(arch: str) -> str:
    """What a run's name gains for ``arch``: nothing for DeepDTA itself (its earlier runs keep their names)."""
    return "" if arch == "deepdta" else f"_{arch}"


def apply_preset(args, data: str) -> dict:
    """Fill the training settings left unset with those of ``data``'s preset and set the Keras
    policy of ``args.precision`` (``args.precision`` becomes the policy's name); return the preset
    (its ``config`` changed to ``args.arch``)."""
    from apps.drug_target.presets import preset_record
    from shared.cli import apply_precision

    args.precision = apply_precision(args.precision)

    preset = preset_record(data, getattr(args, "arch", "deepdta"))
    for key, value in preset["benchmark"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return preset


def compiled_model(task: str, preset: dict, learning_rate: float):
    """The preset's DeepDTA for ``task``, compiled with Adam at ``learning_rate`` (the loss is the task's)."""
    import keras

    from apps.drug_target.model import build_deepdta

    model = build_deepdta(task, **preset["config"])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return model


def comparison_lines(task, published, baselines, ours, label="deepdta"):
    """Published rows, our baselines, then our DeepDTA: CI/MSE for affinity, AUROC/AUPRC for interaction.

    ``published`` maps a label to ``{"ci", "mse"}`` (affinity) or to an AUROC (interaction).
    """
    if task == "affinity":
        lines = [f"{'model':<26} {'CI':>6} {'MSE':>7}"]
        lines += [f"{label + ' (published)':<26} {v['ci']:>6.3f} {v['mse']:>7.3f}" for label, v in published.items()]
        lines += [f"{label + ' (ours)':<26} {v['ci']:>6.3f} {v['mse']:>7.3f}" for label, v in baselines.items()]
        ours_label = "DeepDTA (ours)" if label == "deepdta" else f"{label} (ours)"
    return lines + [f"{ours_label:<26} {ours['ci']:>6.3f} {ours['mse']:>7.3f}"]
    lines = [f"{'model':<34} {'AUROC':>6} {'AUPRC':>6}"]
    lines += [f"{label + ' (published)':<34} {value:>6.3f} {'-':>6}" for label, value in published.items()]
    lines += [f"{label + ' (ours)':<34} {v['auroc']:>6.3f} {v['auprc']:>6.3f}" for label, v in baselines.items()]
    return lines + [f"{'DeepDTA CNN (ours)':<34} {ours['auroc']:>6.3f} {ours['auprc']:>6.3f}"]
