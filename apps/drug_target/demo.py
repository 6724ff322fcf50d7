"""A short end-to-end DeepDTA run on real Davis data (for ``make demo``).

``fast=True``: a tiny model, 1 epoch on 2,000 training pairs; ``fast=False``: a slimmer
DeepDTA for 3 epochs on all setting-1 training pairs with entity batching. Both score the
Davis test fold (the first 1,000 pairs in fast mode).
"""

from __future__ import annotations

import time

from shared.cli import fast_mode, seed_everything


def run(fast: bool | None = None) -> dict:
    """Train and score the demo model; returns the demo table's row (metric: test CI)."""
    from apps.drug_target.data import load_dataset
    from apps.drug_target.model import build_deepdta
    from apps.drug_target.predict import evaluate
    from apps.drug_target.train import train

    if fast is None:
        fast = fast_mode()
    start = time.perf_counter()
    seed_everything(0)
    pair_data, split = load_dataset("davis", "setting1", full_train=True)
    if fast:
        train_idx, test_idx = split["train"][:2000], split["test"][:1000]
        model = build_deepdta("affinity", 85, 1200, embed_dim=16, filters=(8, 16, 24),
                              hidden_units=(64, 32), dropout=0.1)
        epochs = 1
    else:
        train_idx, test_idx = split["train"], split["test"]
        model = build_deepdta("affinity", 85, 1200, embed_dim=32, filters=(16, 32, 48),
                              hidden_units=(256, 256, 128), dropout=0.1)
        epochs = 3
    train(model, pair_data, train_idx, None, epochs=epochs, batch_pairs=512, verbose=0)
    metrics, _ = evaluate(model, pair_data, test_idx)
    return {"app": "drug_target", "task": "affinity (DeepDTA, entity-batched)", "data": "davis setting 1",
            "metric": "ci", "value": float(metrics["ci"]), "seconds": round(time.perf_counter() - start, 2)}


if __name__ == "__main__":
    print(run(fast_mode()))
