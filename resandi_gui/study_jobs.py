"""The jobs behind File ▸ Batch Classify Folders and File ▸ Export Report. Qt-free.

Both write the folder ``resandi batch`` writes (results.csv with file and
condition, summary.csv, errors.csv, run.json, ...) and then, if asked, its
HTML/PDF report, as ONE generator of progress events, so the window's
:class:`~resandi_gui.workers.JobRunner` shows one progress bar with one Cancel
for the whole run. A report that cannot be written does not undo the tables:
the outcome says why in words, next to what was written.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from resandi_core import __version__
from resandi_core.errors import ResandiError, describe_failure
from resandi_core.progress import Progress
from resandi_core.study.conditions import StudyFile
from resandi_core.study.run import BatchOptions

if TYPE_CHECKING:
    from resandi_core.report import ReportPaths
    from resandi_core.study.run import BatchResult

log = logging.getLogger(__name__)

#: What a failed stage of errors.csv means, in words.
STAGE_WORDS = {"read": "could not be read", "link": "could not be linked", "classify": "could not be classified"}
PHASE_BATCH, PHASE_WRITE, PHASE_REPORT = "classifying", "writing the tables", "writing the report"


@dataclass
class JobState:
    """Where a running job is; read by the window after a cancel, to say what was kept."""

    phase: str = PHASE_BATCH


@dataclass
class StudyOutcome:
    """What a batch or a report export wrote.

    Attributes
    ----------
    out_dir : Path
    written : list of Path
        The tables written (results.csv, summary.csv, ...).
    result : BatchResult or None
        The batch's counts and errors (None for a report of the open files).
    report : ReportPaths or None
        Where the report is; None when not asked for or not written.
    report_problem : str
        Why the report was not written, in words ("" when it was, or was not asked for).
    """

    out_dir: Path
    written: list[Path] = field(default_factory=list)
    result: BatchResult | None = None
    report: ReportPaths | None = None
    report_problem: str = ""


def batch_options(linking: dict[str, Any], device: str, force: bool,
                  calibration: tuple[float | None, float | None] | None = None, command: str = "") -> BatchOptions:
    """The :class:`BatchOptions` of a batch started from the app.

    Parameters
    ----------
    linking : dict
        The app's linking settings (``Settings.linking``), used for movies.
    device : str
        ``auto``, ``cpu``, ``cuda`` or ``mps``.
    force : bool
        Classify files again even when finished with the same options.
    calibration : (pixel size µm/px, frame interval s) or None
        Given: every file gets this calibration (it wins over what files say, as
        ``--pixel-size-um`` does); None of either keeps what the files say.
    command : str
        How the run was started, for run.json.
    """
    read: dict[str, Any] = {}
    link: dict[str, Any] = {}
    if calibration is not None:
        pixel_size_um, frame_interval_s = calibration
        for options in (read, link):
            if pixel_size_um:
                options["pixel_size_um"] = float(pixel_size_um)
            if frame_interval_s:
                options["frame_interval_s"] = float(frame_interval_s)
    return BatchOptions(read_options=read, linking=dict(linking), link_options=link,
                        classify_options={"device": device}, force=force, command=command)


def describe_command(folders: Sequence[Path], out_dir: Path, depth: int, condition_map: Path | None,
                     model: str, device: str, force: bool) -> str:
    """run.json's ``command`` for a batch from the app: what was chosen, in the CLI's words."""
    conditions = f"--condition-map {condition_map}" if condition_map else f"--condition-depth {depth}"
    return (f"resandi-gui {__version__} (File > Batch Classify Folders): "
            + " ".join(str(f) for f in folders)
            + f" --out {out_dir} {conditions} --model {model or '(default)'} --device {device}"
            + (" --force" if force else ""))


def write_report_step(run_dir: Path, state: JobState) -> Generator[Progress, None, tuple[Any, str]]:
    """Write ``run_dir``'s report; (ReportPaths, "") or (None, why not) — it never raises a report error.

    The tables are already written when this runs: a report that fails must not
    turn a finished batch into a failed job.
    """
    from resandi_core.report import iter_write_report

    state.phase = PHASE_REPORT
    try:
        paths = yield from iter_write_report(run_dir)
    except ResandiError as exc:
        return None, f"{exc.message}" + (f" ({exc.hint})" if exc.hint else "")
    except Exception as exc:  # noqa: BLE001 - the tables stand; the report's failure is said, with the log
        failure = describe_failure(exc)
        log.error("the report of %s failed:\n%s", run_dir, failure.details)
        return None, f"{failure.message} (this is a bug in ResAnDi: please report it with the log file)"
    return paths, ""


def batch_job(files: Sequence[StudyFile], model_name: str, out_dir: Path, options: BatchOptions,
              write_report: bool, state: JobState | None = None) -> Generator[Progress, None, StudyOutcome]:
    """Load the model, classify every file into ``out_dir`` (resuming), then write the report if asked.

    Parameters
    ----------
    files : sequence of StudyFile
    model_name : str
        Name or folder of the model ("" for the bundled default).
    out_dir : Path
    options : BatchOptions
        From :func:`batch_options`.
    write_report : bool
    state : JobState, optional
        Updated with the phase, for a cancel message.

    Returns
    -------
    StudyOutcome
    """
    from resandi_core.linking.params import LinkingParams
    from resandi_core.model.registry import load_model
    from resandi_core.study.run import iter_batch

    state = state or JobState()
    yield Progress(0, 0, "load model")
    model = load_model(model_name or None)
    # Every linking parameter, defaults included: run.json must say how movies were linked.
    options.linking = LinkingParams.from_dict(options.linking).to_dict()
    state.phase = PHASE_BATCH
    result = yield from iter_batch(files, model, out_dir, options)
    outcome = StudyOutcome(Path(out_dir), list(result.written), result)
    if write_report:
        if result.n_classified + result.n_reused == 0:
            outcome.report_problem = "no file could be classified, so there is nothing to report"
        else:
            outcome.report, outcome.report_problem = yield from write_report_step(Path(out_dir), state)
    return outcome


def session_report_job(classified: Sequence[tuple[StudyFile, Any, Any]], model: Any, options: BatchOptions,
                       out_dir: Path, link_summaries: dict[str, str] | None = None,
                       state: JobState | None = None) -> Generator[Progress, None, StudyOutcome]:
    """Write the open files' results as a batch folder, then its report.

    Parameters
    ----------
    classified : sequence of (StudyFile, Tracks, ClassificationResult)
    model : LoadedModel
        The model that classified them.
    options : BatchOptions
        How they were classified (for run.json).
    out_dir : Path
    link_summaries : dict, optional
        Path -> linking summary, for movies.
    """
    from resandi_core.study.run import write_classified

    state = state or JobState()
    state.phase = PHASE_WRITE
    yield Progress(0, 1, "write tables")
    written = write_classified(out_dir, classified, model, options, link_summaries=link_summaries)
    yield Progress(1, 1, "write tables")
    outcome = StudyOutcome(Path(out_dir), written)
    outcome.report, outcome.report_problem = yield from write_report_step(Path(out_dir), state)
    return outcome


def plain_errors(errors: pd.DataFrame) -> list[str]:
    """errors.csv's rows as sentences: ``"broken.csv (drug) could not be read: <reason>. <what to do>."``."""
    lines = []
    for row in errors.itertuples(index=False):
        what = STAGE_WORDS.get(str(row.stage), f"failed ({row.stage})")
        reason = str(row.reason).rstrip(".")
        hint = str(row.what_to_do).strip()
        hint = hint[:1].upper() + hint[1:] if hint else ""
        lines.append(f"{Path(str(row.file)).name} ({row.condition}) {what}: {reason}."
                     + (f" {hint.rstrip('.')}." if hint else ""))
    return lines
