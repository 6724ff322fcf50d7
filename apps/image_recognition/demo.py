"""Short end-to-end run on real data for ``make demo``: train on MNIST, score the test set."""

from __future__ import annotations

import os
import tempfile
import time

from shared.cli import fast_mode


def run(fast: bool | None = None) -> dict:
    """Train the default convnet on an MNIST slice and report its test accuracy (one row).

    ``fast`` (default: ``shared.cli.fast_mode()``) shrinks the slice and the network.
    """
    from apps.image_recognition import evaluate as image_evaluate
    from apps.image_recognition import train as image_train

    if fast is None:
        fast = fast_mode()
    start = time.time()
    limit, test_limit, epochs, width = (2000, 500, 2, 8) if fast else (12000, 2000, 2, 16)
    with tempfile.TemporaryDirectory(prefix="cnnkit_image_demo_") as out:
        model, class_names, _ = image_train.train(
            "mnist", arch="convnet", epochs=epochs, batch_size=64, out_dir=os.path.join(out, "run"),
            augment="translate", limit=limit, test_limit=test_limit, seed=0, verbose=0,
            backbone_kwargs={"width": width})
        metrics = image_evaluate.evaluate(model, class_names, "mnist", limit=test_limit)
    return {"app": "image_recognition", "task": "MNIST digit classification (convnet)",
            "data": f"mnist ({limit} train / {test_limit} test images)", "metric": "test_accuracy",
            "value": float(metrics["accuracy"]), "seconds": round(time.time() - start, 2)}


if __name__ == "__main__":
    print(run(fast_mode()))
