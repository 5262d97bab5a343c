"""Writing a whole report: figures, HTML and PDF, as one atomic group, with progress.

Everything is written to temporary files first and renamed into place together
only when all are complete (:func:`resandi_core.atomic.atomic_writes`), so an
interrupted, cancelled or failed report leaves the previous report.html,
report.pdf and figures exactly as they were.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_writes
from ..errors import OutputError, ResandiError
from ..progress import Progress, run_job
from ..study import layout
from .catalogue import FIGURE_PREFIXES, FIGURE_SUFFIXES, plan_figures, save_figure
from .html import render_html
from .load import load_run
from .pdf import iter_write_pdf

HTML_FILE = "report.html"
PDF_FILE = "report.pdf"
FIGURES_FOLDER = "figures"
STAGE = "report"


@dataclass(frozen=True)
class ReportPaths:
    """Where a report was written.

    Attributes
    ----------
    html : Path
        The self-contained HTML report.
    pdf : Path
        The A4 PDF report.
    figures : Path
        The folder of figures: ``<name>.png`` (150 dpi), ``<name>.svg`` and ``<name>.csv`` (the numbers drawn).
    """

    html: Path
    pdf: Path
    figures: Path


def _remove_old_figures(folder: Path, keep: set[Path]) -> None:
    """Delete figure files of an earlier report that this one did not write (a renamed condition's)."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if (entry.suffix in FIGURE_SUFFIXES and entry.name.startswith(FIGURE_PREFIXES) and entry not in keep
                    and entry.is_file()):
                with contextlib.suppress(OSError):
                    entry.unlink()


def iter_write_report(run_dir: str | os.PathLike,
                      out_dir: str | os.PathLike | None = None) -> Generator[Progress, None, ReportPaths]:
    """Write the report of a batch run folder; yields ``Progress(done, total, "report")`` (figures drawn).

    Parameters
    ----------
    run_dir : path
        A folder written by ``resandi batch``.
    out_dir : path, optional
        Where to write; default ``run_dir / "report"``.

    Returns
    -------
    ReportPaths
        As the generator's value (see :func:`resandi_core.progress.run_job`).

    Raises
    ------
    ResandiError
        The run folder, results.csv or summary.csv is missing or unreadable (``where``: the path).
    OutputError
        The report cannot be written to ``out_dir`` (the previous report, if any, is untouched).
    """
    data = load_run(run_dir)
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / layout.REPORT_FOLDER
    figures = out / FIGURES_FOLDER
    specs = plan_figures(data)
    total = 2 * len(specs) + 1  # each figure drawn for the files and for the PDF, then the HTML
    yield Progress(0, total, STAGE)
    finals = [out / HTML_FILE, out / PDF_FILE]
    finals += [figures / f"{spec.name}{suffix}" for spec in specs for suffix in (".png", ".svg", ".csv")]
    try:
        with atomic_writes(finals) as temps:
            pngs: dict[str, bytes] = {}
            done = 0
            for k, spec in enumerate(specs):
                png, svg, csv = temps[2 + 3 * k: 5 + 3 * k]
                figure, table = spec.draw(None)
                save_figure(figure, table, png, svg, csv)
                del figure  # free it now: a 10,000-track run's figures are not small
                pngs[spec.name] = png.read_bytes()
                done += 1
                yield Progress(done, total, STAGE)
            temps[0].write_text(render_html(data, specs, pngs), encoding="utf-8")
            done += 1
            yield Progress(done, total, STAGE)
            for drawn in iter_write_pdf(temps[1], data, specs):
                done += drawn
                yield Progress(done, total, STAGE)
    except ResandiError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write the report: {exc.strerror or exc}", where=str(out),
                          hint="check that the folder is writable and the disk not full, or choose another "
                               "output folder") from exc
    _remove_old_figures(figures, set(finals))
    return ReportPaths(html=out / HTML_FILE, pdf=out / PDF_FILE, figures=figures)


def write_report(run_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> ReportPaths:
    """Write the report of a batch run folder (see :func:`iter_write_report`) and return where."""
    return run_job(iter_write_report(run_dir, out_dir))
