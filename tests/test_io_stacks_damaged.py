"""Damaged and odd TIFF movies: a clear StackError naming the file, never an internal error."""

import numpy as np
import pytest
import tifffile

from resandi_core.errors import StackError
from resandi_core.io.stacks import StackReader


@pytest.fixture
def movie():
    rng = np.random.default_rng(0)
    return (rng.random((5, 64, 64)) * 200).astype(np.uint8)


def read_all(path):
    reader = StackReader(path)
    return reader, [reader.read(f) for f in reader.frame_numbers]


def test_a_damaged_zlib_strip_names_the_page(tmp_path, movie):
    path = tmp_path / "zlib.tif"
    tifffile.imwrite(path, movie, compression="zlib")
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 200] = bytes(200)
    path.write_bytes(bytes(raw))
    with pytest.raises(StackError, match=r"the data of page \d cannot be decoded") as error:
        read_all(path)
    assert str(path) in str(error.value)


def test_a_tiff_cut_to_a_few_bytes(tmp_path, movie):
    good, cut = tmp_path / "good.tif", tmp_path / "cut.tif"
    tifffile.imwrite(good, movie)
    cut.write_bytes(good.read_bytes()[:12])
    with pytest.raises(StackError, match="not a readable TIFF"):
        StackReader(cut)


def test_float16_frames_are_read_as_float32(tmp_path, movie):
    path = tmp_path / "f16.tif"
    tifffile.imwrite(path, movie.astype(np.float16))
    reader, frames = read_all(path)
    assert reader.dtype == np.float32 and frames[0].dtype == np.float32
    np.testing.assert_array_equal(frames[2], movie[2].astype(np.float32))


def test_complex_images_are_refused(tmp_path, movie):
    path = tmp_path / "complex.tif"
    tifffile.imwrite(path, movie.astype(np.complex64))
    with pytest.raises(StackError, match="complex64 values, not intensities"):
        StackReader(path)


def test_frames_larger_than_the_limit_are_refused_before_reading(tmp_path, movie, monkeypatch):
    import resandi_core.io.stacks as stacks

    path = tmp_path / "movie.tif"
    tifffile.imwrite(path, movie)
    monkeypatch.setattr(stacks, "MAX_FRAME_BYTES", 1000)  # a 64 x 64 uint8 frame is 4,096 bytes
    with pytest.raises(StackError, match="one frame would take .* GB \\(64 x 64 uint8\\)"):
        StackReader(path)
