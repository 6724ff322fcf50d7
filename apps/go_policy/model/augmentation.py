"""Unpack the bit-packed planes and apply the random board symmetry on the accelerator.

A fast accelerator can wait for its batches while ``PyDataset`` threads unpack bits, rotate
boards and convert them to float32 in NumPy. Here the host only slices the packed shard (one
byte per 8 planes) and the graph does the rest.

``SymmetryTrainer`` wraps a ``PolicyNetwork`` for training: each position is turned by its
own random element of the board's symmetry group (the 8 rotations and reflections) before
the network and the output is turned back, so the loss compares it with the original label.
That is the same augmentation as ``augment_batch`` (which moves the label instead), but
keras.ops only, so it runs under TensorFlow, JAX or PyTorch. Outside training it is the
plain network on unpacked planes. The weights are the wrapped network's: save ``.policy``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from apps.go_policy.model.data import label_maps

SYMMETRIES = 8


def unpack_planes(packed, planes: int):
    """(n, rows, cols, bytes) uint8 from ``data.pack`` -> (n, rows, cols, planes) float32."""
    packed = ops.cast(packed, "int32")
    shifts = ops.convert_to_tensor(np.arange(7, -1, -1, dtype="int32"))  # packbits is big-endian
    bits = ops.bitwise_and(ops.right_shift(ops.expand_dims(packed, -1), shifts), 1)
    shape = ops.shape(packed)
    bits = ops.reshape(bits, (shape[0], shape[1], shape[2], shape[3] * 8))
    return ops.cast(bits[..., :planes], "float32")


@keras.saving.register_keras_serializable(package="cnnkit")
class SymmetryTrainer(keras.Model):
    """Train ``policy`` on packed planes with a random board symmetry per position, on the device.

    Args:
        policy: a ``PolicyNetwork`` (its input planes are ``policy.num_planes``).
        seed: seed of the symmetry draws.
    """

    def __init__(self, policy, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.planes = policy.num_planes
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # its weights are the (built) policy's; checkpoints can load into it at once
        if getattr(policy, "optimizer", None) is not None:  # train as the policy was compiled to
            self.compile(optimizer=policy.optimizer, loss=policy.default_loss(), metrics=policy.default_metrics())

    def symmetric_probabilities(self, x, transforms):
        """Move probabilities of float boards ``x``, each position seen under its ``transforms`` entry.

        Each symmetry is a permutation of the board's points (``data.label_maps``), so turning a
        position is one gather of its points, and turning the prediction back another.
        """
        size = x.shape[1]
        if size is None or x.shape[2] != size:
            raise ValueError(f"SymmetryTrainer needs square boards of a known size, got shape {x.shape}")
        to_original = label_maps(size)  # [t, p]: where point p of the original lies on the turned board
        from_original = np.argsort(to_original, axis=1)  # [t, j]: the original point shown at j
        transforms = ops.convert_to_tensor(transforms, "int32")
        flat = ops.reshape(x, (-1, size * size, x.shape[3]))
        gather = ops.take(ops.convert_to_tensor(from_original, "int32"), transforms, axis=0)
        turned = ops.take_along_axis(flat, ops.expand_dims(gather, -1), axis=1)
        probabilities = self.policy(ops.reshape(turned, (-1, size, size, x.shape[3])))
        back = ops.take(ops.convert_to_tensor(to_original, "int32"), transforms, axis=0)
        return ops.take_along_axis(probabilities, back, axis=1)

    def call(self, packed, training=False):
        x = unpack_planes(packed, self.planes)
        if not training:
            return self.policy(x)
        transforms = keras.random.randint((ops.shape(x)[0],), 0, SYMMETRIES, seed=self.seed_generator)
        return self.symmetric_probabilities(x, transforms)

    def get_config(self):
        return {"name": self.name, "policy": keras.saving.serialize_keras_object(self.policy), "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["policy"] = keras.saving.deserialize_keras_object(config["policy"])
        return cls(**config)
