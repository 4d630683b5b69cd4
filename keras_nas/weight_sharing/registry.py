"""`SharedLayerRegistry`: the one place where weights shared among candidates live."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator

import keras
import numpy as np

from keras_nas.files import write_npz_atomically
from keras_nas.layers.elastic_kernel import centre_slices

_KEY_ARRAY = "key"
_WEIGHT_PREFIX = "weight_"


class SharedLayerRegistry:
    """Trained weights that later candidates inherit, keyed by layer, operation and shapes.

    A layer's key is `"{layer name}:{layer class}:{weight shapes}"`, e.g.
    `"stage_2_block_1_mbconv_k5_e6_expand_conv:Conv2D:1x1x16x96"`. The keras-nas spaces name
    every layer by its position in the architecture and the operation it belongs to, so two
    candidates share a layer's weights exactly when they use the same operation at the same
    position with the same shapes (ENAS-style sharing). Any other model works too, as long
    as its layer names are stable from one build to the next (KerasTuner clears the Keras
    session before each build, so automatic names such as `dense_1` are).

    `restore(model)` sets the weights of every layer whose key the registry holds (layers it
    does not hold keep their fresh initial weights); `store(model)` copies the model's
    weights into the registry. The registry keeps plain numpy arrays, so its weights survive
    `keras.backend.clear_session()` and load into models built under any `tf.distribute`
    strategy. With a `directory`, `store` also writes each layer's weights to its own `.npz`
    file there (atomically, no pickle), and `restore` reads a layer's file whenever it changed
    since this registry last read or wrote it: a resumed search, or another worker process
    sharing the directory, continues from the latest stored weights. Workers that store the
    same layer at once leave the last writer's weights (asynchronous sharing, as in ENAS).

    Example:
    >>> import keras
    >>> def build():
    ...     inputs = keras.Input((4,))
    ...     hidden = keras.layers.Dense(8, name="layer_1_relu_dense", activation="relu")(inputs)
    ...     return keras.Model(inputs, keras.layers.Dense(2, name="head")(hidden))
    >>> registry = SharedLayerRegistry()
    >>> trained = build()
    >>> registry.store(trained)
    ['layer_1_relu_dense:Dense:4x8,8', 'head:Dense:8x2,2']
    >>> keras.backend.clear_session()
    >>> candidate = build()
    >>> registry.restore(candidate)
    ['layer_1_relu_dense:Dense:4x8,8', 'head:Dense:8x2,2']
    >>> bool(np.all(candidate.get_layer("head").kernel.numpy() ==
    ...             trained.get_layer("head").kernel.numpy()))
    True

    Args:
        directory: Where the weights are written and read back; `None` keeps them in memory
            only.
    """

    def __init__(self, directory: str | None = None):
        self.directory = directory
        self._weights: dict[str, list[np.ndarray]] = {}
        # The (mtime, size) of each layer's file as this registry last read or wrote it.
        self._versions: dict[str, tuple[int, int]] = {}
        # Keys stored to a pending folder since the last `commit`.
        self._pending_keys: set[str] = set()
        if directory is not None:
            os.makedirs(directory, exist_ok=True)
            self._load_directory()

    def __contains__(self, key: object) -> bool:
        return key in self._weights

    def __len__(self) -> int:
        return len(self._weights)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._weights))

    def weights(self, key: str) -> list[np.ndarray]:
        """A copy of the weights stored under `key`.

        Raises:
            KeyError: If the registry holds no layer with this key.
        """
        if key not in self._weights:
            raise KeyError(
                f"The registry holds no layer with the key {key!r}. Its keys are listed by "
                "`list(registry)`."
            )
        return [array.copy() for array in self._weights[key]]

    def keys_of(self, model: keras.Model) -> list[str]:
        """The keys of the model's layers that hold weights, in the model's layer order.

        Raises:
            ValueError: If two layers have the same key (same name in nested models).
        """
        return [key for key, _ in _keyed_layers(model)]

    def restore(
        self,
        model: keras.Model,
        *,
        sliced: bool = False,
        source_name: Callable[[str], str | tuple[str, list[int]]] | None = None,
    ) -> list[str]:
        """Sets the weights of the model's layers that the registry holds.

        Args:
            model: The model whose layers inherit weights.
            sliced: Also restore a layer that the registry holds only with larger weights
                (same name and class, every dimension at least as large), from a slice of
                each weight: the leading channels (a narrow sub-network of a Once-for-All
                supernet whose layers hold the widest choice, see `ChannelMask`) and, for a
                convolution's kernel, the centre (a smaller kernel of an elastic kernel, see
                `keras_nas.layers.elastic_kernel`).
            source_name: Maps a layer's name to the name of the stored layer it inherits
                from (a supernet that holds one layer for several operations, see
                `SearchSpace.supernet_layer_name`), or to `(name, input_channels)` when the
                layer (a convolution or `Dense`, whose kernel's second-to-last axis is its
                input) reads only those input channels of the stored one's
                (see `SearchSpace.relaxed_layer_source`); `None` inherits from the same name.

        Returns:
            The keys of the layers that inherited weights, in the model's layer order.
        """
        restored = []
        for key, layer in _keyed_layers(model):
            name = layer.name if source_name is None else source_name(layer.name)
            shapes = [tuple(w.shape) for w in _weights_of(layer)]
            if not isinstance(name, str):
                weights = self._input_channels(_renamed(key, name[0]), name[1], shapes)
            else:
                source = _renamed(key, name)
                self._refresh(source)
                weights = self._weights.get(source)
                if weights is None and sliced:
                    weights = self._sliced(source, shapes)
            if weights is not None:
                _set_weights(layer, weights)
                restored.append(key)
        return restored

    def _sliced(self, key: str, shapes: list[tuple[int, ...]]) -> list | None:
        """The slices of `shapes` of a larger layer with the same name and class: the centre
        of a convolution kernel's spatial dimensions, the leading part of the others."""
        prefix = key[: key.rindex(":") + 1]
        convolution = "Conv" in prefix.split(":")[-2]
        for candidate in sorted(self._weights):
            if not candidate.startswith(prefix):
                continue
            self._refresh(candidate)
            larger = self._weights[candidate]
            if len(larger) == len(shapes) and all(
                len(array.shape) == len(shape)
                and all(have >= need for have, need in zip(array.shape, shape, strict=True))
                for array, shape in zip(larger, shapes, strict=True)
            ):
                return [
                    array[
                        centre_slices(
                            array.shape, shape, spatial=len(shape) - 2 if convolution else 0
                        )
                    ]
                    for array, shape in zip(larger, shapes, strict=True)
                ]
        return None

    def _input_channels(self, key: str, channels: list[int], shapes: list[tuple]) -> list | None:
        """The weights of a layer with the same name and class whose kernel (the first
        weight) has more input channels (its second-to-last axis), those `channels` taken."""
        prefix = key[: key.rindex(":") + 1]
        for candidate in sorted(self._weights):
            if not candidate.startswith(prefix):
                continue
            self._refresh(candidate)
            kernel, *others = self._weights[candidate]
            weights = [np.take(kernel, channels, axis=-2), *others]
            if [tuple(w.shape) for w in weights] == shapes:
                return weights
        return None

    def store(self, model: keras.Model, *, pending: str | None = None) -> list[str]:
        """Copies the weights of the model's layers into the registry (and its directory).

        A layer with a NaN or infinite weight is skipped, so a diverged candidate cannot
        spoil the weights that others inherit.

        Args:
            model: The model whose weights to store.
            pending: A folder where the files are written instead of the registry's
                directory, until `commit(pending)` moves them there: a trial's weights reach
                the directory only once the trial is recorded as ended, so a search killed
                before that resumes from the weights of its last recorded trial. This
                registry itself holds the new weights at once.

        Returns:
            The keys of the layers stored, in the model's layer order.
        """
        stored = []
        for key, layer in _keyed_layers(model):
            weights = [np.array(variable.numpy()) for variable in _weights_of(layer)]
            if not all(np.all(np.isfinite(array)) for array in weights):
                continue
            self._weights[key] = weights
            if self.directory is not None:
                self._write(key, weights, pending)
            stored.append(key)
        return stored

    def commit(self, pending: str) -> int:
        """Moves the files that `store(..., pending=pending)` wrote into the directory.

        Each file is renamed over the layer's file (atomic), then the folder is removed; a
        crash half way leaves the rest in `pending`, and committing again completes it.
        Does nothing if `pending` does not exist.

        Returns:
            How many layers' files were moved.
        """
        if not os.path.isdir(pending):
            return 0
        moved = 0
        for name in sorted(os.listdir(pending)):
            source = os.path.join(pending, name)
            if name.startswith(".") or not name.endswith(".npz"):
                os.remove(source)  # A temporary file of a write that a crash cut short.
                continue
            target = os.path.join(self.directory, name)
            os.replace(source, target)
            moved += 1
        # This registry already holds these weights: no need to read the files back.
        for key in self._pending_keys:
            self._versions[key] = _version(self._path(key))
        self._pending_keys.clear()
        os.rmdir(pending)
        return moved

    def discard(self, pending: str) -> None:
        """Deletes the files that `store(..., pending=pending)` wrote, unrecorded trials'."""
        if os.path.isdir(pending):
            for name in os.listdir(pending):
                os.remove(os.path.join(pending, name))
            os.rmdir(pending)

    def _path(self, key: str) -> str:
        digest = hashlib.sha1(key.encode()).hexdigest()[:24]
        return os.path.join(self.directory, f"{digest}.npz")

    def _write(self, key: str, weights: list[np.ndarray], pending: str | None = None) -> None:
        arrays = {_KEY_ARRAY: np.array(key)}
        arrays.update({f"{_WEIGHT_PREFIX}{i}": array for i, array in enumerate(weights)})
        path = self._path(key)
        if pending is None:
            write_npz_atomically(path, arrays)
            self._versions[key] = _version(path)
            return
        os.makedirs(pending, exist_ok=True)
        write_npz_atomically(os.path.join(pending, os.path.basename(path)), arrays)
        self._pending_keys.add(key)

    def _refresh(self, key: str) -> None:
        if self.directory is None:
            return
        path = self._path(key)
        version = _version(path)
        if version is not None and version != self._versions.get(key):
            self._read(path)

    def _read(self, path: str) -> None:
        version = _version(path)
        try:
            with np.load(path, allow_pickle=False) as arrays:
                key = str(arrays[_KEY_ARRAY])
                count = len(arrays.files) - 1
                weights = [arrays[f"{_WEIGHT_PREFIX}{i}"] for i in range(count)]
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(
                f"The shared-weights file {path!r} is not a weights file written by "
                f"keras-nas ({error}). Delete it to drop that layer's shared weights, or "
                "restore it from a backup."
            ) from error
        self._weights[key] = weights
        self._versions[key] = version

    def _load_directory(self) -> None:
        for name in sorted(os.listdir(self.directory)):
            if name.endswith(".npz") and not name.startswith("."):
                self._read(os.path.join(self.directory, name))


