"""Opening, calibrating and classifying files in the app: what the main window asks for. Qt-free.

The loop itself is the core's (:mod:`resandi_core.batch`), the same that
``resandi classify`` runs, so the app and the command line agree; this module
only turns what the user set on screen into its requests.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from resandi_core.batch import FileOutcome, FileRequest
from resandi_core.progress import Progress
from resandi_core.tracks import Tracks


def missing_calibration(outcomes: Sequence[FileOutcome]) -> tuple[list[Tracks], list[Tracks]]:
    """The opened track tables without a pixel size (positions in px) and those without a frame interval."""
    tables = [o.tracks for o in outcomes if o.tracks is not None]
    need_px = [t for t in tables if t.position_unit == "px" and t.pixel_size_um is None]
    need_dt = [t for t in tables if t.frame_interval_s is None]
    return need_px, need_dt


def apply_calibration(need_px: Sequence[Tracks], need_dt: Sequence[Tracks],
                      pixel_size_um: float | None, frame_interval_s: float | None) -> None:
    """Set the answers of the calibration dialog (µm per pixel, s per frame) on the tables that lack them."""
    for tracks in need_px:
        tracks.pixel_size_um = pixel_size_um
    for tracks in need_dt:
        tracks.frame_interval_s = frame_interval_s


def request_from_panel(path: Path, link_request: dict) -> FileRequest:
    """Link and classify a movie exactly as its linking panel shows it (``DataPanel.link_request()``)."""
    return FileRequest(path, linking=link_request["params"].to_dict(), frames=link_request["frames"],
                       pixel_size_um=link_request["pixel_size_um"], frame_interval_s=link_request["frame_interval_s"],
                       channel=link_request["channel"], z=link_request["z"], first_plane_by_default=True)


def request_for_movie(path: Path, linking: dict, shown_frames: tuple[int, int] | None) -> FileRequest:
    """Link and classify a movie that is not on screen as its panel would show it.

    Parameters
    ----------
    path : Path
    linking : dict
        The defaults under the movie's own edits; ``pixel_size_um`` (µm) and
        ``frame_interval_s`` (s) there when the user typed them (else the movie's own).
    shown_frames : (first, last) or None
        The frame range last shown for it, both inclusive; None for all frames.
    """
    frames = (shown_frames[0], shown_frames[1] + 1) if shown_frames else None
    return FileRequest(path, linking=linking, frames=frames, pixel_size_um=linking.get("pixel_size_um"),
                       frame_interval_s=linking.get("frame_interval_s"), first_plane_by_default=True)


def classify_job(
    requests: Sequence[FileRequest], model_name: str | None, device: str = "auto"
) -> Generator[Progress, None, tuple[Any, list[FileOutcome]]]:
    """Load the model, then link the movies that need it and classify every file.

    Parameters
    ----------
    requests : sequence of FileRequest
    model_name : str or None
        Name or folder of the model; None or "" for the bundled default.
    device : str
        ``auto``, ``cpu``, ``cuda`` or ``mps``.

    Grad-CAM is stored signed, as ``resandi classify`` writes it by default; the
    views clip it for display only, so an export never mixes the two.

    Returns
    -------
    (LoadedModel, list of FileOutcome)
        The model (kept with each file) and one outcome per request, in order.
    """
    from resandi_core.batch import iter_classify_files
    from resandi_core.model.registry import load_model

    yield Progress(0, 0, "load model")
    model = load_model(model_name or None)
    outcomes = yield from iter_classify_files(requests, model, device=device)
    return model, outcomes
