"""Once-for-All's elastic kernel: one convolution that runs every odd kernel size up to its own.

A supernet layer holds the weights of the largest kernel; a sub-network with a smaller kernel
inherits their centre (`SharedLayerRegistry.restore(model, sliced=True)`). In the supernet the
layer zeroes its kernel outside the active size's centre before convolving, which computes
exactly what the smaller kernel computes: with "same" padding, an odd kernel of size k pads
(k - 1) / 2 on each side at stride 1, and at stride s one side about (k - s) / 2, so the
centre of a larger kernel sees the same inputs at every output position, as long as every
size is at least the stride (TensorFlow pads nothing rather than a negative amount, so a 1x1
kernel at stride 2 is off by one input; the layer refuses it). So kernel sizes stop
being separate operations that each train on a fraction of the steps: every step that runs
the block trains the centre that all its kernel sizes share (Cai et al. 2020,
https://arxiv.org/abs/1908.09791, without the kernel transformation matrices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras


@dataclass(frozen=True)
class ElasticKernelSize:
    """The kernel of a supernet convolution that follows a hyperparameter.

    `keras_nas.search_spaces.blocks.conv_layer` and `depthwise_layer` take it in place of a
    kernel size and build an elastic convolution of the largest size.

    Example:
    >>> ElasticKernelSize("stage_1/kernel", (3, 5, 7)).largest
    7

    Args:
        hp_name: The hyperparameter whose value is the kernel size.
        sizes: The kernel sizes, all odd.

    Raises:
        ValueError: If a size is not a positive odd integer.
    """

    hp_name: str
    sizes: tuple[int, ...]

    def __post_init__(self):
        sizes = tuple(self.sizes)
        if not sizes or any(not isinstance(s, int) or s < 1 or s % 2 == 0 for s in sizes):
            raise ValueError(
                "An elastic kernel needs positive odd sizes, whose centres line up under "
                f"'same' padding. Received: sizes={sizes} for {self.hp_name!r}. Keep even "
                "kernel sizes as separate operations."
            )
        object.__setattr__(self, "sizes", sizes)

    @property
    def largest(self) -> int:
        return max(self.sizes)


class _ElasticKernel:
    """Mixin of the elastic convolutions: the active kernel size and the mask of its centre.

    The size lives in an integer variable, so a traced training step follows `set_value`
    without being traced again; integer variables are not weights to the registry.
    """

    def _init_elastic(self, kernel: ElasticKernelSize) -> None:
        self.hp_names = (kernel.hp_name,)
        self.sizes = kernel.sizes
        self.active_size = self.add_weight(
            shape=(),
            dtype="int32",
            initializer=keras.initializers.Constant(kernel.largest),
            trainable=False,
            name="active_kernel_size",
        )

    def _check_strides(self) -> None:
        if min(self.sizes) < max(self.strides):
            raise ValueError(
                f"The elastic kernel of {self.hp_names[0]!r} has sizes {list(self.sizes)} at "
                f"strides {self.strides}; under 'same' padding a size below the stride is not "
                "the centre of the largest. Keep such sizes as separate operations."
            )

    def set_value(self, size: int) -> None:
        """Makes `size` the active kernel size.

        Raises:
            ValueError: If `size` is not one of the layer's sizes.
        """
        if size not in self.sizes:
            raise ValueError(
                f"The elastic kernel of {self.hp_names[0]!r} has no size {size!r}; its sizes "
                f"are {list(self.sizes)}."
            )
        self.active_size.assign(size)

    def set_from(self, values: dict[str, Any]) -> None:
        """Sets the kernel size of the architecture `values` (kept while its name is absent)."""
        if self.hp_names[0] in values:
            self.set_value(values[self.hp_names[0]])

    def centre_mask(self):
        """Ones on the centre of the active size, zeros around it; the kernel's shape."""
        radius = (self.active_size - 1) // 2
        mask = None
        for size in self.kernel_size:
            offsets = keras.ops.abs(keras.ops.arange(size) - (size - 1) // 2)
            inside = keras.ops.cast(offsets <= radius, self.compute_dtype)
            mask = inside if mask is None else mask[..., None] * inside
        return keras.ops.reshape(mask, (*self.kernel_size, 1, 1))


class _ElasticConv(_ElasticKernel):
    def __init__(self, filters: int, kernel: ElasticKernelSize, **kwargs: Any):
        super().__init__(filters, kernel.largest, **kwargs)
        self._init_elastic(kernel)
        self._check_strides()

    @property
    def kernel(self):
        return super().kernel * self.centre_mask()


class _ElasticDepthwiseConv(_ElasticKernel):
    def __init__(self, kernel: ElasticKernelSize, **kwargs: Any):
        if kwargs.get("use_bias") or kwargs.get("activation") is not None:
            raise ValueError("An elastic depthwise convolution has no bias and no activation.")
        super().__init__(kernel.largest, **kwargs)
        self._init_elastic(kernel)
        self._check_strides()

    def call(self, inputs):
        return keras.ops.depthwise_conv(
            inputs,
            self.kernel * self.centre_mask(),
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )


class ElasticConv1D(_ElasticConv, keras.layers.Conv1D):
    """A `Conv1D` of the largest kernel size that runs the centre of the active one."""

    plain_class = keras.layers.Conv1D


class ElasticConv2D(_ElasticConv, keras.layers.Conv2D):
    """A `Conv2D` of the largest kernel size that runs the centre of the active one.

    Example:
    >>> import numpy as np
    >>> conv = ElasticConv2D(1, ElasticKernelSize("k", (1, 3)), padding="same", use_bias=False,
    ...                      kernel_initializer="ones")
    >>> x = np.ones((1, 3, 3, 1), "float32")
    >>> conv(x).numpy()[0, :, :, 0].tolist()
    [[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]]
    >>> conv.set_value(1)
    >>> conv(x).numpy()[0, :, :, 0].tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    plain_class = keras.layers.Conv2D


class ElasticDepthwiseConv1D(_ElasticDepthwiseConv, keras.layers.DepthwiseConv1D):
    """A `DepthwiseConv1D` of the largest kernel size that runs the centre of the active one."""

    plain_class = keras.layers.DepthwiseConv1D


class ElasticDepthwiseConv2D(_ElasticDepthwiseConv, keras.layers.DepthwiseConv2D):
    """A `DepthwiseConv2D` of the largest kernel size that runs the centre of the active one."""

    plain_class = keras.layers.DepthwiseConv2D


def is_elastic_kernel(layer: Any) -> bool:
    """Whether `layer` is one of the elastic convolutions."""
    return isinstance(layer, _ElasticKernel)


def centre_slices(have: Sequence[int], need: Sequence[int], spatial: int) -> tuple[slice, ...]:
    """Slices of an array of shape `have` to shape `need`: the centre of the first `spatial`
    dimensions (a kernel's), the leading part of the others (channels).

    Example:
    >>> centre_slices((5, 5, 8, 16), (3, 3, 4, 16), spatial=2)
    (slice(1, 4, None), slice(1, 4, None), slice(0, 4, None), slice(0, 16, None))
    """
    slices = []
    for axis, (size, wanted) in enumerate(zip(have, need, strict=True)):
        start = (size - wanted) // 2 if axis < spatial else 0
        slices.append(slice(start, start + wanted))
    return tuple(slices)
