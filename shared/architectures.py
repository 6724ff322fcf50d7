"""Classic CNN architectures as ``Backbone`` configurations for any reasonable input.

Each function takes ``input_shape`` and returns a :class:`shared.Backbone`. Small inputs
(28x28, 32x32, a 19x19 Go board) get the CIFAR-style adaptation used in the literature:
no aggressive stride-4 or stride-2 stem, and only as many poolings as the size allows.
"""

from __future__ import annotations

import math

from shared.backbone import Backbone

__all__ = ["lenet5", "alexnet", "vgg", "googlenet", "resnet", "all_conv"]

VGG_CONVS = {11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4]}
RESNET_BLOCKS = {18: ("residual", [2, 2, 2, 2]), 34: ("residual", [3, 4, 6, 3]),
                 50: ("bottleneck", [3, 4, 6, 3])}


def _spatial(input_shape, conv_dims):
    input_shape = tuple(input_shape)
    if len(input_shape) != conv_dims + 1:
        raise ValueError(
            f"conv_dims={conv_dims} expects input_shape of rank {conv_dims + 1}, got {input_shape!r}."
        )
    return min(input_shape[:-1])


def _pool_plan(size, stages, reserve=1):
    """Which of ``stages`` get a 2x pooling so the map stays at least ``reserve`` wide."""
    available = max(0, int(math.floor(math.log2(max(size, 1) / reserve))))
    pools = min(stages, available)
    return ["max" if i >= stages - pools else None for i in range(stages)][::-1]


def lenet5(input_shape=(28, 28, 1), conv_dims=2, activation="tanh", pooling="avg", **kwargs):
    """LeCun et al. 1998: 6 and 16 5x5 maps, subsampling, then 120 and 84 units."""
    size = _spatial(input_shape, conv_dims)
    return Backbone(
        input_shape, filters=(6, 16), kernel_size=5, activation=activation,
        pooling=[pooling if size >= 4 else None, pooling if size >= 8 else None],
        conv_dims=conv_dims, global_pooling="flatten", dense_units=(120, 84), name="lenet5", **kwargs,
    )


def alexnet(input_shape=(224, 224, 3), conv_dims=2, **kwargs):
    """Krizhevsky et al. 2012: 96/256/384/384/256 maps, 11-5-3-3-3 kernels, two 4096 FC layers.

    Inputs under 64 pixels use a 3x3 first layer with stride 1 and 1024-unit FC layers.
    """
    size = _spatial(input_shape, conv_dims)
    if size >= 64:
        kernel, strides, widths, dense = [11, 5, 3, 3, 3], [4, 1, 1, 1, 1], (96, 256, 384, 384, 256), (4096, 4096)
        pooling = ["max", "max", None, None, "max"]
    else:
        kernel, strides, widths, dense = [3, 3, 3, 3, 3], 1, (64, 192, 384, 256, 256), (1024, 1024)
        plan = _pool_plan(size, 3, reserve=2)
        pooling = [plan[0], plan[1], None, None, plan[2]]
    return Backbone(
        input_shape, filters=widths, kernel_size=kernel, strides=strides, pooling=pooling,
        conv_dims=conv_dims, global_pooling="flatten", dense_units=dense, dense_dropout=0.5,
        name="alexnet", **kwargs,
    )


def vgg(depth=16, input_shape=(224, 224, 3), conv_dims=2, dense_units=None, **kwargs):
    """Simonyan and Zisserman 2014: stacks of 3x3 convolutions, 64-128-256-512-512 maps."""
    if depth not in VGG_CONVS:
        raise ValueError(f"vgg depth must be one of {sorted(VGG_CONVS)}, got {depth!r}.")
    size = _spatial(input_shape, conv_dims)
    if dense_units is None:
        dense_units = (4096, 4096) if size >= 64 else (512,)
    return Backbone(
        input_shape, filters=(64, 128, 256, 512, 512), kernel_size=3,
        convs_per_stage=VGG_CONVS[depth], pooling=_pool_plan(size, 5),
        conv_dims=conv_dims, global_pooling="flatten", dense_units=dense_units, dense_dropout=0.5,
        name=f"vgg{depth}", **kwargs,
    )


def googlenet(input_shape=(224, 224, 3), conv_dims=2, **kwargs):
    """Szegedy et al. 2014, simplified: Inception stages of parallel 1/3/5 branches with 1x1
    reductions, concatenated, then global average pooling."""
    size = _spatial(input_shape, conv_dims)
    large = size >= 64
    stem = dict(stem_filters=64, stem_kernel_size=7 if large else 3, stem_strides=2 if large else 1,
                stem_pooling="max" if large else None)
    after_stem = size // 4 if large else size
    return Backbone(
        input_shape, filters=(64, 128, 192), kernel_size=(1, 3, 5), branch_reduction=32,
        convs_per_stage=[2, 2, 2], pooling=_pool_plan(after_stem, 3, reserve=2),
        batch_norm=True, conv_dims=conv_dims, global_pooling="avg", name="googlenet",
        **stem, **kwargs,
    )


def resnet(depth=18, input_shape=(224, 224, 3), conv_dims=2, **kwargs):
    """He et al. 2015: residual (18/34) or bottleneck (50) blocks with batch normalisation."""
    if depth not in RESNET_BLOCKS:
        raise ValueError(f"resnet depth must be one of {sorted(RESNET_BLOCKS)}, got {depth!r}.")
    block, blocks = RESNET_BLOCKS[depth]
    size = _spatial(input_shape, conv_dims)
    large = size >= 64
    stem = dict(stem_filters=64, stem_kernel_size=7 if large else 3, stem_strides=2 if large else 1,
                stem_pooling="max" if large else None)
    after_stem = size // 4 if large else size
    downsamples = min(3, max(0, int(math.floor(math.log2(max(after_stem, 1))))))
    strides = [1] + [2 if i < downsamples else 1 for i in range(3)]
    return Backbone(
        input_shape, filters=(64, 128, 256, 512), block=block, convs_per_stage=blocks,
        strides=strides, pooling=None, batch_norm=True, conv_dims=conv_dims,
        global_pooling="avg", name=f"resnet{depth}", **stem, **kwargs,
    )


def all_conv(input_shape=(32, 32, 3), conv_dims=2, width=96, **kwargs):
    """Springenberg et al. 2014 (All-CNN-C): every pooling replaced by a stride-2 convolution."""
    size = _spatial(input_shape, conv_dims)
    wide = 2 * width
    downsample = [2 if size >= 4 else 1, 2 if size >= 8 else 1]
    return Backbone(
        input_shape,
        filters=(width, width, wide, wide, wide, wide),
        kernel_size=[3, 3, 3, 3, 3, 1],
        convs_per_stage=[2, 1, 2, 1, 1, 1],
        strides=[1, downsample[0], 1, downsample[1], 1, 1],
        pooling=None, conv_dims=conv_dims, global_pooling="avg", name="all_conv", **kwargs,
    )
