"""Images/s for training and for predict: cnnkit's classifier against the same network written
as a plain Keras script, measured in the same run on MNIST (28x28x1).

Both models have the same layers and parameter count (normalisation, translate + rotate
augmentation, (conv W, conv W, pool) + (conv 2W, conv 2W, pool) with batch norm, dropout, a
256-unit dense layer, softmax). The two are measured in alternation (A B A B ...) and the best
round of each is kept, because the machine is shared with other jobs.

    CNNKIT_DATA=../shared/data python -m benchmarks.image_throughput
"""

from __future__ import annotations

import argparse
import sys
import time

from shared.benchmarking import write_result


def plain_keras_model(input_shape, width, mean, variance, num_classes=10):
    """The cnnkit ``convnet`` classifier, written the way a keras.io example would."""
    import keras
    from keras import layers

    def conv(x, filters):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)

    inputs = keras.Input(shape=input_shape)
    x = layers.Normalization(mean=list(mean), variance=list(variance))(inputs)
    x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant")(x)
    x = layers.RandomRotation(10 / 360, fill_mode="constant")(x)
    for filters in (width, 2 * width):
        x = conv(x, filters)
        x = conv(x, filters)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(0.25)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def measure(model, x, y, batch_size, train_steps, predict_images):
    """Training and predict rates (images/s) of ``model``, each after a short warm-up."""
    n = batch_size * train_steps
    model.fit(x[:batch_size * 2], y[:batch_size * 2], batch_size=batch_size, epochs=1, verbose=0)  # warm-up
    t = time.perf_counter()
    model.fit(x[:n], y[:n], batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    train_rate = n / (time.perf_counter() - t)
    model.predict(x[:256], batch_size=256, verbose=0)
    t = time.perf_counter()
    model.predict(x[:predict_images], batch_size=256, verbose=0)
    predict_rate = predict_images / (time.perf_counter() - t)
    return float(train_rate), float(predict_rate)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=30)
    parser.add_argument("--predict-images", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name", default="image_throughput")
    args = parser.parse_args(argv)

    import keras

    from apps.image_recognition import data as image_data
    from apps.image_recognition import model as image_model

    start = time.time()
    d = image_data.load_mnist()
    x, y = d.x_train.astype("float32"), d.y_train
    mean, variance = image_data.sample_statistics(d.x_train)
    keras.utils.set_random_seed(0)
    ours = image_model.build_classifier("convnet", d.input_shape, 10, mean, variance, augment="translate,rotate",
                                        backbone_kwargs={"width": args.width})
    plain = plain_keras_model(d.input_shape, args.width, mean, variance)
    if ours.count_params() != plain.count_params():
        raise SystemExit(f"parameter counts differ: cnnkit {ours.count_params()} vs plain {plain.count_params()}")
    results = {"cnnkit": [], "plain_keras": []}
    for round_index in range(args.rounds):
        for name, model in (("cnnkit", ours), ("plain_keras", plain)):
            rates = measure(model, x, y, args.batch_size, args.train_steps, args.predict_images)
            results[name].append(rates)
            print(f"round {round_index + 1} {name}: train {rates[0]:.0f} img/s, predict {rates[1]:.0f} img/s",
                  flush=True)
    best = {name: (max(r[0] for r in rows), max(r[1] for r in rows)) for name, rows in results.items()}
    metrics = {
        "cnnkit_train_images_per_s": round(best["cnnkit"][0], 1),
        "plain_keras_train_images_per_s": round(best["plain_keras"][0], 1),
        "cnnkit_predict_images_per_s": round(best["cnnkit"][1], 1),
        "plain_keras_predict_images_per_s": round(best["plain_keras"][1], 1),
        "train_ratio_cnnkit_over_plain": round(best["cnnkit"][0] / best["plain_keras"][0], 3),
        "predict_ratio_cnnkit_over_plain": round(best["cnnkit"][1] / best["plain_keras"][1], 3),
        "parameters": int(ours.count_params()),
        "rounds": {k: [[round(a, 1), round(b, 1)] for a, b in v] for k, v in results.items()},
    }
    references = {
        "train_ratio_cnnkit_over_plain": "1.0 expected (same graph)",
        "predict_ratio_cnnkit_over_plain": "1.0 expected",
    }
    notes = (f"MNIST 28x28x1, convnet width {args.width}, batch {args.batch_size}, {args.train_steps} training "
             f"steps and {args.predict_images} predicted images per round, best of {args.rounds} alternating "
             "rounds, on a machine that may be shared with other jobs (absolute rates vary with the load; the ratio is "
             "the meaningful figure). `predict` here is model.predict on decoded arrays; file decoding is "
             "not included.")
    write_result(args.name, metrics, references, wall_time_s=time.time() - start, notes=notes)
    print(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
