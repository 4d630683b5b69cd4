"""Building blocks shared by the search spaces, for 1-D sequences and 2-D images alike.

Each function takes a Keras tensor and returns one; `rank` is taken from the tensor (3 for
`(batch, steps, channels)`, 4 for `(batch, height, width, channels)`), so one function serves
Conv1D and Conv2D networks. Layer names come from `name`, which callers derive from the
hyperparameter names (`stage_2/block_1` -> `stage_2_block_1`) followed, for the layers of a
searched operation, by that operation's `op_token` (`stage_2_block_1_mbconv_k5_e6`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Protocol

from keras import layers

from keras_nas.layers import elastic_kernel
from keras_nas.layers.elastic_kernel import ElasticKernelSize


class ElasticWidths(Protocol):
    """How a supernet block runs every width of its sub-networks (Once-for-All's elastic
    width).

    A supernet builds each block once, at its widest; the blocks below then zero, after each
    normalisation and activation, the channels beyond the active sub-network's width, so the
    supernet computes what the narrow sub-network computes with the leading slice of each
    weight. `mask(x, kind, name)` returns `x` masked for `kind`:

    - `"expanded"`: the block's inner width, its input width times its expansion;
    - `"reduced"`: the squeeze-excite bottleneck (`se_filters` of the input width);
    - `"output"`: the block's filters;
    - `"identity"`: the block's input as a residual, with as many channels as the block's
      output, zero where the sub-network has no identity residual (input and output widths
      differ);
    - `"projection"`: a 1x1 projection shortcut, zero where the sub-network has none.

    `has(kind)` says whether any sub-network has the `"identity"` or `"projection"`
    connection; a block builds only the connections that some sub-network has.

    `optional(x, build, kind, name)` returns `build(x)` where the active sub-network has the
    optional part `kind` (`"squeeze_excite"`) and `x` where it does not; a supernet whose
    sub-networks all have the part returns `build(x)`.
    """

    def mask(self, x, kind: str, name: str): ...

    def has(self, kind: str) -> bool: ...

    def optional(self, x, build: Callable, kind: str, name: str): ...


def masked(x, elastic: ElasticWidths | None, kind: str, name: str):
    """`elastic.mask(x, kind, name)`, or `x` itself in a plain network (`elastic=None`)."""
    return x if elastic is None else elastic.mask(x, kind, name)


def conv_layer(
    x,
    filters: int,
    kernel: int | ElasticKernelSize,
    *,
    strides: int = 1,
    dilation: int = 1,
    use_bias: bool = False,
    activation: str | None = None,
    name: str,
):
    """A Conv1D or Conv2D layer applied to `x`, with "same" padding; an elastic one (in a
    supernet) when `kernel` is an `ElasticKernelSize`."""
    if isinstance(kernel, ElasticKernelSize):
        conv = (
            elastic_kernel.ElasticConv1D if _spatial_rank(x) == 1 else elastic_kernel.ElasticConv2D
        )
        conv = functools.partial(conv, kernel=kernel)
    else:
        conv = layers.Conv1D if _spatial_rank(x) == 1 else layers.Conv2D
        conv = functools.partial(conv, kernel_size=kernel)
    return conv(
        filters,
        strides=strides,
        dilation_rate=dilation,
        padding="same",
        use_bias=use_bias,
        activation=activation,
        name=name,
    )(x)


def depthwise_layer(
    x, kernel: int | ElasticKernelSize, *, strides: int = 1, dilation: int = 1, name: str
):
    """A DepthwiseConv1D or DepthwiseConv2D layer applied to `x`, with "same" padding; an
    elastic one (in a supernet) when `kernel` is an `ElasticKernelSize`."""
    one_d = _spatial_rank(x) == 1
    if isinstance(kernel, ElasticKernelSize):
        depthwise = functools.partial(
            elastic_kernel.ElasticDepthwiseConv1D
            if one_d
            else elastic_kernel.ElasticDepthwiseConv2D,
            kernel=kernel,
        )
    else:
        depthwise = layers.DepthwiseConv1D if one_d else layers.DepthwiseConv2D
        depthwise = functools.partial(depthwise, kernel_size=kernel)
    return depthwise(
        strides=strides, dilation_rate=dilation, padding="same", use_bias=False, name=name
    )(x)


def pool_layer(x, kind: str, size: int, *, strides: int = 1, name: str):
    """Average (`kind="avg"`) or max pooling with "same" padding."""
    one_d = _spatial_rank(x) == 1
    if kind == "avg":
        pool = layers.AveragePooling1D if one_d else layers.AveragePooling2D
    else:
        pool = layers.MaxPooling1D if one_d else layers.MaxPooling2D
    return pool(size, strides=strides, padding="same", name=name)(x)


def batch_norm(x, name: str):
    """Batch normalisation with the momentum that suits short training (as in Keras
    Applications' EfficientNet and MobileNetV3)."""
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-3, name=name)(x)


