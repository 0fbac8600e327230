"""Dataset loaders: every format, and every bad input gives one clear error naming the file."""

import gzip

import numpy as np
import pytest
from PIL import Image

from conftest import synthetic_digits, write_idx
from edgegan.data import load_images, load_labels, load_uint8
from edgegan.errors import DataError

pytestmark = pytest.mark.light


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_and_file(tmp_path, gz):
    x = synthetic_digits(20)
    name = "train-images-idx3-ubyte" + (".gz" if gz else "")
    write_idx(tmp_path / name, x, gz=gz)
    write_idx(tmp_path / ("train-labels-idx1-ubyte" + (".gz" if gz else "")), np.arange(20) % 10, gz=gz)
    for src in (tmp_path, tmp_path / name):
        y = load_images(src)
        assert y.shape == (20, 28, 28, 1) and y.dtype == np.float32
        assert y.min() == -1.0 and y.max() == 1.0
        np.testing.assert_array_equal(load_uint8(src)[..., 0], x)
    np.testing.assert_array_equal(load_labels(tmp_path), np.arange(20) % 10)


def test_npz_keras_layout_and_x(tmp_path):
    x = synthetic_digits(8)
    np.savez(tmp_path / "a.npz", x_train=x, y_train=np.zeros(8))
    np.savez(tmp_path / "b.npz", x=x.astype(np.float32) / 255.0)
    np.testing.assert_array_equal(load_uint8(tmp_path / "a.npz")[..., 0], x)
    np.testing.assert_array_equal(load_uint8(tmp_path / "b.npz")[..., 0], x)


def test_image_folder_and_channel_conversion(tmp_path):
    for i, im in enumerate(synthetic_digits(5)):
        Image.fromarray(im).save(tmp_path / f"{i}.png")
    Image.fromarray(np.stack([synthetic_digits(1)[0]] * 3, -1)).convert("RGB").save(tmp_path / "rgb.jpg")
    x = load_images(tmp_path, channels=1)
    assert x.shape == (6, 28, 28, 1)
    assert load_images(tmp_path, channels=3).shape == (6, 28, 28, 3)


def test_seeded_shuffle_and_limit(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", synthetic_digits(50))
    a = load_images(tmp_path, seed=3, limit=10)
    b = load_images(tmp_path, seed=3, limit=10)
    c = load_images(tmp_path, seed=4, limit=10)
    assert a.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def _bad(tmp_path, case):
    p = tmp_path / "train-images-idx3-ubyte.gz"
    if case == "missing":
        return tmp_path / "nope", "no such file"
    if case == "magic":
        p.write_bytes(gzip.compress(b"\x12\x34\x56\x78" + bytes(100)))
        return p, "bad magic"
    if case == "truncated_gzip":
        write_idx(p, synthetic_digits(10))
        p.write_bytes(p.read_bytes()[:-40])
        return p, "truncated or corrupt"
    if case == "short_data":
        data = bytes([0, 0, 8, 3]) + (10).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + bytes(100)
        p.write_bytes(gzip.compress(data))
        return p, "declares"
    if case == "bomb":
        data = bytes([0, 0, 8, 3]) + (4_000_000_000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
        p.write_bytes(gzip.compress(data))
        return p, "too large"
    if case == "empty_folder":
        d = tmp_path / "empty"
        d.mkdir()
        return d, "empty"
    if case == "non_image":
        d = tmp_path / "imgs"
        d.mkdir()
        Image.fromarray(synthetic_digits(1)[0]).save(d / "a.png")
        (d / "notes.txt").write_text("hello")
        return d, "not a PNG/JPEG"
    if case == "corrupt_png":
        d = tmp_path / "imgs"
        d.mkdir()
        (d / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(30))
        return d, "cannot decode"
    if case == "mixed_sizes":
        d = tmp_path / "imgs"
        d.mkdir()
        Image.fromarray(np.zeros((28, 28), np.uint8)).save(d / "a.png")
        Image.fromarray(np.zeros((32, 32), np.uint8)).save(d / "b.png")
        return d, "differs from"
    if case == "image_bomb":
        d = tmp_path / "imgs"
        d.mkdir()
        Image.new("1", (5000, 5000)).save(d / "big.png")  # 25 M pixels, a few KB on disk
        return d, "decompression bomb"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "magic",
        "truncated_gzip",
        "short_data",
        "bomb",
        "empty_folder",
        "non_image",
        "corrupt_png",
        "mixed_sizes",
        "image_bomb",
    ],
)
def test_bad_data_gives_one_clear_error_naming_the_file(tmp_path, case):
    path, words = _bad(tmp_path, case)
    with pytest.raises(DataError) as e:
        load_images(path)
    msg = str(e.value)
    assert words in msg
    assert "\n" not in msg
    assert str(path) in msg or path.name in msg or any(p.name in msg for p in path.parent.iterdir())


def test_keras_dataset_without_network_says_how_to_pass_local_files(monkeypatch, tmp_path):
    pytest.importorskip("keras")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # and no way out
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    with pytest.raises(DataError, match="pass local files"):
        load_images("fashion_mnist")