def layer_key(layer: keras.layers.Layer) -> str:
    """The registry key of a built layer: name, class and the shapes of its weights.

    Example:
    >>> layer = keras.layers.Conv2D(16, 3, name="stage_1_block_1_conv_k3_conv")
    >>> layer.build((None, 8, 8, 4))
    >>> layer_key(layer)
    'stage_1_block_1_conv_k3_conv:Conv2D:3x3x4x16,16'
    """
    shapes = ",".join("x".join(str(size) for size in weight.shape) for weight in _weights_of(layer))
    # An elastic supernet layer stands for the plain class whose weights it holds.
    kind = getattr(type(layer), "plain_class", type(layer)).__name__
    return f"{layer.name}:{kind}:{shapes}"


def _keyed_layers(model: keras.Model) -> list[tuple[str, keras.layers.Layer]]:
    """The layers of `model` that hold weights (nested models opened), with their keys."""
    keyed, seen = [], {}
    for layer in leaf_layers(model):
        if not _weights_of(layer):
            continue
        key = layer_key(layer)
        if key in seen:
            raise ValueError(
                f"Two layers of the model {model.name!r} have the key {key!r}, so the "
                "registry cannot tell their weights apart. Give every layer with weights a "
                "unique name (nested models included)."
            )
        seen[key] = layer
        keyed.append((key, layer))
    return keyed


def leaf_layers(model: keras.Model) -> Iterator[keras.layers.Layer]:
    """The layers of `model`, with nested models and the branches of `PathChoice` opened."""
    for layer in model.layers:
        if isinstance(layer, keras.Model) or isinstance(getattr(layer, "layers", None), list):
            yield from leaf_layers(layer)
        else:
            yield layer


def _weights_of(layer: keras.layers.Layer) -> list:
    """The layer's floating-point variables. Integer variables are a layer's state (a
    supernet's active path or kernel size), not weights."""
    return [w for w in layer.weights if "float" in keras.backend.standardize_dtype(w.dtype)]


def _set_weights(layer: keras.layers.Layer, weights: list[np.ndarray]) -> None:
    for variable, array in zip(_weights_of(layer), weights, strict=True):
        variable.assign(array)


def _renamed(key: str, name: str) -> str:
    """`key` with its layer name replaced by `name`."""
    return name + key[key.index(":") :]


def _version(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size