def conv_bn_act(
    x, filters: int, kernel: int, *, strides: int = 1, activation: str = "relu", name: str
):
    """Conv -> BatchNorm -> activation, the plain convolution block."""
    x = conv_layer(x, filters, kernel, strides=strides, name=f"{name}_conv")
    x = batch_norm(x, f"{name}_bn")
    return layers.Activation(activation, name=f"{name}_act")(x) if activation else x


def separable_block(
    x,
    filters: int,
    kernel: int,
    *,
    strides: int = 1,
    activation: str = "relu",
    name: str,
    elastic: ElasticWidths | None = None,
):
    """Depthwise-separable convolution: depthwise kxk -> BN -> act -> pointwise 1x1 -> BN -> act
    (the MobileNetV1 block). `elastic` builds it for a supernet (`ElasticWidths`; its
    `"expanded"` width is the input width)."""
    x = depthwise_layer(x, kernel, strides=strides, name=f"{name}_depthwise")
    x = batch_norm(x, f"{name}_depthwise_bn")
    x = layers.Activation(activation, name=f"{name}_depthwise_act")(x)
    x = masked(x, elastic, "expanded", f"{name}_depthwise_mask")
    x = conv_bn_act(x, filters, 1, activation=activation, name=f"{name}_pointwise")
    return masked(x, elastic, "output", f"{name}_mask")


def se_filters(in_filters: int, ratio: float) -> int:
    """The squeeze-excite bottleneck of a block with `in_filters` inputs (at least 1)."""
    return max(1, int(in_filters * ratio))


def squeeze_excite(x, reduced_filters: int, *, name: str, elastic: ElasticWidths | None = None):
    """Squeeze-and-excitation: channel weights from globally pooled features (Hu et al. 2018)."""
    filters = x.shape[-1]
    pool = layers.GlobalAveragePooling1D if _spatial_rank(x) == 1 else layers.GlobalAveragePooling2D
    s = pool(keepdims=True, name=f"{name}_squeeze")(x)
    s = conv_layer(
        s, max(1, reduced_filters), 1, use_bias=True, activation="relu", name=f"{name}_reduce"
    )
    s = masked(s, elastic, "reduced", f"{name}_reduce_mask")
    s = conv_layer(s, filters, 1, use_bias=True, activation="sigmoid", name=f"{name}_expand")
    return layers.Multiply(name=f"{name}_excite")([x, s])


def mbconv_block(
    x,
    filters: int,
    kernel: int,
    *,
    expansion: int,
    strides: int = 1,
    squeeze_excite_ratio: float = 0.0,
    activation: str = "swish",
    name: str,
    elastic: ElasticWidths | None = None,
):
    """Inverted residual block of MobileNetV2/MnasNet/EfficientNet.

    1x1 expansion (skipped when `expansion == 1`) -> depthwise kxk -> optional squeeze-excite
    -> linear 1x1 projection, with a residual connection when the shape is kept. `elastic`
    builds it for a supernet (`ElasticWidths`).
    """
    inputs = x
    in_filters = x.shape[-1]
    if expansion != 1:
        x = conv_bn_act(x, in_filters * expansion, 1, activation=activation, name=f"{name}_expand")
        x = masked(x, elastic, "expanded", f"{name}_expand_mask")
    x = depthwise_layer(x, kernel, strides=strides, name=f"{name}_depthwise")
    x = batch_norm(x, f"{name}_depthwise_bn")
    x = layers.Activation(activation, name=f"{name}_depthwise_act")(x)
    x = masked(x, elastic, "expanded", f"{name}_depthwise_mask")
    if squeeze_excite_ratio > 0:
        reduced = se_filters(in_filters, squeeze_excite_ratio)

        def excite(t):
            return squeeze_excite(t, reduced, name=f"{name}_se", elastic=elastic)

        x = excite(x) if elastic is None else elastic.optional(x, excite, "squeeze_excite", name)
    x = conv_bn_act(x, filters, 1, activation=None, name=f"{name}_project")
    x = masked(x, elastic, "output", f"{name}_project_mask")
    residual = _identity(inputs, filters, strides, elastic, name=f"{name}_identity")
    if residual is not None:
        x = layers.Add(name=f"{name}_add")([x, residual])
    return x


