"""The report's look: one class palette, font sizes, figure sizes, unit spelling, file-name slugs.

Every figure takes its colours and sizes from here, so that SubFBM is the same
green in the fractions bars, the α boxes, the D–α scatter and the gallery, and
so that every figure reads at A4 (fonts of 8 pt or more, 7 in wide).
"""

from __future__ import annotations

import re
import unicodedata

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, FigureBase

from ..model.spec import CLASS_NAMES

#: Colour of each class in every figure: the Okabe–Ito palette (safe for the
#: common colour-vision deficiencies), sub-diffusive classes cool, super-diffusive
#: warm, Brownian motion grey.
CLASS_COLORS: dict[str, str] = {
    "SubATTM": "#0072B2",
    "SubCTRW": "#56B4E9",
    "SubFBM": "#009E73",
    "SubSBM": "#CC79A7",
    "SupFBM": "#E69F00",
    "SupLW": "#D55E00",
    "SupSBM": "#F0E442",
    "BM": "#999999",
}
assert set(CLASS_COLORS) == set(CLASS_NAMES)  # a new class must get a colour

#: Colours for things that are not classes (confident/uncertain, track status): greys,
#: so that no colour means two things in one report.
CONFIDENT_COLOR = "#404040"
UNCERTAIN_COLOR = "#bdbdbd"
STATUS_COLORS = ("#404040", "#bdbdbd", "#f0f0f0", "#8c8c8c", "#ffffff")
STATUS_HATCHES = ("", "///", "...", "xx", "\\\\")
#: Hatch of the "confident only" bars next to the solid "all classified" ones.
CONFIDENT_HATCH = "////"

#: Diverging colour map of Grad-CAM scores (centred at 0: red for the class, blue against).
GRADCAM_CMAP = "RdBu_r"

#: Font sizes (pt). A4 print needs 8 pt or more; matplotlib's default is 10.
FONT_SMALL = 8
FONT = 9
FONT_TITLE = 10

#: Figure width (in) that fits an A4 page with margins, and the PNG resolution.
FIGURE_WIDTH = 7.0
PNG_DPI = 150

#: A4 portrait (in).
A4 = (8.27, 11.69)


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches with constrained layout and its own Agg canvas.

    Built without pyplot, so that no global figure list holds it (nothing leaks,
    and figures can be made in a worker thread); it is freed when dropped.
    """
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def target(fig: FigureBase | None, width: float, height: float) -> FigureBase:
    """``fig`` (a figure or a sub-figure of a PDF page) or, when None, a new figure of that size."""
    return new_figure(width, height) if fig is None else fig


def say(ax: Axes, text: str) -> None:
    """Write ``text`` in the middle of ``ax`` instead of a plot (no data), in a light box, without ticks."""
    message = ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=FONT, wrap=True, transform=ax.transAxes,
                      color="#404040")
    message.set_in_layout(False)  # the axes keep their place; the text sits inside them
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():  # a light frame: the figure's place, visibly without data
        spine.set(visible=True, color="#d0d0d0")


def style_axes(ax: Axes) -> None:
    """Tick labels at :data:`FONT` and no top/right spines (less ink, same information)."""
    ax.tick_params(labelsize=FONT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def tex_unit(unit: str) -> str:
    """A unit as written in the tables (``"µm^2/s^alpha"``) for a matplotlib label (``"µm$^{2}$/s$^{\\alpha}$"``)."""
    return re.sub(r"\^(-?\w+)", lambda m: "$^{" + m.group(1).replace("alpha", r"\alpha") + "}$", str(unit))


def text_unit(unit: str) -> str:
    """A unit for HTML and plain text: ``"µm^2/s^alpha"`` -> ``"µm²/s^α"``."""
    return str(unit).replace("^2", "²").replace("alpha", "α")


def time_label(unit: str) -> str:
    """``"s"`` -> ``"s"``, ``"frame"`` -> ``"frames"`` (an uncalibrated time axis counts frames)."""
    return "frames" if str(unit).startswith("frame") else str(unit)


def slugify(name: str) -> str:
    """A file-name-safe form of a condition name: ``"Drug A (10 µM)"`` -> ``"drug-a-10-um"``; never empty."""
    ascii_name = unicodedata.normalize("NFKD", str(name).replace("µ", "u")).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60].strip("-") or "condition"


def unique_slugs(names: list[str]) -> dict[str, str]:
    """A distinct slug per name (``"a-b"``, ``"a-b-2"``), in the order given."""
    slugs: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = slug = slugify(name)
        k = 2
        while slug in used:
            slug, k = f"{base}-{k}", k + 1
        used.add(slug)
        slugs[name] = slug
    return slugs


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (labels must not run into each other)."""
    text = str(text)
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"
