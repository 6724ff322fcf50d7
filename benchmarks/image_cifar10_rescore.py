"""Score a finished ``benchmarks.image_cifar10`` run again, with test-time augmentation.

Loads the model the run called ``--name`` saved in the cache, scores the CIFAR-10 test set
without TTA, with flip TTA and with airbench's flip + 1-pixel translate TTA, and adds the
figures its result lacks (figures the training run measured stay as they are).

    CNNKIT_DATA=../shared/data python -m benchmarks.image_cifar10_rescore --name image_cifar10
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from benchmarks.image_common import TTA_REFERENCES, score_cifar10_test_set
from shared import data as shared_data
from shared.benchmarking import RESULTS, update_result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_cifar10_rescore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="image_cifar10", help="the result (and cached run) to score again")
    args = parser.parse_args(argv)

    from apps.image_recognition import model as image_model

    start = time.time()
    model, _ = image_model.load_classifier(shared_data.cache_dir("image_recognition", "bench", args.name)
                                           / "model.keras")
    scores = score_cifar10_test_set(model)
    record = json.loads((RESULTS / f"{args.name}.json").read_text())
    # The re-score runs in float32 (training may have used mixed bfloat16), so it can differ from
    # the training run's own figures by a few test images: those stay, only missing ones are added.
    added = {key: value for key, value in scores.items() if key not in record["metrics"]}
    update_result(args.name, {"metrics": {**record["metrics"], **added},
                              "references": {**record["references"], **TTA_REFERENCES}},
                  note=f"the saved model re-scored in float32 with test-time augmentation: {scores}; "
                       f"added {sorted(added)}", wall_time_s=time.time() - start)
    print(scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
