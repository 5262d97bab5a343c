"""Evaluating a model on a generated data set: accuracy, confusion, by length and alpha.

The confusion matrix follows REFERENCE.md: rows are true classes, columns
predicted classes, each row in % of its true class. Inference runs through the
same fused network as ``resandi classify`` (:class:`WindowClassifier`), so the
numbers measured here are those of the product.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write, atomic_writes
from ..model.calibration import (
    calibrated_probabilities,
    expected_calibration_error,
    model_temperature,
    plot_reliability,
    reliability_table,
    track_temperatures,
)
from ..model.inference import iter_predict
from ..model.spec import CLASS_NAMES
from ..progress import Progress
from ..trust import estimate_noise
from .card import TEST_SECTION, append_test_metrics
from .synth import SyntheticDataset

#: Length bins (points) of the accuracy-by-length table: [10, 100), [100, 200), ...
LENGTH_EDGES = (10, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1001)
#: Alpha bins of the accuracy-by-alpha table (BM's alpha = 1 has its own bin).
ALPHA_EDGES = (0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.01, 1.1, 1.3, 1.5, 1.7, 1.9)


@dataclass
class Evaluation:
    """Predictions of a model on labelled trajectories.

    Attributes
    ----------
    labels, predictions : ndarray of int, shape (N,)
    probabilities : ndarray, shape (N, 8)
        Calibrated: ``softmax(logits / temperature)``.
    lengths : ndarray of int, shape (N,)
        Points per trajectory.
    alphas : ndarray, shape (N,)
        Generating anomalous exponents.
    logits : ndarray, shape (N, 8), optional
        Raw network outputs (for the calibration error before scaling).
    temperature : float
        The model's single calibration temperature (1 = none); the probabilities
        use each trajectory's own, chosen by its estimated noise.
    """

    labels: np.ndarray
    predictions: np.ndarray
    probabilities: np.ndarray
    lengths: np.ndarray
    alphas: np.ndarray
    logits: np.ndarray | None = None
    temperature: float = 1.0

    @property
    def n(self) -> int:
        return int(self.labels.size)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.labels == self.predictions))

    def confusion_counts(self) -> np.ndarray:
        """Counts, shape (8, 8): rows true class, columns predicted class."""
        k = len(CLASS_NAMES)
        return np.bincount(self.labels * k + self.predictions, minlength=k * k).reshape(k, k)

    def confusion_percent(self) -> np.ndarray:
        """Each row in % of its true class (REFERENCE.md's layout)."""
        counts = self.confusion_counts().astype(float)
        return 100 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)

    def _binned(self, values: np.ndarray, edges: tuple[float, ...], label: str) -> pd.DataFrame:
        bins = pd.cut(values, bins=list(edges), right=False)
        frame = pd.DataFrame({"bin": bins, "correct": self.labels == self.predictions})
        table = frame.groupby("bin", observed=True)["correct"].agg(n="size", accuracy="mean").reset_index()
        table["bin"] = table["bin"].astype(str)
        return table.rename(columns={"bin": "bin"}).assign(axis=label)[["bin", "n", "accuracy"]]

    def by_length(self) -> pd.DataFrame:
        """Accuracy per length bin: columns ``bin, n, accuracy``."""
        return self._binned(self.lengths, LENGTH_EDGES, "length")

    def by_alpha(self) -> pd.DataFrame:
        """Accuracy per alpha bin: columns ``bin, n, accuracy``."""
        return self._binned(self.alphas, ALPHA_EDGES, "alpha")

    def per_class_accuracy(self) -> dict[str, float]:
        return {name: float(np.diag(self.confusion_percent())[i] / 100) for i, name in enumerate(CLASS_NAMES)}

    @property
    def family_accuracy(self) -> float:
        """Accuracy of the AnDi family (5 classes; BM counts as fbm), from summed probabilities."""
        from ..trust import FAMILIES, FAMILY_OF_CLASS, family_probabilities

        truth = np.array([FAMILIES.index(FAMILY_OF_CLASS[CLASS_NAMES[k]]) for k in self.labels])
        return float(np.mean(family_probabilities(self.probabilities).argmax(axis=1) == truth))

    def calibration_errors(self) -> dict[str, float]:
        """Expected calibration error (10 bins, fraction) of the raw softmax and of the calibrated probabilities."""
        raw = calibrated_probabilities(self.logits) if self.logits is not None else self.probabilities
        return {"ece_raw": expected_calibration_error(raw, self.labels),
                "ece_calibrated": expected_calibration_error(self.probabilities, self.labels),
                "temperature": self.temperature}

    def metrics(self) -> dict:
        """JSON-ready summary."""
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "family_accuracy": self.family_accuracy,
            **self.calibration_errors(),
            "per_class_accuracy": self.per_class_accuracy(),
            "confusion_percent": np.round(self.confusion_percent(), 2).tolist(),
            "classes": list(CLASS_NAMES),
        }


