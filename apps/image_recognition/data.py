"""Image data: named datasets (mnist, cifar10, digits) and class-per-folder image trees.

Named datasets load as uint8 arrays ``(N, H, W, C)``; CIFAR-10's JPEG shards are decoded
once into a ``.npy`` cache. Folders (the layout of ``keras.utils.image_dataset_from_directory``)
are streamed by :class:`ImageFolderDataset` so a tree larger than memory trains. Nothing in a
folder is lost silently: every file is used, skipped when OpenCV cannot decode it
(:class:`SkipLog`, with the reason), or ignored by the folder walk with a fixed reason (not an
image, hidden, a broken link, a folder already read through a symbolic link, ...); skipped and
ignored files are counted and named in the log.
"""

from __future__ import annotations

import csv
import gzip
import logging
import os
import tarfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from apps.image_recognition.presets import NAMED_DATASETS
from shared import data as shared_data

log = logging.getLogger("cnnkit.image")

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MNIST_SHARD_ROWS = 15000  # training digits per shard of shared.data.load_mnist
CIFAR10_TRAIN_SHARDS = [f"cifar10_jpg_train_part{i}of5.tar.gz" for i in range(1, 6)]


# --------------------------------------------------------------------------- decoding

class UnreadableImage(ValueError):
    """A file that could not be read or decoded as an image; ``reason`` says why, without the name."""

    def __init__(self, file, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = str(file)
        self.reason = reason


EMPTY_FILE = "empty file (0 bytes)"
NOT_DECODABLE = "not a readable PNG/JPEG/BMP image (damaged, truncated or another format)"
TOO_LARGE = "image too large: its header declares more pixels than OpenCV decodes (CV_IO_MAX_IMAGE_PIXELS)"


class SkipLog:
    """Thread-safe record of files that could not be decoded (reported, counted, skipped)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.files: list[str] = []
        self.reasons: dict[str, str] = {}

    def add(self, name: str, reason: str) -> None:
        with self._lock:
            if name in self.reasons:
                return
            self.files.append(name)
            self.reasons[name] = reason
        log.warning("skipped unreadable image %s (%s)", name, reason)

    @property
    def count(self) -> int:
        return len(self.files)

    def reason_counts(self) -> dict:
        """How many files were skipped for each reason."""
        return dict(Counter(self.reasons[name] for name in self.files))

    def __contains__(self, name):
        return name in self.reasons

    def write(self, folder) -> Path | None:
        """List the skipped files in ``folder/skipped_files.txt`` (nothing when none was skipped)."""
        if not self.files:
            return None
        path = Path(folder) / "skipped_files.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.files) + "\n")
        return path


def convert_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """Grey <-> color conversion so every image has ``channels`` (1 or 3) channels, RGB order."""
    if image.ndim == 2:
        image = image[:, :, None]
    have = image.shape[-1]
    if have == channels:
        return image
    if have == 4:
        image = image[:, :, :3]
        have = 3
    if have == 2:  # grey + alpha
        image = image[:, :, :1]
        have = 1
    if channels == 1 and have == 3:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)[:, :, None]
    if channels == 3 and have == 1:
        return np.repeat(image, 3, axis=-1)
    if have == channels:
        return image
    raise ValueError(f"Cannot convert an image with {image.shape[-1]} channels to {channels} channels.")


def decode_image(data: bytes | np.ndarray, name: str = "<bytes>") -> np.ndarray:
    """Decode PNG/JPEG/BMP bytes to a uint8 array (H, W, C) in RGB order.

    Raises :class:`UnreadableImage` (a ValueError naming ``name``) for empty, damaged, truncated
    or oversized images.
    """
    buffer = np.frombuffer(data, dtype=np.uint8) if isinstance(data, (bytes, bytearray)) else data
    if not buffer.size:
        raise UnreadableImage(name, EMPTY_FILE)
    try:
        image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    except cv2.error as error:  # OpenCV asserts on headers it refuses (e.g. its pixel limit)
        if "CV_IO_MAX_IMAGE_PIXELS" in str(error):
            raise UnreadableImage(name, TOO_LARGE) from error
        raise UnreadableImage(name, NOT_DECODABLE) from error
    if image is None or image.size == 0:
        raise UnreadableImage(name, NOT_DECODABLE)
    if image.dtype != np.uint8:  # 16-bit PNG
        image = (image / 257).astype(np.uint8) if image.dtype == np.uint16 else image.astype(np.uint8)
    if image.ndim == 3 and image.shape[-1] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[-1] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return image if image.ndim == 3 else image[:, :, None]


def load_image(file: str | os.PathLike, image_size=None, channels=None) -> np.ndarray:
    """Read one image file as uint8 (H, W, C) RGB, optionally resized and channel-converted.

    Raises :class:`UnreadableImage` naming the file when it cannot be read or decoded.
    """
    file = Path(file)
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise UnreadableImage(file, f"cannot read file ({error.strerror or error})") from error
    image = decode_image(raw, str(file))
    return prepare_image(image, image_size, channels)


def prepare_image(image: np.ndarray, image_size=None, channels=None) -> np.ndarray:
    if channels is not None:
        image = convert_channels(image, int(channels))
    if image_size is not None:
        height, width = image_size
        if image.shape[:2] != (height, width):
            interpolation = cv2.INTER_AREA if image.shape[0] > height else cv2.INTER_LINEAR
            resized = cv2.resize(image, (width, height), interpolation=interpolation)
            image = resized if resized.ndim == 3 else resized[:, :, None]
    return image


# --------------------------------------------------------------------------- named datasets

@dataclass
class ArrayData:
    """A dataset held in memory: uint8 images (N, H, W, C) and int labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list
    name: str
    skipped: list = field(default_factory=list)

    @property
    def input_shape(self):
        return tuple(self.x_train.shape[1:])


def stratified_limit(x, y, limit, seed=0):
    """A class-stratified subset of ``limit`` rows (fast mode, tests)."""
    if limit is None or limit >= len(y):
        return x, y
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=int(limit), stratify=y, random_state=seed)
    keep = np.sort(keep)
    return x[keep], y[keep]


