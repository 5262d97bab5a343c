import numpy as np
import pandas as pd
import pytest
import torch
from factories import random_walk

from resandi_core.classify import PROB_COLUMNS, classify_tracks, iter_classify
from resandi_core.errors import DeviceError, ResandiError
from resandi_core.model.preprocess import prepare_track, preprocess
from resandi_core.tracks import Tracks


def table_of(*tracks: np.ndarray, frames: list[np.ndarray] | None = None) -> pd.DataFrame:
    parts = []
    for tid, xy in enumerate(tracks):
        f = np.arange(len(xy)) if frames is None else frames[tid]
        parts.append(pd.DataFrame({"track_id": tid, "frame": f, "x": xy[:, 0], "y": xy[:, 1]}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def rng():
    return np.random.default_rng(42)


def test_statuses_of_bad_tracks_never_crash(untrained_model, rng):
    nan_track = random_walk(50, rng)
    nan_track[20, 1] = np.inf
    table = table_of(random_walk(9, rng), random_walk(10, rng), nan_track, np.full((30, 2), 4.0), random_walk(40, rng))
    table.loc[(table.track_id == 4) & (table.frame == 7), "frame"] = 8  # duplicate frame 8
    result = classify_tracks(Tracks(table, source="t.csv"), untrained_model)
    status = dict(zip(result.tracks.track_id, result.tracks.status))
    assert status == {0: "too_short", 1: "ok", 2: "non_finite", 3: "no_motion", 4: "duplicate_frames"}
    ok = result.tracks.status == "ok"
    assert result.tracks.loc[ok, PROB_COLUMNS].notna().all().all()
    assert result.tracks.loc[~ok, PROB_COLUMNS].isna().all().all()
    assert (result.tracks.loc[~ok, "predicted_class"] == "").all()
    assert "frame(s) 20" in result.tracks.loc[2, "message"]
    assert set(result.gradcam.track_id) == {1}
    assert (result.tracks.file == "t.csv").all()


def test_gaps_are_filled_linearly_and_counted():
    frames = np.array([0, 1, 2, 5, 6, 7, 8, 9, 10, 11])
    x = frames * 2.0
    track = prepare_track(7, frames[::-1], x[::-1], np.zeros(10))  # unsorted on purpose
    assert track.status == "ok" and track.n_filled == 2 and track.n_points == 10
    np.testing.assert_array_equal(track.frames, np.arange(12))
    np.testing.assert_allclose(track.positions[:, 0], np.arange(12) * 2.0)
    np.testing.assert_array_equal(np.flatnonzero(track.interpolated), [3, 4])


def test_gap_filled_track_in_results(untrained_model, rng):
    xy = random_walk(60, rng)
    frames = np.delete(np.arange(63), [10, 30, 31])
    result = classify_tracks(table_of(xy, frames=[frames]), untrained_model)
    row = result.tracks.iloc[0]
    assert row.n_filled == 3 and row.n_points == 60
    assert len(result.gradcam) == 63
    assert result.gradcam.interpolated.sum() == 3


def test_long_track_windows_match_classifying_each_window_alone(untrained_model, rng):
    long_xy = random_walk(2100, rng)
    result = classify_tracks(table_of(long_xy), untrained_model, target_class="BM")
    assert result.tracks.n_windows.iloc[0] == 4
    windows = result.windows
    assert list(windows.first_frame) == [0, 500, 1000, 1100]
    assert list(windows.last_frame) == [999, 1499, 1999, 2099]
    # track probabilities are the mean of its windows'
    np.testing.assert_allclose(result.tracks[PROB_COLUMNS].to_numpy()[0], windows[PROB_COLUMNS].mean().to_numpy(), rtol=1e-6)
    # each window is classified as if it were a track of its own
    pieces = [long_xy[s : s + 1000] for s in (0, 500, 1000, 1100)]
    alone = classify_tracks(table_of(*pieces), untrained_model, target_class="BM")
    np.testing.assert_allclose(windows[PROB_COLUMNS].to_numpy(), alone.tracks[PROB_COLUMNS].to_numpy(), rtol=1e-5, atol=1e-7)
    # a point in two windows gets the mean of both windows' scores
    score = result.gradcam.set_index("frame").score
    per_window = [alone.gradcam[alone.gradcam.track_id == i].score.to_numpy() for i in range(4)]
    np.testing.assert_allclose(score[100], per_window[0][100], rtol=1e-6)
    np.testing.assert_allclose(score[700], (per_window[0][700] + per_window[1][200]) / 2, rtol=1e-6)
    np.testing.assert_allclose(score[2050], per_window[3][950], rtol=1e-6)
    np.testing.assert_allclose(result.tracks.gradcam_mean_points.iloc[0], score.mean(), rtol=1e-9)
    # REFERENCE.md's mean (all 1000 values of each window), averaged over windows
    np.testing.assert_allclose(result.tracks.gradcam_mean.iloc[0], alone.tracks.gradcam_mean.mean(), rtol=1e-6)


def test_gradcam_mean_includes_the_padding_as_in_the_paper(untrained_model, rng):
    from resandi_core.model.gradcam import class_activation_maps, upsample

    xy = random_walk(100, rng)
    result = classify_tracks(table_of(xy), untrained_model, target_class="SupLW")
    net = untrained_model.network
    with torch.no_grad():
        x = torch.from_numpy(preprocess(xy)[None])
        cam = class_activation_maps(net.features(x), net.fc.weight)[0, 5].numpy()
    full = upsample(cam.astype(np.float64))
    np.testing.assert_allclose(result.tracks.gradcam_mean.iloc[0], full.mean(), rtol=1e-4)
    np.testing.assert_allclose(result.tracks.gradcam_mean_points.iloc[0], full[-100:].mean(), rtol=1e-4)
    assert abs(full.mean() - full[-100:].mean()) > 1e-3  # the two definitions really differ here


def test_window_logits_equal_the_plain_network(untrained_model, rng):
    xy = random_walk(321, rng)
    result = classify_tracks(table_of(xy), untrained_model)
    with torch.no_grad():
        ref = untrained_model.network(torch.from_numpy(preprocess(xy)[None])).numpy()[0]
    got = result.windows.filter(like="logit_").to_numpy()[0]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_batch_size_and_units_do_not_change_answers(untrained_model, rng):
    table = table_of(*[random_walk(n, rng) for n in (15, 200, 999, 1500, 40)])
    ref = classify_tracks(table, untrained_model, batch_size=128)
    small = classify_tracks(table, untrained_model, batch_size=2)
    in_um = table.assign(x=table.x * 0.35 + 3, y=table.y * 0.35 - 1)
    scaled = classify_tracks(in_um, untrained_model, batch_size=3)
    for other in (small, scaled):
        np.testing.assert_allclose(other.tracks[PROB_COLUMNS], ref.tracks[PROB_COLUMNS], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(other.gradcam.score, ref.gradcam.score, rtol=1e-4, atol=1e-5)


def test_progress_events_count_windows(untrained_model, rng):
    table = table_of(*[random_walk(n, rng) for n in (20, 1200, 30)])
    events = []
    classify_tracks(table, untrained_model, progress=events.append, batch_size=2)
    assert [(e.done, e.total) for e in events] == [(0, 4), (2, 4), (4, 4)]


def test_closing_the_generator_cancels(untrained_model, rng, monkeypatch):
    from resandi_core.model.inference import WindowClassifier

    calls = []
    original = WindowClassifier.__call__
    monkeypatch.setattr(WindowClassifier, "__call__", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    table = table_of(*[random_walk(50, rng) for _ in range(10)])
    job = iter_classify(table, untrained_model, batch_size=2)
    assert next(job).done == 0 and next(job).done == 2
    job.close()
    with pytest.raises(StopIteration):
        next(job)
    assert len(calls) == 1  # no batch ran after the cancel


def test_sparse_tracks_and_bad_options(untrained_model, rng):
    frames = np.arange(0, 300, 3)  # 100 detections over 298 frames: 2 of 3 points would be invented
    result = classify_tracks(table_of(random_walk(100, rng), frames=[frames]), untrained_model)
    assert result.tracks.status.tolist() == ["too_sparse"]
    huge_gap = prepare_track(1, np.r_[np.arange(10), 10**12], np.arange(11.0), np.zeros(11))
    assert huge_gap.status == "too_sparse" and len(huge_gap.frames) == 11  # nothing allocated per frame
    table = table_of(random_walk(1500, rng))
    with pytest.raises(ResandiError, match="batch size"):
        classify_tracks(table, untrained_model, batch_size=0)
    with pytest.raises(ResandiError, match="window stride"):
        classify_tracks(table, untrained_model, window_stride=1001)
    with pytest.raises(ResandiError, match="no track_id"):
        classify_tracks(table.assign(track_id=np.nan), untrained_model)


def test_target_class_relu_and_bad_target(untrained_model, rng):
    table = table_of(random_walk(300, rng))
    signed = classify_tracks(table, untrained_model, target_class="SubFBM")
    relu = classify_tracks(table, untrained_model, target_class=2, relu=True)
    assert signed.target == relu.target == "SubFBM"
    np.testing.assert_allclose(relu.gradcam.score, np.maximum(signed.gradcam.score, 0), rtol=1e-6)
    with pytest.raises(ResandiError, match="unknown target class"):
        classify_tracks(table, untrained_model, target_class="Levy")


def test_unavailable_device_is_a_clear_error(untrained_model, rng):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError, match="no CUDA device"):
        classify_tracks(table_of(random_walk(30, rng)), untrained_model, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(untrained_model, rng):
    table = table_of(*[random_walk(n, rng) for n in (50, 1000, 1700)])
    cpu = classify_tracks(table, untrained_model, device="cpu")
    gpu = classify_tracks(table, untrained_model, device="cuda")
    np.testing.assert_allclose(gpu.tracks[PROB_COLUMNS], cpu.tracks[PROB_COLUMNS], rtol=1e-3, atol=1e-4)
