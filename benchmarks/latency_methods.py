"""Compares the ways of timing one inference call of a Keras model, side by side in one run.

    python benchmarks/latency_methods.py [--repeats 20] [--warmup 5]

For a small CNN and the default `MobileNetSpace` on 8x8x1 inputs, at batch 1 and 32, prints
the median time of one call (and the time of the warm-up calls, tracing included) for: an eager
`model(x, training=False)`, `model.predict`, `model.predict_on_batch`, a `tf.function` with a
fixed input signature, its concrete function (what `keras_nas.objectives.latency` times), and
the `tf.function` with XLA (whose warm-up includes its tracing and compilation), and the time
of tracing the `tf.function`. The module docstring of `keras_nas/objectives/latency.py` quotes
these figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def small_cnn():
    import keras

    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def time_calls(call, warmup: int, repeats: int) -> tuple[float, float]:
    """The warm-up time and the median time of one call, both in milliseconds."""
    start = time.perf_counter()
    for _ in range(warmup):
        call()
    warm = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * warm, 1000 * statistics.median(times)


def methods(model, x):
    import tensorflow as tf

    def compiled(jit_compile: bool):
        infer = tf.function(
            lambda t: model(t, training=False),
            input_signature=[tf.TensorSpec(x.shape, x.dtype)],
            jit_compile=jit_compile,
        )
        return infer

    infer = compiled(False)
    start = time.perf_counter()
    # Traced here, once, and timed apart: the warm-up calls of both the `tf.function` and its
    # concrete function then exclude tracing (the first call still optimises the graph).
    concrete = infer.get_concrete_function()
    trace_ms = 1000 * (time.perf_counter() - start)
    xla = compiled(True)
    return trace_ms, {
        "eager model(x)": lambda: model(x, training=False).numpy(),
        "model.predict": lambda: model.predict(x, verbose=0),
        "predict_on_batch": lambda: model.predict_on_batch(x),
        "tf.function": lambda: infer(x).numpy(),
        "concrete function": lambda: concrete(x).numpy(),
        "tf.function XLA": lambda: xla(x).numpy(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)

    import tensorflow as tf

    from keras_nas.search_spaces import MobileNetSpace

    print(f"python benchmarks/latency_methods.py --repeats {args.repeats} --warmup {args.warmup}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"TensorFlow {tf.__version__}, Python {sys.version.split()[0]}"
    )
    models = {
        "small CNN 8x8x1": small_cnn(),
        "MobileNetSpace 8x8x1": MobileNetSpace(input_shape=(8, 8, 1), num_classes=10).build_model(),
    }
    print("| model | batch | method | median ms | warm-up ms |")
    print("|---|---|---|---|---|")
    for name, model in models.items():
        for batch in (1, 32):
            x = tf.random.uniform((batch, *model.inputs[0].shape[1:]))
            trace_ms, calls = methods(model, x)
            print(f"| {name} | {batch} | tracing the tf.function | | {trace_ms:.0f} |")
            for method, call in calls.items():
                warm, median = time_calls(call, args.warmup, args.repeats)
                print(f"| {name} | {batch} | {method} | {median:.3f} | {warm:.0f} |", flush=True)


if __name__ == "__main__":
    main()
