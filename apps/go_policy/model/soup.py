"""One Go policy network from several fine-tunes of the same preset (a model soup).

Each CPU fine-tune of the shipped preset (more games, distillation, the tactical planes)
moved its held-out accuracy by a tenth of a point or less, inside the noise; the mean of
their weights (``shared.weight_averaging``) keeps what they learned in common and cancels
much of what each learned by chance, for the cost of one network at play time. Networks
that read different input planes are first extended to the largest set
(``extend_input_planes``: the planes a network never saw get zero weights, so the
extension predicts exactly as the original did).
"""

from __future__ import annotations

from collections.abc import Sequence

from apps.go_policy.model.features import FeatureEncoder
from apps.go_policy.model.network import PolicyNetwork, extend_input_planes
from shared.weight_averaging import average_weights


def average_policy_networks(models: Sequence[PolicyNetwork],
                            coefficients: Sequence[float] | None = None) -> PolicyNetwork:
    """A new ``PolicyNetwork`` whose weights are the (weighted) mean of those of ``models``.

    The result reads the input planes of the model with the most of them, which must
    include every other model's plane groups; the models must share depth and width and
    descend from one parent (see ``shared.weight_averaging``).
    """
    if len(models) < 2:
        raise ValueError(f"a soup needs two or more policy networks, got {len(models)}")
    groups = [FeatureEncoder(model.features or "small").groups for model in models]
    widest = max(range(len(models)), key=lambda index: len(groups[index]))
    for index, model_groups in enumerate(groups):
        missing = [group for group in model_groups if group not in groups[widest]]
        if missing:
            raise ValueError(
                f"model {index} reads the plane groups {missing} that model {widest} (the one with the most "
                f"planes, {groups[widest]}) lacks: the feature sets must nest to be averaged"
            )
    # extend_input_planes also makes a fresh copy for the widest model, so no input is modified
    aligned = [extend_input_planes(model, groups[widest]) for model in models]
    soup = aligned[widest]
    soup.set_weights(average_weights(aligned, coefficients))
    return soup
