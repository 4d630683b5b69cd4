"""The inference latency of a Keras model, measured on the device that runs it.

`measure_latency_ms` times one inference call of a built model on a random batch and returns
the median over repeated calls, in milliseconds. What it times is the call a deployed model
makes: on the TensorFlow backend, the model is traced once into a `tf.function` with a fixed
input signature (batch size included, `jit_compile` off, `training=False`), and its concrete
function, the same kind of graph that a SavedModel's serving signature runs, is called
directly; the inputs are made on the device beforehand, and each timed call ends when its
outputs are read back (`.numpy()`), so that an asynchronous device (a GPU) has finished.

Why this call and not another: `python benchmarks/latency_methods.py` times them all side by
side. Median of 20 calls after 5 warm-up calls, in ms, on 2 CPU cores busy with a test run
(x86_64, TensorFlow 2.21); the graph timings hardly move with the load, the eager ones do:

| call | CNN, batch 1 | CNN, batch 32 | MobileNet, batch 1 | MobileNet, batch 32 |
|---|---|---|---|---|
| `model(x, training=False)` | 5.9 | 3.4 | 150 | 124 |
| `model.predict(x)` | 152 | 135 | 78 | 97 |
| `model.predict_on_batch(x)` | 0.38 | 0.71 | 5.9 | 24 |
| `tf.function` | 0.36 | 0.68 | 6.3 | 19 |
| its concrete function | 0.26 | 0.55 | 6.0 | 19 |
| `tf.function(jit_compile=True)` | 0.17 | 0.51 | 6.5 | 109 |

(CNN: two 3x3 convolutions on 8x8x1; MobileNet: the default `MobileNetSpace` on 8x8x1.)

- `model(x, training=False)` runs eagerly, one Python dispatch per layer: on the MobileNet it
  measures Python, 20x the graph's time, not the network.
- `model.predict` adds a data pipeline, callbacks and a progress bar to every call (50 to
  150 ms on a model that needs 0.3 ms).
- `model.predict_on_batch` is a compiled call too, and about as fast, but it runs under the
  model's `compile(jit_compile=...)` setting (XLA where Keras turns it on), caches a function
  on the model and converts every output to NumPy.
- A `tf.function` call spends about 0.1 ms binding its arguments before it reaches its
  concrete function; calling the concrete function leaves that out, as serving does.
- XLA was faster on the small CNN but 6x slower on the MobileNet at batch 32 on CPU, and
  takes 0.5 to 2.5 s to compile: a deployment choice of its own, not the default one.

Tracing (35 to 60 ms for the small CNN, 0.6 to 1.4 s for the 180-layer MobileNet) and the
warm-up calls, the first of which lets TensorFlow optimise the graph, are not timed. With the
defaults (3 warm-up calls, 15 timed calls, at most 1 s of timed calls) measuring a small model
takes about 0.1 s. On a backend other than TensorFlow the timed call is
`model.predict_on_batch`, that backend's compiled inference (not measured here).

Latency depends on the machine and on what else runs on it: compare models measured on one
machine in one run, as ratios, and report the machine with the numbers.

`latency_metrics` names the results `"latency_ms"` for batch 1 and `"latency_ms_b{n}"` for
batch n (`latency_metric_name`): the time of one call on the whole batch, not per example.
"""

from __future__ import annotations

import numbers
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from keras_nas.arguments import check_count, check_seconds
from keras_nas.objectives.cost import _check_built

#: The name of the batch-1 latency in `latency_metrics`; batch n is `"latency_ms_b{n}"`.
LATENCY_METRIC = "latency_ms"

# A timed loop that ran out of `max_seconds` still keeps this many calls for its median.
_MIN_TIMED_CALLS = 3


