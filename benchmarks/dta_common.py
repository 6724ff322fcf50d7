"""What the DTA benchmarks share: the side-by-side table of published figures, baselines and ours."""

from __future__ import annotations


def comparison_lines(task, published, baselines, ours):
    """Published rows, our baselines, then our DeepDTA: CI/MSE for affinity, AUROC/AUPRC for interaction.

    ``published`` maps a label to ``{"ci", "mse"}`` (affinity) or to an AUROC (interaction).
    """
    if task == "affinity":
        lines = [f"{'model':<26} {'CI':>6} {'MSE':>7}"]
        lines += [f"{label + ' (published)':<26} {v['ci']:>6.3f} {v['mse']:>7.3f}" for label, v in published.items()]
        lines += [f"{label + ' (ours)':<26} {v['ci']:>6.3f} {v['mse']:>7.3f}" for label, v in baselines.items()]
        return lines + [f"{'DeepDTA (ours)':<26} {ours['ci']:>6.3f} {ours['mse']:>7.3f}"]
    lines = [f"{'model':<34} {'AUROC':>6} {'AUPRC':>6}"]
    lines += [f"{label + ' (published)':<34} {value:>6.3f} {'-':>6}" for label, value in published.items()]
    lines += [f"{label + ' (ours)':<34} {v['auroc']:>6.3f} {v['auprc']:>6.3f}" for label, v in baselines.items()]
    return lines + [f"{'DeepDTA CNN (ours)':<34} {ours['auroc']:>6.3f} {ours['auprc']:>6.3f}"]
