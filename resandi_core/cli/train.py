"""``resandi generate | train | evaluate | experiment``: the data and training commands.

Thin argument parsing over :mod:`resandi_core.training.synth`, :mod:`resandi_core.training.loop`,
:mod:`resandi_core.training.evaluate` and :mod:`resandi_core.training.experiments`; every
command drives the same generators the GUI's training tab uses.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ResandiError
from .options import int_in
from .progress import run_with_bar


def _cmd_generate(args: argparse.Namespace) -> int:
    from ..training.synth import DatasetSpec, iter_generate

    spec = DatasetSpec(n_per_class=args.n_per_class, seed=args.seed, fixed_length=args.fixed_length,
                       noise=args.noise, shard_size=args.shard_size)  # a bad value raises DatasetError
    folder = run_with_bar(iter_generate(args.out, spec, args.workers), quiet=args.quiet)
    if not args.quiet:
        print(f"{spec.n_per_class * 8:,} trajectories in {folder}")
    return 0


def _train_config(args: argparse.Namespace):
    from ..training.loop import TrainConfig

    fields = ["max_epochs", "batch_size", "lr", "schedule", "lr_step", "lr_gamma", "patience", "min_delta",
              "steps_per_epoch", "val_fraction", "seed", "device", "precision", "augment", "augment_fraction",
              "augment_model", "augment_pool", "init_model", "max_minutes", "bn_recalibration_batches",
              "noise_augment", "noise_sigma_min", "noise_sigma_max", "noise_clean_fraction"]
    return TrainConfig(**{name: getattr(args, name) for name in fields})


def _cmd_train(args: argparse.Namespace) -> int:
    from ..training.loop import iter_train

    config = _train_config(args)
    out = run_with_bar(iter_train(args.data, args.out, config, val_dir=args.val_data, resume=args.resume,
                                     model_name=args.name), quiet=args.quiet)
    if args.test_data:
        _evaluate_into(str(out), args.test_data, args.device, None, Path(out) / "evaluation", card=True,
                       quiet=args.quiet, command=f"resandi train ... --test-data {args.test_data}")
    if not args.quiet:
        print(f"model folder: {out}")
    return 0


def _evaluate_into(model_ref: str, data_dir: str, device: str, batch_size, out: Path, *, card: bool, quiet: bool,
                   command: str):
    from ..training.evaluate import iter_evaluate_into

    job = iter_evaluate_into(model_ref, data_dir, out, device=device, batch_size=batch_size,
                             card_command=command if card else None)
    evaluation = run_with_bar(job, quiet=quiet)
    if not quiet:
        print(f"accuracy {evaluation.accuracy:.2%} on {evaluation.n:,} trajectories; tables and confusion.png in {out}")
        print(evaluation.by_length().to_string(index=False))
    return evaluation


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from ..training.calibrate import iter_calibrate
    from ..training.config import TrainConfig

    noise = None  # default: the model's own training mixture
    if args.noise_augment is not None:
        noise = TrainConfig(noise_augment=args.noise_augment, noise_sigma_min=args.noise_sigma_min,
                            noise_sigma_max=args.noise_sigma_max, noise_clean_fraction=args.noise_clean_fraction)
    job = iter_calibrate(args.model, args.data, noise=noise, device=args.device, min_confidence=args.min_confidence,
                         min_accuracy=args.min_accuracy, seed=args.seed)
    entries = run_with_bar(job, quiet=args.quiet)
    if not args.quiet:
        cal, trust = entries["calibration"], entries["trust"]
        print(f"temperature {cal['temperature']:.3f}; expected calibration error {cal['ece_raw']:.2%} -> "
              f"{cal['ece_calibrated']:.2%} ({cal['mixture']}); uncertain below confidence "
              f"{trust['min_confidence']:g} or {trust['min_points']} points: {trust['fraction_uncertain']:.1%} of the set")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    command = f"resandi evaluate --model {args.model} --data {args.data}"
    _evaluate_into(args.model, args.data, args.device, args.batch_size, Path(args.out), card=args.card,
                   quiet=args.quiet, command=command)
    return 0


def _cmd_erasure(args: argparse.Namespace) -> int:
    from ..model.registry import load_model
    from ..training.experiments import iter_erasure, plot_erasure, write_table
    from ..training.synth import load_dataset

    model = load_model(args.model)
    data = load_dataset(args.data)
    table = run_with_bar(iter_erasure(model, data, seed=args.seed, device=args.device, batch_size=args.batch_size),
                         "erasure", args.quiet)
    out = Path(args.out)
    write_table(table, out / "erasure.csv")
    plot_erasure(table, out / "erasure.png", len(data))
    if not args.quiet:
        print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print(f"written: {out / 'erasure.csv'}, {out / 'erasure.png'}")
    return 0


def _train_noise_models(args: argparse.Namespace) -> dict[str, list[str]]:
    """Train ``--n-models`` models per scheme (targeted, random) for the noise experiment."""
    from dataclasses import replace

    from ..training.loop import TrainConfig, iter_train

    base = TrainConfig(max_epochs=args.max_epochs, steps_per_epoch=args.steps_per_epoch, device=args.device,
                       augment_model=args.baseline_model, augment_fraction=args.augment_fraction)
    folders: dict[str, list[str]] = {"targeted": [], "random": []}
    for scheme, finished in folders.items():
        for k in range(args.n_models):
            folder = Path(args.out) / "models" / f"{scheme}_{k}"
            config = replace(base, augment=scheme, seed=k)
            resume = (folder / "checkpoint.pt").is_file()
            if (folder / "model.safetensors").is_file():
                finished.append(str(folder))  # finished earlier: reuse
                continue
            run_with_bar(iter_train(args.train_data, folder, config, resume=resume), f"{scheme} {k}", args.quiet)
            finished.append(str(folder))
    return folders


def _cmd_noise(args: argparse.Namespace) -> int:
    from ..model.registry import load_model
    from ..training.experiments import iter_noise, plot_noise, summarise_noise, write_table
    from ..training.synth import load_dataset

    if args.train_data:
        if not args.baseline_model:
            raise ResandiError("--train-data needs --baseline-model (the model whose Grad-CAM picks the copies)")
        refs = _train_noise_models(args)
    else:
        refs = {"targeted": args.targeted or [], "random": args.random or []}
        if not refs["targeted"] and not refs["random"]:
            raise ResandiError("no models to compare", hint="give --targeted/--random models, or --train-data and --baseline-model")
    models = {scheme: [load_model(ref) for ref in members] for scheme, members in refs.items() if members}
    data = load_dataset(args.data)
    table = run_with_bar(iter_noise(models, data, protocol=args.protocol, seed=args.seed, device=args.device,
                                    batch_size=args.batch_size), "noise", args.quiet)
    summary = summarise_noise(table)
    out = Path(args.out)
    write_table(table, out / "noise_per_model.csv")
    write_table(summary, out / "noise.csv")
    plot_noise(summary, out / "noise.png", len(data))
    if not args.quiet:
        print(summary.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print(f"written: {out / 'noise.csv'}, {out / 'noise.png'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the data and training commands to the ``resandi`` parser."""
    from ..devices import DEVICE_CHOICES

    device_help = f"one of {', '.join(DEVICE_CHOICES)} or cuda:N (default auto)"

    gen = sub.add_parser("generate", help="generate the 8-class synthetic data set (andi-datasets)", description=(
        "Generate N trajectories per class as in the paper (REFERENCE.md), in shards with a manifest; "
        "running the same command again resumes an interrupted generation."))
    gen.add_argument("--n-per-class", type=int_in(1), required=True, metavar="N")
    gen.add_argument("--out", required=True, metavar="DIR")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--fixed-length", type=int_in(2, 1000), metavar="T", help="every trajectory T points (default: T ~ randint(10, 1000))")
    gen.add_argument("--noise", type=float, default=0.0, metavar="SIGMA", help="localisation noise in increment-std units (default 0)")
    gen.add_argument("--shard-size", type=int_in(1), default=1000, metavar="N", help="trajectories per class per shard (default 1000)")
    gen.add_argument("--workers", type=int_in(1), metavar="N", help="worker processes (default: all cores)")
    gen.add_argument("-q", "--quiet", action="store_true")
    gen.set_defaults(func=_cmd_generate)

    train = sub.add_parser("train", help="train ResAnDi (paper recipe by default)", description=(
        "Train on a generated data set and write a model folder. Defaults are the paper's recipe: Adam 1e-4, "
        "batch 64, StepLR 10/0.5, early stopping 10/0.001, at most 100 epochs. Ctrl+C saves a checkpoint; "
        "--resume continues it exactly."))
    train.add_argument("--data", required=True, metavar="DIR")
    train.add_argument("--out", required=True, metavar="MODEL_DIR")
    train.add_argument("--val-data", metavar="DIR", help="separate validation set (default: hold out --val-fraction)")
    train.add_argument("--test-data", metavar="DIR", help="evaluate the result on this set and write the numbers into its model card")
    train.add_argument("--resume", action="store_true", help="continue from MODEL_DIR/checkpoint.pt")
    train.add_argument("--name", help="description of the model")
    train.add_argument("--max-epochs", type=int_in(1), default=100)
    train.add_argument("--batch-size", type=int_in(1), default=64)
    train.add_argument("--lr", type=float, default=1e-4)
    train.add_argument("--schedule", choices=["step", "cosine"], default="step")
    train.add_argument("--lr-step", type=int_in(1), default=10)
    train.add_argument("--lr-gamma", type=float, default=0.5)
    train.add_argument("--patience", type=int_in(1), default=10)
    train.add_argument("--min-delta", type=float, default=0.001)
    train.add_argument("--steps-per-epoch", type=int_in(1), help="optimiser steps per epoch (default: one pass)")
    train.add_argument("--val-fraction", type=float, default=0.1)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto", help=device_help)
    train.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"], default="auto",
                       help="auto: fp16 mixed precision on CUDA, bf16 on CPUs that support it, else fp32")
    train.add_argument("--augment", choices=["none", "targeted", "random"], default="none")
    train.add_argument("--augment-fraction", type=float, default=0.6)
    train.add_argument("--augment-model", metavar="MODEL", help="model whose Grad-CAM selects the copies (targeted)")
    train.add_argument("--augment-pool", type=int_in(1), metavar="N", help="score at most N training trajectories per class")
    train.add_argument("--fine-tune", dest="init_model", metavar="MODEL", nargs="?", const="default",
                       help="start from a model's weights (default: the bundled model)")
    train.add_argument("--max-minutes", type=float, metavar="MIN", help="stop after the epoch that passes this time")
    train.add_argument("--bn-recalibrate", dest="bn_recalibration_batches", type=int_in(0), default=0, metavar="BATCHES",
                       help="recompute BatchNorm statistics of the final weights over this many batches (default 0: off)")
    train.add_argument("--noise-augment", choices=["none", "uniform", "loguniform"], default="none",
                       help="add localisation noise on the fly: per-trajectory sigma drawn from this distribution "
                            "(increment-std units; default none, the paper's noiseless training)")
    train.add_argument("--noise-sigma-min", type=float, default=0.0, metavar="SIGMA", help="smallest sigma (default 0)")
    train.add_argument("--noise-sigma-max", type=float, default=1.0, metavar="SIGMA", help="largest sigma (default 1)")
    train.add_argument("--noise-clean-fraction", type=float, default=0.25, metavar="F",
                       help="share of trajectories kept noiseless (default 0.25)")
    train.add_argument("-q", "--quiet", action="store_true")
    train.set_defaults(func=_cmd_train)

    cal = sub.add_parser("calibrate", help="fit the confidence calibration and the 'uncertain' rule of a model")
    cal.add_argument("--model", required=True, metavar="MODEL_DIR", help="the model folder (written to)")
    cal.add_argument("--data", required=True, metavar="DIR", help="a validation set not used in training")
    cal.add_argument("--noise-augment", choices=["none", "uniform", "loguniform"],
                     help="noise mixture to draw (default: the model's own training mixture)")
    cal.add_argument("--noise-sigma-min", type=float, default=0.0, metavar="SIGMA")
    cal.add_argument("--noise-sigma-max", type=float, default=1.0, metavar="SIGMA")
    cal.add_argument("--noise-clean-fraction", type=float, default=0.25, metavar="F")
    cal.add_argument("--min-confidence", type=float, default=0.5, metavar="P",
                     help="calibrated confidence below this is 'uncertain' (default 0.5)")
    cal.add_argument("--min-accuracy", type=float, default=0.6, metavar="A",
                     help="tracks shorter than where the measured accuracy reaches this are 'uncertain' (default 0.6)")
    cal.add_argument("--seed", type=int, default=0, help="seed of the noise")
    cal.add_argument("--device", default="auto", help=device_help)
    cal.add_argument("-q", "--quiet", action="store_true")
    cal.set_defaults(func=_cmd_calibrate)

    ev = sub.add_parser("evaluate", help="accuracy and confusion matrix of a model on a generated set")
    ev.add_argument("--model", required=True, metavar="NAME_OR_PATH")
    ev.add_argument("--data", required=True, metavar="DIR")
    ev.add_argument("--out", default="evaluation", metavar="DIR", help="where tables and confusion.png go (default ./evaluation)")
    ev.add_argument("--card", action="store_true", help="write the measured numbers into the model's card")
    ev.add_argument("--device", default="auto", help=device_help)
    ev.add_argument("--batch-size", type=int_in(1), metavar="N")
    ev.add_argument("-q", "--quiet", action="store_true")
    ev.set_defaults(func=_cmd_evaluate)

    exp = sub.add_parser("experiment", help="the paper's experiments: erasure (Fig. 3), noise (Fig. 5)")
    exp_sub = exp.add_subparsers(dest="experiment", required=True, metavar="EXPERIMENT")
    erasure = exp_sub.add_parser("erasure", help="accuracy after erasing each Grad-CAM decile vs random erasure")
    noise = exp_sub.add_parser("noise", help="accuracy vs localisation noise, targeted vs random augmentation")
    for parser in (erasure, noise):
        parser.add_argument("--data", required=True, metavar="DIR", help="clean test set")
        parser.add_argument("--out", required=True, metavar="DIR")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--device", default="auto", help=device_help)
        parser.add_argument("--batch-size", type=int_in(1), metavar="N")
        parser.add_argument("-q", "--quiet", action="store_true")
    erasure.add_argument("--model", default=None, metavar="NAME_OR_PATH", help="default: the bundled model")
    erasure.set_defaults(func=_cmd_erasure)
    noise.add_argument("--targeted", nargs="+", metavar="MODEL", help="models trained with targeted augmentation")
    noise.add_argument("--random", nargs="+", metavar="MODEL", help="models trained with random augmentation")
    noise.add_argument("--protocol", choices=["fresh", "cumulative"], default="fresh",
                       help="fresh noise per level (ours, default) or the authors' cumulative in-place noise")
    noise.add_argument("--train-data", metavar="DIR", help="train the models here first (targeted and random)")
    noise.add_argument("--baseline-model", metavar="MODEL", help="model whose Grad-CAM picks the targeted copies")
    noise.add_argument("--n-models", type=int_in(1), default=5, help="models per scheme when training (default 5)")
    noise.add_argument("--max-epochs", type=int_in(1), default=100)
    noise.add_argument("--steps-per-epoch", type=int_in(1))
    noise.add_argument("--augment-fraction", type=float, default=0.6)
    noise.set_defaults(func=_cmd_noise)
