"""The one progress driver of the command line: a tqdm bar per stage of a job, on stderr.

Every long job is a generator of :class:`~resandi_core.progress.Progress` events
(classify, link, generate, train, evaluate, experiments); :func:`run_with_bar`
drives any of them. A new bar opens when the stage changes, except for
one-step stages (filter, drift) that only note themselves on the current bar;
a batch's events add an overall bar (files, with its ETA); extra fields of an event show beside the bar (features found while linking;
loss and accuracy while training), and each finished training epoch prints a line.
The first bar opens with the first event, so a file that cannot be opened gives
its error line alone.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any, TypeVar

from ..progress import Progress, run_job, stage_unit

T = TypeVar("T")

#: Stages of one step that note themselves on the bar of the stage before.
NOTE_STAGES = ("filter", "drift")


def _unit(event: Progress) -> str:
    """tqdm's unit: ``"frame"``, ``"window"``, ``"trajectory"``, ... (``"it"`` when unknown)."""
    plural = stage_unit(event)
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    return plural.removesuffix("s") or "it"


def run_with_bar(job: Generator[Progress, None, T], label: str = "", quiet: bool = False) -> T:
    """Drive ``job`` to its end with tqdm bars on stderr; return its result.

    Parameters
    ----------
    job : generator of Progress
    label : str
        What the job works on (a file name); bars read ``"<label> <stage>"``.
    quiet : bool
        No bars and no epoch lines.
    """
    from tqdm import tqdm

    state: dict[str, Any] = {"bar": None, "stage": None, "overall": None}

    def show_overall(event: Progress) -> None:
        # A batch's events also say where the whole batch stands: one more bar, with its own ETA.
        if state["overall"] is None:
            state["overall"] = tqdm(desc="all files", total=event.n_files, unit="file", file=sys.stderr,
                                    disable=quiet, dynamic_ncols=True, position=0,
                                    bar_format="{l_bar}{bar}| {n:.1f}/{total_fmt} [{elapsed}<{remaining}]")
        overall = state["overall"]
        overall.update(max(event.overall - overall.n, 0))  # a file's next stage starts at 0: never go back

    def open_bar(event: Progress) -> Any:
        if state["bar"] is not None:
            state["bar"].close()
        description = f"{label} {event.stage}".strip() if label and label not in event.stage else event.stage
        state["bar"] = tqdm(desc=description, unit=_unit(event), file=sys.stderr,
                            disable=quiet, dynamic_ncols=True)
        state["stage"] = event.stage
        return state["bar"]

    def show(event: Progress) -> None:
        if hasattr(event, "overall"):
            show_overall(event)
        bar = state["bar"]
        if event.stage != state["stage"]:
            if bar is not None and event.stage.split()[-1] in NOTE_STAGES:
                note = f"{event.n_features} features, " if hasattr(event, "n_features") else ""
                bar.set_postfix_str(note + event.stage.split()[-1], refresh=True)
                return
            bar = open_bar(event)
        bar.total = event.total
        bar.update(event.done - bar.n)
        if hasattr(event, "n_features"):
            bar.set_postfix_str(f"{event.n_features} features", refresh=False)
        kind = getattr(event, "event", None)
        if kind == "step":
            bar.set_postfix(epoch=event.epoch, loss=f"{event.loss:.3f}", acc=f"{event.accuracy:.3f}", refresh=False)
        elif kind == "epoch" and not quiet:
            bar.write(f"epoch {event.epoch}: train loss {event.loss:.4f} acc {event.accuracy:.2%}, "
                      f"validation loss {event.val_loss:.4f} acc {event.val_accuracy:.2%}")

    try:
        return run_job(job, show)
    finally:
        for name in ("bar", "overall"):
            if state[name] is not None:
                state[name].close()
