"""The `keras-nas` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from keras_nas.version import __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `keras-nas` command; returns its exit status."""
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keras-nas",
        description="Neural architecture search for Keras, on KerasTuner.",
    )
    parser.add_argument("--version", action="version", version=f"keras-nas {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="search architectures for scikit-learn's 8x8 digits (no download)",
        description=(
            "Run a complete architecture search on scikit-learn's 8x8 handwritten digits, which "
            "ship with scikit-learn (nothing is downloaded). Prints one line per trial, then "
            "the best architectures; writes TensorBoard logs and the best model (.keras) under "
            "DIRECTORY/digits. About a minute and a half on 2 CPU cores with the defaults."
        ),
    )
    demo.add_argument(
        "--trials",
        type=_positive_int,
        default=8,
        help="number of architectures to try (default: 8)",
    )
    demo.add_argument(
        "--epochs",
        type=_positive_int,
        default=6,
        help="maximum training epochs per architecture (default: 6)",
    )
    demo.add_argument(
        "--directory",
        default="keras_nas_runs",
        help="folder for the run's files (default: ./keras_nas_runs)",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in DIRECTORY instead of starting afresh",
    )
    demo.set_defaults(handler=_run_demo)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from keras_nas.demo import run_demo  # Imports TensorFlow: only when a command needs it.

    run_demo(
        directory=args.directory,
        max_trials=args.trials,
        epochs=args.epochs,
        seed=args.seed,
        overwrite=not args.resume,
    )
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
