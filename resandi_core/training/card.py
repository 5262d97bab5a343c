"""Model cards: what a trained model is, how it was made, how well it does.

A training run writes the card from its own record (data manifest, recipe,
seeds, epochs, time); ``resandi evaluate --card`` appends measured test metrics.
Nothing in a card is typed by hand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_write
from ..model.spec import CLASS_NAMES

if TYPE_CHECKING:
    from .evaluate import Evaluation
    from .synth import SyntheticDataset
    from .loop import EarlyStopping, TrainConfig

TEST_SECTION = "## Measured test metrics"


def _history_table(history: list[dict[str, float]]) -> str:
    rows = ["| epoch | train loss | train acc. | val. loss | val. acc. | lr | s |", "|---|---|---|---|---|---|---|"]
    for row in history:
        rows.append(
            f"| {int(row['epoch'])} | {row['loss']:.4f} | {100 * row['accuracy']:.2f}% | {row['val_loss']:.4f} "
            f"| {100 * row['val_accuracy']:.2f}% | {row['lr']:.2e} | {row['seconds']:.0f} |"
        )
    return "\n".join(rows)


def training_card(
    *,
    name: str,
    config: "TrainConfig",
    history: list[dict[str, float]],
    stopping: "EarlyStopping",
    data: "SyntheticDataset",
    val_dir: str | os.PathLike | None,
    elapsed_s: float,
    device: str,
    precision: str,
) -> str:
    """Markdown card of a finished training run."""
    spec = data.manifest["spec"]
    lengths = f"fixed T = {spec['fixed_length']}" if spec["fixed_length"] else "T ~ randint(10, 1000)"
    recipe = json.dumps({k: v for k, v in config.__dict__.items()}, indent=1)
    return f"""# {name}

ResAnDi (1-D ResNet18, 8 classes: {", ".join(CLASS_NAMES)}) trained with `resandi train`.

## Training data
- {len(data):,} synthetic trajectories from `{data.folder}`: {spec["n_per_class"]:,} per class, seed {spec["seed"]},
  {lengths}, localisation noise {spec["noise"]} (increment std units), andi-datasets
  {data.manifest["andi_datasets_version"]}.
- Validation: {f"separate set `{val_dir}`" if val_dir else f"{config.val_fraction:.0%} of the training folder held out"}.

## Recipe
```json
{recipe}
```

## Run
- Device {device}, precision {precision}; {elapsed_s / 60:.1f} min of training.
- {len(history)} epoch(s); best validation loss {stopping.best_loss:.4f} at epoch {stopping.best_epoch}
  (these weights are the ones saved).

{_history_table(history)}
"""


def write_trained_model(network, out_dir: str | os.PathLike, *, name: str | None = None, **run: Any) -> Path:
    """Save the trained network as a model folder with its card."""
    from ..model.store import save_model_folder

    out_dir = Path(out_dir)
    name = name or f"ResAnDi trained {out_dir.name}"
    config = run["config"]
    card = training_card(name=name, **run)
    history = run["history"]
    return save_model_folder(
        network,
        out_dir,
        card_text=card,
        trained=True,
        description=name,
        extra_config={
            "training": {
                "recipe": config.__dict__,
                "data": run["data"].manifest["spec"],
                "andi_datasets_version": run["data"].manifest["andi_datasets_version"],
                "epochs": len(history),
                "best_epoch": run["stopping"].best_epoch,
                "best_val_loss": run["stopping"].best_loss,
                "best_val_accuracy": next(
                    (h["val_accuracy"] for h in history if h["epoch"] == run["stopping"].best_epoch), None
                ),
                "minutes": run["elapsed_s"] / 60,
                "device": run["device"],
                "precision": run["precision"],
            }
        },
    )


def test_metrics_markdown(evaluation: "Evaluation", data_label: str, command: str) -> str:
    """The card section of one evaluation: accuracy and the confusion matrix (% of row)."""
    percent = evaluation.confusion_percent()
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

**Accuracy {100 * evaluation.accuracy:.2f}%** (paper, full-scale training: 90.36%).

Confusion matrix, % of each true class (rows) predicted as (columns):

{chr(10).join(rows)}

Accuracy by length:

{chr(10).join(length_rows)}
"""


def append_test_metrics(model_dir: str | os.PathLike, section: str, metrics: dict[str, Any]) -> None:
    """Replace the card's test-metrics section and record the metrics in config.json.

    The weights checksum in config.json is untouched, so the folder stays valid.
    """
    model_dir = Path(model_dir)
    card_path = model_dir / "model_card.md"
    card = card_path.read_text() if card_path.is_file() else ""
    if TEST_SECTION in card:
        card = card[: card.index(TEST_SECTION)].rstrip() + "\n"
    with atomic_write(card_path) as handle:
        handle.write(card.rstrip() + "\n\n" + section)
    config_path = model_dir / "config.json"
    config = json.loads(config_path.read_text())
    config["test_metrics"] = json.loads(json.dumps(metrics, default=lambda o: np.asarray(o).tolist()))
    with atomic_write(config_path) as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
