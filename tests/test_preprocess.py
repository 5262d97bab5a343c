import numpy as np
import pytest

from resandi_core.model.preprocess import andi_normalise, pad_and_scale, preprocess, window_starts


def test_andi_normalise_by_hand():
    positions = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 2.0]])
    # x increments 1, 2 (std 0.5) -> 2, 4; y increments 2, 0 (std 1) -> 2, 0
    np.testing.assert_allclose(andi_normalise(positions), [[0, 0], [2, 2], [6, 2]])


def test_andi_normalise_is_unit_and_translation_free():
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=(200, 2)), axis=0)
    ref = andi_normalise(walk)
    np.testing.assert_allclose(andi_normalise(walk * 0.35 + 17.0), ref, atol=1e-9)
    assert np.all(ref[0] == 0)
    np.testing.assert_allclose(np.diff(ref, axis=0).std(axis=0), 1.0)


def test_coordinate_that_never_moves_stays_zero():
    positions = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    out = andi_normalise(positions)
    assert np.all(out[:, 1] == 0)


def test_pad_and_scale_left_pads_and_scales_over_the_padding():
    out = pad_and_scale(np.array([[0.0, 0.0], [2.0, 2.0], [6.0, 2.0]]))
    assert out.shape == (2, 1000) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, -3:], [0, 1 / 3, 1], rtol=1e-6)
    np.testing.assert_allclose(out[1, -3:], [0, 1, 1])
    assert np.all(out[:, :-3] == 0)


def test_negative_excursion_lifts_the_padding():
    # min-max runs over the padded 1000 points, so padding is 0 only if the walk never goes below 0
    out = pad_and_scale(np.array([[0.0, 0.0], [-1.0, 1.0], [1.0, 2.0]]))
    np.testing.assert_allclose(out[0, :997], 0.5)
    assert out.min() == 0 and out.max() == 1


def test_preprocess_rejects_too_long():
    with pytest.raises(ValueError):
        preprocess(np.zeros((1001, 2)))


@pytest.mark.parametrize("n_points", [10, 999, 1000, 1001, 1500, 2100, 3000, 12345])
def test_windows_cover_every_point(n_points):
    starts = window_starts(n_points)
    covered = np.zeros(n_points, dtype=int)
    for s in starts:
        covered[s : s + 1000] += 1
    assert covered.min() >= 1
    assert starts[0] == 0 and min(n_points, starts[-1] + 1000) == n_points
    assert all(b - a <= 500 for a, b in zip(starts, starts[1:]))


def test_window_stride_option():
    assert window_starts(2000, stride=1000) == [0, 1000]
    assert window_starts(2000, stride=250) == [0, 250, 500, 750, 1000]


def test_overflowing_steps_are_non_finite_not_motionless():
    from resandi_core.model.preprocess import TrackStatus, prepare_track

    n = 40
    x = np.where(np.arange(n) % 2 == 0, 1e308, -1e308)  # every position finite, every step infinite
    track = prepare_track(1, np.arange(n), x, np.zeros(n))
    assert track.status is TrackStatus.NON_FINITE and "overflows" in track.message
    huge = prepare_track(2, np.arange(n), np.linspace(0, 1e200, n), np.zeros(n))  # steps whose squares overflow
    assert huge.status is TrackStatus.NON_FINITE
    fine = prepare_track(3, np.arange(n), np.linspace(0, 1e100, n) + np.arange(n) % 3, np.zeros(n))
    assert fine.status is TrackStatus.OK
