"""Model cards: what a trained model is, how it was made, how well it does.

A training run writes the card from its own record (:class:`TrainingRun`: data
manifest, recipe, seeds, epochs, time); ``resandi evaluate --card`` replaces its
measured test section. Nothing in a card is typed by hand. A renderer of
records: it imports the recipe and the model folder writer, never the training
loop or the evaluation that call it, so the training package has no cycle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_write
from ..model.spec import CLASS_NAMES
from ..model.store import save_model_folder
from .config import TrainingRun

if TYPE_CHECKING:
    from ..model.resandi import ResAnDi


TEST_SECTION = "## Measured test metrics"


def _history_table(history: list[dict[str, float]]) -> str:
    rows = ["| epoch | train loss | train acc. | val. loss | val. acc. | lr | s |", "|---|---|---|---|---|---|---|"]
    for row in history:
        rows.append(
            f"| {int(row['epoch'])} | {row['loss']:.4f} | {100 * row['accuracy']:.2f}% | {row['val_loss']:.4f} "
            f"| {100 * row['val_accuracy']:.2f}% | {row['lr']:.2e} | {row['seconds']:.0f} |"
        )
    return "\n".join(rows)


def training_card(run: TrainingRun) -> str:
    """Markdown card of a finished training run."""
    spec = run.data_manifest["spec"]
    config, stopping = run.config, run.stopping
    lengths = f"fixed T = {spec['fixed_length']}" if spec["fixed_length"] else "T ~ randint(10, 1000)"
    recipe = json.dumps({k: v for k, v in config.__dict__.items()}, indent=1)
    noise = ("none: the trajectories are used as stored" if config.noise_augment == "none" else
             f"added on the fly to {1 - config.noise_clean_fraction:.0%} of the trajectories each time they are drawn, "
             f"sigma ~ {config.noise_augment}({config.noise_sigma_min:g}, {config.noise_sigma_max:g}) "
             "increment-std units, then normalised again as a real noisy track is")
    validation = (f"separate set `{run.val_dir}`" if run.val_dir
                  else f"{config.val_fraction:.0%} of the training folder held out")
    return f"""# {run.name}

ResAnDi (1-D ResNet18, 8 classes: {", ".join(CLASS_NAMES)}) trained with `resandi train`.

## Training data
- {run.n_trajectories:,} synthetic trajectories from `{run.data_folder}`: {spec["n_per_class"]:,} per class, seed {spec["seed"]},
  {lengths}, localisation noise {spec["noise"]} (increment std units), andi-datasets
  {run.data_manifest["andi_datasets_version"]}.
- Noise augmentation: {noise}.
- Validation: {validation}.

## Recipe
```json
{recipe}
```

## Run
- Device {run.device}, precision {run.precision}; {run.elapsed_s / 60:.1f} min of training.
- {len(run.history)} epoch(s); best validation loss {stopping.best_loss:.4f} at epoch {stopping.best_epoch}
  (these weights are the ones saved).

{_history_table(run.history)}
"""


def write_trained_model(network: ResAnDi, out_dir: str | os.PathLike, run: TrainingRun) -> Path:
    """Save the trained network as a model folder with its card."""
    history, stopping = run.history, run.stopping
    return save_model_folder(
        network,
        Path(out_dir),
        card_text=training_card(run),
        trained=True,
        description=run.name,
        extra_config={
            "training": {
                "recipe": run.config.__dict__,
                "data": run.data_manifest["spec"],
                "andi_datasets_version": run.data_manifest["andi_datasets_version"],
                "epochs": len(history),
                "best_epoch": stopping.best_epoch,
                "best_val_loss": stopping.best_loss,
                "best_val_accuracy": next(
                    (h["val_accuracy"] for h in history if h["epoch"] == stopping.best_epoch), None
                ),
                "minutes": run.elapsed_s / 60,
                "device": run.device,
                "precision": run.precision,
            }
        },
    )


def append_test_metrics(model_dir: str | os.PathLike, section: str, metrics: dict[str, Any]) -> None:
    """Replace the card's test-metrics section and record the metrics in config.json.

    The weights checksum in config.json is untouched, so the folder stays valid.
    """
    model_dir = Path(model_dir)
    card_path = model_dir / "model_card.md"
    card = card_path.read_text() if card_path.is_file() else ""
    following = ""
    if TEST_SECTION in card:  # replace the old section; keep any section after it (calibration)
        card, _, rest = card.partition(TEST_SECTION)
        following = rest[rest.find("\n## "):] if "\n## " in rest else ""
    with atomic_write(card_path) as handle:
        handle.write(card.rstrip() + "\n\n" + section.rstrip() + "\n" + following)
    config_path = model_dir / "config.json"
    config = json.loads(config_path.read_text())
    config["test_metrics"] = json.loads(json.dumps(metrics, default=lambda o: np.asarray(o).tolist()))
    with atomic_write(config_path) as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
