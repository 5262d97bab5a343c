"""``resandi models | copy-model | init-model``: the model folders."""

from __future__ import annotations

import argparse
from pathlib import Path


def _cmd_copy_model(args: argparse.Namespace) -> int:
    from ..model.registry import resolve_model_path
    from ..model.store import copy_model_folder

    preamble = Path(args.card_preamble).read_text(encoding="utf-8") if args.card_preamble else ""
    out = copy_model_folder(resolve_model_path(args.source), args.destination,
                            weights_dtype="float16" if args.float16 else "float32",
                            description=args.description, card_preamble=preamble)
    size = sum(p.stat().st_size for p in Path(out).iterdir()) / 1e6
    print(f"wrote {out} ({size:.1f} MB)")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from ..model.registry import list_models
    from ..paths import MODELS_DIR_ENV, bundled_models_dir, user_models_dir

    models = list_models()
    if not models:
        print("no models found")
    for info in models:
        flags = [info.origin] + (["default"] if info.is_default else []) + ([] if info.trained else ["UNTRAINED"])
        print(f"{info.name:24s} [{', '.join(flags)}] {info.description}\n{'':24s} {info.path}")
    print(f"\nbundled models: {bundled_models_dir()}\nuser models:    {user_models_dir()} (set {MODELS_DIR_ENV} to change)")
    return 0


def _cmd_init_model(args: argparse.Namespace) -> int:
    from ..model.store import write_untrained_model

    folder = write_untrained_model(args.folder, seed=args.seed)
    print(f"wrote an UNTRAINED model (random weights, seed {args.seed}) to {folder}; for pipeline tests only")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``models``, ``copy-model`` and ``init-model`` to a ``parser.add_subparsers()`` object."""
    models = sub.add_parser("models", help="list bundled and user models")
    models.set_defaults(func=_cmd_models)

    copy = sub.add_parser("copy-model", help="copy a model folder, optionally with float16 weights (half the size)")
    copy.add_argument("source", metavar="MODEL")
    copy.add_argument("destination", metavar="DIR")
    copy.add_argument("--float16", action="store_true", help="store the weights as float16 (loaded as float32)")
    copy.add_argument("--description", help="new one-line description")
    copy.add_argument("--card-preamble", metavar="MARKDOWN_FILE", help="text to put at the top of the model card")
    copy.set_defaults(func=_cmd_copy_model)

    init = sub.add_parser("init-model", help="write an UNTRAINED random model folder (pipeline tests only)")
    init.add_argument("folder", metavar="DIR")
    init.add_argument("--seed", type=int, default=0)
    init.set_defaults(func=_cmd_init_model)
