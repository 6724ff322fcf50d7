"""Fixtures for the image app: tiny class-per-folder trees made from real MNIST / CIFAR images."""

import os

import cv2
import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _write(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    if image.ndim == 3 and image.shape[-1] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(str(path), image)


@pytest.fixture(scope="session")
def mnist_small(data_available):
    from apps.image_recognition import data

    return data.load_mnist(limit=400, test_limit=200)


@pytest.fixture(scope="session")
def image_tree(tmp_path_factory, mnist_small):
    """train/ and test/ with classes 0, 1, 2 as PNG, JPEG and BMP, mixed sizes and color,
    plus one corrupt file in train/1."""
    root = tmp_path_factory.mktemp("digits_tree")
    d = mnist_small
    extensions = [".png", ".jpg", ".bmp"]
    for split, x, y in (("train", d.x_train, d.y_train), ("test", d.x_test, d.y_test)):
        for label in (0, 1, 2):
            images = x[y == label][:12 if split == "train" else 6]
            for index, image in enumerate(images):
                image = image[..., 0]
                if index % 3 == 1:
                    image = cv2.resize(image, (40, 40))           # other size
                if index % 3 == 2:
                    image = np.repeat(image[..., None], 3, -1)    # stored as color
                _write(root / split / str(label) / f"img{index}{extensions[index % 3]}", image)
    (root / "train" / "1" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not an image")
    return root