def load_mnist(limit=None, test_limit=None, seed=0) -> ArrayData:
    """MNIST (``shared.data.load_mnist``): 60,000 train and 10,000 test 28x28 grey digits.

    A ``limit`` that one training shard holds is drawn from the first shard only, any larger one
    from all 60,000 digits (stratified by class, ``seed``).
    """
    rows_needed = limit if limit is not None and limit <= MNIST_SHARD_ROWS else None
    x_train, y_train = shared_data.load_mnist("train", rows_needed=rows_needed)
    x_test, y_test = shared_data.load_mnist("test")
    x_train, y_train = stratified_limit(x_train, y_train, limit, seed)
    x_test, y_test = stratified_limit(x_test, y_test, test_limit, seed)
    return ArrayData(x_train[..., None], y_train.astype("int32"), x_test[..., None],
                     y_test.astype("int32"), [str(i) for i in range(10)], "mnist")


def cifar10_cache() -> Path:
    return shared_data.cache_dir("image_recognition", "cifar10")


def _decode_cifar_split(split: str, skipped: SkipLog):
    """Decode one split of the CIFAR-10 JPEG shards (labels from labels.csv.gz)."""
    labels = {}
    with gzip.open(shared_data.path("cifar10", "labels.csv.gz"), "rt", newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                if row["split"] == split:
                    labels[row["member"]] = int(row["label"])
            except (KeyError, ValueError) as error:
                raise ValueError(
                    f"labels.csv.gz row {row_number}: expected columns archive, member, split, "
                    f"class_name, label, sha256_16 ({error})"
                ) from error
    shards = ["cifar10_jpg_test.tar.gz"] if split == "test" else CIFAR10_TRAIN_SHARDS
    images, targets = [], []
    from tqdm import tqdm

    progress = tqdm(total=len(labels), desc=f"decoding CIFAR-10 {split}", unit="img", leave=False)
    for shard in shards:
        with tarfile.open(shared_data.path("cifar10", shard), "r:gz") as archive:
            for member in archive:
                if not member.isfile() or member.name not in labels:
                    continue
                name = f"{shard}:{member.name}"
                try:
                    image = decode_image(archive.extractfile(member).read(), name)
                    image = prepare_image(image, (32, 32), 3)
                except UnreadableImage as error:
                    skipped.add(name, error.reason)
                    continue
                images.append(image)
                targets.append(labels[member.name])
                progress.update()
    progress.close()
    if len(targets) + skipped.count < len(labels):
        log.warning("CIFAR-10 %s: %d labelled files were not found in the shards",
                    split, len(labels) - len(targets) - skipped.count)
    return np.stack(images).astype(np.uint8), np.asarray(targets, dtype=np.int32)


def _save_atomic(path: Path, array: np.ndarray) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        np.save(handle, array)
    os.replace(temporary, path)


def load_cifar10(limit=None, test_limit=None, seed=0) -> ArrayData:
    """CIFAR-10 (JPEG re-encodings, 32x32 RGB): decoded once into the cache as uint8 .npy."""
    cache = cifar10_cache()
    skipped_all = []
    arrays = {}
    for split in ("train", "test"):
        x_file, y_file = cache / f"{split}_x.npy", cache / f"{split}_y.npy"
        with shared_data.cache_lock(cache):  # several training processes decode it once
            if not (x_file.is_file() and y_file.is_file()):
                skipped = SkipLog()
                x, y = _decode_cifar_split(split, skipped)
                _save_atomic(x_file, x)
                _save_atomic(y_file, y)
                skipped_all += skipped.files
        # Memory-mapped: a training process reads only the rows it trains on (its share, under distribution).
        arrays[split] = (np.load(x_file, mmap_mode="r"), np.load(y_file))
    x_train, y_train = stratified_limit(*arrays["train"], limit, seed)
    x_test, y_test = stratified_limit(*arrays["test"], test_limit, seed)
    return ArrayData(np.asarray(x_train), y_train, np.asarray(x_test), y_test, list(CIFAR10_CLASSES),
                     "cifar10", skipped_all)


def load_digits(test_size=0.25, seed=0, limit=None, test_limit=None) -> ArrayData:
    """scikit-learn's embedded 8x8 digits (values 0-16 scaled to 0-255), stratified split."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    digits = sk_digits()
    images = np.clip(digits.images * 16.0, 0, 255).astype(np.uint8)[..., None]
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target.astype("int32"), test_size=test_size, stratify=digits.target,
        random_state=seed)
    x_train, y_train = stratified_limit(x_train, y_train, limit, seed)
    x_test, y_test = stratified_limit(x_test, y_test, test_limit, seed)
    return ArrayData(x_train, y_train, x_test, y_test, [str(i) for i in range(10)], "digits")


def named_class_names(name: str) -> list:
    """The class names of a named dataset, without loading it."""
    if name == "cifar10":
        return list(CIFAR10_CLASSES)
    if name in ("mnist", "digits"):
        return [str(i) for i in range(10)]
    raise ValueError(f"Unknown dataset {name!r}; expected one of {', '.join(NAMED_DATASETS)}.")


def load_named(name: str, limit=None, test_limit=None, seed=0) -> ArrayData:
    loaders = {"mnist": load_mnist, "cifar10": load_cifar10, "digits": load_digits}
    if name not in loaders:
        raise ValueError(f"Unknown dataset {name!r}; expected one of {', '.join(NAMED_DATASETS)} "
                         "or a folder with one subfolder per class.")
    return loaders[name](limit=limit, test_limit=test_limit, seed=seed)


# --------------------------------------------------------------------------- folders

NOT_AN_IMAGE = f"not an image file (expected {', '.join(IMAGE_EXTENSIONS)})"
HIDDEN = "hidden (name starts with '.')"
BROKEN_LINK = "broken symbolic link"
NOT_A_FILE = "not a regular file (a device, pipe, socket or symbolic link loop)"
FOLDER_ALREADY_READ = "symbolic link to a folder already read (a loop or a second path to it)"
OUTSIDE_CLASS_FOLDERS = "not inside a class folder"
OUTSIDE_SPLIT_FOLDERS = "outside the split folders used (train/ and the first of test/, val/, validation/)"
LINK_OUT_OF_SPLIT = "symbolic link out of its split folder (to the dataset root or another split)"


@dataclass
class FolderSplit:
    """Image files and their labels (indices into ``class_names``), and ``ignored``: every other
    entry of the tree as ``(path, reason)`` (a folder entry stands for everything inside it)."""

    files: list
    labels: np.ndarray
    class_names: list
    ignored: list = field(default_factory=list)


def _folder_key(path) -> tuple:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _not_a_file_reason(entry: os.DirEntry, path: Path) -> str:
    broken = entry.is_symlink() and not os.path.lexists(os.path.realpath(path))
    return BROKEN_LINK if broken else NOT_A_FILE


def _inside_any(real: str, folders) -> bool:
    return any(real == folder or real.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders)


def walk_images(folder, seen: set | None = None, outside=()) -> tuple[list, list]:
    """``(images, ignored)`` under ``folder``: image files (recursive, sorted) and every other
    entry as ``(path, reason)``.

    Symbolic links to folders are followed, but a folder is read once: ``seen`` holds the folders
    already read (pass one set to several walks), and a link back to one of them (a loop, or a
    second path to the same folder) is reported instead of followed, as is a link into one of the
    ``outside`` folders (real paths: the other splits of a dataset). Hidden entries and folders
    that cannot be listed are reported, not entered.
    """
    seen = set() if seen is None else seen
    images, ignored = [], []
    pending = [Path(folder)]
    while pending:
        directory = pending.pop()
        try:
            key = _folder_key(directory)
            if key in seen:
                ignored.append((str(directory), FOLDER_ALREADY_READ))
                continue
            if outside and _inside_any(os.path.realpath(directory), outside):
                ignored.append((str(directory), LINK_OUT_OF_SPLIT))
                continue
            seen.add(key)
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            ignored.append((str(directory), f"cannot read folder ({error.strerror or error})"))
            continue
        subfolders = []
        for entry in entries:
            path = directory / entry.name
            try:
                is_dir, is_file = entry.is_dir(), entry.is_file()
            except OSError:
                is_dir = is_file = False
            if entry.name.startswith("."):
                ignored.append((str(path), HIDDEN))
            elif is_dir:
                subfolders.append(path)
            elif not is_file:
                ignored.append((str(path), _not_a_file_reason(entry, path)))
            elif path.suffix.lower() not in IMAGE_EXTENSIONS:
                ignored.append((str(path), NOT_AN_IMAGE))
            else:
                images.append(path)
        pending += reversed(subfolders)  # depth first in name order: the same tree reads the same way
    return sorted(images), sorted(ignored)


def list_images(folder: Path) -> list:
    """Every image file under ``folder`` (recursive, sorted); see :func:`walk_images`."""
    return walk_images(folder)[0]


def describe_ignored(ignored, examples=3) -> str:
    """``"2 not an image file (...), 1 hidden (...); e.g. a.txt, b.gif"`` for a list of ``(path, reason)``."""
    counts = Counter(reason for _, reason in ignored)
    summary = ", ".join(f"{count} {reason}" for reason, count in counts.most_common())
    return f"{summary}; e.g. {', '.join(path for path, _ in ignored[:examples])}"


def _warn_ignored(root, ignored) -> None:
    if ignored:
        log.warning("%s: %d file(s) or folder(s) not used: %s", root, len(ignored), describe_ignored(ignored))


def _class_folders(root: Path) -> tuple[list, list]:
    """Class folder names under ``root`` and the other entries of ``root`` as ``(path, reason)``."""
    names, other = [], []
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as error:
        raise ValueError(f"{root}: cannot read folder ({error.strerror or error}).") from error
    for entry in entries:
        path = root / entry.name
        if entry.name.startswith("."):
            other.append((str(path), HIDDEN))
        elif path.is_dir():
            names.append(entry.name)
        elif not path.is_file():
            other.append((str(path), _not_a_file_reason(entry, path)))
        else:
            other.append((str(path), OUTSIDE_CLASS_FOLDERS))
    return names, other


def folder_class_names(root) -> list:
    """The class names a folder trains on: its subfolders, or those of its ``train/`` subfolder."""
    root = Path(root)
    return _class_folders(root / "train" if (root / "train").is_dir() else root)[0]


def scan_class_folder(root: str | os.PathLike, class_names=None, outside=(), seen=None) -> FolderSplit:
    """One subfolder per class -> files and labels, plus the ignored entries of the tree (also
    logged). Empty classes and trees without class folders are errors naming the folder.
    Symbolic links into ``outside`` (folders) or back to a folder in ``seen`` ((st_dev, st_ino)
    keys, as :func:`walk_images` keeps them) are reported, not followed."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder (expected one of {', '.join(NAMED_DATASETS)} "
                         "or a folder with one subfolder per class).")
    found, ignored = _class_folders(root)
    if not found:
        loose = [path for path, reason in ignored if reason == OUTSIDE_CLASS_FOLDERS
                 and Path(path).suffix.lower() in IMAGE_EXTENSIONS]
        extra = f" It holds {len(loose)} loose image files." if loose else ""
        raise ValueError(
            f"{root}: no class subfolders. Expected one subfolder per class, e.g. "
            f"{root}/cat/*.jpg and {root}/dog/*.jpg (the layout of "
            f"keras.utils.image_dataset_from_directory).{extra}")
    names = list(class_names) if class_names is not None else found
    unknown = [name for name in found if name not in names]
    if unknown:
        raise ValueError(f"{root}: class folder(s) {unknown} are not among the expected classes {names}.")
    seen = set(seen or ()) | {_folder_key(root)}
    outside = [os.path.realpath(folder) for folder in outside]
    files, labels = [], []
    empty, empty_ignored = [], []
    for name in found:
        images, other = walk_images(root / name, seen, outside)
        ignored += other
        if not images:
            empty.append(name)
            empty_ignored += other
        files += images
        labels += [names.index(name)] * len(images)
    if empty:
        holds = f" Not used there: {describe_ignored(empty_ignored)}." if empty_ignored else ""
        raise ValueError(f"{root}: class folder(s) {', '.join(repr(e) for e in empty)} contain no "
                         f"images (expected {', '.join(IMAGE_EXTENSIONS)} files).{holds}")
    _warn_ignored(root, ignored)
    return FolderSplit(files, np.asarray(labels, dtype=np.int32), names, ignored)


