"""What the zero-cost proxies read of a Keras model: its logits, its kernels, the outputs of its
ReLU-like layers, and synflow's positive float64 copy.

Every view leaves the model as it was: `scoring` switches the output activation and dropout
for the duration of a `with` block and restores every variable afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf

# Activations whose output is positive exactly where their input is: the units NASWOT codes.
_RELU_LIKE = {"relu", "relu6", "leaky_relu", "elu", "selu", "silu", "swish", "gelu"}
# Output activations whose logits the proxies read.
_SQUASHING = {"softmax", "sigmoid"}


def kernels(model: keras.Model) -> list:
    """The kernels of the convolution and dense layers (`kernel`, `depthwise_kernel`, ...)."""
    return [weight for weight in model.trainable_weights if weight.name.endswith("kernel")]


@contextlib.contextmanager
def scoring(model: keras.Model) -> Iterator:
    """Yields `logits_of(x)`: the model's logits (under a softmax or sigmoid output: an output
    layer's activation, or a `Softmax` layer) in training mode, dropout off; restores every
    variable (BatchNormalization's moving statistics) and every switched layer afterwards."""
    saved = [variable.numpy() for variable in model.variables]
    output_layers = _output_layers(model)
    dropouts = [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.Dropout)]
    activations = [layer.activation for layer in output_layers]
    rates = [layer.rate for layer in dropouts]
    try:
        for layer in output_layers:
            layer.activation = keras.activations.linear
        for layer in dropouts:
            layer.rate = 0.0
        logits = _without_softmax_layer(model)
        yield lambda x: logits(x, training=True)
    finally:
        for layer, activation in zip(output_layers, activations, strict=True):
            layer.activation = activation
        for layer, rate in zip(dropouts, rates, strict=True):
            layer.rate = rate
        for variable, value in zip(model.variables, saved, strict=True):
            variable.assign(value)


def relu_like_outputs(model: keras.Model, x: Any) -> list:
    """The outputs of the model's ReLU-like layers on `x`, in training mode."""
    # Only the model's own layers have outputs in its graph (not those of nested models).
    layers = [layer for layer in model.layers if _is_relu_like(layer)]
    if not layers:
        raise ValueError(
            "The `naswot` proxy codes which units of the ReLU-like activations (relu, relu6, "
            "swish, gelu, elu, ...) each example switches on, and found no such layer in the "
            "model's own graph (those inside nested models or custom layers are not read). "
            "Received a model with the layers "
            f"{[layer.name for layer in model.layers]}."
        )
    probe = keras.Model(model.inputs, [layer.output for layer in layers])
    with scoring(model):
        return tf.nest.flatten(probe(x, training=True))


def _is_relu_like(layer: keras.layers.Layer) -> bool:
    if isinstance(layer, (keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.ELU)):
        return True
    return _activation_name(getattr(layer, "activation", None)) in _RELU_LIKE


def _output_layers(model: keras.Model) -> list:
    """The layers that apply a softmax or sigmoid to the model's outputs."""
    return [
        layer
        for layer in model.layers
        if _makes_output(model, layer)
        and _activation_name(getattr(layer, "activation", None)) in _SQUASHING
    ]


def _makes_output(model: keras.Model, layer: keras.layers.Layer) -> bool:
    outputs = {id(tensor) for tensor in tf.nest.flatten(model.outputs)}
    return any(id(tensor) in outputs for tensor in tf.nest.flatten(layer.output))


def output_squashing(model: keras.Model) -> str | None:
    """`"softmax"` or `"sigmoid"`: the activation that makes the model's output, if any."""
    if _softmax_layer(model) is not None:
        return "softmax"
    layers = _output_layers(model)
    return _activation_name(layers[0].activation) if layers else None


def _softmax_layer(model: keras.Model) -> keras.layers.Layer | None:
    """The `keras.layers.Softmax` layer that makes the model's only output, if any."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Softmax) and _makes_output(model, layer):
            if len(tf.nest.flatten(model.outputs)) > 1:
                raise ValueError(
                    "Zero-cost proxies read the logits under a `keras.layers.Softmax` output "
                    "only in a model of one output. Use `Dense(..., activation='softmax')` "
                    f"for each output instead. Received outputs: {model.outputs}."
                )
            return layer
    return None


def _without_softmax_layer(model: keras.Model) -> keras.Model:
    """The model, or the model up to its `Softmax` output layer's input (its logits)."""
    layer = _softmax_layer(model)
    return model if layer is None else keras.Model(model.inputs, layer.input)


def _activation_name(activation: Any) -> str | None:
    return getattr(activation, "__name__", None)


def _all_layers(model: keras.Model) -> list:
    layers = []
    for layer in model.layers:
        layers.append(layer)
        if isinstance(layer, keras.Model):
            layers.extend(_all_layers(layer))
    return layers


def positive_float64_copy(model: keras.Model) -> keras.Model:
    """A float64 copy of the model with the absolute values of its weights, its logits as
    outputs and BatchNormalization layers that compute the identity (in inference mode):
    synflow's network."""
    squashing = {layer.name for layer in _output_layers(model)}

    def clone(layer):
        config = {**layer.get_config(), "dtype": "float64"}
        if layer.name in squashing:
            config["activation"] = "linear"
        return layer.__class__.from_config(config)

    inputs = [keras.Input(tensor.shape[1:], dtype="float64") for tensor in model.inputs]
    copy = keras.models.clone_model(
        model,
        input_tensors=inputs if len(inputs) > 1 else inputs[0],
        clone_function=clone,
        recursive=True,
    )
    _copy_absolute_weights(model, copy)
    return _without_softmax_layer(copy)


def _copy_absolute_weights(source: keras.Model, target: keras.Model) -> None:
    for layer in source.layers:
        if not layer.weights:
            continue
        copy = target.get_layer(layer.name)
        if isinstance(layer, keras.Model):
            _copy_absolute_weights(layer, copy)
        elif isinstance(layer, keras.layers.BatchNormalization):
            _make_identity(copy)
        elif layer.weights:
            copy.set_weights([np.abs(weight).astype("float64") for weight in layer.get_weights()])


def _make_identity(batch_norm: keras.layers.BatchNormalization) -> None:
    """Sets an inference-mode BatchNormalization to compute `x` (synflow removes them)."""
    for name, value in [("gamma", 1.0), ("beta", 0.0), ("moving_mean", 0.0)]:
        if getattr(batch_norm, name, None) is not None:
            getattr(batch_norm, name).assign(tf.fill(getattr(batch_norm, name).shape, value))
    variance = batch_norm.moving_variance
    variance.assign(tf.fill(variance.shape, 1.0 - batch_norm.epsilon))
