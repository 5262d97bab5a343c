"""Training ResAnDi: the paper's recipe, checkpoints every epoch, exact resume.

The default :class:`TrainConfig` is REFERENCE.md's recipe: Adam (lr 1e-4),
cross-entropy, batch 64, StepLR (10 epochs, gamma 0.5), early stopping on the
mean validation loss (patience 10, min improvement 0.001), best weights kept,
at most 100 epochs. Every knob can be changed.

:func:`iter_train` is a generator: it yields :class:`TrainProgress` events
(epoch, step, loss, accuracy, samples/s, ETA) and returns the path of the model
folder it wrote. Closing it (a cancel button, Ctrl+C) saves a checkpoint of the
exact place it stopped; ``resume=True`` continues from there with the same
batches, so a resumed run equals an uninterrupted one.

Batches are deterministic: global batch ``g`` is slice ``g mod P`` of the
permutation of pass ``g div P`` (P = batches per pass), each permutation drawn
from ``(seed, pass)``. A checkpoint therefore needs only the global step, besides
the model, optimiser, scheduler and early-stopping state.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..atomic import atomic_writes
from ..devices import resolve_device
from ..errors import TrainingError
from ..model.resandi import ResAnDi
from ..progress import Progress
from .augment import augmented_items, draw_noise_sigmas
from .calibrate import iter_calibrate
from .card import write_trained_model
from .config import EarlyStopping, TrainConfig, TrainingRun
from .synth import SyntheticDataset, load_dataset

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.pt"
HISTORY_NAME = "history.csv"


@dataclass(frozen=True)
class TrainProgress(Progress):
    """One training event; ``done``/``total`` count optimiser steps.

    Attributes
    ----------
    event : {"step", "epoch", "augment", "done"}
        ``epoch`` events carry the validation numbers of the finished epoch.
    epoch : int
        1-based epoch.
    loss, accuracy : float
        Running mean over the epoch so far (training batches).
    val_loss, val_accuracy : float
        Validation numbers (``epoch`` events; NaN otherwise).
    samples_per_s : float
        Training throughput over the last steps.
    eta_s : float
        Seconds left, assuming all ``max_epochs`` run (early stopping shortens it).
    lr : float
        Current learning rate.
    """

    event: str = "step"
    epoch: int = 0
    loss: float = math.nan
    accuracy: float = math.nan
    val_loss: float = math.nan
    val_accuracy: float = math.nan
    samples_per_s: float = math.nan
    eta_s: float = math.nan
    lr: float = math.nan


@dataclass
class TrainingSet:
    """What the batches are drawn from: trajectory indices and rotation angles.

    Attributes
    ----------
    data : SyntheticDataset
    indices : ndarray of int, shape (M,)
        Trajectories of ``data`` (an index appears twice when it has a rotated copy).
    rotations : ndarray of float, shape (M,)
        Angle (radians) of each item's rotation; NaN = the original.
    """

    data: SyntheticDataset
    indices: np.ndarray
    rotations: np.ndarray

    def __len__(self) -> int:
        return int(self.indices.size)

    def batch(
        self, items: np.ndarray, noise_sigmas: np.ndarray | None = None, rng: np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (B, 2, 1000) float32 and labels (B,) int64 of some items (noise: see ``SyntheticDataset.inputs``)."""
        indices = self.indices[items]
        return self.data.inputs(indices, self.rotations[items], noise_sigmas, rng), self.data.labels[indices]


def _resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """Autocast dtype, or None for plain fp32."""
    if precision == "auto":
        if device.type == "cuda":
            return torch.float16
        if device.type == "cpu" and torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return torch.bfloat16
        return None
    if precision == "fp16" and device.type != "cuda":
        raise TrainingError("fp16 mixed precision needs a CUDA device", hint="use --precision bf16 or fp32 on CPU")
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def _pass_permutation(n: int, seed: int, pass_index: int) -> np.ndarray:
    return np.random.default_rng([seed, 1, pass_index]).permutation(n)


