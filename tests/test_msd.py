"""MSD per track and over the ensemble, and the power-law fit: against trackpy and known walks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resandi_core.msd import emsd, fit_msd, imsd, msd_units
from resandi_core.tracks import Tracks


def brownian(n_tracks: int, length: int, d_px2_per_frame: float, seed: int) -> pd.DataFrame:
    """2-D Brownian tracks: steps N(0, 2 D) per axis, so MSD = 4 D t."""
    rng = np.random.default_rng(seed)
    xy = np.cumsum(rng.normal(0, np.sqrt(2 * d_px2_per_frame), size=(n_tracks, length, 2)), axis=1)
    return pd.DataFrame(
        {
            "track_id": np.repeat(np.arange(n_tracks), length),
            "frame": np.tile(np.arange(length), n_tracks),
            "x": xy[..., 0].ravel() + 50,
            "y": xy[..., 1].ravel() + 50,
        }
    )


def with_gaps(table: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return table[rng.random(len(table)) >= fraction].reset_index(drop=True)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # trackpy's own pandas calls
def test_imsd_equals_trackpy_with_gaps_and_units():
    import trackpy

    table = with_gaps(brownian(25, 120, 0.7, seed=1), 0.15, seed=2)
    shuffled = table.sample(frac=1, random_state=0)  # our row order must not matter (trackpy's must be sorted)
    tracks = Tracks(table=shuffled, source="walks", pixel_size_um=0.16, frame_interval_s=0.05)
    ours = imsd(tracks, max_lag=40)
    expected = trackpy.imsd(table.rename(columns={"track_id": "particle"}), 0.16, 1 / 0.05, max_lagtime=40)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours.index, expected.index)
    np.testing.assert_allclose(ours.to_numpy(), expected.to_numpy(), rtol=1e-12, equal_nan=True)
    assert ours.attrs["msd_unit"] == "µm^2" and ours.attrs["time_unit"] == "s"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_emsd_pools_pairs_and_equals_trackpy_for_equal_tracks():
    import trackpy

    table = brownian(30, 80, 0.5, seed=3)
    ours = emsd(table, max_lag=20)
    expected = trackpy.emsd(table.rename(columns={"track_id": "particle"}), 1, 1, max_lagtime=20)
    np.testing.assert_allclose(ours["msd"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert (ours["n_pairs"] == 30 * (80 - ours["lag_frames"])).all()
    # With gaps: the pooled mean of all pairs, computed by hand at lag 3.
    gappy = with_gaps(table, 0.2, seed=4)
    pooled = emsd(gappy, max_lag=5)
    squares = []
    for _, track in gappy.groupby("track_id"):
        positions = track.set_index("frame")[["x", "y"]]
        later = positions.reindex(positions.index + 3).to_numpy()
        squares.append(((later - positions.to_numpy()) ** 2).sum(axis=1))
    squares = np.concatenate(squares)
    assert pooled["msd"].iloc[2] == pytest.approx(np.nanmean(squares), rel=1e-12)
    assert pooled["n_pairs"].iloc[2] == np.isfinite(squares).sum()


def test_brownian_walks_give_alpha_one_and_their_d():
    d_um2_s = 0.25
    pixel_size_um, frame_interval_s = 0.2, 0.04
    d_px2_frame = d_um2_s * frame_interval_s / pixel_size_um**2
    table = brownian(400, 200, d_px2_frame, seed=5)
    tracks = Tracks(table=table, source="walks", pixel_size_um=pixel_size_um, frame_interval_s=frame_interval_s)
    fits = fit_msd(tracks)
    assert fits.index.name == "track_id" and len(fits) == 400
    assert list(fits.columns) == ["alpha_msd", "D_msd", "msd_r2", "msd_n_lags", "D_msd_unit"]
    assert (fits.msd_n_lags == 10).all()
    assert fits.alpha_msd.median() == pytest.approx(1.0, abs=0.03)
    assert fits.D_msd.median() == pytest.approx(d_um2_s, rel=0.05)
    assert fits.msd_r2.median() > 0.95
    assert (fits.D_msd_unit == "µm^2/s^alpha").all() and fits.attrs["D_msd_unit"] == "µm^2/s^alpha"


def test_ballistic_and_uncalibrated():
    """x = v t: MSD = v² t², so alpha = 2 and D = v²/4 exactly; units stay px and frames."""
    t = np.arange(60)
    table = pd.DataFrame({"track_id": "a", "frame": t, "x": 1.5 * t, "y": 2.0 * t})
    fits = fit_msd(table)
    assert fits.loc["a", "alpha_msd"] == pytest.approx(2.0)
    assert fits.loc["a", "D_msd"] == pytest.approx((1.5**2 + 2.0**2) / 4)
    assert fits.loc["a", "msd_r2"] == pytest.approx(1.0)
    assert fits.loc["a", "D_msd_unit"] == "px^2/frame^alpha"


def test_lags_follow_frames_not_rows():
    """A track seen every other frame has pairs at even lags only; odd lags are skipped."""
    t = np.arange(0, 80, 2)
    table = pd.DataFrame({"track_id": 1, "frame": t, "x": 0.5 * t, "y": 0.0})
    curve = imsd(table, max_lag=6)
    assert curve[1].isna().tolist() == [True, False, True, False, True, False]
    np.testing.assert_allclose(curve[1].dropna().to_numpy(), (0.5 * np.array([2, 4, 6])) ** 2)
    fits = fit_msd(table)  # 40 points: lags 1..10, of which 2, 4, ..., 10 have pairs
    assert fits.loc[1, "msd_n_lags"] == 5 and fits.loc[1, "alpha_msd"] == pytest.approx(2.0)


def test_tracks_that_cannot_be_fitted():
    rng = np.random.default_rng(6)
    rows = [
        pd.DataFrame({"track_id": "short", "frame": np.arange(11), "x": rng.normal(size=11), "y": 0.0}),
        pd.DataFrame({"track_id": "still", "frame": np.arange(40), "x": 3.0, "y": 4.0}),
        pd.DataFrame({"track_id": "twice", "frame": np.r_[np.arange(40), 5], "x": rng.normal(size=41), "y": 0.0}),
        pd.DataFrame({"track_id": "ok", "frame": np.arange(40), "x": rng.normal(size=40).cumsum(), "y": np.nan}),
        pd.DataFrame({"track_id": "ok2", "frame": np.arange(40), "x": rng.normal(size=40).cumsum(), "y": 1.0}),
    ]
    fits = fit_msd(pd.concat(rows, ignore_index=True))
    assert fits.loc["short", "msd_n_lags"] == 2 and np.isnan(fits.loc["short", "alpha_msd"])
    assert fits.loc["still", "msd_n_lags"] == 0 and np.isnan(fits.loc["still", "D_msd"])
    assert fits.loc["twice", "msd_n_lags"] == 0 and np.isnan(fits.loc["twice", "alpha_msd"])
    assert fits.loc["ok", "msd_n_lags"] == 0  # every y is NaN: no usable position
    assert fits.loc["ok2", "msd_n_lags"] == 10 and np.isfinite(fits.loc["ok2", "alpha_msd"])


def test_units():
    table = brownian(2, 20, 1.0, seed=0)
    assert msd_units(table).diffusion == "px^2/frame^alpha"
    assert msd_units(table, pixel_size_um=0.1).diffusion == "µm^2/frame^alpha"
    assert msd_units(Tracks(table=table, source="x", frame_interval_s=0.1)).diffusion == "px^2/s^alpha"
    in_um = Tracks(table=table, source="x", position_unit="µm", pixel_size_um=0.1)
    assert msd_units(in_um).length_scale == 1.0
    # Scaling: D in µm²/s from px and frames.
    px = fit_msd(table)
    um = fit_msd(table, pixel_size_um=0.1, frame_interval_s=0.5)
    alpha = px.alpha_msd
    np.testing.assert_allclose(um.D_msd, px.D_msd * 0.1**2 / 0.5**alpha)
    np.testing.assert_allclose(um.alpha_msd, alpha)