def check_val_split(val_split) -> float:
    """``val_split`` as a float in [0, 1); otherwise a ValueError naming ``--val-split``."""
    try:
        value = float(val_split or 0.0)
    except (TypeError, ValueError) as error:
        raise ValueError(f"--val-split must be a number at least 0 and below 1, got {val_split!r}.") from error
    if not 0.0 <= value < 1.0:
        raise ValueError(f"--val-split must be at least 0 and below 1 (the fraction of the images held "
                         f"out as the test split), got {val_split!r}.")
    return value


def scan_dataset_folder(root, val_split=0.0, seed=0):
    """Return ``(train, test)`` FolderSplits: from ``train/`` and ``test/`` subfolders when
    present, else a ``val_split`` of the class folders, stratified by class when every class can
    be on both sides (``test`` None if 0). Entries of ``root`` outside the split folders are
    listed in ``train.ignored``."""
    root = Path(root)
    val_split = check_val_split(val_split)
    if (root / "train").is_dir():
        folders, unused = _class_folders(root)
        test_name = next((name for name in ("test", "val", "validation") if name in folders), None)
        # Each split reads only its own folder: links to the root or into another split are reported.
        root_key = {_folder_key(root)}
        others = lambda keep: [root / name for name in folders if name != keep]
        full = scan_class_folder(root / "train", outside=others("train"), seen=root_key)
        unused += [(str(root / name), OUTSIDE_SPLIT_FOLDERS) for name in folders if name not in ("train", test_name)]
        full.ignored += sorted(unused)
        _warn_ignored(root, sorted(unused))
        if test_name is not None:
            if val_split:
                log.warning("--val-split %s not used: %s has its own %s/ folder", val_split, root, test_name)
            return full, scan_class_folder(root / test_name, class_names=full.class_names,
                                           outside=others(test_name), seen=root_key)
    else:
        full = scan_class_folder(root)
    if not val_split:
        return full, None
    from sklearn.model_selection import train_test_split

    total, classes = len(full.files), len(full.class_names)
    test_count = int(np.ceil(val_split * total))  # as train_test_split counts it
    if total - test_count < 1:
        raise ValueError(f"--val-split {val_split} of the {total} images in {root} leaves no training image.")
    counts = np.bincount(full.labels, minlength=classes)
    can_stratify = counts.min() >= 2 and min(test_count, total - test_count) >= classes
    if not can_stratify:
        log.warning("--val-split %s of %s: %d images in %d classes are too few for a split by class; "
                    "split at random", val_split, root, total, classes)
    train_index, test_index = train_test_split(
        np.arange(total), test_size=test_count, random_state=seed,
        stratify=full.labels if can_stratify else None)
    pick = lambda index, ignored: FolderSplit([full.files[i] for i in sorted(index)],
                                              full.labels[np.sort(index)], full.class_names, ignored)
    return pick(train_index, full.ignored), pick(test_index, [])


