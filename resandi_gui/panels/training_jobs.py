"""The training tab's jobs, as generators for :class:`~resandi_gui.workers.JobRunner`.

Each function returns a generator; nothing heavy (torch, pandas, andi-datasets)
is imported until the runner's worker thread first advances it, so the UI
thread never pays for those imports. No Qt here: these are the same calls the
CLI makes (``resandi_core/cli_train.py``), so a run started from the GUI and one
from the CLI with the same settings give the same files.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resandi_core.progress import format_duration

if TYPE_CHECKING:
    from resandi_core.training.config import TrainConfig
    from resandi_core.training.evaluate import Evaluation


class FolderProblem(Exception):
    """A folder field does not hold what the action needs; the message says what to do."""


def dataset_size(folder: Path | None, role: str) -> int:
    """Trajectories in a generated data set, read from its manifest (cheap: no shard is opened).

    Raises
    ------
    FolderProblem
        No folder, no manifest or an unfinished generation.
    """
    if folder is None:
        raise FolderProblem(f"choose the {role} folder first (Generate writes one)")
    path = folder / "manifest.json"
    if not path.is_file():
        raise FolderProblem(f"{folder} is not a generated data set (no manifest.json); Generate one first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FolderProblem(f"cannot read {path}: {exc}") from None
    if not manifest.get("complete"):
        raise FolderProblem(f"the generation in {folder} is unfinished; Generate with the same settings resumes it")
    return int(manifest["n_trajectories"])


@dataclass(frozen=True)
class RateMeasurement:
    """Training throughput measured on this computer.

    Attributes
    ----------
    rate : float
        Samples (trajectories) per second.
    device_type : str
        ``cpu``, ``cuda`` or ``mps``.
    device_text : str
        The device as the user should read it, e.g. ``CPU`` or ``cuda (NVIDIA H100)``.
    """

    rate: float
    device_type: str
    device_text: str


def measure_job(config: TrainConfig, steps: int) -> Generator[Any, None, RateMeasurement]:
    """Time ``steps`` optimiser steps with ``config`` (after one warm-up step)."""
    from resandi_core.devices import resolve_device
    from resandi_core.progress import Progress
    from resandi_core.training.estimate import measure_training_rate

    device, reason = resolve_device(config.device)
    yield Progress(0, 1, "measure speed")
    rate = measure_training_rate(config, device=config.device, steps=steps)
    return RateMeasurement(rate, device.type, "CPU" if device.type == "cpu" else reason)


def long_run_message(estimate_s: float, measured: RateMeasurement, config: TrainConfig, n_items: int) -> str:
    """The text of the "this will take long" question; says only what was measured."""
    steps = config.steps_per_epoch or max(1, n_items // config.batch_size)
    epochs_text = f"at most {config.max_epochs:,} epochs × {steps:,} steps of {config.batch_size}"
    if config.max_minutes is not None:
        epochs_text += f", time limit {config.max_minutes:g} min"
    where = (
        "GPU times are not measured here; the same settings can be run on a computer with a CUDA GPU "
        "(device auto or cuda), which measures its own speed before it starts."
        if measured.device_type == "cpu"
        else "This was measured on this computer's GPU."
    )
    duration = format_duration(estimate_s).replace(" ", "\u00a0")  # keep "9 h 20 min" on one line
    return (
        f"Training with these settings would take about {duration} on this computer "
        f"({measured.device_text}, {measured.rate:,.0f} samples/s measured just now; {epochs_text}).\n\n"
        "Early stopping may end it sooner; the validation after each epoch adds a little. "
        f"{where}\n\n"
        "To shorten it: set a time limit, fewer epochs or steps per epoch, or fine-tune from the bundled model. "
        "A cancelled run keeps a checkpoint that Resume continues.\n\nStart training?"
    )


def evaluation_folder(model_dir: Path, workspace: Path) -> tuple[Path, bool]:
    """Where an evaluation's files go, and whether the model card gets the test section.

    Into the model's ``evaluation/`` with the card updated, as ``resandi train
    --test-data`` does; a bundled model's folder is part of the installation and
    is left alone (its evaluation goes to ``workspace/evaluations/<name>``).
    """
    from resandi_core.paths import bundled_models_dir

    bundled = bundled_models_dir().resolve()
    if model_dir.resolve().is_relative_to(bundled):
        return workspace / "evaluations" / model_dir.name, False
    return model_dir / "evaluation", True


def evaluate_job(
    model_dir: Path, data_dir: Path, device: str, out_dir: Path, card: bool
) -> Generator[Any, None, Evaluation]:
    """Evaluate a model folder on a data set; write the tables (and the card section) like the CLI."""
    from resandi_core.training.evaluate import iter_evaluate_into

    command = f"resandi evaluate --model {model_dir} --data {data_dir} --out {out_dir} --card (desktop app)"
    return (yield from iter_evaluate_into(model_dir, data_dir, out_dir, device=device,
                                          card_command=command if card else None))

