"""Data loading: named datasets, folder scanning, streaming, bad input."""

import numpy as np
import pytest

from apps.image_recognition import data


def test_convert_channels_grey_color_alpha():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    color = data.convert_channels(grey, 3)
    assert color.shape == (3, 4, 3) and (color[..., 0] == grey[..., 0]).all()
    assert data.convert_channels(color, 1).shape == (3, 4, 1)
    np.testing.assert_array_equal(data.convert_channels(color, 1)[..., 0], grey[..., 0])
    rgba = np.zeros((2, 2, 4), np.uint8)
    assert data.convert_channels(rgba, 3).shape == (2, 2, 3)


def test_decode_rejects_garbage_with_name():
    with pytest.raises(ValueError, match="broken.jpg"):
        data.decode_image(b"not an image", "broken.jpg")


def test_named_datasets(data_available):
    mnist = data.load_mnist(limit=300, test_limit=100)
    assert mnist.x_train.shape == (300, 28, 28, 1) and mnist.x_train.dtype == np.uint8
    assert mnist.x_test.shape == (100, 28, 28, 1)
    assert set(np.unique(mnist.y_train)) == set(range(10))  # stratified slice keeps every class
    digits = data.load_digits()
    assert digits.x_train.shape[1:] == (8, 8, 1) and len(digits.y_train) + len(digits.y_test) == 1797
    cifar = data.load_cifar10(limit=200, test_limit=50)
    assert cifar.x_train.shape == (200, 32, 32, 3) and cifar.class_names[0] == "airplane"
    assert np.bincount(cifar.y_test).max() <= 6


def test_mnist_png_matches_npz(data_available):
    """The sample PNGs decode to the same pixels as the npz shards (same MNIST order)."""
    folder = data_available / "images" / "mnist" / "sample_png"
    test = data.load_mnist()
    file = folder / "test_label7_60000.png"
    if not file.exists():
        file = sorted(folder.glob("*.png"))[0]
    index = int(file.stem.split("_")[-1]) - 60000
    np.testing.assert_array_equal(data.load_image(file), test.x_test[index])


def test_scan_and_stream_folder_skips_corrupt(image_tree):
    train, test = data.scan_dataset_folder(image_tree)
    assert train.class_names == ["0", "1", "2"] and len(test.files) == 18
    assert any(str(f).endswith("broken.png") for f in train.files)
    skipped = data.SkipLog()
    dataset = data.ImageFolderDataset(train.files, train.labels, batch_size=8, image_size=(28, 28),
                                      channels=1, skipped=skipped)
    seen = 0
    for batch in range(len(dataset)):
        x, y = dataset[batch]
        assert x.shape[1:] == (28, 28, 1) and x.dtype == np.float32 and len(x) == len(y)
        seen += len(x)
    assert skipped.count == 1 and skipped.files[0].endswith("broken.png")
    assert seen >= len(train.files) - 1
    color = data.ImageFolderDataset(test.files, test.labels, batch_size=4, image_size=(16, 20), channels=3)
    assert color[0][0].shape == (4, 16, 20, 3)
    shares = [color.worker_batch(1, worker, 2) for worker in range(2)]  # each worker reads its two files
    whole = color[1]
    np.testing.assert_array_equal(shares[1][0], whole[0][1::2])
    np.testing.assert_array_equal(np.concatenate([shares[0][1], shares[1][1]]),
                                  np.concatenate([whole[1][0::2], whole[1][1::2]]))


def test_val_split_is_stratified(image_tree):
    train, test = data.scan_dataset_folder(image_tree / "train", val_split=0.25, seed=0)
    assert len(test.files) == 10 and set(test.labels) == {0, 1, 2}
    assert not set(map(str, train.files)) & set(map(str, test.files))


def test_empty_class_folder_error_names_it(tmp_path, image_tree):
    (tmp_path / "cat").mkdir()
    (tmp_path / "dog").mkdir()
    source = next((image_tree / "train" / "0").glob("*.png"))
    (tmp_path / "dog" / "a.png").write_bytes(source.read_bytes())
    with pytest.raises(ValueError, match="'cat' contain no images"):
        data.scan_class_folder(tmp_path)


def test_folder_without_class_subfolders(tmp_path):
    (tmp_path / "loose.png").write_bytes(b"x")
    with pytest.raises(ValueError, match="no class subfolders"):
        data.scan_class_folder(tmp_path)
    with pytest.raises(ValueError, match="neither a named dataset"):
        data.resolve_source(str(tmp_path / "missing"))


def test_iterate_files_counts_unreadable(image_tree):
    files = sorted((image_tree / "train" / "1").iterdir())
    skipped = data.SkipLog()
    batches = list(data.iterate_files(files, (28, 28), 1, batch_size=5, skipped=skipped))
    total = sum(len(indices) for indices, _ in batches)
    assert total == len(files) - 1 and skipped.count == 1


def test_statistics_from_stream_match_arrays(image_tree):
    train, _ = data.scan_dataset_folder(image_tree)
    dataset = data.ImageFolderDataset(train.files, train.labels, batch_size=64, image_size=(28, 28), channels=1)
    mean, variance = data.sample_statistics(dataset=dataset)
    x = dataset[0][0]
    np.testing.assert_allclose(mean, x.reshape(-1, 1).mean(0), rtol=1e-5)
    np.testing.assert_allclose(variance, x.reshape(-1, 1).var(0), rtol=1e-4)


def _images(folder, sizes):
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index, (height, width) in enumerate(sizes):
        files.append(folder / f"{index}.png")
        cv2.imwrite(str(files[-1]), np.full((height, width, 3), index * 10 % 255, dtype=np.uint8))
    return [str(f) for f in files]


def test_folder_image_size_keeps_the_images_own_size(tmp_path):
    size, reason = data.folder_image_size(_images(tmp_path / "same", [(28, 28)] * 5))
    assert size == (28, 28) and reason.startswith("the images' own size (all sampled images are 28x28")
    # Sizes within 2x of the most common one: the most common one.
    size, reason = data.folder_image_size(_images(tmp_path / "near", [(28, 28)] * 3 + [(40, 30), (20, 15)]))
    assert size == (28, 28) and "3 of 5 sampled images are 28x28" in reason


def test_folder_image_size_falls_back_to_the_default_for_far_apart_sizes(tmp_path):
    files = _images(tmp_path / "far", [(28, 28)] * 3 + [(300, 200)])
    size, reason = data.folder_image_size(files)
    assert size == data.DEFAULT_FOLDER_SIZE and "differ by more than 2x" in reason
    (tmp_path / "junk.png").write_bytes(b"not an image")
    size, reason = data.folder_image_size([str(tmp_path / "junk.png")])
    assert size == data.DEFAULT_FOLDER_SIZE and reason.startswith("no readable image")


def test_array_statistics_read_in_chunks_equal_numpys():
    x = np.random.default_rng(0).integers(0, 256, (9000, 4, 4, 3)).astype(np.uint8)  # three chunks
    mean, variance = data.sample_statistics(x)
    pixels = x.astype(np.float64).reshape(-1, 3)
    np.testing.assert_allclose(mean, pixels.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(variance, pixels.var(axis=0), rtol=1e-10)