DEFAULT_FOLDER_SIZE = (64, 64)


def folder_image_size(files, sample: int = 64) -> tuple[tuple[int, int], str]:
    """The size to train a folder's images at, and why: ``((height, width), reason)``.

    The most common size among ``sample`` files spread over the folder is kept when every sampled
    image is within 2x of it in both sides (no image is blown up or shrunk more than that);
    otherwise :data:`DEFAULT_FOLDER_SIZE`. Only the image headers are read (Pillow).
    """
    from collections import Counter

    from PIL import Image, UnidentifiedImageError

    picked = [files[int(i)] for i in np.unique(np.linspace(0, len(files) - 1, min(sample, len(files))).round())]
    sizes = []
    for file in picked:
        try:
            with Image.open(file) as image:
                sizes.append((image.height, image.width))
        except (OSError, UnidentifiedImageError):
            continue  # an unreadable file is reported when training reads it
    if not sizes:
        return DEFAULT_FOLDER_SIZE, "no readable image among the sampled files: the default size"
    common, count = Counter(sizes).most_common(1)[0]
    if all(0.5 <= h / common[0] <= 2 and 0.5 <= w / common[1] <= 2 for h, w in sizes):
        spread = "all" if count == len(sizes) else f"{count} of {len(sizes)}"
        return common, f"the images' own size ({spread} sampled images are {common[0]}x{common[1]}; the rest within 2x)"
    return DEFAULT_FOLDER_SIZE, (f"the default size: the sampled images' sizes differ by more than 2x from the most "
                                 f"common one ({common[0]}x{common[1]})")