def iter_evaluate(
    model, data: SyntheticDataset, *, device: str = "auto", batch_size: int | None = None
) -> Generator[Progress, None, Evaluation]:
    """Evaluate ``model`` on every trajectory of ``data``, yielding progress.

    Probabilities are calibrated with the model's temperature, as ``resandi classify`` gives them.
    """
    indices = np.arange(len(data))
    logits, _ = yield from iter_predict(model, data.inputs, indices, device=device, batch_size=batch_size)
    temperature = model_temperature(model.config)
    # each trajectory's temperature from its estimated noise, as resandi classify chooses it
    sigma_steps = np.array([estimate_noise(data.trajectory(int(i)))[1] for i in indices])
    return Evaluation(
        labels=data.labels,
        predictions=logits.argmax(axis=1),
        probabilities=calibrated_probabilities(logits, track_temperatures(model.config, sigma_steps)),
        lengths=data.lengths,
        alphas=data.alphas.astype(np.float64),
        logits=logits,
        temperature=temperature,
    )


def plot_confusion(percent: np.ndarray, path: Path, title: str) -> None:
    """Heat map of a row-normalised confusion matrix, values written in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 6.2), dpi=120)
    image = ax.imshow(percent, cmap="Blues", vmin=0, vmax=100)
    ax.set_xticks(range(len(CLASS_NAMES)), CLASS_NAMES, rotation=45, ha="right")
    ax.set_yticks(range(len(CLASS_NAMES)), CLASS_NAMES)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for (row, col), value in np.ndenumerate(percent):
        ax.text(col, row, f"{value:.1f}", ha="center", va="center", fontsize=8,
                color="white" if value > 55 else "black")
    fig.colorbar(image, ax=ax, label="% of true class")
    ax.set_title(title)
    fig.tight_layout()
    with atomic_writes([path]) as (tmp,):
        fig.savefig(tmp, format="png")
    plt.close(fig)


def write_evaluation(evaluation: Evaluation, out_dir: str | os.PathLike, title: str) -> list[Path]:
    """Write ``metrics.json``, ``confusion.csv`` (% of row), ``confusion_counts.csv``,
    ``confusion.png``, ``accuracy_by_length.csv``, ``accuracy_by_alpha.csv``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {
        "confusion.csv": pd.DataFrame(np.round(evaluation.confusion_percent(), 3), index=CLASS_NAMES, columns=CLASS_NAMES),
        "confusion_counts.csv": pd.DataFrame(evaluation.confusion_counts(), index=CLASS_NAMES, columns=CLASS_NAMES),
        "accuracy_by_length.csv": evaluation.by_length(),
        "accuracy_by_alpha.csv": evaluation.by_alpha(),
    }
    for name, table in tables.items():
        with atomic_write(out / name) as handle:
            table.to_csv(handle, index=name.startswith("confusion"), index_label="true\\predicted")
        written.append(out / name)
    with atomic_write(out / "metrics.json") as handle:
        json.dump(evaluation.metrics(), handle, indent=1)
    written.append(out / "metrics.json")
    plot_confusion(evaluation.confusion_percent(), out / "confusion.png", title)
    written.append(out / "confusion.png")
    written += write_reliability(evaluation, out, title)
    return written


