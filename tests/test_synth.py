"""Synthetic data: classes as REFERENCE.md, reproducible bytes, resumable shards."""

from __future__ import annotations

import json

import numpy as np
import pytest

from resandi_core.model.spec import CLASS_NAMES
from resandi_core.progress import run_job
from resandi_core.training.synth import (
    DatasetError,
    DatasetSpec,
    _shard_arrays,
    generate_dataset,
    iter_generate,
    load_dataset,
)

SPEC = DatasetSpec(n_per_class=12, seed=4, shard_size=5)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth") / "a"
    generate_dataset(folder, SPEC, workers=2)
    return folder


def _lag1(x: np.ndarray) -> float:
    dx = np.diff(x)
    return float(np.corrcoef(dx[:-1], dx[1:])[0, 1])


def test_balanced_lengths_and_alpha_ranges(small_set):
    data = load_dataset(small_set)
    assert len(data) == 12 * 8
    assert np.bincount(data.labels).tolist() == [12] * 8
    assert data.lengths.min() >= 10 and data.lengths.max() <= 1000
    sub, sup = data.alphas[data.labels <= 3], data.alphas[(data.labels >= 4) & (data.labels <= 6)]
    assert sub.min() >= 0.1 and sub.max() <= 0.9
    assert sup.min() >= 1.1 and sup.max() <= 1.9
    assert np.all(data.alphas[data.labels == 7] == 1.0)
    manifest = json.loads((small_set / "manifest.json").read_text())
    assert manifest["complete"] and manifest["andi_datasets_version"] == "2.1.13"
    assert manifest["classes"] == list(CLASS_NAMES)


def test_same_seed_same_bytes_whatever_the_workers(small_set, tmp_path):
    generate_dataset(tmp_path / "b", SPEC, workers=1)
    for path in sorted(small_set.glob("shard_*.safetensors")):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    assert (small_set / "manifest.json").read_text() == (tmp_path / "b" / "manifest.json").read_text()


def test_stored_trajectories_are_the_generated_ones(small_set):
    """A layout bug once stored x/y interleaved wrongly; compare point by point."""
    data = load_dataset(small_set)
    arrays = _shard_arrays(SPEC, 0)
    offsets = np.concatenate([[0], np.cumsum(arrays["lengths"])])
    for i in range(arrays["labels"].size):
        np.testing.assert_array_equal(data.trajectory(i), arrays["xy"][offsets[i] : offsets[i + 1]])


def test_fbm_classes_have_their_physics():
    """Sub-FBM increments anticorrelate (2^(alpha-1) - 1 < 0), super-FBM correlate."""
    spec = DatasetSpec(n_per_class=6, seed=1, fixed_length=1000, shard_size=6)
    arrays = _shard_arrays(spec, 0)
    xy = arrays["xy"].reshape(-1, 1000, 2)
    for label, sign in ((2, -1), (4, 1)):
        rows = np.flatnonzero(arrays["labels"] == label)
        expected = 2 ** (arrays["alphas"][rows] - 1) - 1
        measured = np.array([_lag1(xy[r, :, 0]) for r in rows])
        assert np.all(np.sign(measured) == sign)
        np.testing.assert_allclose(measured, expected, atol=0.25)  # lag-1 estimates of long-memory FBM are biased


def test_interrupted_generation_resumes_to_the_same_bytes(small_set, tmp_path):
    folder = tmp_path / "c"
    job = iter_generate(folder, SPEC, workers=1)
    next(job)  # manifest written, nothing generated
    next(job)  # first shard done
    job.close()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert 1 <= len(manifest["shards"]) < SPEC.n_shards and not manifest["complete"]
    with pytest.raises(DatasetError, match="unfinished"):
        load_dataset(folder)
    events = []
    run_job(iter_generate(folder, SPEC, workers=1), events.append)
    assert events[0].done == sum(s["n"] for s in manifest["shards"])  # resumed, not restarted
    for path in sorted(small_set.glob("shard_*.safetensors")):
        assert path.read_bytes() == (folder / path.name).read_bytes()


def test_other_spec_in_same_folder_is_refused(small_set):
    with pytest.raises(DatasetError, match="different data set"):
        generate_dataset(small_set, DatasetSpec(n_per_class=12, seed=5, shard_size=5))


def test_changed_shard_is_detected(small_set, tmp_path):
    import shutil

    copy = tmp_path / "d"
    shutil.copytree(small_set, copy)
    shard = copy / "shard_00001.safetensors"
    shard.write_bytes(shard.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(DatasetError, match="changed"):
        load_dataset(copy)


def test_noise_is_in_increment_std_units():
    clean = _shard_arrays(DatasetSpec(n_per_class=3, seed=2, fixed_length=500, shard_size=3), 0)
    noisy = _shard_arrays(DatasetSpec(n_per_class=3, seed=2, fixed_length=500, noise=0.5, shard_size=3), 0)
    xy_clean, xy_noisy = clean["xy"].reshape(-1, 500, 2), noisy["xy"].reshape(-1, 500, 2)
    for row in np.flatnonzero(clean["labels"] == 7):  # BM: same trajectory, then noise
        step = np.diff(xy_clean[row], axis=0).std(axis=0)
        ratio = (xy_noisy[row] - xy_clean[row]).std(axis=0) / step
        np.testing.assert_allclose(ratio, 0.5, rtol=0.15)


def test_fixed_length_and_bad_specs():
    arrays = _shard_arrays(DatasetSpec(n_per_class=2, fixed_length=37, shard_size=2), 0)
    assert set(arrays["lengths"].tolist()) == {37}
    for bad in ({"n_per_class": 0}, {"n_per_class": 1, "fixed_length": 1001}, {"n_per_class": 1, "noise": -1.0}):
        with pytest.raises(ValueError):
            DatasetSpec(**bad)
