"""Text and tables laid out on A4 pages by hand: wrapped paragraphs and ruled tables that flow over pages.

matplotlib draws figures, not documents, so the report's words and tables are
placed here line by line in inches from the top of the page. Widths are
estimated from character counts with a conservative average glyph width, so a
line wraps a little early rather than running off the page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import TextToPath

from . import style
from .tables import Table

MARGIN = 0.75
#: Usable width and the lowest baseline (in from the top) of an A4 page.
WIDTH = style.A4[0] - 2 * MARGIN
BOTTOM = style.A4[1] - MARGIN - 0.2
LINE = 1.35
#: Share of a line's width kept free: kerning and hinting differ a little between measuring and drawing.
SLACK = 0.97

#: Text styles: (size pt, weight, family, space before in).
STYLES = {
    "title": (16, "bold", "sans-serif", 0.0),
    "heading": (12, "bold", "sans-serif", 0.22),
    "body": (9, "normal", "sans-serif", 0.08),
    "note": (8, "normal", "sans-serif", 0.04),
    "bold": (8, "bold", "sans-serif", 0.04),
    "code": (8, "normal", "monospace", 0.06),
}
_MEASURE = TextToPath()


@functools.lru_cache(maxsize=20_000)
def text_width(text: str, kind: str = "body") -> float:
    """Width (in) of ``text`` drawn in style ``kind``, measured with the font matplotlib will use."""
    size, weight, family, _ = STYLES[kind]
    prop = FontProperties(family=family, size=size, weight=weight)
    return _MEASURE.get_text_width_height_descent(text, prop, ismath=False)[0] / 72


def _break_word(word: str, width_in: float, kind: str) -> list[str]:
    """A word wider than the line (a path, a checksum) cut into pieces that fit."""
    pieces, piece = [], ""
    for char in word:
        if piece and text_width(piece + char, kind) > width_in:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece] if piece else pieces


def wrap(text: str, width_in: float, kind: str = "body") -> list[str]:
    """``text`` wrapped to lines of at most ``width_in`` inches in style ``kind``; its own line breaks kept."""
    width_in *= SLACK
    space = text_width("a b", kind) - text_width("ab", kind)
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            for part in (_break_word(word, width_in, kind) if text_width(word, kind) > width_in else [word]):
                w = text_width(part, kind)
                if line and used + space + w > width_in:
                    lines.append(line)
                    line, used = part, w
                else:
                    line, used = (f"{line} {part}", used + space + w) if line else (part, w)
        lines.append(line)
    return lines


class Pager:
    """Hands out A4 pages one after another and numbers them in the footer.

    ``save`` receives each finished page (``PdfPages.savefig``).
    """

    def __init__(self, save: Callable[[Figure], None], footer: str) -> None:
        self.save = save
        self.footer = footer
        self.pages = 0
        self.page: Figure | None = None
        self.y = MARGIN

    def new_page(self, layout: str | None = None) -> Figure:
        """Finish the current page and start one (``layout="constrained"`` for pages of figures)."""
        self.finish()
        self.page = style.new_figure(*style.A4) if layout else Figure(figsize=style.A4)
        if layout is None:
            self.page.set_layout_engine("none")
        self.pages += 1
        self.y = MARGIN
        return self.page

    def finish(self) -> None:
        """Add the footer to the current page and save it."""
        if self.page is None:
            return
        self.page.text(0.5, 0.3 / style.A4[1], f"{self.footer} · page {self.pages}", ha="center", va="bottom",
                       fontsize=style.FONT_SMALL, color="#606060")
        self.save(self.page)
        self.page = None

    def _text(self, x_in: float, y_in: float, line: str, kind: str, **kwargs) -> None:
        size, weight, family, _ = STYLES[kind]
        assert self.page is not None
        options = {"fontsize": size, "fontweight": weight, "family": family, "va": "baseline", "ha": "left", **kwargs}
        self.page.text(x_in / style.A4[0], 1 - y_in / style.A4[1], line, **options)

    def room(self, height_in: float) -> None:
        """Start a new page unless ``height_in`` more inches fit on this one."""
        if self.page is None or self.y + height_in > BOTTOM:
            self.new_page()

    def paragraph(self, text: str, kind: str = "body") -> None:
        """Write ``text`` in style ``kind``, wrapped, flowing onto new pages as needed."""
        size, _, _, before = STYLES[kind]
        step = size * LINE / 72
        lines = wrap(text, WIDTH, kind)
        self.room(before + step * min(len(lines), 3))  # no heading or first line alone at a page's foot
        self.y += before
        for line in lines:
            self.room(step)
            self.y += step
            self._text(MARGIN, self.y, line, kind)

    def table(self, table: Table, max_width: float = 2.6) -> None:
        """Draw ``table`` with its title, repeating the header on each page it runs onto.

        A column is as wide as its widest cell (at most ``max_width`` in, and never narrower than its
        longest word where the page allows); cells wrap within it.
        """
        step = STYLES["note"][0] * LINE / 72
        pad = 0.1
        cells = [table.header, *table.rows]
        columns = range(len(table.header))
        # Headers may wrap at spaces ("median / confidence"); body cells get their full width where it fits.
        body = [max([text_width(str(row[i]), "note") for row in table.rows] or [0.0]) for i in columns]
        longest_word = [max(text_width(word, "bold") for row in cells for word in str(row[i]).split(" ") or [""])
                        for i in columns]
        widths = fit_widths([min(max(b, w), max_width) / SLACK + pad + 0.01 for b, w in zip(body, longest_word)],
                            WIDTH)
        wrapped = [[wrap(str(cell), w - pad, "bold" if r == 0 else "note") for cell, w in zip(row, widths)]
                   for r, row in enumerate(cells)]
        x = [MARGIN + sum(widths[:i]) for i in columns]
        numeric = [i < len(table.numeric) and table.numeric[i] for i in columns]

        def draw_row(row: list[list[str]], header: bool) -> None:
            height = max(len(lines) for lines in row) * step + 0.04
            self.room(height + 0.02)
            for lines, left, right, w in zip(row, x, numeric, widths):
                for k, line in enumerate(lines):
                    self._text(left + (w - pad / 2 if right else pad / 2), self.y + (k + 1) * step, line,
                               "bold" if header else "note", ha="right" if right else "left")
            self.y += height
            assert self.page is not None
            self.page.add_artist(Line2D([MARGIN / style.A4[0], (MARGIN + sum(widths)) / style.A4[0]],
                                        [1 - self.y / style.A4[1]] * 2, color="#808080" if header else "#d0d0d0",
                                        linewidth=0.8 if header else 0.5))

        self.paragraph(table.title, "heading")
        draw_row(wrapped[0], True)
        for row in wrapped[1:]:
            if self.page is None or self.y + max(len(lines) for lines in row) * step + 0.06 > BOTTOM:
                self.new_page()
                self.paragraph(f"{table.title} (continued)", "heading")
                draw_row(wrapped[0], True)
            draw_row(row, False)
        if table.note:
            self.paragraph(table.note, "note")


def fit_widths(natural: list[float], total: float) -> list[float]:
    """Column widths (in) summing to at most ``total``: narrow columns keep their width, wide ones share the rest."""
    if sum(natural) <= total:
        return list(natural)
    widths = list(natural)
    pending = sorted(range(len(natural)), key=lambda i: natural[i])
    remaining = total
    while pending:
        share = remaining / len(pending)
        if natural[pending[0]] <= share:
            i = pending.pop(0)
            remaining -= natural[i]
        else:
            for i in pending:
                widths[i] = share
            break
    return widths


def pack(heights: list[float], keys: list[str], usable: float) -> list[list[int]]:
    """Consecutive figures onto pages: a new page when the key changes or the next would not fit ``usable`` in."""
    pages: list[list[int]] = []
    used = 0.0
    for i, (h, key) in enumerate(zip(heights, keys)):
        if pages and keys[pages[-1][0]] == key and used + h <= usable:
            pages[-1].append(i)
            used += h
        else:
            pages.append([i])
            used = h
    return pages
