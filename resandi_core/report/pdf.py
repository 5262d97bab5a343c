"""The report as a multi-page A4 PDF: methods, summary tables, figures, gallery, errors.

Pages, in order: the title page with the methods and "how far to trust this"
(flowing onto more pages when long), the summary tables, per condition two
pages of figures, the comparison, the gallery (one page per half), and the
errors. Each figure is drawn again into a sub-figure of an A4 page, so the PDF
holds vector figures at print size, not pictures of the PNGs.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterator

from matplotlib.backends.backend_pdf import PdfPages

from . import style, tables, text
from .catalogue import FigureSpec
from .load import RunData
from .pdf_layout import MARGIN, Pager, pack

#: Height (in) of an A4 page left for figures under the page heading.
FIGURE_ROOM = style.A4[1] - 1.2
#: Height (in) kept free above the page number.
FOOTER_ROOM = 0.45
#: Conditions side by side in one table of shares (more would not fit the page's width).
CONDITIONS_PER_TABLE = 4


def _text_pages(pager: Pager, data: RunData) -> None:
    pager.new_page()
    pager.paragraph(f"ResAnDi report: {data.run_dir.resolve().name}", "title")
    pager.paragraph(f"Batch run of {text.recorded(data.run, 'created')}; report written {text.now()} by "
                    f"{text.report_software()}. {len(data.results):,} tracks in {len(data.conditions)} condition(s): "
                    + ", ".join(data.conditions) + ".", "body")
    pager.paragraph("Methods", "heading")
    for paragraph in text.methods_paragraphs(data):
        pager.paragraph(paragraph)
    pager.paragraph(text.command(data), "code")
    pager.paragraph("How far to trust this", "heading")
    for paragraph in text.trust_paragraphs(data):
        pager.paragraph(paragraph)


def _table_pages(pager: Pager, data: RunData) -> None:
    pager.new_page()
    pager.table(tables.counts_table(data))
    for confident in (False, True):
        chunks = [data.conditions[i:i + CONDITIONS_PER_TABLE]
                  for i in range(0, len(data.conditions), CONDITIONS_PER_TABLE)] or [[]]
        for chunk in chunks:
            pager.table(tables.fractions_table(data, chunk, confident), max_width=1.6)
    pager.table(tables.files_table(data))


def _figure_pages(pager: Pager, specs: list[FigureSpec]) -> Iterator[int]:
    """Draw the figures onto pages; yields after each page (for progress)."""
    keys = [spec.condition if spec.section == "condition" else spec.section for spec in specs]
    for indices in pack([s.height for s in specs], [str(k) for k in keys], FIGURE_ROOM):
        page = pager.new_page(layout="constrained")
        page.get_layout_engine().set(w_pad=MARGIN / 2, h_pad=0.06)  # figures inside the side margins
        first = specs[indices[0]]
        heading = {"comparison": "Comparison of conditions", "gallery": "Gallery"}.get(
            first.section, f"Condition: {first.condition}")
        page.suptitle(heading, fontsize=12, fontweight="bold", x=MARGIN / style.A4[0], ha="left")
        heights = [specs[i].height for i in indices]
        # An empty last row: the unused height (figures keep their proportions) and room for the footer.
        rows = list(page.subfigures(len(indices) + 1, 1, height_ratios=[*heights, max(FIGURE_ROOM - sum(heights),
                                                                                        FOOTER_ROOM)]))
        for i, sub in zip(indices, rows):
            specs[i].draw(sub)
        yield len(indices)


def iter_write_pdf(path: str | os.PathLike, data: RunData, specs: list[FigureSpec]) -> Iterator[int]:
    """Write the PDF to ``path`` (a temporary file: the caller renames it); yields figures drawn as it goes.

    Returns the number of pages written (as the generator's value).
    """
    created = _dt.datetime.now().astimezone()
    metadata = {"Title": f"ResAnDi report: {data.run_dir.resolve().name}", "Creator": text.report_software(),
                "Subject": "Anomalous-diffusion classes of single-particle tracks", "CreationDate": created}
    with PdfPages(path, metadata=metadata) as pdf:
        pager = Pager(pdf.savefig, f"ResAnDi report: {data.run_dir.resolve().name}")
        _text_pages(pager, data)
        _table_pages(pager, data)
        yield from _figure_pages(pager, specs)
        pager.new_page()
        errors = tables.errors_table(data)
        if errors.rows:
            pager.table(errors)
        else:
            pager.paragraph("Errors", "heading")
            pager.paragraph(errors.note)
        pager.finish()
    return pager.pages
