"""Zero-cost proxies: scores of an untrained network from one mini-batch, in about a second.

A zero-cost proxy ranks candidate architectures before any training, from the network as it is
initialized. On NAS-Bench-201 the best of them rank cells about as well as several epochs of
training (Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight NAS"; Mellor et al. 2021,
"Neural Architecture Search without Training"). Higher is better for every proxy here.

- `synflow`: the sum over weights of `|w * dR/dw|`, where `R` is the sum of the logits of a
  copy of the network whose weights are all made positive, fed one input of all ones, in
  float64 and with its BatchNormalization layers removed (Tanaka et al. 2020, as Abdelfattah
  et al. score it). It needs no data.
- `naswot`: `log|det K|` of the batch's kernel `K = c c^T + (1 - c)(1 - c)^T`, where row `c_i`
  holds which units of the ReLU-like activations example `i` switches on (Mellor et al. 2021).
- `jacob_cov`: `-sum(log(v + k) + 1 / (v + k))` over the eigenvalues `v` of the correlation
  matrix of the examples' input gradients of the summed logits, `k = 1e-5` (Mellor et al.'s
  first version, as Abdelfattah et al. score it).
- `grad_norm`: the sum over layers of the norm of the loss's gradient with respect to their
  weights.
- `snip`: the sum over weights of `|w * dL/dw|`, the loss's sensitivity to removing each
  weight (Lee et al. 2019).
- `params` and `flops`: the network's size and multiply-adds (`keras_nas.objectives`).

As in the reference code (SamsungLabs/zero-cost-nas, NASLib): "weights" are the kernels of the
convolution and dense layers (no biases, no BatchNormalization parameters); the data-dependent
proxies run the network in training mode (BatchNormalization on the batch's statistics), and
the loss is the cross-entropy of the logits (through a softmax output `synflow` would be
identically zero, so every proxy reads the logits under it). Dropout is off while scoring, and
the model's variables (BatchNormalization's moving statistics included) are as before after
it: scoring does not change the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_nas.arguments import check_count
from keras_nas.estimation import network_views as views
from keras_nas.estimation.zero_cost_filter import DATA_PROXIES, PROXIES

#: The proxies `zero_cost_score` computes; higher is better for each.
ZERO_COST_PROXIES = PROXIES

_NEEDS_LABELS = ("grad_norm", "snip")
_JACOB_COV_K = 1e-5


def zero_cost_score(
    model: keras.Model,
    x: Any = None,
    y: Any = None,
    *,
    proxy: str = "synflow",
    batch_size: int = 64,
    seed: int = 0,
) -> float:
    """One zero-cost proxy of an (untrained) model, from one mini-batch; higher is better.

    See the module's docstring for what each proxy computes. A score can be NaN or infinite
    (a network whose activations vanish, for example); `ranking_score` turns it into one that
    ranks last.

    Example:
    >>> import keras, numpy as np
    >>> keras.utils.set_random_seed(0)
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
    ...                           keras.layers.Dense(3, activation="softmax")])
    >>> x, y = np.ones((16, 4), "float32"), np.arange(16) % 3
    >>> zero_cost_score(model, proxy="params")
    67.0
    >>> zero_cost_score(model, x, y, proxy="snip") == zero_cost_score(model, x, y, proxy="snip")
    True

    Args:
        model: A built Keras model whose output is class probabilities (softmax or sigmoid,
            whose logits are scored) or a linear output.
        x: Inputs: an array (or tensor) with the examples along its first axis, or a
            `tf.data.Dataset` of `(x, y)` batches, whose first batch is used. Not needed for
            `synflow`, `params` and `flops`.
        y: Labels of `x` (class indices, one-hot rows, or targets of a linear output); needed
            by `grad_norm` and `snip`.
        proxy: One of `ZERO_COST_PROXIES`.
        batch_size: How many examples of `x` to score on, drawn without replacement; all of
            them if there are fewer.
        seed: Seeds which examples are drawn: the same seed, model and data give the same
            score.

    Returns:
        The score, a Python float.

    Raises:
        ValueError: If `proxy` is unknown (the message lists `ZERO_COST_PROXIES`), the model
            is not built, the proxy needs `x` or `y` and did not get them, or `batch_size`
            or `seed` is not a whole number in range.
    """
    return zero_cost_scores(model, x, y, proxies=[proxy], batch_size=batch_size, seed=seed)[proxy]


def zero_cost_scores(
    model: keras.Model,
    x: Any = None,
    y: Any = None,
    *,
    proxies: Sequence[str] = ZERO_COST_PROXIES,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, float]:
    """Several zero-cost proxies of a model, on one shared mini-batch: `{proxy: score}`.

    Arguments as for `zero_cost_score`, with `proxies` a list of its names.

    Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> zero_cost_scores(model, proxies=["params", "flops"])
    {'params': 15.0, 'flops': 12.0}
    """
    proxies = _check_proxies(proxies)
    batch_size = check_count("batch_size", batch_size)
    seed = check_count("seed", seed, minimum=0)
    if not getattr(model, "built", False) or not model.inputs:
        raise ValueError(
            "Zero-cost proxies need a built model with known inputs, such as one made with "
            "`keras.Model(inputs, outputs)`, `keras.Sequential([keras.Input(shape), ...])` "
            f"or a search space's `build_model(values)`. Received: {model!r}."
        )
    batch = None
    if any(proxy in DATA_PROXIES for proxy in proxies):
        batch = mini_batch(x, y, batch_size=batch_size, seed=seed)
        _check_batch(batch, needs_labels=_needs_labels(proxies))
    scores = {}
    for proxy in proxies:
        scores[proxy] = float(_PROXIES[proxy](model, batch))
    return scores


# ------------------------------------------------------------------------------------ proxies
def _synflow(model: keras.Model, batch: Any) -> float:
    copy = views.positive_float64_copy(model)
    inputs = [tf.ones((1, *tensor.shape[1:]), "float64") for tensor in copy.inputs]
    kernels = views.kernels(copy)
    with tf.GradientTape() as tape:
        outputs = copy(inputs if len(inputs) > 1 else inputs[0], training=False)
        total = tf.add_n([tf.reduce_sum(output) for output in tf.nest.flatten(outputs)])
    gradients = tape.gradient(total, kernels)
    return _sum_over(kernels, gradients, lambda w, g: tf.abs(w * g))


def _naswot(model: keras.Model, batch: tuple) -> float:
    kernel = 0.0
    for activation in views.relu_like_outputs(model, batch[0]):
        codes = tf.reshape(tf.cast(activation > 0, "float32"), (activation.shape[0], -1))
        matches = tf.matmul(codes, codes, transpose_b=True)
        matches += tf.matmul(1.0 - codes, 1.0 - codes, transpose_b=True)
        kernel += matches.numpy().astype("float64")
    return float(np.linalg.slogdet(kernel)[1])


def _jacob_cov(model: keras.Model, batch: tuple) -> float:
    x = batch[0]
    if not isinstance(x, tf.Tensor):
        raise ValueError(
            "`jacob_cov` differentiates with respect to one input tensor; the model has "
            "several inputs. Use another proxy, such as `naswot`. Received inputs of shapes "
            f"{tf.nest.map_structure(lambda tensor: tuple(tensor.shape), x)}."
        )
    with views.scoring(model) as logits_of, tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(logits_of(x))
    jacobians = np.reshape(tape.gradient(total, x).numpy(), (x.shape[0], -1)).astype("float64")
    with np.errstate(all="ignore"):
        correlations = np.corrcoef(jacobians)
        if not np.all(np.isfinite(correlations)):  # an example whose gradient is constant
            return math.nan
        eigenvalues = np.linalg.eigvalsh(correlations) + _JACOB_COV_K
        return float(-np.sum(np.log(eigenvalues) + 1.0 / eigenvalues))


def _grad_norm(model: keras.Model, batch: tuple) -> float:
    kernels, gradients = _loss_gradients(model, batch)
    return _sum_over(kernels, gradients, lambda w, g: tf.norm(g))


def _snip(model: keras.Model, batch: tuple) -> float:
    kernels, gradients = _loss_gradients(model, batch)
    return _sum_over(kernels, gradients, lambda w, g: tf.abs(w * g))


def _params(model: keras.Model, batch: Any) -> float:
    from keras_nas.objectives import count_params

    return float(count_params(model))


def _flops(model: keras.Model, batch: Any) -> float:
    from keras_nas.objectives import count_flops

    return float(count_flops(model))


_PROXIES = {
    "synflow": _synflow,
    "naswot": _naswot,
    "jacob_cov": _jacob_cov,
    "grad_norm": _grad_norm,
    "snip": _snip,
    "params": _params,
    "flops": _flops,
}


# ------------------------------------------------------------------------------------ helpers
def _loss_gradients(model: keras.Model, batch: tuple) -> tuple[list, list]:
    x, y = batch
    kernels, squashing = views.kernels(model), views.output_squashing(model)
    with views.scoring(model) as logits_of, tf.GradientTape() as tape:
        loss = _loss(squashing, y, logits_of(x))
    return kernels, tape.gradient(loss, kernels)


def _loss(squashing: str | None, y: Any, logits: tf.Tensor) -> tf.Tensor:
    """The cross-entropy of the logits under a softmax or sigmoid output, else the squared
    error."""
    y = tf.convert_to_tensor(y)
    if squashing == "softmax" and y.shape == logits.shape:
        loss = keras.losses.categorical_crossentropy(y, logits, from_logits=True)
    elif squashing == "softmax":
        loss = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
    elif squashing == "sigmoid":
        y = tf.reshape(tf.cast(y, logits.dtype), tf.shape(logits))  # (n,) labels of (n, 1)
        loss = keras.losses.binary_crossentropy(y, logits, from_logits=True)
    else:
        loss = keras.losses.mean_squared_error(y, logits)
    return tf.reduce_mean(loss)


def _sum_over(kernels: list, gradients: list, term) -> float:
    total = 0.0
    for kernel, gradient in zip(kernels, gradients, strict=True):
        if gradient is not None:
            total += float(tf.reduce_sum(term(tf.convert_to_tensor(kernel), gradient)))
    return total


def mini_batch(x: Any, y: Any = None, *, batch_size: int = 64, seed: int = 0) -> tuple:
    """The examples a proxy reads: `batch_size` rows of `x` (and `y`) drawn without
    replacement by `seed`, all of them if there are fewer; from a `tf.data.Dataset`, its
    first batch.

    A search draws it once, so that every candidate is scored on the same examples.

    Example:
    >>> import numpy as np
    >>> x, y = mini_batch(np.arange(10).reshape(10, 1), np.arange(10), batch_size=3, seed=0)
    >>> x.shape, y.shape
    (TensorShape([3, 1]), TensorShape([3]))

    Args:
        x: An array or tensor with the examples along its first axis (or a list or dict of
            them, for a model of several inputs), or a `tf.data.Dataset` of `(x, y)` (or
            `(x, y, sample_weight)`) batches.
        y: The labels of `x`, or `None`.
        batch_size: How many examples to draw.
        seed: Seeds which examples are drawn.

    Returns:
        `(x, y)` as tensors (`y` may be `None`); integer inputs become float32.
    """
    if isinstance(x, tf.data.Dataset):
        first = next(iter(x))
        x, y = (
            (first[0], first[1] if len(first) > 1 else None)
            if isinstance(first, tuple)
            else (first, None)
        )
    if x is None:
        return None, None
    count = len(tf.nest.flatten(x)[0])
    if count > batch_size:
        rows = np.sort(np.random.default_rng(seed).choice(count, batch_size, replace=False))
        x = tf.nest.map_structure(lambda array: _take(array, rows), x)
        y = None if y is None else _take(y, rows)
    x = tf.nest.map_structure(_float_tensor, x)
    return x, None if y is None else tf.convert_to_tensor(y)


def _take(array: Any, rows: np.ndarray) -> Any:
    return array[rows] if isinstance(array, np.ndarray) else tf.gather(array, rows)


def _float_tensor(array: Any) -> tf.Tensor:
    tensor = tf.convert_to_tensor(array)
    return tensor if tensor.dtype.is_floating else tf.cast(tensor, "float32")


def _check_batch(batch: tuple, *, needs_labels: bool) -> None:
    x, y = batch
    if x is None:
        raise ValueError(
            "This proxy scores the network on a batch of inputs: pass `x` (and `y`), e.g. "
            "`zero_cost_score(model, x_train, y_train, proxy='naswot')`. Received: x=None."
        )
    if needs_labels and y is None:
        raise ValueError(
            "`grad_norm` and `snip` differentiate the loss: pass the labels `y` of `x`. "
            "Received: y=None."
        )


def _needs_labels(proxies: Sequence[str]) -> bool:
    return any(proxy in _NEEDS_LABELS for proxy in proxies)


def _check_proxies(proxies: Any) -> list[str]:
    if isinstance(proxies, str):
        proxies = [proxies]
    unknown = [proxy for proxy in proxies if proxy not in ZERO_COST_PROXIES]
    if unknown:
        raise ValueError(
            f"Unknown zero-cost proxy. Accepted: {list(ZERO_COST_PROXIES)}. "
            f"Received: {unknown[0]!r}."
        )
    if not proxies:
        raise ValueError(
            f"`proxies` must name at least one of {list(ZERO_COST_PROXIES)}. Received: []."
        )
    return list(proxies)
