"""Training and data-generation throughput on this machine.

1. Training samples/s of the paper recipe (Adam, batch 64, cross-entropy, full
   forward + backward + step on (64, 2, 1000) inputs) in the eager fp32
   baseline against the faster variants: bf16 autocast (CPU) and, optionally,
   ``torch.compile``. Rounds are interleaved and the median of each is
   reported, with the ratio to the fp32 baseline measured in the same run.
2. Data generation throughput (trajectories/s) per class, in one process and
   in all cores' worker processes (``resandi_core.training.synth.iter_generate``).

Usage::

    python benchmarks/training.py [--rounds 3] [--steps 6] [--compile] [--n-per-class 400] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

from resandi_core.model.resandi import ResAnDi
from resandi_core.model.spec import CLASS_NAMES
from resandi_core.training.synth import DatasetSpec, generate_dataset


def training_rate(variant: str, steps: int, batch: int = 64) -> float:
    """Samples/s of ``steps`` optimiser steps after 2 warm-up steps."""
    torch.manual_seed(0)
    network = ResAnDi()
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-4)
    model = torch.compile(network) if variant.endswith("compile") else network
    autocast = variant.startswith("bf16")
    inputs = torch.rand(batch, 2, 1000)
    labels = torch.randint(0, 8, (batch,))

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = F.cross_entropy(model(inputs).float(), labels)
        loss.backward()
        optimizer.step()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


def generation_rates(n_per_class: int) -> dict[str, float]:
    """Trajectories/s of each class in one process (varying length 10-1000)."""
    from andi_datasets.models_theory import models_theory

    from resandi_core.training.synth import CLASS_GENERATORS, generate_trajectory

    models = models_theory()
    rng = np.random.default_rng(0)
    rates = {}
    for label, name in enumerate(CLASS_NAMES):
        low, high = CLASS_GENERATORS[label][1:]
        lengths = rng.integers(10, 1001, size=n_per_class)
        alphas = rng.uniform(low, high, size=n_per_class)
        start = time.perf_counter()
        for length, alpha in zip(lengths, alphas):
            generate_trajectory(models, label, int(length), float(alpha))
        rates[name] = n_per_class / (time.perf_counter() - start)
    return rates


def dataset_rate(n_per_class: int, workers: int) -> float:
    """Trajectories/s of a whole balanced data set written with ``workers`` processes."""
    with tempfile.TemporaryDirectory() as folder:
        spec = DatasetSpec(n_per_class=n_per_class, seed=1, shard_size=max(1, n_per_class // (4 * workers)))
        start = time.perf_counter()
        generate_dataset(folder, spec, workers=workers)
        return 8 * n_per_class / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to compile on CPU)")
    parser.add_argument("--n-per-class", type=int, default=400)
    parser.add_argument("--json")
    args = parser.parse_args()

    variants = ["fp32 eager", "bf16 eager"] + (["fp32 compile", "bf16 compile"] if args.compile else [])
    samples: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(args.rounds):
        for variant in variants:
            samples[variant].append(training_rate(variant, args.steps))
    training = {v: statistics.median(r) for v, r in samples.items()}
    baseline = training["fp32 eager"]
    print(f"training, batch 64, T=1000, {torch.get_num_threads()} threads (median of {args.rounds} rounds):")
    for variant, rate in training.items():
        print(f"  {variant:14s} {rate:7.1f} samples/s   {rate / baseline:5.2f}x fp32 eager")

    per_class = generation_rates(args.n_per_class)
    print(f"generation, one process, {args.n_per_class} per class, T ~ randint(10, 1000):")
    for name, rate in per_class.items():
        print(f"  {name:8s} {rate:9.0f} trajectories/s")
    cores = os.cpu_count() or 1
    one = dataset_rate(args.n_per_class, 1)
    every = dataset_rate(args.n_per_class, cores)
    print(f"whole data set ({8 * args.n_per_class} trajectories, incl. writing shards): "
          f"1 worker {one:.0f}/s, {cores} workers {every:.0f}/s ({every / one:.2f}x)")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"training_samples_per_s": training, "training_rounds": samples,
                       "generation_per_class_per_s": per_class,
                       "dataset_per_s": {"1": one, str(cores): every}}, handle, indent=1)


if __name__ == "__main__":
    main()
