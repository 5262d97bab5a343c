"""Model folders: ``config.json`` + ``model.safetensors`` + ``model_card.md``.

A model is a folder (StarDist's idea), so that it can be copied, shared and
inspected without code:

- ``config.json``: format version, architecture, class names, preprocessing,
  whether the weights are trained, and the size and sha256 of the weights file;
- ``model.safetensors``: the weights (float32, or float16 to halve the download;
  always loaded as float32). safetensors, not pickle, so loading a model cannot
  run code;
- ``model_card.md``: how the model was made and what it measured.

Finding models by name (bundled, the user's, the default) is :mod:`.registry`'s job.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..atomic import atomic_write
from ..errors import ModelFolderError
from .spec import BLOCK_KERNEL, CLASS_NAMES, INPUT_LENGTH, STAGE_CHANNELS, STEM_KERNEL

if TYPE_CHECKING:
    from .resandi import ResAnDi

log = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
CARD_FILE = "model_card.md"
FORMAT_VERSION = 1

ARCHITECTURE = {
    "name": "ResAnDi",
    "in_channels": 2,
    "num_classes": len(CLASS_NAMES),
    "stem_kernel": STEM_KERNEL,
    "block_kernel": BLOCK_KERNEL,
    "stage_channels": list(STAGE_CHANNELS),
}
PREPROCESSING = {
    "normalisation": "andi: increments / their std, cumulative sum from 0, per coordinate",
    "padding": "left zeros",
    "scaling": "min-max to [0, 1] over the padded input, per coordinate",
    "input_length": INPUT_LENGTH,
}


@dataclass
class LoadedModel:
    """A network loaded from a model folder, with its configuration.

    Attributes
    ----------
    name : str
        Folder name.
    path : Path
        The model folder.
    config : dict
        Parsed ``config.json``.
    network : ResAnDi
        The network in eval mode, float32, on the CPU.
    cache : dict
        Objects derived from the network (e.g. its fused copy per device), built
        on first use by whoever needs them.
    """

    name: str
    path: Path
    config: dict[str, Any]
    network: ResAnDi
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.config["classes"])

    @property
    def trained(self) -> bool:
        return bool(self.config.get("trained", False))


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model_folder(
    network: ResAnDi,
    folder: str | os.PathLike,
    *,
    card_text: str,
    trained: bool,
    weights_dtype: str = "float32",
    description: str = "",
    extra_config: dict[str, Any] | None = None,
) -> Path:
    """Write a model folder; each file is written to a temporary name, then renamed.

    Parameters
    ----------
    network : ResAnDi
    folder : path
        Created if missing; existing model files in it are replaced.
    card_text : str
        Markdown of ``model_card.md``.
    trained : bool
        False for random weights: the CLI and GUI then warn that answers are meaningless.
    weights_dtype : {"float32", "float16"}
        Storage type of floating-point weights.
    description : str
        One line shown by ``resandi models``.
    extra_config : dict, optional
        More keys for ``config.json`` (training recipe, metrics, ...).
    """
    import torch
    from safetensors.torch import save_file

    if weights_dtype not in ("float32", "float16"):
        raise ValueError("weights_dtype must be 'float32' or 'float16'")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store_dtype = torch.float16 if weights_dtype == "float16" else torch.float32
    tensors = {
        key: (value.to(store_dtype) if value.is_floating_point() else value).contiguous().cpu()
        for key, value in network.state_dict().items()
    }
    with atomic_write(folder / WEIGHTS_FILE, binary=True) as handle:
        handle.close()  # safetensors writes by path
        save_file(tensors, handle.name)
    weights = folder / WEIGHTS_FILE
    config = {
        "format_version": FORMAT_VERSION,
        "architecture": ARCHITECTURE,
        "classes": list(CLASS_NAMES),
        "preprocessing": PREPROCESSING,
        "trained": trained,
        "description": description,
        "resandi_version": __version__,
        "weights": {
            "file": WEIGHTS_FILE,
            "dtype": weights_dtype,
            "bytes": weights.stat().st_size,
            "sha256": sha256_of(weights),
        },
        **(extra_config or {}),
    }
    with atomic_write(folder / CONFIG_FILE) as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
    with atomic_write(folder / CARD_FILE) as handle:
        handle.write(card_text)
    return folder


def read_config(folder: Path) -> dict[str, Any]:
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise ModelFolderError(
            f"{CONFIG_FILE} is missing",
            where=str(folder),
            hint="a model folder holds config.json, model.safetensors and model_card.md; "
            "copy the whole folder again or pick another with --model",
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFolderError(
            f"not valid JSON ({exc})", where=str(config_path), hint="copy the model folder again"
        ) from None
    if not isinstance(config, dict) or "format_version" not in config:
        raise ModelFolderError(
            "not a ResAnDi model configuration (no format_version)",
            where=str(config_path),
            hint="pick a folder written by ResAnDi",
        )
    if config["format_version"] > FORMAT_VERSION:
        raise ModelFolderError(
            f"model format {config['format_version']} is newer than this ResAnDi understands "
            f"({FORMAT_VERSION})",
            where=str(config_path),
            hint="update ResAnDi",
        )
    if config.get("architecture", {}).get("name") != "ResAnDi" or list(config.get("classes", [])) != list(
        CLASS_NAMES
    ):
        raise ModelFolderError(
            "architecture or classes differ from the ResAnDi 8-class network",
            where=str(config_path),
            hint="this version runs only ResAnDi models with the classes " + ", ".join(CLASS_NAMES),
        )
    return config


def _check_weights(folder: Path, config: dict[str, Any]) -> Path:
    spec = config.get("weights")
    if not isinstance(spec, dict) or not {"file", "bytes", "sha256"} <= spec.keys():
        raise ModelFolderError(
            "config.json lacks the weights' file name, size or sha256, so they cannot be verified",
            where=str(folder / CONFIG_FILE),
            hint="copy the model folder again, or re-save it with ResAnDi",
        )
    weights = folder / spec["file"]
    if not weights.is_file():
        raise ModelFolderError(
            f"weights file {weights.name} is missing",
            where=str(folder),
            hint="copy the whole model folder again",
        )
    size = weights.stat().st_size
    if size != spec["bytes"]:
        raise ModelFolderError(
            f"weights file is truncated or altered: {size} bytes, config.json expects {spec['bytes']}",
            where=str(weights),
            hint="the copy or download was cut short; copy the model folder again",
        )
    if sha256_of(weights) != spec["sha256"]:
        raise ModelFolderError(
            "weights file does not match the sha256 in config.json",
            where=str(weights),
            hint="the file is corrupted or belongs to another model; copy the model folder again",
        )
    return weights


def load_model_folder(folder: str | os.PathLike) -> LoadedModel:
    """Load and verify a model folder.

    Raises
    ------
    ModelFolderError
        If the folder or one of its three files is missing, the weights' size or
        sha256 differs from ``config.json``, or the weights do not fit the network.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .resandi import ResAnDi

    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(
            "model folder not found", where=str(folder), hint="check the path, or run `resandi models`"
        )
    config = read_config(folder)
    weights = _check_weights(folder, config)
    if not (folder / CARD_FILE).is_file():
        raise ModelFolderError(
            f"{CARD_FILE} is missing; a model without its card cannot say how it was made",
            where=str(folder),
            hint="copy the whole model folder again",
        )
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFolderError(
            f"cannot read weights ({exc})", where=str(weights), hint="copy the model folder again"
        ) from None
    network = ResAnDi(in_channels=config["architecture"]["in_channels"], num_classes=len(config["classes"]))
    state = {key: (value.float() if value.is_floating_point() else value) for key, value in tensors.items()}
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first_line = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise ModelFolderError(
            f"weights do not fit the ResAnDi network ({first_line})",
            where=str(weights),
            hint="the file belongs to another architecture",
        ) from None
    network.eval()
    return LoadedModel(name=folder.name, path=folder, config=config, network=network)