def resnet_block(
    x,
    filters: int,
    kernel: int,
    *,
    strides: int = 1,
    name: str,
    elastic: ElasticWidths | None = None,
):
    """ResNet basic block: two kxk convolutions and a shortcut (He et al. 2016). `elastic`
    builds it for a supernet (`ElasticWidths`)."""
    shortcut = _resnet_shortcut(x, filters, strides, elastic, name=name)
    x = conv_bn_act(x, filters, kernel, strides=strides, name=f"{name}_1")
    x = masked(x, elastic, "output", f"{name}_1_mask")
    x = conv_bn_act(x, filters, kernel, activation=None, name=f"{name}_2")
    x = layers.Add(name=f"{name}_add")([x, shortcut])
    x = layers.Activation("relu", name=f"{name}_out")(x)
    return masked(x, elastic, "output", f"{name}_mask")


def _identity(x, filters: int, strides: int, elastic: ElasticWidths | None, *, name: str):
    """The block input as a residual, or `None` where no network has one."""
    if strides != 1:
        return None
    if elastic is None:
        return x if x.shape[-1] == filters else None
    return elastic.mask(x, "identity", name) if elastic.has("identity") else None


def _resnet_shortcut(x, filters: int, strides: int, elastic: ElasticWidths | None, *, name: str):
    """The identity, or a 1x1 projection where the shape changes (in a supernet: both, each
    zeroed where the active sub-network does not have it)."""
    identity = _identity(x, filters, strides, elastic, name=f"{name}_identity")
    if elastic is None and identity is not None:
        return identity
    if identity is not None and not elastic.has("projection"):
        return identity
    projection = conv_bn_act(
        x, filters, 1, strides=strides, activation=None, name=f"{name}_shortcut"
    )
    if identity is None:
        return projection
    projection = elastic.mask(projection, "projection", f"{name}_shortcut_mask")
    return layers.Add(name=f"{name}_shortcut_add")([identity, projection])


def make_divisible(value: float, divisor: int = 8) -> int:
    """Rounds a channel count to a multiple of `divisor`, never down by more than 10%
    (the rule of MobileNetV2 and EfficientNet)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def layer_name(hp_name: str) -> str:
    """Turns a hyperparameter name into a layer name: `stage_2/block_1` -> `stage_2_block_1`."""
    return hp_name.replace("/", "_")


def op_token(op: str, **options: int | bool) -> str:
    """A short name of a searched operation and its options, for the names of its layers.

    The layers of a searched operation are named by their position followed by this token
    (`stage_2_block_1_mbconv_k5_e6_expand_conv`), so that two different operations at one
    position never give a layer the same name, class and weight shapes, while the same
    operation at the same position always gets the same name. Shared-weight registries key
    layers this way (ENAS-style weight sharing). An integer option is written as its key and
    value, a true flag as its key; a false flag is left out. Options that only change weight
    shapes (widths) need not be part of the token.

    Example:
    >>> op_token("mbconv", k=5, e=6, se=True)
    'mbconv_k5_e6_se'
    >>> op_token("nor_conv_3x3")
    'nor_conv_3x3'
    """
    parts = [op]
    for key, value in options.items():
        if value is True:
            parts.append(key)
        elif value is not False:
            parts.append(f"{key}{value}")
    return "_".join(parts)


def _spatial_rank(x) -> int:
    return len(x.shape) - 2