def measure_latency_ms(
    model: keras.Model,
    batch_size: int = 1,
    *,
    warmup: int = 3,
    repeats: int = 15,
    max_seconds: float | None = 1.0,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None,
) -> float:
    """The median wall time, in milliseconds, of one inference call of a model on a batch.

    The model is compiled for inference once (see the module docstring for how and why),
    called `warmup` times untimed, then `repeats` times, each call timed with
    `time.perf_counter`. Each input gets a random tensor of `batch_size` examples, uniform in
    [0, 1) for floating inputs and zeros for integer and boolean ones (a valid index for any
    embedding).

    Example:
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
    ...                           keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])
    >>> latency = measure_latency_ms(model)
    >>> 0 < latency < 1000
    True

    Args:
        model: A built Keras model (Functional, Sequential, or subclassed with `input_shape`).
        batch_size: The number of examples in each call.
        warmup: Untimed calls before the timed ones (0 or more).
        repeats: Timed calls whose median is returned.
        max_seconds: Stop timing once the timed calls have taken this long in all, after at
            least three of them (or `repeats`, if fewer); `None` always makes `repeats`.
        input_shape: The shape of one example, without the batch dimension, or one shape per
            input; `None` takes the model's input shapes, which must then be fully known.
            Needed for a subclassed model, which has no recorded inputs.

    Returns:
        The median time of one call, in milliseconds.

    Raises:
        ValueError: If the model is not a built Keras model, an argument is not a positive
            integer (`warmup`: non-negative) or number, or an input shape is not fully known
            or does not match the model's inputs.
    """
    batch_size = check_count("batch_size", batch_size, minimum=1)
    repeats = check_count("repeats", repeats, minimum=1)
    warmup = check_count("warmup", warmup, minimum=0)
    max_seconds = check_seconds("max_seconds", max_seconds)
    _check_built(model, "measure_latency_ms")
    inputs = _random_inputs(model, batch_size, input_shape)
    call = _inference_call(model, inputs)
    for _ in range(warmup):
        call()
    times: list[float] = []
    spent = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
        spent += times[-1]
        if max_seconds is not None and spent >= max_seconds and len(times) >= _MIN_TIMED_CALLS:
            break
    return 1000.0 * statistics.median(times)


def latency_metrics(
    model: keras.Model,
    batch_sizes: Sequence[int] = (1,),
    *,
    warmup: int = 3,
    repeats: int = 15,
    max_seconds: float | None = 1.0,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None,
) -> dict[str, float]:
    """The latency of a model at each batch size, as metrics named by `latency_metric_name`.

    Example:
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> sorted(latency_metrics(model, batch_sizes=(1, 32)))
    ['latency_ms', 'latency_ms_b32']

    Args:
        model: A built Keras model; see `measure_latency_ms`.
        batch_sizes: The batch sizes to measure, each once.
        warmup, repeats, max_seconds, input_shape: As for `measure_latency_ms`, per batch size.

    Returns:
        `{latency_metric_name(batch_size): milliseconds}` for each batch size, in order.

    Raises:
        ValueError: If `batch_sizes` is empty, repeats a size or holds one that is not a
            positive integer, or as `measure_latency_ms` does.
    """
    if isinstance(batch_sizes, (str, bytes)) or not isinstance(batch_sizes, Sequence):
        raise ValueError(
            "`batch_sizes` must be a list of positive integers, e.g. (1, 32). "
            f"Received: batch_sizes={batch_sizes!r}."
        )
    names = [latency_metric_name(batch_size) for batch_size in batch_sizes]
    if not names or len(set(names)) != len(names):
        raise ValueError(
            "`batch_sizes` must hold at least one batch size, each once, e.g. (1, 32). "
            f"Received: batch_sizes={batch_sizes!r}."
        )
    return {
        name: measure_latency_ms(
            model,
            batch_size,
            warmup=warmup,
            repeats=repeats,
            max_seconds=max_seconds,
            input_shape=input_shape,
        )
        for name, batch_size in zip(names, batch_sizes, strict=True)
    }


def latency_metric_name(batch_size: int) -> str:
    """The metric name of the latency at `batch_size`: `"latency_ms"` for 1, else with `_b{n}`.

    Example:
    >>> latency_metric_name(1), latency_metric_name(32)
    ('latency_ms', 'latency_ms_b32')

    Raises:
        ValueError: If `batch_size` is not a positive integer.
    """
    batch_size = check_count("batch_size", batch_size, minimum=1)
    return LATENCY_METRIC if batch_size == 1 else f"{LATENCY_METRIC}_b{batch_size}"


