"""The paper's synthetic 8-class data set, generated with andi-datasets.

Classes, generators and exponents follow REFERENCE.md ("Classes"): 2-D
trajectories from ``andi_datasets.models_theory``, alpha drawn continuously from
U(0.1, 0.9) (subdiffusive) or U(1.1, 1.9) (superdiffusive), alpha = 1 for BM,
lengths T ~ randint(10, 1000) inclusive or one fixed T. Classes are balanced.

A data set is a folder of shards plus ``manifest.json``. Shard ``k`` holds
``shard_size`` trajectories of every class, generated from its own seed (derived
from the data set's seed and ``k``), so:

* shards are generated in parallel worker processes in any order,
* the same seed gives the same bytes (shards are safetensors files, whose
  layout is deterministic; numpy's ``.npz`` embeds a time stamp), and
* an interrupted generation resumes: finished shards are checked against the
  manifest's sha256 and kept, only missing ones are generated.

Localisation noise, when asked for, is Gaussian with standard deviation
``noise`` times the standard deviation of the trajectory's increments, per
coordinate: in the normalised units of REFERENCE.md that is noise of sigma
``noise`` added to positions whose increments have unit std.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Generator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from ..atomic import atomic_write, atomic_writes
from ..errors import DatasetError
from ..model.spec import CLASS_NAMES, INPUT_LENGTH
from ..progress import Progress

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "resandi-synthetic-v1"

#: (andi-datasets model, lowest alpha, highest alpha) of each class, in CLASS_NAMES order.
CLASS_GENERATORS: tuple[tuple[str, float, float], ...] = (
    ("attm", 0.1, 0.9),  # SubATTM, regime 1 (the andi-datasets default)
    ("ctrw", 0.1, 0.9),  # SubCTRW
    ("fbm", 0.1, 0.9),  # SubFBM
    ("sbm", 0.1, 0.9),  # SubSBM
    ("fbm", 1.1, 1.9),  # SupFBM
    ("lw", 1.1, 1.9),  # SupLW
    ("sbm", 1.1, 1.9),  # SupSBM
    ("fbm", 1.0, 1.0),  # BM: fbm with alpha = 1
)

#: Shortest and longest trajectory of a varying-length set (inclusive), in points.
MIN_LENGTH, MAX_LENGTH = 10, INPUT_LENGTH



@dataclass(frozen=True)
class DatasetSpec:
    """What a synthetic data set holds.

    Attributes
    ----------
    n_per_class : int
        Trajectories of each class.
    seed : int
        Seed of the whole set; shard seeds derive from it.
    fixed_length : int or None
        Every trajectory this many points long; None for T ~ randint(10, 1000).
    noise : float
        Localisation noise in units of the increment std (0 = noiseless, as the
        paper's training data).
    shard_size : int
        Trajectories of each class per shard (the last shard may hold fewer).
    """

    n_per_class: int
    seed: int = 0
    fixed_length: int | None = None
    noise: float = 0.0
    shard_size: int = 1000

    def __post_init__(self) -> None:
        if self.n_per_class < 1:
            raise DatasetError("n_per_class must be at least 1", hint="ask for 1 or more trajectories per class")
        if self.shard_size < 1:
            raise DatasetError("shard_size must be at least 1", hint="the default is 1000")
        if self.fixed_length is not None and not 2 <= self.fixed_length <= INPUT_LENGTH:
            raise DatasetError(f"fixed_length must be between 2 and {INPUT_LENGTH}", hint="or leave it out for lengths 10-1000")
        if not np.isfinite(self.noise) or self.noise < 0:
            raise DatasetError("noise must be a finite number >= 0", hint="0 is noiseless, as the paper's training data")

    @property
    def n_shards(self) -> int:
        return -(-self.n_per_class // self.shard_size)

    def shard_count(self, shard: int) -> int:
        """Trajectories of each class in shard ``shard``."""
        return min(self.shard_size, self.n_per_class - shard * self.shard_size)


def andi_datasets_version() -> str:
    """Version of the installed andi-datasets (recorded in every manifest)."""
    return metadata.version("andi-datasets")


def _seed_rngs(seed: int, shard: int) -> np.random.Generator:
    """Seed every generator andi-datasets draws from, for one shard.

    andi-datasets draws from numpy's global RandomState, and its FBM from the
    ``stochastic`` package's own global generator; both are seeded here from one
    SeedSequence so a shard's bytes depend only on (seed, shard).
    """
    import stochastic.random

    sequence = np.random.SeedSequence([seed, shard])
    words = sequence.generate_state(3)
    np.random.seed(int(words[0]))
    stochastic.random.seed(int(words[1]))
    return np.random.default_rng(int(words[2]))


def generate_trajectory(models, label: int, length: int, alpha: float) -> np.ndarray:
    """One 2-D trajectory of class ``label``.

    Parameters
    ----------
    models : andi_datasets.models_theory.models_theory
        Generator instance.
    label : int
        Class index (CLASS_NAMES order).
    length : int
        Points T.
    alpha : float
        Anomalous exponent.

    Returns
    -------
    ndarray, shape (T, 2), float64
    """
    model = CLASS_GENERATORS[label][0]
    flat = getattr(models, model)(T=length, alpha=alpha, D=2)
    return np.asarray(flat, dtype=np.float64).reshape(2, -1)[:, :length].T


def _shard_arrays(spec: DatasetSpec, shard: int) -> dict[str, np.ndarray]:
    """Generate shard ``shard`` (runs in a worker process)."""
    from andi_datasets.models_theory import models_theory

    rng = _seed_rngs(spec.seed, shard)
    per_class = spec.shard_count(shard)
    labels = rng.permutation(np.repeat(np.arange(len(CLASS_NAMES)), per_class))
    if spec.fixed_length is None:
        lengths = rng.integers(MIN_LENGTH, MAX_LENGTH + 1, size=labels.size)
    else:
        lengths = np.full(labels.size, spec.fixed_length)
    bounds = np.array([CLASS_GENERATORS[k][1:] for k in labels])
    alphas = rng.uniform(bounds[:, 0], bounds[:, 1])
    models = models_theory()
    pieces = []
    for label, length, alpha in zip(labels, lengths, alphas):
        xy = generate_trajectory(models, int(label), int(length), float(alpha))
        if spec.noise > 0:
            step_std = np.diff(xy, axis=0).std(axis=0)
            step_std[step_std == 0] = 1.0
            xy = xy + rng.normal(size=xy.shape) * spec.noise * step_std
        pieces.append(xy)
    return {
        # float32 halves the size; AnDi normalisation makes the scale irrelevant
        # and 24 bits of mantissa are far finer than any localisation.
        # C order explicitly: the pieces are transposed views, so concatenate would
        # keep Fortran order, and safetensors writes the raw buffer as if it were C.
        "xy": np.ascontiguousarray(np.concatenate(pieces), dtype=np.float32),
        "lengths": lengths.astype(np.int32),
        "labels": labels.astype(np.int8),
        "alphas": alphas.astype(np.float32),
    }


def _shard_name(shard: int) -> str:
    return f"shard_{shard:05d}.safetensors"


def _write_shard(spec: DatasetSpec, shard: int, folder: str) -> tuple[int, str, int]:
    """Generate and write one shard; return (shard, sha256, trajectories)."""
    from safetensors.numpy import save_file

    from ..model.store import sha256_of

    arrays = _shard_arrays(spec, shard)
    path = Path(folder) / _shard_name(shard)
    with atomic_writes([path]) as (tmp,):
        save_file(arrays, str(tmp))
    return shard, sha256_of(path), int(arrays["labels"].size)


def _manifest(spec: DatasetSpec, shards: dict[int, dict]) -> dict:
    return {
        "format": MANIFEST_FORMAT,
        "classes": list(CLASS_NAMES),
        "generators": [
            {"class": name, "model": model, "alpha": [low, high]}
            for name, (model, low, high) in zip(CLASS_NAMES, CLASS_GENERATORS)
        ],
        "lengths": {"fixed": spec.fixed_length} if spec.fixed_length else {"min": MIN_LENGTH, "max": MAX_LENGTH},
        "spec": asdict(spec),
        "andi_datasets_version": andi_datasets_version(),
        "n_trajectories": spec.n_per_class * len(CLASS_NAMES),
        "complete": len(shards) == spec.n_shards,
        "shards": [shards[k] for k in sorted(shards)],
    }


def _write_manifest(folder: Path, spec: DatasetSpec, shards: dict[int, dict]) -> None:
    with atomic_write(folder / MANIFEST_NAME) as handle:
        handle.write(json.dumps(_manifest(spec, shards), indent=1))


def _finished_shards(folder: Path, spec: DatasetSpec) -> dict[int, dict]:
    """Shards of an earlier run of the same spec whose files are intact."""
    from ..model.store import sha256_of

    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    manifest = json.loads(path.read_text())
    if manifest.get("spec") != asdict(spec):
        raise DatasetError(
            f"the folder holds a different data set ({manifest.get('spec')})",
            where=str(folder),
            hint="choose an empty folder, or repeat the earlier options to resume it",
        )
    if manifest.get("andi_datasets_version") != andi_datasets_version():
        raise DatasetError(
            f"the folder was generated with andi-datasets {manifest.get('andi_datasets_version')}, "
            f"this is {andi_datasets_version()}; mixing them would not be reproducible",
            where=str(folder),
            hint="generate into a new folder",
        )
    finished = {}
    for entry in manifest.get("shards", []):
        shard_path = folder / entry["file"]
        if shard_path.is_file() and sha256_of(shard_path) == entry["sha256"]:
            finished[int(entry["shard"])] = entry
    return finished


def iter_generate(
    folder: str | os.PathLike, spec: DatasetSpec, workers: int | None = None
) -> Generator[Progress, None, Path]:
    """Generate (or resume) a data set, yielding progress in trajectories.

    Parameters
    ----------
    folder : path
        Output folder, created if missing. A folder holding a manifest of the same
        spec is resumed; one of another spec is refused.
    spec : DatasetSpec
        What to generate.
    workers : int, optional
        Worker processes (default: all cores).

    Yields
    ------
    Progress
        ``stage="generate"``, counting trajectories.

    Returns
    -------
    Path
        The folder. Closing the generator stops after cancelling pending shards;
        finished shards stay and the next call resumes from them.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shards = _finished_shards(folder, spec)
    per_shard = {k: spec.shard_count(k) * len(CLASS_NAMES) for k in range(spec.n_shards)}
    done = sum(per_shard[k] for k in shards)
    total = spec.n_per_class * len(CLASS_NAMES)
    _write_manifest(folder, spec, shards)
    yield Progress(done, total, "generate")
    todo = [k for k in range(spec.n_shards) if k not in shards]
    if not todo:
        return folder
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    # spawn, not fork: the parent may hold torch threads, which fork does not copy safely.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending = {pool.submit(_write_shard, spec, k, str(folder)) for k in todo}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    shard, sha, count = future.result()
                    shards[shard] = {"shard": shard, "file": _shard_name(shard), "sha256": sha, "n": count}
                    done += count
                _write_manifest(folder, spec, shards)
                yield Progress(done, total, "generate")
        finally:
            for future in pending:
                future.cancel()
    return folder


def generate_dataset(folder: str | os.PathLike, spec: DatasetSpec, workers: int | None = None) -> Path:
    """Generate (or resume) a data set without progress reports; see :func:`iter_generate`."""
    from ..progress import run_job

    return run_job(iter_generate(folder, spec, workers))


@dataclass
class SyntheticDataset:
    """A generated data set in memory: ragged trajectories, labels, alphas.

    Attributes
    ----------
    xy : ndarray, shape (sum of lengths, 2), float32
        All trajectories, one after another.
    offsets : ndarray, shape (N + 1,), int64
        Trajectory ``i`` is ``xy[offsets[i]:offsets[i + 1]]``.
    labels : ndarray, shape (N,), int64
    alphas : ndarray, shape (N,), float32
    manifest : dict
    folder : Path
    """

    xy: np.ndarray
    offsets: np.ndarray
    labels: np.ndarray
    alphas: np.ndarray
    manifest: dict
    folder: Path

    def __len__(self) -> int:
        return int(self.labels.size)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def trajectory(self, index: int) -> np.ndarray:
        """Positions of trajectory ``index``, shape (T, 2), float32."""
        return self.xy[self.offsets[index] : self.offsets[index + 1]]

    def inputs(
        self,
        indices: np.ndarray,
        rotations: np.ndarray | None = None,
        noise_sigmas: np.ndarray | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Network inputs of some trajectories.

        Parameters
        ----------
        indices : ndarray of int, shape (B,)
        rotations : ndarray of float, shape (B,), optional
            Angles (radians) by which to rotate the normalised positions before
            scaling (the paper's augmentation); NaN means no rotation.
        noise_sigmas : ndarray of float, shape (B,), optional
            Std of Gaussian localisation noise added to the normalised positions
            (increment-std units; 0 = none). The noisy track is normalised again,
            exactly as the classifier normalises a real noisy track.
        rng : numpy.random.Generator, optional
            Source of the noise (required with ``noise_sigmas``).

        Returns
        -------
        ndarray, shape (B, 2, 1000), float32
        """
        from ..model.preprocess import pad_and_scale

        out = np.empty((len(indices), 2, INPUT_LENGTH), dtype=np.float32)
        for row, index in enumerate(indices):
            rotation = rotations[row] if rotations is not None else np.nan
            sigma = noise_sigmas[row] if noise_sigmas is not None else 0.0
            out[row] = pad_and_scale(self.normalised(int(index), rotation, sigma, rng))
        return out

    def normalised(self, index: int, rotation: float = np.nan, noise_sigma: float = 0.0,
                   rng: np.random.Generator | None = None) -> np.ndarray:
        """One trajectory as the network sees it before padding: AnDi-normalised, shape (T, 2).

        Rotated by ``rotation`` radians (NaN: not), then with Gaussian noise of std
        ``noise_sigma`` (increment-std units, drawn from ``rng``) added and normalised
        again, exactly as the classifier normalises a real noisy track.
        """
        from ..model.preprocess import andi_normalise

        normalised = andi_normalise(self.trajectory(index))
        if np.isfinite(rotation):
            c, s = np.cos(rotation), np.sin(rotation)
            normalised = normalised @ np.array([[c, s], [-s, c]])
        if noise_sigma > 0:
            normalised = andi_normalise(normalised + noise_sigma * rng.standard_normal(normalised.shape))
        return normalised


def load_dataset(folder: str | os.PathLike) -> SyntheticDataset:
    """Load a complete generated data set.

    Raises
    ------
    DatasetError
        No manifest, an incomplete generation, or a shard whose checksum differs.
    """
    from safetensors.numpy import load_file

    from ..model.store import sha256_of

    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise DatasetError("no manifest.json: not a generated data set", where=str(folder),
                           hint="create one with `resandi generate`")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != MANIFEST_FORMAT:
        raise DatasetError(f"unknown data set format {manifest.get('format')!r}", where=str(path))
    if not manifest.get("complete"):
        raise DatasetError(
            f"generation is unfinished ({len(manifest['shards'])} of "
            f"{DatasetSpec(**manifest['spec']).n_shards} shards)",
            where=str(folder),
            hint="run the same `resandi generate` command again to finish it",
        )
    xy, lengths, labels, alphas = [], [], [], []
    for entry in manifest["shards"]:
        shard_path = folder / entry["file"]
        if not shard_path.is_file() or sha256_of(shard_path) != entry["sha256"]:
            raise DatasetError("shard missing or changed since generation", where=str(shard_path),
                               hint="delete it and run `resandi generate` again to regenerate it")
        arrays = load_file(str(shard_path))
        xy.append(arrays["xy"])
        lengths.append(arrays["lengths"])
        labels.append(arrays["labels"])
        alphas.append(arrays["alphas"])
    lengths_all = np.concatenate(lengths).astype(np.int64)
    offsets = np.zeros(lengths_all.size + 1, dtype=np.int64)
    np.cumsum(lengths_all, out=offsets[1:])
    return SyntheticDataset(
        xy=np.concatenate(xy),
        offsets=offsets,
        labels=np.concatenate(labels).astype(np.int64),
        alphas=np.concatenate(alphas),
        manifest=manifest,
        folder=folder,
    )
