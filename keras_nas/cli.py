"""The `keras-nas` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from keras_nas.quiet import quiet_tensorflow
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
        "--max-time",
        type=_positive_seconds,
        default=None,
        metavar="SECONDS",
        help="stop the search within this many seconds (default: no limit)",
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
    report = commands.add_parser(
        "report",
        help="tabulate a search's trials and best architecture; plot its progress",
        description=(
            "Report on a KerasTuner search, finished or running: a table of its trials (status, "
            "score, parameters, FLOPs, seconds, architecture), the best trial's architecture "
            "in full, and plots: progress.png (score by trial, best so far), pareto.png (for "
            "a search with two or more objectives) and architecture.png (the best trial's "
            "graph, for searches by keras-nas tuners). Reads only the JSON files of DIR, so it "
            "needs no model or search space. Exits with 2 when DIR is not a project folder."
        ),
    )
    _add_project_directory(report)
    report.add_argument("--out", metavar="OUT_DIR", help="folder for the plots (default: DIR)")
    report.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document (every trial with its values, the best, the objective)",
    )
    report.add_argument("--no-plots", action="store_true", help="write no PNG files")
    report.set_defaults(handler=_run_report)
    export = commands.add_parser(
        "export",
        help="save a search's best trial as a .keras model file",
        description=(
            "Save the best completed trial of a search (or the trial --trial) as a plain "
            ".keras file: the model of its architecture, with the weights of its best epoch "
            "(of a one-shot trial: those it was scored with), which keras.saving.load_model "
            "reads with nothing but keras. Rebuilds the model from DIR alone, for searches of "
            "keras-nas search spaces by keras-nas tuners. Exits with 2 when an argument is "
            "wrong."
        ),
    )
    _add_project_directory(export)
    export.add_argument(
        "--out", metavar="FILE.keras", required=True, help="the model file to write"
    )
    export.add_argument(
        "--trial", metavar="ID", help="the trial to export (default: the best completed one)"
    )
    export.set_defaults(handler=_run_export)
    reproduce = commands.add_parser(
        "reproduce",
        help="retrain one trial of a search as the search did; compare the scores",
        description=(
            "Retrain the trial --trial of the search in DIR as the search trained it, from its "
            "run manifest (manifest.json: the fit settings, the seed, a fingerprint of the "
            "data), and print its recorded and reproduced score. After a search with "
            "deterministic=True, on the same machine, the two are identical (bit for bit on "
            "CPU). The data come from --data, a function that returns ((x, y), (x_val, y_val)) "
            "as keras.datasets' load_data does; the model from the search's keras-nas space, or "
            "from --build for your own build(hp). Exits with 1 when a deterministic search's "
            "scores differ, with 2 when an argument is wrong."
        ),
    )
    _add_project_directory(reproduce)
    reproduce.add_argument("--trial", metavar="ID", required=True, help="the trial to retrain")
    reproduce.add_argument(
        "--data",
        metavar="MODULE:FUNCTION",
        required=True,
        help="the data the search trained on, e.g. keras_nas.datasets:load_digits",
    )
    reproduce.add_argument(
        "--build",
        metavar="MODULE:FUNCTION",
        help="your build(hp) function, for a search that did not use a keras-nas space",
    )
    reproduce.add_argument("--verbose", action="store_true", help="show Keras's line per epoch")
    reproduce.set_defaults(handler=_run_reproduce)
    launch = commands.add_parser(
        "launch",
        help="run a search script as a chief and N workers on this machine (parallel trials)",
        description=(
            "Run COMMAND (a search script) N + 1 times as one parallel search, with "
            "KerasTuner's chief/worker variables set: the chief serves the oracle, each "
            "worker trains trials. Prints every process's output with its name and exits "
            "with the chief's status. Example: keras-nas launch --workers 2 -- python "
            "search.py"
        ),
    )
    launch.add_argument(
        "--workers", type=_positive_int, required=True, help="number of worker processes"
    )
    launch.add_argument(
        "--host",
        default="127.0.0.1",
        help="address the chief listens on (default: 127.0.0.1, this machine only)",
    )
    launch.add_argument(
        "--port", type=_positive_int, default=None, help="the chief's port (default: a free one)"
    )
    launch.add_argument(
        "--gpus",
        type=_gpu_list,
        default=None,
        metavar="LIST",
        help="pin worker i to GPU LIST[i %% len(LIST)], e.g. 0,1,2,3 (default: no pinning)",
    )
    launch.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="the search to run"
    )
    launch.set_defaults(handler=_run_launch)
    return parser


def _add_project_directory(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "directory",
        metavar="DIR",
        help=(
            "the search's project folder: the tuner's directory/project_name (it holds "
            "oracle.json and trial_*/trial.json)"
        ),
    )


def _run_demo(args: argparse.Namespace) -> int:
    quiet_tensorflow()
    from keras_nas.demo import run_demo  # Imports TensorFlow: only when a command needs it.

    run_demo(
        directory=args.directory,
        max_trials=args.trials,
        epochs=args.epochs,
        max_time=args.max_time,
        seed=args.seed,
        overwrite=not args.resume,
    )
    return 0


def _run_report(args: argparse.Namespace) -> int:
    from keras_nas import report

    try:
        search = report.load_report(args.directory)
    except ValueError as error:
        print(f"keras-nas report: error: {error}", file=sys.stderr)
        return 2
    plots = []
    if not args.no_plots:
        try:
            plots = report.write_report(search, args.out or args.directory)
        except (OSError, ValueError) as error:  # A folder we cannot write; a malformed graph.
            print(f"keras-nas report: error: cannot write the plots: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(report.report_json(search, plots), indent=2))
    else:
        print(report.format_report(search, plots))
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from keras_nas import export

    try:
        plan = export.plan_export(args.directory, args.out, args.trial)
    except ValueError as error:
        print(f"keras-nas export: error: {error}", file=sys.stderr)
        return 2
    quiet_tensorflow()
    try:
        export.write_export(plan)
    except (OSError, ValueError) as error:
        print(f"keras-nas export: error: {error}", file=sys.stderr)
        return 1
    score = "-" if plan.trial.score is None else f"{plan.trial.score:.4f}"
    print(f"Saved trial {plan.trial.trial_id} ({plan.objective} {score}) to {plan.path}")
    return 0


def _run_reproduce(args: argparse.Namespace) -> int:
    quiet_tensorflow()
    from keras_nas.tuners.reproduce import reproduce_from_files

    try:
        result = reproduce_from_files(
            args.directory, args.trial, data=args.data, build=args.build, verbose=args.verbose
        )
    except ValueError as error:
        print(f"keras-nas reproduce: error: {error}", file=sys.stderr)
        return 2
    print(result)
    return 1 if result.deterministic and not result.identical else 0


def _run_launch(args: argparse.Namespace) -> int:
    from keras_nas.distribute.launch import launch

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print(
            "keras-nas launch: error: give the command to run after --, e.g. "
            "keras-nas launch --workers 2 -- python search.py",
            file=sys.stderr,
        )
        return 2
    try:
        return launch(command, args.workers, host=args.host, port=args.port, gpus=args.gpus)
    except ValueError as error:
        print(f"keras-nas launch: error: {error}", file=sys.stderr)
        return 2


def _gpu_list(text: str) -> list[str]:
    gpus = [gpu.strip() for gpu in text.split(",") if gpu.strip()]
    if not gpus:
        raise argparse.ArgumentTypeError(f"must list GPU numbers such as 0,1, got {text!r}")
    return gpus


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())