def write_reliability(evaluation: Evaluation, out: Path, title: str) -> list[Path]:
    """``reliability.csv`` and ``reliability.png``: accuracy against confidence, raw and calibrated."""
    tables = {"calibrated": reliability_table(evaluation.probabilities, evaluation.labels)}
    if evaluation.logits is not None and evaluation.temperature != 1.0:
        tables = {"raw softmax": reliability_table(calibrated_probabilities(evaluation.logits), evaluation.labels),
                  **tables}
    combined = pd.concat([t.assign(probabilities=label) for label, t in tables.items()], ignore_index=True)
    with atomic_write(out / "reliability.csv") as handle:
        combined.to_csv(handle, index=False)
    errors = evaluation.calibration_errors()
    with atomic_writes([out / "reliability.png"]) as (tmp,):
        plot_reliability(tables, tmp, f"{title}\nECE raw {100 * errors['ece_raw']:.1f}%, "
                                      f"calibrated {100 * errors['ece_calibrated']:.1f}%")
    return [out / "reliability.csv", out / "reliability.png"]


def test_metrics_markdown(evaluation: Evaluation, data_label: str, command: str) -> str:
    """The card section of one evaluation: accuracy and the confusion matrix (% of row)."""
    percent = evaluation.confusion_percent()
    errors = evaluation.calibration_errors()
    short = [n for n in CLASS_NAMES]
    rows = ["| true \\ pred | " + " | ".join(short) + " |", "|---" * (len(short) + 1) + "|"]
    for name, row in zip(CLASS_NAMES, percent):
        rows.append(f"| {name} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
    lengths = evaluation.by_length()
    length_rows = ["| length | n | accuracy |", "|---|---|---|"] + [
        f"| {r.bin} | {r.n} | {100 * r.accuracy:.2f}% |" for r in lengths.itertuples()
    ]
    return f"""{TEST_SECTION}
Measured with `{command}` on {evaluation.n:,} trajectories ({data_label}).

**Accuracy {100 * evaluation.accuracy:.2f}%** (paper, full-scale training: 90.36%); AnDi family
(5 classes) {100 * evaluation.family_accuracy:.2f}%. Expected calibration error (10 bins): raw softmax
{100 * errors["ece_raw"]:.2f}%, calibrated (temperature by estimated noise) {100 * errors["ece_calibrated"]:.2f}%.

Confusion matrix, % of each true class (rows) predicted as (columns):

{chr(10).join(rows)}

Accuracy by length:

{chr(10).join(length_rows)}
"""


def iter_evaluate_into(
    model_ref: str | os.PathLike,
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    device: str = "auto",
    batch_size: int | None = None,
    card_command: str | None = None,
) -> Generator[Progress, None, Evaluation]:
    """Evaluate a model on a data set and write the tables, yielding progress.

    What ``resandi evaluate`` and the desktop app's Evaluate button both do:
    :func:`write_evaluation` into ``out_dir`` and, when ``card_command`` is given
    (the command that reproduces the numbers), the test section of the model's
    card and config.json.
    """
    from ..model.registry import load_model
    from .synth import load_dataset

    model = load_model(model_ref)
    data = load_dataset(data_dir)
    evaluation = yield from iter_evaluate(model, data, device=device, batch_size=batch_size)
    write_evaluation(evaluation, out_dir, title=f"{model.name} on {Path(data_dir).name} (n = {evaluation.n:,})")
    if card_command is not None:
        spec = data.manifest["spec"]
        length = f"T = {spec['fixed_length']}" if spec["fixed_length"] else "T ~ randint(10, 1000)"
        label = f"`{data_dir}`: {spec['n_per_class']:,} per class, seed {spec['seed']}, {length}, noise {spec['noise']}"
        append_test_metrics(model.path, test_metrics_markdown(evaluation, label, card_command), evaluation.metrics())
    return evaluation
