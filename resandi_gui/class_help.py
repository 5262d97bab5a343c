"""What the eight classes and the Grad-CAM colours mean, in plain words, in one place.

The class names (SubCTRW, SupLW, ...) are the paper's abbreviations; a biologist
meets them first in the Results tab. Every place that explains them (the
overview legend's tooltip, the track table's class column, Help ▸ The Eight
Classes…) reads :data:`CLASS_SENTENCES`, so they never disagree.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QMessageBox, QWidget

from resandi_core.model.spec import CLASS_NAMES

#: One plain sentence per class: the model, what the particle does, and sub- or superdiffusive.
CLASS_SENTENCES: dict[str, str] = {
    "SubATTM": "annealed transient time motion: the particle's diffusion coefficient jumps at random times "
               "between slower and faster values (e.g. regions of different crowding); subdiffusive",
    "SubCTRW": "continuous-time random walk: waits (traps) of random length between jumps; subdiffusive",
    "SubFBM": "fractional Brownian motion, anti-correlated: each step tends to undo the previous one "
              "(e.g. an elastic or crowded surrounding); subdiffusive",
    "SubSBM": "scaled Brownian motion: ordinary random steps that get steadily smaller with time; subdiffusive",
    "SupFBM": "fractional Brownian motion, correlated: each step tends to continue the previous one; superdiffusive",
    "SupLW": "Lévy walk: straight runs at constant speed of random, sometimes very long, duration "
             "(e.g. active transport); superdiffusive",
    "SupSBM": "scaled Brownian motion: ordinary random steps that get steadily larger with time; superdiffusive",
    "BM": "Brownian motion: independent random steps of constant size, as free diffusion (α = 1)",
}

INTRO = ("ResAnDi sorts each trajectory into one of eight models of anomalous diffusion (those of the "
         "AnDi challenge). α is the exponent of the mean squared displacement, MSD ∝ t<sup>α</sup>: "
         "subdiffusive (Sub…) means α &lt; 1, superdiffusive (Sup…) α &gt; 1.")


def class_sentence(name: str) -> str:
    """``"SubCTRW — continuous-time random walk: ..."``; the bare name for an unknown class."""
    sentence = CLASS_SENTENCES.get(name)
    return f"{name} — {sentence}" if sentence else name


def classes_html() -> str:
    """All eight classes as an HTML list, one sentence each (for tooltips and the Help dialog)."""
    items = "".join(f"<li><b>{name}</b> — {escape(CLASS_SENTENCES[name])}</li>" for name in CLASS_NAMES)
    return f"<ul style='margin-left: 0px'>{items}</ul>"


def gradcam_caption(target: str, relu: bool) -> str:
    """What the colours of a trajectory mean, for Grad-CAM of class ``target``.

    Parameters
    ----------
    target : str
        The class whose Grad-CAM is shown (the "Grad-CAM of" choice, or the predicted class).
    relu : bool
        Scores with negative values set to 0.
    """
    if relu:
        return (f"Grad-CAM score (ReLU) — red: pushed the network towards {target}; "
                "grey: no push (pushes away from it set to 0)")
    return f"Grad-CAM score — red: pushed the network towards {target}, blue: away from it"


def show_class_help(parent: QWidget | None) -> QMessageBox:
    """Help ▸ The Eight Classes…: a non-blocking message box with the intro and the eight sentences."""
    box = QMessageBox(parent)
    box.setObjectName("classHelp")
    box.setWindowTitle("The eight classes")
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(f"<p>{INTRO}</p>{classes_html()}<p>{escape(gradcam_caption('a class', False))}.</p>")
    box.open()
    return box
