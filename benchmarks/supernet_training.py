"""How fast a MacroSpace supernet learns, as its choices are opened one at a time.

    TF_CPP_MIN_LOG_LEVEL=2 python benchmarks/supernet_training.py [--epochs 5] [--seed 0]
        [--variants kernel2 kernel4 ...] [--optimizer single-path-adam|adam|sgd-0.05|sgd-0.1]

Each variant is a 3-stage `MacroSpace` on scikit-learn's digits with only some choices open.
Its supernet (`space.build_supernet(0.003)`, the single-path Adam of `OneShotSearch`) trains
for `--epochs` epochs of 45 steps, every step on a uniformly sampled path (`SamplePaths`), and
the training accuracy of each epoch is printed: the accuracy of the paths being trained.
`--optimizer` replaces the supernet's optimizer: `adam` (Keras's, which also moves the
branches a step did not run), `sgd-0.05` or `sgd-0.1` (single-path SGD with Nesterov
momentum 0.9 at that learning rate).
`fixed` trains one path all the time, the reference for how fast a single network learns.
Only accuracies are compared, so other load on the machine does not change the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from keras_nas.datasets import load_digits  # noqa: E402
from keras_nas.layers import set_path, single_path_optimizer  # noqa: E402
from keras_nas.search_spaces import MacroSpace  # noqa: E402
from keras_nas.tuners.one_shot import PathSampler  # noqa: E402
from keras_nas.tuners.one_shot.supernet_training import SamplePaths  # noqa: E402

OPTIMIZERS = {
    "single-path-adam": None,  # The supernet's own.
    "adam": lambda: keras.optimizers.Adam(0.003),
    "sgd-0.05": lambda: single_path_optimizer(keras.optimizers.SGD(0.05, 0.9, nesterov=True)),
    "sgd-0.1": lambda: single_path_optimizer(keras.optimizers.SGD(0.1, 0.9, nesterov=True)),
}

ONE_OPERATION = dict(block_types=("conv",), kernels=(3,), widths=(32,), depths=(1,))
# name: (what is open, MacroSpace arguments beyond ONE_OPERATION's)
VARIANTS = {
    "fixed": ("nothing: one path trained throughout", dict(widths=(8, 16, 32), depths=(1, 2))),
    "kernel2": ("kernel 3 or 5 (one elastic kernel)", dict(kernels=(3, 5))),
    "kernel4": (
        "kernel 1, 3, 5 or 7 (2 operations: 1, and an elastic 3-5-7)",
        dict(kernels=(1, 3, 5, 7)),
    ),
    "conv_resnet": ("block conv or resnet (2 operations)", dict(block_types=("conv", "resnet"))),
    "block4": (
        "block conv, separable, mbconv or resnet (4 operations)",
        dict(block_types=("conv", "separable", "mbconv", "resnet"), expansions=(6,)),
    ),
    "width": ("width 8, 16 or 32 (shared leading channels)", dict(widths=(8, 16, 32))),
    "depth": ("depth 1 or 2", dict(depths=(1, 2))),
    "width_depth": ("width and depth", dict(widths=(8, 16, 32), depths=(1, 2))),
    "mbconv_all": (
        "MBConv only, with kernel, expansion, squeeze-excite, width and depth",
        dict(
            block_types=("mbconv",),
            kernels=(3, 5),
            widths=(8, 16, 32),
            depths=(1, 2),
            expansions=(3, 6),
        ),
    ),
    "mbconv_resnet": (
        "blocks MBConv or ResNet, with kernel, expansion, squeeze-excite, width and depth",
        dict(
            block_types=("mbconv", "resnet"),
            kernels=(3, 5),
            widths=(8, 16, 32),
            depths=(1, 2),
            expansions=(3, 6),
        ),
    ),
    "benchmark": (
        "the MacroSpace of benchmarks/weight_sharing.py (4 block types, kernel, expansion, "
        "squeeze-excite, width, depth)",
        dict(
            block_types=("conv", "separable", "mbconv", "resnet"),
            kernels=(3, 5),
            widths=(8, 16, 32),
            depths=(1, 2),
            expansions=(3, 6),
        ),
    ),
}


def train_variant(
    name: str, epochs: int, seed: int, data, optimizer: str = "single-path-adam"
) -> tuple[list[float], float]:
    """The training accuracy of each epoch of the variant's supernet, and its seconds."""
    (x, y), _ = data
    space = MacroSpace(
        input_shape=x.shape[1:],
        num_classes=10,
        num_stages=3,
        **{**ONE_OPERATION, **VARIANTS[name][1]},
    )
    keras.utils.set_random_seed(seed)
    supernet = space.build_supernet(0.003)
    if OPTIMIZERS[optimizer] is not None:
        supernet.compile(
            optimizer=OPTIMIZERS[optimizer](),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    sampler = PathSampler(space, seed=seed)
    callbacks = []
    if name == "fixed":
        set_path(supernet, sampler())
    else:
        callbacks.append(SamplePaths(sampler))
    start = time.perf_counter()
    history = supernet.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks)
    return history.history["accuracy"], time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS), default="single-path-adam")
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("command: python benchmarks/supernet_training.py " + shlex.join(sys.argv[1:]))
    data = load_digits(seed=args.seed)
    epochs = " | ".join(f"epoch {k}" for k in range(1, args.epochs + 1))
    print(f"\n| variant | open choices | {epochs} | seconds |")
    print("|---|---|" + "---|" * args.epochs + "---|")
    for name in args.variants:
        accuracies, seconds = train_variant(name, args.epochs, args.seed, data, args.optimizer)
        row = " | ".join(f"{accuracy:.3f}" for accuracy in accuracies)
        print(f"| {name} | {VARIANTS[name][0]} | {row} | {seconds:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
