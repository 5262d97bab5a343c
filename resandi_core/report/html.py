"""The report as one self-contained HTML file: figures embedded as PNG, no external CSS or JavaScript.

The template (``templates/report.html.j2``, package data) is rendered by jinja2
with autoescaping on, so a file or condition name holding ``<`` or ``&`` shows
as written and cannot break the page. The file opens offline and can be mailed
as it is; the SVG and CSV files next to it are linked, not needed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import jinja2

from . import tables, text
from .catalogue import FigureSpec
from .load import RunData, nested
from .style import unique_slugs

TEMPLATE = "report.html.j2"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("resandi_core.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _figure(spec: FigureSpec, png: bytes) -> dict[str, str]:
    return {"name": spec.name, "title": spec.title, "caption": spec.caption,
            "png": base64.b64encode(png).decode("ascii")}


def _warnings(data: RunData) -> list[str]:
    warnings = []
    if nested(data.run, "model", "trained") is False:
        warnings.append("This run used an untrained model (random weights): its classes mean nothing.")
    if data.run_note:
        warnings.append(data.run_note + ".")
    if data.classified().empty:
        warnings.append("No track of this run was classified: see the track lengths of each condition and "
                        "results.csv's message column for why.")
    return warnings


def render_html(data: RunData, specs: list[FigureSpec], pngs: Mapping[str, bytes]) -> str:
    """The report's HTML text.

    Parameters
    ----------
    data : RunData
    specs : list of FigureSpec
        The figures, in report order (see :func:`~.catalogue.plan_figures`).
    pngs : mapping
        Figure name -> its PNG bytes.
    """
    anchors = unique_slugs(data.conditions)
    conditions = []
    for condition in data.conditions:
        row = data.condition_summary(condition)
        note = "" if row is not None else "summary.csv has no row for this condition."
        conditions.append({"name": condition, "anchor": f"condition-{anchors[condition]}", "note": note,
                           "figures": [_figure(s, pngs[s.name]) for s in specs if s.condition == condition]})
    context = {
        "software": text.report_software(),
        "run_name": data.run_dir.resolve().name,
        "run_dir": str(data.run_dir),
        "created": text.recorded(data.run, "created"),
        "report_date": text.now(),
        "n_tracks": f"{len(data.results):,}",
        "warnings": _warnings(data),
        "methods": text.methods_paragraphs(data),
        "command": text.command(data),
        "details": text.run_details(data),
        "trust": text.trust_paragraphs(data),
        "counts": tables.counts_table(data),
        "fractions": tables.fractions_table(data, data.conditions),
        "fractions_confident": tables.fractions_table(data, data.conditions, confident=True),
        "files": tables.files_table(data),
        "errors": tables.errors_table(data),
        "conditions": conditions,
        "comparison": [_figure(s, pngs[s.name]) for s in specs if s.section == "comparison"],
        "gallery": [_figure(s, pngs[s.name]) for s in specs if s.section == "gallery"],
    }
    return _environment().get_template(TEMPLATE).render(**context)