def _inference_call(model: keras.Model, inputs: Any) -> Callable[[], None]:
    """A function that runs the model once on `inputs` and waits for its outputs."""
    if keras.backend.backend() != "tensorflow":
        return lambda: model.predict_on_batch(inputs)
    import tensorflow as tf

    flat = tf.nest.flatten(inputs)

    def infer(*tensors):
        return model(tf.nest.pack_sequence_as(inputs, list(tensors)), training=False)

    signature = [tf.TensorSpec(tensor.shape, tensor.dtype) for tensor in flat]
    function = tf.function(infer, input_signature=signature, jit_compile=False)
    concrete = function.get_concrete_function()

    def call() -> None:
        for output in tf.nest.flatten(concrete(*flat)):
            output.numpy()

    return call


def _random_inputs(
    model: keras.Model,
    batch_size: int,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None,
) -> Any:
    """One random batch per model input, on the default device, in the model's input structure."""
    references = getattr(model, "inputs", None)
    if references is None and input_shape is None:
        raise ValueError(
            "`measure_latency_ms` needs the input shape of a model without recorded inputs (a "
            "subclassed model). Pass `input_shape`, e.g. input_shape=(8, 8, 1). "
            f"Received: input_shape=None for the model {model.name!r}."
        )
    specs = _input_specs(references, input_shape)
    for shape, _ in specs:
        if not all(
            isinstance(size, numbers.Integral) and not isinstance(size, bool) and size > 0
            for size in shape
        ):
            raise ValueError(
                "`measure_latency_ms` needs every dimension of an example but the batch to be a "
                f"positive integer. Model inputs: {_shapes(references)}. Pass `input_shape` with "
                f"the sizes to measure. Received: input_shape={input_shape}."
            )
    tensors = [_random_tensor((batch_size, *shape), dtype) for shape, dtype in specs]
    try:
        structure = model.input  # A Functional model's input structure (dict inputs included).
    except (AttributeError, ValueError):  # A subclassed model, or a Sequential one that
        structure = None  # was built with `build(shape)`: one tensor, or a list.
    if structure is None:
        return tensors[0] if len(tensors) == 1 else tensors
    return keras.tree.pack_sequence_as(structure, tensors)


def _input_specs(
    references: list[Any] | None, input_shape: Sequence[int] | Sequence[Sequence[int]] | None
) -> list[tuple[tuple[Any, ...], str]]:
    """The shape of one example and the dtype of each model input (one float32 input for a
    model without recorded inputs)."""
    if references is None:
        shape = _shape_of(input_shape, rank=None)
        if shape is not None:
            return [(shape, "float32")]
        shapes = None
    elif input_shape is None:
        shapes = [tuple(reference.shape[1:]) for reference in references]
    elif len(references) == 1:
        shapes = [_shape_of(input_shape, rank=len(references[0].shape) - 1)]
    elif isinstance(input_shape, Sequence) and len(input_shape) == len(references):
        shapes = [
            _shape_of(shape, rank=len(reference.shape) - 1)
            for shape, reference in zip(input_shape, references, strict=True)
        ]
    else:
        shapes = None
    if shapes is None or None in shapes:
        raise ValueError(
            "`input_shape` must give the shape of one example, without the batch dimension, "
            f"for each input of the model. Model inputs: {_shapes(references)}. "
            f"Received: input_shape={input_shape}."
        )
    return [(shape, reference.dtype) for shape, reference in zip(shapes, references, strict=True)]


def _shape_of(shape: Any, *, rank: int | None) -> tuple[Any, ...] | None:
    """`shape` as a tuple if it is a sequence of `rank` sizes (any rank for `None`)."""
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        return None
    if rank is not None and len(shape) != rank:
        return None
    return tuple(shape)


def _shapes(references: list[Any] | None) -> list[tuple[Any, ...]] | str:
    if references is None:
        return "not recorded (a subclassed model)"
    return [tuple(reference.shape) for reference in references]


def _random_tensor(shape: tuple[int, ...], dtype: str) -> Any:
    if np.issubdtype(np.dtype(keras.backend.standardize_dtype(dtype)), np.floating):
        return keras.random.uniform(shape, dtype=dtype)
    return keras.ops.zeros(shape, dtype=dtype)
