import numpy as np
import pytest

from shared import Backbone, Classifier, architectures

BUILDERS = {
    "lenet5": architectures.lenet5,
    "alexnet": architectures.alexnet,
    "vgg11": lambda input_shape: architectures.vgg(11, input_shape=input_shape),
    "vgg16": lambda input_shape: architectures.vgg(16, input_shape=input_shape),
    "googlenet": architectures.googlenet,
    "resnet18": lambda input_shape: architectures.resnet(18, input_shape=input_shape),
    "resnet50": lambda input_shape: architectures.resnet(50, input_shape=input_shape),
    "all_conv": architectures.all_conv,
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (19, 19, 6), (224, 224, 3)])
def test_architecture_builds_for_common_inputs(name, shape):
    backbone = BUILDERS[name](input_shape=shape)
    assert isinstance(backbone, Backbone)
    assert len(backbone.output_shape) == 2 and backbone.output_shape[-1] > 0


@pytest.mark.parametrize("name", ["lenet5", "all_conv", "resnet18"])
def test_small_architecture_predicts(name):
    model = Classifier(BUILDERS[name](input_shape=(28, 28, 1)), 10)
    probabilities = model.predict(np.zeros((2, 28, 28, 1), "float32"), verbose=0)
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_one_dimensional_form():
    backbone = architectures.vgg(11, input_shape=(32, 4), conv_dims=1)
    assert backbone.output_shape == (None, 512)


def test_bad_depth():
    with pytest.raises(ValueError, match="resnet depth must be one of"):
        architectures.resnet(20, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="vgg depth must be one of"):
        architectures.vgg(12)