def guess_channels(files, sample=32) -> int:
    """1 if every sampled image is grey, else 3."""
    for file in files[:sample]:
        try:
            image = load_image(file)
        except ValueError:
            continue
        if image.shape[-1] >= 3:
            rgb = image[..., :3].astype(np.int16)
            if np.abs(rgb[..., 0] - rgb[..., 1]).max() > 0 or np.abs(rgb[..., 1] - rgb[..., 2]).max() > 0:
                return 3
    return 1


def iterate_files(files, image_size, channels, batch_size=64, skipped: SkipLog | None = None):
    """Yield ``(indices, uint8 batch)`` for files in order, skipping unreadable ones (for
    evaluate / predict, where every file counts once)."""
    skipped = skipped if skipped is not None else SkipLog()
    indices, images = [], []
    for index, file in enumerate(files):
        try:
            images.append(load_image(file, image_size, channels))
            indices.append(index)
        except UnreadableImage as error:
            skipped.add(str(file), error.reason)
            continue
        if len(images) == batch_size:
            yield np.asarray(indices), np.stack(images)
            indices, images = [], []
    if images:
        yield np.asarray(indices), np.stack(images)


def sample_statistics(x=None, dataset=None, max_batches=32):
    """Per-channel mean and variance of the training split (all of ``x``, or the first
    ``max_batches`` batches of a streamed folder)."""
    if x is not None:  # two passes over chunks: no float64 copy of the whole split (CIFAR-10: 1.2 GB)
        def chunks():
            for start in range(0, len(x), 4096):
                yield np.asarray(x[start:start + 4096], dtype=np.float64).reshape(-1, x.shape[-1])

        count = int(np.prod(x.shape[:-1]))
        mean = sum(chunk.sum(axis=0) for chunk in chunks()) / count
        return mean, sum(((chunk - mean) ** 2).sum(axis=0) for chunk in chunks()) / count
    total = count = 0
    square = 0
    for batch in range(min(len(dataset), max_batches)):
        images = dataset[batch][0].astype(np.float64).reshape(-1, dataset.channels)
        total = total + images.sum(axis=0)
        square = square + (images ** 2).sum(axis=0)
        count += images.shape[0]
    mean = total / count
    return mean, np.maximum(square / count - mean ** 2, 1e-6)


def is_named(source: str) -> bool:
    return str(source) in NAMED_DATASETS


def resolve_source(source: str):
    """A named dataset or an existing folder; otherwise a clear error."""
    if is_named(source):
        return source
    path = Path(source)
    if not path.exists():
        raise ValueError(f"--data {source!r}: neither a named dataset ({', '.join(NAMED_DATASETS)}) "
                         "nor an existing folder.")
    return path


def __getattr__(name):
    # ImageFolderDataset is a keras.utils.PyDataset: it lives in folder_dataset.py so that reading
    # and predicting image files (``image predict``) does not import Keras.
    if name == "ImageFolderDataset":
        from apps.image_recognition.folder_dataset import ImageFolderDataset

        return ImageFolderDataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
