"""How long will a training run take? Measure the throughput, then extrapolate.

Before a long run the GUI (and anyone scripting one) wants an honest number:
:func:`measure_training_rate` times a few real optimiser steps of ResAnDi on
this computer, with the run's batch size, precision and device, and
:func:`estimate_training_seconds` turns that rate into the duration of the run
as configured (epochs, steps per epoch, time budget).

What the estimate leaves out, on purpose: early stopping (it can only shorten
the run, so the estimate is an upper bound in that respect), the validation
pass after each epoch (forward only, on ``val_fraction`` of the data), building
the batches from the stored trajectories, and, for targeted augmentation, the
one Grad-CAM pass that picks the copies. On a CPU the optimiser steps dominate.
"""

from __future__ import annotations

import math
import time

from .config import TrainConfig

#: Classes of the data set (the network's output size); the augmentation copies are per class.
_N_CLASSES = 8


def measure_training_rate(config: TrainConfig, device: str = "auto", steps: int = 3) -> float:
    """Training throughput of ResAnDi on this computer, in trajectories (samples) per second.

    One warm-up step (allocations, kernel selection, autocast caches) is run
    first and not counted; then ``steps`` timed optimiser steps (forward,
    cross-entropy, backward, Adam update) on random inputs of the real shape
    ``(config.batch_size, 2, 1000)``, with the same precision, gradient scaler
    and device rules as :func:`resandi_core.training.loop.iter_train`.

    Parameters
    ----------
    config : TrainConfig
        Supplies ``batch_size``, ``precision``, ``lr`` and ``seed``.
    device : str
        ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``: where to measure
        (normally ``config.device``, the device the run will use).
    steps : int
        Timed steps (at least 1). More steps average out noise but cost time:
        on a 2-core CPU one step of batch 64 takes seconds.

    Returns
    -------
    float
        Samples per second, > 0.

    Raises
    ------
    DeviceError
        The device is not available.
    TrainingError
        The precision does not suit the device (fp16 off CUDA).
    """
    import torch
    import torch.nn.functional as F

    from ..devices import resolve_device
    from ..model.resandi import ResAnDi
    from ..model.spec import INPUT_LENGTH
    from .loop import _resolve_precision

    if steps < 1:
        raise ValueError("steps must be at least 1")
    torch_device, _ = resolve_device(device)
    autocast = _resolve_precision(config.precision, torch_device)
    if torch_device.type == "cpu":
        # As iter_train does: denormals are ~100x slower on x86 and would make
        # the measurement slower than the real run.
        torch.set_flush_denormal(True)
    generator = torch.Generator().manual_seed(config.seed)
    network = ResAnDi().to(torch_device).train()
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    scaler = torch.amp.GradScaler("cuda", enabled=autocast == torch.float16)
    # Inputs in [0, 1] like the min-max-scaled real ones, so no numerical path
    # (denormals, overflow in fp16) is taken that real data would not take.
    inputs = torch.rand(config.batch_size, 2, INPUT_LENGTH, generator=generator).to(torch_device)
    labels = torch.randint(0, _N_CLASSES, (config.batch_size,), generator=generator).to(torch_device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(torch_device.type, dtype=autocast or torch.float32, enabled=autocast is not None):
            loss = F.cross_entropy(network(inputs).float(), labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    def synchronise() -> None:
        # GPU kernels run asynchronously; without this the clock stops early.
        if torch_device.type == "cuda":
            torch.cuda.synchronize(torch_device)
        elif torch_device.type == "mps":
            torch.mps.synchronize()

    step()
    synchronise()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    synchronise()
    elapsed = time.perf_counter() - started
    return steps * config.batch_size / max(elapsed, 1e-9)


def training_items(n_train: int, config: TrainConfig) -> int:
    """Items a run trains on: the training trajectories plus augmentation copies.

    Parameters
    ----------
    n_train : int
        Training trajectories (without the held-out validation part).
    config : TrainConfig

    Returns
    -------
    int
        ``n_train`` plus, with augmentation, ``augment_fraction`` of each class's
        scoring pool (``augment_pool`` per class, or the whole class). Classes are
        assumed balanced, so this is exact for a separate validation folder and
        within a few items for a held-out split.
    """
    if config.augment == "none":
        return n_train
    per_class = n_train / _N_CLASSES
    if config.augment_pool is not None:
        per_class = min(per_class, config.augment_pool)
    return n_train + _N_CLASSES * int(round(config.augment_fraction * int(per_class)))


def estimate_training_seconds(config: TrainConfig, n_train: int, rate: float) -> float:
    """Seconds the optimiser steps of a run take, at ``rate`` samples/s.

    ``epochs × steps per epoch × batch size / rate``, where steps per epoch is
    ``config.steps_per_epoch`` or one pass over the ``n_train`` items (as
    :func:`resandi_core.training.loop.iter_train` counts them), and epochs is
    ``config.max_epochs`` or fewer under ``config.max_minutes``: training stops
    before the first epoch that would start after the budget has passed, so the
    epoch that crosses it still runs to its end.

    Parameters
    ----------
    config : TrainConfig
    n_train : int
        Items per pass (see :func:`training_items`).
    rate : float
        Samples per second (from :func:`measure_training_rate`).

    Returns
    -------
    float
        Seconds; early stopping can make the real run shorter, validation and
        batch preparation a little longer (see the module docstring).
    """
    if not rate > 0:
        raise ValueError("rate must be a positive number of samples per second")
    steps_per_epoch = config.steps_per_epoch or max(1, n_train // config.batch_size)
    epoch_s = steps_per_epoch * config.batch_size / rate
    epochs = config.max_epochs
    if config.max_minutes is not None:
        # iter_train starts epoch k + 1 only while k epochs took <= the budget.
        epochs = min(epochs, math.floor(60 * config.max_minutes / epoch_s) + 1)
    return epochs * epoch_s
