"""The cost of a Keras model: parameters, FLOPs (multiply-adds) and size in bytes.

`count_flops` counts one forward pass of ONE example (batch 1), layer by layer, from the
shapes that each call of each layer produces in the model's graph. One multiply-add counts as
one FLOP, the convention of the MnasNet and EfficientNet papers, which report multiply-adds as
"FLOPs"; profilers that count a multiply and an add separately report twice as many for
convolutions and matrix products. Per layer call:

- `Conv1D`/`Conv2D`/`Conv3D`: output positions x kernel size x (input channels / groups) x
  filters. Bias additions are not counted, in any layer.
- `DepthwiseConv1D`/`DepthwiseConv2D`: output positions x kernel size x input channels x
  depth multiplier. `SeparableConv1D`/`SeparableConv2D`: that depthwise part plus the
  pointwise part, output positions x input channels x depth multiplier x filters.
- `Conv1DTranspose`/`Conv2DTranspose`/`Conv3DTranspose`: input positions x kernel size x
  input channels x filters (each input value scatters into a kernel of outputs).
- `Dense` on `(batch, ..., in)`: the product of the middle dimensions x in x units.
- `BatchNormalization`, `LayerNormalization`, `GroupNormalization`, `Normalization`: one per
  output element (at inference, the scale and shift fold into one multiply-add; the
  statistics of layer and group normalisation are not counted).
- Max and average pooling: output elements x pool window; global pooling: input elements.
- `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`: (inputs - 1) x output
  elements.
- Every layer or operation without weights that is not listed above counts 0: element-wise
  nonlinearities (`Activation`, `ReLU`, ...) are not counted, as in the papers, nor are
  data movement (`Flatten`, `Reshape`, `Concatenate`, padding, cropping), `Dropout`,
  `Rescaling`, `InputLayer`, or keras-nas' `Zeros`. `ZERO_COST_LAYERS` holds the layers
  with weights that count 0 on purpose.
- A Functional or Sequential model used as a layer is counted through its own layers.
- Any other layer with weights (an RNN, attention, `EinsumDense`, a custom layer) is not
  counted: it adds 0 and `count_flops` warns with its class name, or raises with
  `strict=True`.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

# Keras has no public name for a functional model's class, nor a public walk over its graph;
# `Functional._run_through_graph` is what `Functional.compute_output_spec` itself uses.
from keras.src.models.functional import Functional

#: Layers with weights that `count_flops` counts as 0 on purpose: a lookup, and an
#: element-wise nonlinearity (nonlinearities are not counted).
ZERO_COST_LAYERS = (keras.layers.Embedding, keras.layers.PReLU)

_CONVOLUTIONS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
_TRANSPOSED = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_NORMALIZATIONS = (
    keras.layers.BatchNormalization,
    keras.layers.LayerNormalization,
    keras.layers.GroupNormalization,
    keras.layers.Normalization,
)
_POOLINGS = (
    keras.layers.MaxPooling1D,
    keras.layers.MaxPooling2D,
    keras.layers.MaxPooling3D,
    keras.layers.AveragePooling1D,
    keras.layers.AveragePooling2D,
    keras.layers.AveragePooling3D,
)
_GLOBAL_POOLINGS = (
    keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalMaxPooling2D,
    keras.layers.GlobalMaxPooling3D,
    keras.layers.GlobalAveragePooling1D,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalAveragePooling3D,
)
_MERGES = (
    keras.layers.Add,
    keras.layers.Subtract,
    keras.layers.Multiply,
    keras.layers.Average,
    keras.layers.Maximum,
    keras.layers.Minimum,
)


def count_params(model: keras.Model) -> int:
    """The number of weights of a built model, trainable and not.

    The same number as `model.count_params()`, with an error that says how to build an
    unbuilt model.

    Example:
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> count_params(model)  # 4 * 3 weights + 3 biases
    15

    Args:
        model: A Keras model (or layer).

    Returns:
        The total number of scalars in `model.weights`.

    Raises:
        ValueError: If `model` is not a built Keras model or layer.
    """
    _check_built(model, "count_params")
    return sum(math.prod(weight.shape) for weight in model.weights)


def count_flops(
    model: keras.Model,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None,
    *,
    strict: bool = False,
) -> int:
    """The multiply-adds of one forward pass of one example through a model.

    Walks the layer graph of a built Functional or Sequential model, nested models
    included, and adds up the cost of every layer call by the rules of this module's
    docstring (a layer called twice counts twice). One multiply-add is one FLOP.

    Example:
    >>> inputs = keras.Input((8, 8, 3))
    >>> x = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    >>> x = keras.layers.GlobalAveragePooling2D()(x)
    >>> model = keras.Model(inputs, keras.layers.Dense(10)(x))
    >>> count_flops(model)  # conv 8*8 * 3*3 * 3 * 4 + pooling 8*8*4 + dense 4 * 10
    7208
    >>> count_flops(model, input_shape=(16, 16, 3))  # 16*16 * 3*3 * 3 * 4 + 16*16*4 + 4 * 10
    28712

    Args:
        model: A built Functional or Sequential Keras model.
        input_shape: The shape of one example, without the batch dimension, or one shape per
            input of a model with several inputs. `None` takes the shapes of the model's
            inputs, which must then be fully known (no `None` but the batch dimension).
        strict: Raise, rather than warn, when the model holds layers with weights that this
            module does not know how to count.

    Returns:
        The number of multiply-adds.

    Raises:
        ValueError: If the model is not built, is not a Functional or Sequential model, an
            input shape is not fully known or does not match the model's inputs, or, with
            `strict=True`, a layer with weights is not counted (the error names its class).
    """
    _check_built(model, "count_flops")
    if not isinstance(model, (Functional, keras.Sequential)):
        raise ValueError(
            "`count_flops` needs a Functional or Sequential model: it walks the model's layer "
            "graph. Build the model with `keras.Model(inputs, outputs)` or `keras.Sequential`. "
            f"Received: a model of class {type(model).__name__}."
        )
    counter = _FlopCounter()
    counter.run(model, _input_specs(model, input_shape))
    if counter.uncounted:
        message = (
            f"`count_flops` does not know how to count the layers of classes "
            f"{sorted(counter.uncounted)} and counted them as 0 multiply-adds."
        )
        if strict:
            raise ValueError(
                f"{message} Received: strict=True. Pass strict=False to accept the undercount."
            )
        warnings.warn(message, stacklevel=2)
    return counter.flops


def model_size_bytes(model: keras.Model) -> int:
    """The bytes that a model's weights take: each weight's size times its dtype's itemsize.

    Weights of a `float16` layer take two bytes each; under a mixed precision policy such as
    `"mixed_float16"` the weights stay `float32` (four bytes) and only the computation is
    `float16`.

    Example:
    >>> model = keras.Sequential([
    ...     keras.Input((4,)),
    ...     keras.layers.Dense(3),
    ...     keras.layers.Dense(2, dtype="float16"),
    ... ])
    >>> model_size_bytes(model)  # (4*3 + 3) * 4 bytes + (3*2 + 2) * 2 bytes
    76

    Args:
        model: A Keras model (or layer).

    Returns:
        The size of all weights, trainable and not, in bytes.

    Raises:
        ValueError: If `model` is not a built Keras model or layer.
    """
    _check_built(model, "model_size_bytes")
    return sum(
        math.prod(weight.shape) * np.dtype(weight.dtype).itemsize for weight in model.weights
    )


class _FlopCounter:
    """Propagates one example's shapes through a model and adds up each layer call's cost."""

    def __init__(self):
        self.flops = 0
        self.uncounted: set[str] = set()

    def run(self, model: keras.Model, inputs: list[keras.KerasTensor]) -> Any:
        if isinstance(model, keras.Sequential):
            x = inputs[0] if len(inputs) == 1 else inputs
            for layer in model.layers:
                x = self.call(layer, x)
            return x
        return model._run_through_graph(
            inputs, operation_fn=lambda operation: functools.partial(self.call, operation)
        )

    def call(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(operation, (Functional, keras.Sequential)):
            return self.run(operation, keras.tree.flatten(args))
        outputs = operation.compute_output_spec(*args, **kwargs)
        flops = _layer_flops(operation, keras.tree.flatten(args), keras.tree.flatten(outputs))
        if flops is None:
            self.uncounted.add(type(operation).__name__)
        else:
            self.flops += flops
        return outputs


def _layer_flops(
    layer: Any, inputs: list[keras.KerasTensor], outputs: list[keras.KerasTensor]
) -> int | None:
    """The multiply-adds of one call of `layer` on batch-1 `inputs`; `None` if not known."""
    if isinstance(layer, _CONVOLUTIONS + _DEPTHWISE + _SEPARABLE + _TRANSPOSED):
        in_channels, in_positions = _channels_and_positions(inputs[0].shape, layer.data_format)
        _, out_positions = _channels_and_positions(outputs[0].shape, layer.data_format)
        kernel = math.prod(layer.kernel_size)
        if isinstance(layer, _CONVOLUTIONS):
            return out_positions * kernel * (in_channels // layer.groups) * layer.filters
        if isinstance(layer, _TRANSPOSED):
            return in_positions * kernel * in_channels * layer.filters
        depthwise = out_positions * kernel * in_channels * layer.depth_multiplier
        if isinstance(layer, _DEPTHWISE):
            return depthwise
        return depthwise + out_positions * in_channels * layer.depth_multiplier * layer.filters
    if isinstance(layer, keras.layers.Dense):
        shape = inputs[0].shape
        return math.prod(shape[1:-1]) * shape[-1] * layer.units
    if isinstance(layer, _NORMALIZATIONS):
        return _elements(outputs[0])
    if isinstance(layer, _POOLINGS):
        return _elements(outputs[0]) * math.prod(layer.pool_size)
    if isinstance(layer, _GLOBAL_POOLINGS):
        return _elements(inputs[0])
    if isinstance(layer, _MERGES):
        return (len(inputs) - 1) * _elements(outputs[0])
    if isinstance(layer, ZERO_COST_LAYERS) or not getattr(layer, "weights", None):
        return 0
    return None


def _channels_and_positions(shape: tuple[int, ...], data_format: str) -> tuple[int, int]:
    """The channels of a batch-1 `shape` and the number of its spatial positions."""
    if data_format == "channels_first":
        return shape[1], math.prod(shape[2:])
    return shape[-1], math.prod(shape[1:-1])


def _elements(tensor: keras.KerasTensor) -> int:
    return math.prod(tensor.shape[1:])


def _input_specs(
    model: keras.Model, input_shape: Sequence[int] | Sequence[Sequence[int]] | None
) -> list[keras.KerasTensor]:
    """One batch-1 symbolic tensor per model input, of `input_shape` or the inputs' shapes."""
    references = model.inputs
    if input_shape is None:
        shapes = [tuple(reference.shape[1:]) for reference in references]
    elif len(references) == 1:
        shapes = [tuple(input_shape)]
    else:
        shapes = [tuple(shape) if isinstance(shape, Sequence) else () for shape in input_shape]
    if len(shapes) != len(references) or any(
        len(shape) != len(reference.shape) - 1
        for shape, reference in zip(shapes, references, strict=False)
    ):
        raise ValueError(
            "`input_shape` must give the shape of one example, without the batch dimension, "
            "for each input of the model. Model inputs: "
            f"{[tuple(reference.shape) for reference in references]}. "
            f"Received: input_shape={input_shape}."
        )
    for shape, reference in zip(shapes, references, strict=True):
        if not all(isinstance(size, int) and size > 0 for size in shape):
            raise ValueError(
                "`count_flops` needs every dimension of an example but the batch to be a "
                f"positive integer; the model input {reference.name!r} has shape "
                f"{tuple(reference.shape)}. Pass `input_shape` with the sizes to count for. "
                f"Received: input_shape={input_shape}."
            )
    return [
        keras.KerasTensor((1, *shape), dtype=reference.dtype)
        for shape, reference in zip(shapes, references, strict=True)
    ]


def _check_built(model: Any, function: str) -> None:
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(
            f"`{function}` needs a Keras model. Received: {model!r} of type {type(model).__name__}."
        )
    if not model.built:
        raise ValueError(
            f"`{function}` needs a built model: its weights exist only once it is built. Start "
            "the model with `keras.Input(shape)`, call `model.build((None, *shape))`, or call "
            f"the model on data first. Received: the unbuilt model {model.name!r}."
        )
