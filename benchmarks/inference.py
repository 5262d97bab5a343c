"""Inference and Grad-CAM throughput at T = 1000, against this machine's matmul rate.

    python benchmarks/inference.py [--device cpu] [--n 512] [--rounds 3]

Prints trajectories/s for
- ``plain``: the ResAnDi module as written (Conv1d + BatchNorm), forward only;
- ``inference``: ``classify_tracks(..., gradcam=False)``: the whole path users run
  (preprocessing, fused network, probabilities, result tables);
- ``inference+gradcam``: the same with per-point Grad-CAM;
and each as a fraction of the FLOP bound = (float32 matmul GFLOP/s measured in the
same run) / (1.6713 GFLOP per trajectory). Rates are the median over rounds, with
the methods interleaved so that a noisy neighbour hurts them alike. The weights
are random (speed does not depend on them).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resandi_core.classify import classify_tracks  # noqa: E402
from resandi_core.devices import resolve_device  # noqa: E402
from resandi_core.model.preprocess import preprocess  # noqa: E402
from resandi_core.model.store import LoadedModel, random_network  # noqa: E402

GFLOP_PER_TRAJECTORY = 1.6713  # forward pass at T = 1000 (torch.utils.flop_counter)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_gflops(device: torch.device, n: int = 4096, seconds: float = 1.0) -> float:
    """Best float32 matmul rate (GFLOP/s) of n x n matrices over about ``seconds``."""
    a = torch.rand(n, n, device=device)
    b = torch.rand(n, n, device=device)
    a @ b
    synchronize(device)
    best, stop = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < stop:
        start = time.perf_counter()
        a @ b
        synchronize(device)
        best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


def trajectories(n: int, length: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    xy = np.cumsum(rng.normal(size=(n, length, 2)), axis=1)
    return pd.DataFrame(
        {
            "track_id": np.repeat(np.arange(n), length),
            "frame": np.tile(np.arange(length), n),
            "x": xy[..., 0].ravel(),
            "y": xy[..., 1].ravel(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n", type=int, default=512, help="trajectories per measurement")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--matmul-size", type=int, default=2048)
    args = parser.parse_args()

    device, reason = resolve_device(args.device)
    network = random_network(0)
    model = LoadedModel(name="random-seed0", path=Path("."), config={}, network=network)
    table = trajectories(args.n)
    plain = network.to(device)
    plain_inputs = torch.from_numpy(np.stack([preprocess(np.random.default_rng(i).normal(size=(1000, 2)).cumsum(0)) for i in range(128)])).to(device)
    options = {"device": args.device, "batch_size": args.batch_size}

    def run_plain() -> float:
        with torch.inference_mode():
            plain(plain_inputs)
        synchronize(device)
        return len(plain_inputs)

    def run_classify(gradcam: bool) -> float:
        classify_tracks(table, model, gradcam=gradcam, **options)
        return args.n

    methods = {
        "plain": run_plain,
        "inference": lambda: run_classify(False),
        "inference+gradcam": lambda: run_classify(True),
    }
    print(f"device: {reason}; torch {torch.__version__}; {torch.get_num_threads()} CPU threads")
    for fn in methods.values():  # warm-up: oneDNN picks and caches its kernels
        fn()
    rates: dict[str, list[float]] = {name: [] for name in methods}
    matmul = [matmul_gflops(device, args.matmul_size)]
    for _ in range(args.rounds):
        for name, fn in methods.items():
            start = time.perf_counter()
            count = fn()
            rates[name].append(count / (time.perf_counter() - start))
        matmul.append(matmul_gflops(device, args.matmul_size))
    peak = statistics.median(matmul)
    bound = peak / GFLOP_PER_TRAJECTORY
    print(f"float32 matmul ({args.matmul_size}^2): {peak:.1f} GFLOP/s (median of {len(matmul)}) "
          f"-> FLOP bound {bound:.1f} trajectories/s at {GFLOP_PER_TRAJECTORY} GFLOP each")
    median = {name: statistics.median(values) for name, values in rates.items()}
    for name, rate in median.items():
        print(f"{name:18s} {rate:8.1f} trajectories/s  {rate / bound:6.1%} of bound")
    print(f"inference+gradcam time / inference time: {median['inference'] / median['inference+gradcam']:.3f}x")
    print(f"inference / plain module:               {median['inference'] / median['plain']:.3f}x")


if __name__ == "__main__":
    main()
