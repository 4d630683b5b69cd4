"""`ProxyTask`: train each candidate on a cheaper setting than the full task.

NASNet (Zoph et al. 2018) searched its cells on CIFAR-10 and transferred the best to
ImageNet; most multi-trial searches since train candidates on less data, smaller images,
narrower or shallower networks and fewer epochs, then train only the winners on the full
setting (`NASTuner.transfer`). A proxy task is worth it when it ranks candidates as the full
task would: `transfer` measures that, as the rank correlation between the two scores.

`ProxyTask` reduces:
- the training data to a stratified, seeded share (`data_fraction`): each class keeps its
  share of examples, so that a rare class is not lost; regression targets are sampled
  uniformly (see `stratified_subset`);
- the images to `image_size` (training and validation data; bilinear, antialiased);
- the network, through the space's width and depth settings
  (`keras_nas.search_spaces.scaled_space`, which the tuner applies);
- the epochs of each trial.

The module imports no TensorFlow until images are resized.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_nas.arguments import check_count, check_number, check_seed

#: The `model.fit` arguments that are per example, and so subset with the inputs.
_PER_EXAMPLE = ("sample_weight",)
# Float labels that are whole numbers, with at most this many values, are class labels.
_MAX_FLOAT_CLASSES = 256
# Examples resized at once (bounded memory for large arrays).
_RESIZE_CHUNK = 1024


class ProxyTask:
    """The cheaper setting on which each trial of a search trains.

    Pass it as `estimation=` to any multi-trial search (`EvolutionarySearch`,
    `ReinforceSearch`, `NASTuner`); `search` then takes the full data, as `model.fit` would,
    and each trial sees the reduced data, network and epochs. Afterwards,
    `tuner.transfer(x, y, top_k=...)` trains the best architectures on the full setting.

    Example:
    >>> import numpy as np
    >>> task = ProxyTask(data_fraction=0.5, image_size=(4, 4), epochs=2)
    >>> x, y = np.zeros((8, 8, 8, 1), "float32"), np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> (x_small, y_small), fit_kwargs = task.reduce_data(x, y, {"epochs": 10})
    >>> x_small.shape, y_small.tolist(), fit_kwargs["epochs"]
    ((4, 4, 4, 1), [0, 0, 1, 1], 2)
    >>> ProxyTask(data_fraction=1.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `data_fraction` must be a finite number above 0 and at most 1, ... Received: ...

    Args:
        data_fraction: The share of the training examples each trial trains on, in (0, 1];
            `None` keeps all. Needs the training data as arrays (a list or dict of arrays
            included); a `tf.data.Dataset` or generator cannot be subset here: pass
            `dataset.take(n)` yourself and leave this `None`.
        image_size: The `(height, width)` (or one side) to which training and validation
            images are resized, and for which the network is built; `None` keeps the size.
        width_multiplier: The factor on the network's width setting (e.g. 0.5 halves the
            channels of `NASBench201Space`); `None` keeps it. Only spaces with a width
            setting outside their choices support it (`scaled_space`).
        cells_per_stage: The network's depth setting for the trials; `None` keeps it.
        epochs: The epochs of each trial, in place of `search`'s `epochs`; `None` keeps
            those.
        seed: The seed of the data subset.

    Raises:
        ValueError: If an argument is out of range, or none reduces anything.
    """

    def __init__(
        self,
        data_fraction: float | None = None,
        image_size: int | Sequence[int] | None = None,
        width_multiplier: float | None = None,
        cells_per_stage: int | None = None,
        epochs: int | None = None,
        *,
        seed: int = 0,
    ):
        self.data_fraction = _check_fraction(data_fraction)
        self.image_size = _check_image_size(image_size)
        self.width_multiplier = check_number(
            "width_multiplier", width_multiplier, above=0, none_means="keep the width"
        )
        self.cells_per_stage = check_count(
            "cells_per_stage", cells_per_stage, none_means="keep the depth"
        )
        self.epochs = check_count("epochs", epochs, none_means="keep `search`'s epochs")
        self.seed = check_seed(seed)
        reductions = (data_fraction, image_size, width_multiplier, cells_per_stage, epochs)
        if all(value is None for value in reductions):
            raise ValueError(
                "A ProxyTask reduces at least one of `data_fraction`, `image_size`, "
                "`width_multiplier`, `cells_per_stage` and `epochs`; all are None. Pass one, "
                "e.g. ProxyTask(data_fraction=0.25, epochs=5), or no `estimation` at all."
            )

    @property
    def reduces_network(self) -> bool:
        """Whether the trials' networks differ from the full ones (size, width or depth)."""
        return any(
            value is not None
            for value in (self.image_size, self.width_multiplier, self.cells_per_stage)
        )

    def network_scaling(self) -> dict[str, Any]:
        """The arguments of `keras_nas.search_spaces.scaled_space` that build the trials'
        networks from the full space (those this task sets)."""
        scaling = {
            "image_size": self.image_size,
            "width_multiplier": self.width_multiplier,
            "cells_per_stage": self.cells_per_stage,
        }
        return {name: value for name, value in scaling.items() if value is not None}

    def reduce_data(
        self, x: Any, y: Any = None, fit_kwargs: dict[str, Any] | None = None
    ) -> tuple[tuple[Any, Any], dict[str, Any]]:
        """Returns the reduced `(x, y)` and `model.fit` keyword arguments: a subset of the
        examples (and of `sample_weight`), resized images (validation data included) and the
        task's epochs.

        Raises:
            ValueError: If `data_fraction` is set and the data are not arrays with labels, or
                `image_size` is set and the images are not `(n, height, width, channels)`.
        """
        fit_kwargs = dict(fit_kwargs or {})
        if self.data_fraction is not None and self.data_fraction < 1:
            if not _is_array_data(x) or y is None or not _is_array_data(y):
                raise ValueError(
                    "ProxyTask(data_fraction=...) subsets training data given as arrays with "
                    f"their labels (`x`, `y`). Received: x of type {type(x).__name__}, y of "
                    f"type {type(y).__name__}. For a tf.data.Dataset or a generator, subset "
                    "it yourself (e.g. `dataset.take(n)`) and leave data_fraction=None."
                )
            keep = stratified_subset(_first_array(y), self.data_fraction, seed=self.seed)
            x, y = _take(x, keep), _take(y, keep)
            for name in _PER_EXAMPLE:
                if fit_kwargs.get(name) is not None:
                    fit_kwargs[name] = _take(fit_kwargs[name], keep)
        if self.image_size is not None:
            x = resize_images(x, self.image_size, "x")
            validation = fit_kwargs.get("validation_data")
            if validation is not None:
                fit_kwargs["validation_data"] = _resize_validation(validation, self.image_size)
        if self.epochs is not None:
            fit_kwargs["epochs"] = self.epochs
        return (x, y), fit_kwargs

    def get_config(self) -> dict[str, Any]:
        """The arguments, as JSON values (`search.json` records them)."""
        return {
            "data_fraction": self.data_fraction,
            "image_size": None if self.image_size is None else list(self.image_size),
            "width_multiplier": self.width_multiplier,
            "cells_per_stage": self.cells_per_stage,
            "epochs": self.epochs,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ProxyTask:
        return cls(**config)

    def __repr__(self) -> str:
        given = [f"{name}={value!r}" for name, value in self.get_config().items() if value]
        return f"ProxyTask({', '.join(given)})"


def stratified_subset(labels: Any, fraction: float, *, seed: int = 0) -> np.ndarray:
    """The sorted indices of a seeded share of the examples, stratified by class.

    Class labels (integers, whole-number floats with at most 256 distinct values, or one-hot
    rows) keep each class's share, rounded, and at least one example of every class; other
    targets (regression) are sampled uniformly.

    Example:
    >>> stratified_subset([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], 0.25, seed=0).size
    3
    >>> stratified_subset([2, 2, 2, 7], 0.25).tolist()[-1]  # The one 7 is kept.
    3

    Args:
        labels: One label per example: `(n,)` or `(n, 1)` integers, `(n, k)` one-hot rows,
            or any other targets.
        fraction: The share to keep, in (0, 1].
        seed: The seed of the draw.

    Returns:
        The indices, sorted, so that the subset keeps the data's order.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    classes = _class_labels(labels)
    if classes is None:
        count = max(1, round(fraction * len(labels)))
        return np.sort(rng.permutation(len(labels))[:count])
    keep = []
    for label in np.unique(classes):
        members = np.flatnonzero(classes == label)
        count = max(1, round(fraction * members.size))
        keep.append(rng.permutation(members)[:count])
    return np.sort(np.concatenate(keep))


def resize_images(x: Any, size: Sequence[int], name: str = "x") -> Any:
    """Resizes a batch of images `(n, height, width, channels)` to `size`, as float32
    (bilinear, antialiased: a smaller image averages the pixels it covers); a
    `tf.data.Dataset` of `(images, labels[, weights])` batches is mapped the same way.

    Raises:
        ValueError: If `x` is not a rank-4 array or such a dataset.
    """
    import tensorflow as tf

    if isinstance(x, tf.data.Dataset):
        return x.map(lambda images, *rest: (_resize(images, size), *rest))
    array = np.asarray(x) if _is_array_like(x) else None
    if array is None or array.ndim != 4:
        shape = None if array is None else array.shape
        raise ValueError(
            "ProxyTask(image_size=...) resizes images of shape (examples, height, width, "
            f"channels). Received: `{name}` of type {type(x).__name__}"
            + (f" and shape {shape}" if shape is not None else "")
            + ". Leave image_size=None for other inputs."
        )
    chunks = [
        _resize(array[start : start + _RESIZE_CHUNK], size).numpy()
        for start in range(0, len(array), _RESIZE_CHUNK)
    ]
    return np.concatenate(chunks) if chunks else array.astype("float32")


def _resize(images: Any, size: Sequence[int]) -> Any:
    import tensorflow as tf

    images = tf.cast(images, tf.float32)
    return tf.image.resize(images, tuple(size), method="bilinear", antialias=True)


def _resize_validation(validation: Any, size: Sequence[int]) -> Any:
    if isinstance(validation, (tuple, list)):
        return (resize_images(validation[0], size, "validation_data[0]"), *validation[1:])
    return resize_images(validation, size, "validation_data")


def _class_labels(labels: np.ndarray) -> np.ndarray | None:
    """One class per example, or `None` when the targets are not class labels."""
    if labels.ndim == 2 and labels.shape[1] > 1:
        rows_are_one_hot = np.all((labels == 0) | (labels == 1)) and np.all(labels.sum(1) == 1)
        return labels.argmax(1) if rows_are_one_hot else None
    flat = labels.reshape(len(labels), -1)
    if flat.shape[1] != 1:
        return None
    flat = flat[:, 0]
    if np.issubdtype(flat.dtype, np.integer) or np.issubdtype(flat.dtype, np.bool_):
        return flat
    whole = np.issubdtype(flat.dtype, np.floating) and np.all(np.mod(flat, 1) == 0)
    if whole and np.unique(flat).size <= _MAX_FLOAT_CLASSES:
        return flat
    return None


def _is_array_like(value: Any) -> bool:
    return isinstance(value, np.ndarray) or hasattr(value, "__array__")


def _is_array_data(data: Any) -> bool:
    if isinstance(data, dict):
        return bool(data) and all(_is_array_like(value) for value in data.values())
    if isinstance(data, (list, tuple)):
        return bool(data) and all(_is_array_like(value) for value in data)
    return _is_array_like(data)


def _first_array(data: Any) -> np.ndarray:
    if isinstance(data, dict):
        return np.asarray(next(iter(data.values())))
    if isinstance(data, (list, tuple)):
        return np.asarray(data[0])
    return np.asarray(data)


def _take(data: Any, indices: np.ndarray) -> Any:
    if isinstance(data, dict):
        return {key: np.asarray(value)[indices] for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(np.asarray(value)[indices] for value in data)
    return np.asarray(data)[indices]


def _check_fraction(value: Any) -> float | None:
    required = "a finite number above 0 and at most 1, or None to train on all the data"
    try:
        fraction = check_number("data_fraction", value, above=0, none_means="train on all")
    except ValueError:
        fraction = 2.0  # Refused below with the full range.
    if fraction is not None and fraction > 1:
        raise ValueError(f"`data_fraction` must be {required}. Received: data_fraction={value!r}.")
    return fraction


def _check_image_size(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    sides = (value, value) if not isinstance(value, (list, tuple)) else tuple(value)
    if len(sides) != 2:
        raise ValueError(
            "`image_size` must be a positive integer (a square side) or (height, width), or "
            f"None to keep the size. Received: image_size={value!r}."
        )
    height = check_count("image_size", sides[0])
    width = check_count("image_size", sides[1])
    return (height, width)