def copy_model_folder(
    source: str | os.PathLike,
    destination: str | os.PathLike,
    *,
    weights_dtype: str = "float32",
    description: str | None = None,
    card_preamble: str = "",
) -> Path:
    """Copy a model folder, optionally storing its weights as float16.

    float16 halves the folder (about 37 MB instead of 74 MB); the weights are
    loaded as float32 again. ``card_preamble`` (markdown) goes before the card's
    own text, e.g. to say what the copy is for.
    """
    model = load_model_folder(source)
    keep = {k: v for k, v in model.config.items()
            if k not in ("format_version", "architecture", "classes", "preprocessing", "trained",
                         "description", "resandi_version", "weights")}
    card = (Path(source) / CARD_FILE).read_text(encoding="utf-8")
    return save_model_folder(
        model.network,
        destination,
        card_text=(card_preamble.rstrip() + "\n\n" + card) if card_preamble else card,
        trained=model.trained,
        weights_dtype=weights_dtype,
        description=model.config.get("description", "") if description is None else description,
        extra_config=keep,
    )


def random_network(seed: int) -> ResAnDi:
    """A ResAnDi with seeded random weights, for tests and pipeline checks only.

    Besides the usual initialisation, BatchNorm statistics and affine parameters
    are perturbed so that BatchNorm folding and the eval-mode maths are exercised
    as with a trained network.
    """
    import torch

    from .resandi import ResAnDi

    generator = torch.Generator().manual_seed(seed)
    torch_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        network = ResAnDi()
    finally:
        torch.random.set_rng_state(torch_state)
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                n = module.num_features
                module.weight.copy_(0.5 + torch.rand(n, generator=generator))
                module.bias.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(n, generator=generator))
    return network.eval()


UNTRAINED_CARD = """# UNTRAINED model (random weights, seed {seed})

This folder holds a ResAnDi network with **random, untrained weights**, written by
`resandi init-model`. Its classes and Grad-CAM maps are meaningless: it exists to try
the pipeline (file reading, preprocessing, batching, output files) and for tests.
Do not use its answers for anything.
"""


def write_untrained_model(folder: str | os.PathLike, seed: int = 0) -> Path:
    """Write a model folder with seeded random weights, clearly marked untrained."""
    return save_model_folder(
        random_network(seed),
        folder,
        card_text=UNTRAINED_CARD.format(seed=seed),
        trained=False,
        description=f"UNTRAINED random weights (seed {seed}); for pipeline tests only",
        extra_config={"seed": seed},
    )
