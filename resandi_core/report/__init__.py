"""The report of a batch run: figures, one self-contained HTML file and an A4 PDF.

``resandi batch ... --out RUN`` writes tables (:mod:`resandi_core.study.layout`);
:func:`write_report` turns them into ``RUN/report/``: ``report.html`` (opens
offline, figures embedded), ``report.pdf`` (A4) and ``figures/`` (every figure
as PNG, SVG and the CSV of the numbers it draws). The report says how the run
was made (methods, enough to reproduce it), what it found per condition and
across conditions, shows the most and least confident tracks with their
Grad-CAM scores, lists the files that failed, and says how far to trust it.

Modules: ``load`` (the run folder's tables), ``style`` (palette, fonts, units),
``condition_figures``, ``compare_figures`` and ``gallery`` (the figures),
``catalogue`` (which figures, their file names, saving), ``tables`` and
``text`` (numbers and words shared by HTML and PDF), ``html``, ``pdf`` and
``pdf_layout`` (the two documents), ``build`` (writing it all atomically).

May import: resandi_core.study.layout, resandi_core.model.spec, resandi_core.atomic, resandi_core.errors,
resandi_core.progress, resandi_core.units, and third-party libraries (matplotlib without pyplot, pandas, numpy,
jinja2); never Qt, the command line, batch or classification.
"""

from .build import ReportPaths, iter_write_report, write_report
from .load import RunFolderError

__all__ = ["ReportPaths", "RunFolderError", "iter_write_report", "write_report"]