def batch_items(n_items: int, batch_size: int, seed: int, global_step: int) -> np.ndarray:
    """Item indices of global batch ``global_step`` (deterministic; see module doc)."""
    per_pass = max(1, n_items // batch_size)
    pass_index, within = divmod(global_step, per_pass)
    order = _pass_permutation(n_items, seed, pass_index)
    return order[within * batch_size : (within + 1) * batch_size]


def split_validation(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation indices of a folder used for both."""
    order = np.random.default_rng([seed, 2]).permutation(n)
    n_val = max(1, int(round(n * fraction)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _network(config: TrainConfig) -> ResAnDi:
    if config.init_model:
        from ..model.registry import load_model

        # "default" is the bundled default model (``--fine-tune`` without a value)
        return load_model(None if config.init_model == "default" else config.init_model).network.train()
    torch.manual_seed(config.seed)
    return ResAnDi()


def _scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig) -> torch.optim.lr_scheduler.LRScheduler:
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.max_epochs)
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.lr_step, gamma=config.lr_gamma)


def evaluate_loss(
    network: torch.nn.Module,
    data: SyntheticDataset,
    indices: np.ndarray,
    device: torch.device,
    autocast: torch.dtype | None,
    batch_size: int = 256,
    noise: TrainConfig | None = None,
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``network`` on some trajectories.

    With ``noise`` (a recipe with noise augmentation), the trajectories get noise
    drawn like the training mixture, the same noise at every epoch (seeded by the
    recipe's seed and the chunk), so that validation losses compare across epochs.
    """
    network.eval()
    total_loss, correct = 0.0, 0
    with torch.inference_mode():
        for start in range(0, indices.size, batch_size):
            chunk = indices[start : start + batch_size]
            rng = np.random.default_rng([noise.seed, 17, start]) if noise is not None else None
            sigmas = draw_noise_sigmas(noise, chunk.size, rng) if noise is not None else None
            inputs = torch.from_numpy(data.inputs(chunk, noise_sigmas=sigmas, rng=rng)).to(device)
            labels = torch.from_numpy(data.labels[chunk]).to(device)
            with torch.autocast(device.type, dtype=autocast or torch.float32, enabled=autocast is not None):
                logits = network(inputs)
            total_loss += float(F.cross_entropy(logits.float(), labels, reduction="sum"))
            correct += int((logits.argmax(1) == labels).sum())
    network.train()
    return total_loss / indices.size, correct / indices.size


def recalibrate_batchnorm(
    network: torch.nn.Module,
    data: SyntheticDataset,
    indices: np.ndarray,
    *,
    batches: int,
    batch_size: int = 64,
    seed: int = 0,
    device: torch.device = torch.device("cpu"),
    noise: TrainConfig | None = None,
) -> None:
    """Recompute BatchNorm running statistics for the network's final weights.

    During training the running statistics are an exponential average over the
    last ~10 batches, taken while the weights were still moving; with a high
    learning rate they can lag the weights enough to spoil eval-mode answers.
    Here they become the plain average over ``batches`` fresh batches of
    ``indices`` with the weights frozen (as ``torch.optim.swa_utils.update_bn``).
    With ``noise`` (a recipe with noise augmentation) the batches get noise drawn
    like the training mixture, so the statistics are those the network was trained on.
    """
    norms = [m for m in network.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    network.train()
    rng = np.random.default_rng([seed, 7])
    with torch.no_grad():
        for _ in range(batches):
            chunk = rng.choice(indices, size=min(batch_size, indices.size), replace=False)
            sigmas = draw_noise_sigmas(noise, chunk.size, rng) if noise is not None else None
            network(torch.from_numpy(data.inputs(chunk, noise_sigmas=sigmas, rng=rng)).to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    network.eval()


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    with atomic_writes([path]) as (tmp,):
        torch.save(state, tmp)


def _history_csv(history: list[dict[str, float]]) -> str:
    keys = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    lines = [",".join(keys)] + [",".join(f"{row[k]:.6g}" for k in keys) for row in history]
    return "\n".join(lines) + "\n"


def iter_train(
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    config: TrainConfig = TrainConfig(),
    *,
    val_dir: str | os.PathLike | None = None,
    resume: bool = False,
    model_name: str | None = None,
) -> Generator[TrainProgress, None, Path]:
    """Train ResAnDi and write a model folder, yielding progress.

    Parameters
    ----------
    data_dir : path
        A data set from :func:`resandi_core.training.synth.iter_generate`.
    out_dir : path
        The run folder: ``checkpoint.pt``, ``history.csv`` and, at the end, the
        model folder files (``config.json``, ``model.safetensors``,
        ``model_card.md``) of the best epoch.
    config : TrainConfig
    val_dir : path, optional
        Separate validation data set; by default ``config.val_fraction`` of
        ``data_dir`` is held out.
    resume : bool
        Continue from ``out_dir/checkpoint.pt`` (its config wins over ``config``,
        except ``device``, ``max_minutes`` and ``bn_recalibration_batches``).
        Resuming a finished run only writes the model folder again.
    model_name : str, optional
        Description of the resulting model.

    Returns
    -------
    Path
        ``out_dir``, now a model folder.
    """
    out_dir = Path(out_dir)
    checkpoint_path = out_dir / CHECKPOINT_NAME
    checkpoint: dict[str, Any] | None = None
    if resume:
        if not checkpoint_path.is_file():
            raise TrainingError("no checkpoint to resume from", where=str(out_dir), hint="start without --resume")
        checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
        config = replace(TrainConfig(**checkpoint["config"]), device=config.device, max_minutes=config.max_minutes,
                         bn_recalibration_batches=config.bn_recalibration_batches)
    elif checkpoint_path.is_file():
        raise TrainingError(
            "the folder holds a training checkpoint", where=str(out_dir),
            hint="add --resume to continue it, or choose another folder",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    device, _ = resolve_device(config.device)
    autocast = _resolve_precision(config.precision, device)
    if device.type == "cpu":
        # Denormal floats (tiny gradients late in a step) are ~100x slower on x86;
        # flushing them to zero changes nothing measurable in training.
        torch.set_flush_denormal(True)

    data = load_dataset(data_dir)
    if val_dir is not None:
        train_idx = np.arange(len(data))
        val_data = load_dataset(val_dir)
        val_idx = np.arange(len(val_data))
    else:
        train_idx, val_idx = split_validation(len(data), config.val_fraction, config.seed)
        val_data = data

    if checkpoint is not None:
        training = TrainingSet(data, checkpoint["items"]["indices"], checkpoint["items"]["rotations"])
    else:
        training = TrainingSet(data, train_idx, np.full(train_idx.size, np.nan))
        if config.augment != "none":
            yield TrainProgress(0, 0, "train", event="augment")
            indices, rotations = yield from augmented_items(data, train_idx, config)
            training = TrainingSet(data, indices, rotations)

    network = _network(config).to(device)
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    scheduler = _scheduler(optimizer, config)
    scaler = torch.amp.GradScaler("cuda", enabled=autocast == torch.float16)
    stopping = EarlyStopping(config.patience, config.min_delta)
    history: list[dict[str, float]] = []
    steps_per_epoch = config.steps_per_epoch or max(1, len(training) // config.batch_size)
    global_step, epoch, epoch_sums = 0, 1, [0.0, 0, 0]  # loss sum, correct, seen
    best_state = None
    elapsed_before = 0.0
    if checkpoint is not None:
        network.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        scaler.load_state_dict(checkpoint["scaler"])
        stopping = EarlyStopping(**checkpoint["early_stopping"])
        history = checkpoint["history"]
        global_step, epoch, epoch_sums = checkpoint["global_step"], checkpoint["epoch"], checkpoint["epoch_sums"]
        best_state = checkpoint["best_state"]
        elapsed_before = checkpoint["elapsed_s"]
        torch.set_rng_state(checkpoint["torch_rng"])
    network.train()

    def snapshot() -> dict[str, Any]:
        return {
            "config": asdict(config),
            "model": network.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict(),
            "early_stopping": asdict(stopping),
            "history": history,
            "global_step": global_step,
            "epoch": epoch,
            "epoch_sums": epoch_sums,
            "best_state": best_state,
            "elapsed_s": elapsed_before + (time.perf_counter() - started),
            "torch_rng": torch.get_rng_state(),
            "items": {"indices": training.indices, "rotations": training.rotations},
            "data": {"train": str(data_dir), "val": str(val_dir) if val_dir else None,
                     "manifest_spec": data.manifest["spec"]},
        }

    total_steps = config.max_epochs * steps_per_epoch
    started = time.perf_counter()
    if checkpoint is None and config.augment != "none":
        # Choosing the copies runs Grad-CAM over the pool (many minutes on a CPU):
        # keep the choice at once, so that an interrupted run never scores again.
        _save_checkpoint(checkpoint_path, snapshot())
    rate_window: list[tuple[float, int]] = [(started, global_step)]
    finished = False
    try:
        while epoch <= config.max_epochs and not stopping.stop:
            if config.max_minutes is not None and snapshot()["elapsed_s"] > 60 * config.max_minutes:
                log.info("time budget of %.1f min reached after epoch %d", config.max_minutes, epoch - 1)
                break
            epoch_start_time = time.perf_counter()
            while global_step < epoch * steps_per_epoch:
                items = batch_items(len(training), config.batch_size, config.seed, global_step)
                noise_rng = np.random.default_rng([config.seed, 13, global_step])  # exact on resume
                sigmas = draw_noise_sigmas(config, items.size, noise_rng)
                inputs_np, labels_np = training.batch(items, sigmas, noise_rng)
                inputs = torch.from_numpy(inputs_np).to(device, non_blocking=True)
                labels = torch.from_numpy(labels_np).to(device, non_blocking=True)
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast(device.type, dtype=autocast or torch.float32, enabled=autocast is not None):
                    logits = network(inputs)
                    loss = F.cross_entropy(logits.float(), labels)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                global_step += 1
                epoch_sums = [epoch_sums[0] + float(loss.detach()) * len(items),
                              epoch_sums[1] + int((logits.argmax(1) == labels).sum()), epoch_sums[2] + len(items)]
                now = time.perf_counter()
                rate_window = (rate_window + [(now, global_step)])[-50:]
                span = now - rate_window[0][0]
                steps_per_s = (global_step - rate_window[0][1]) / span if span > 0 else math.nan
                yield TrainProgress(
                    global_step, total_steps, "train", event="step", epoch=epoch,
                    loss=epoch_sums[0] / epoch_sums[2], accuracy=epoch_sums[1] / epoch_sums[2],
                    samples_per_s=steps_per_s * config.batch_size,
                    eta_s=(total_steps - global_step) / steps_per_s if steps_per_s > 0 else math.nan,
                    lr=optimizer.param_groups[0]["lr"],
                )
            val_loss, val_accuracy = evaluate_loss(network, val_data, val_idx, device, autocast, noise=config)
            improved = stopping.update(val_loss, epoch)
            if improved:
                best_state = {k: v.detach().cpu().clone() for k, v in network.state_dict().items()}
            history.append({
                "epoch": epoch, "loss": epoch_sums[0] / epoch_sums[2], "accuracy": epoch_sums[1] / epoch_sums[2],
                "val_loss": val_loss, "val_accuracy": val_accuracy, "lr": optimizer.param_groups[0]["lr"],
                "seconds": time.perf_counter() - epoch_start_time,
            })
            log.info("epoch %d: val loss %.4f, val accuracy %.4f%s", epoch, val_loss, val_accuracy,
                     " (best)" if improved else "")
            scheduler.step()
            epoch += 1
            epoch_sums = [0.0, 0, 0]
            _save_checkpoint(checkpoint_path, snapshot())
            (out_dir / HISTORY_NAME).write_text(_history_csv(history))
            yield TrainProgress(
                global_step, total_steps, "train", event="epoch", epoch=epoch - 1,
                loss=history[-1]["loss"], accuracy=history[-1]["accuracy"],
                val_loss=val_loss, val_accuracy=val_accuracy, lr=optimizer.param_groups[0]["lr"],
            )
        finished = True
    finally:
        if not finished:
            # Cancelled (generator closed) or crashed: keep the exact place.
            _save_checkpoint(checkpoint_path, snapshot())
    network.load_state_dict(best_state if best_state is not None else network.state_dict())
    if config.bn_recalibration_batches:
        recalibrate_batchnorm(network, data, training.indices, batches=config.bn_recalibration_batches,
                              batch_size=config.batch_size, seed=config.seed, device=device, noise=config)
    run = TrainingRun(
        name=model_name or f"ResAnDi trained {out_dir.name}", config=config, history=history, stopping=stopping,
        data_folder=str(data.folder), data_manifest=data.manifest, n_trajectories=len(data),
        val_dir=None if val_dir is None else str(val_dir), elapsed_s=elapsed_before + time.perf_counter() - started,
        device=str(device), precision=str(autocast).replace("torch.", "") if autocast else "float32",
    )
    write_trained_model(network.cpu().eval(), out_dir, run)
    if val_dir is not None:  # calibrated on the separate validation set, with the training's noise mixture
        yield from iter_calibrate(out_dir, val_dir, noise=config, seed=config.seed, device=str(device))
    yield TrainProgress(global_step, global_step, "train", event="done", epoch=stopping.best_epoch,
                        val_loss=stopping.best_loss)
    return out_dir


def train(data_dir: str | os.PathLike, out_dir: str | os.PathLike, config: TrainConfig = TrainConfig(), **options) -> Path:
    """Train without progress reports; see :func:`iter_train`."""
    from ..progress import run_job

    return run_job(iter_train(data_dir, out_dir, config, **options))
