"""Which operations of a block a Once-for-All supernet runs as one: elastic kernel and expansion.

A supernet block holds one operation for all the odd kernel sizes from 3 up (the smaller run
the centre of the largest, `keras_nas.layers.elastic_kernel`) and for all the
expansions above 1 (the smaller run the leading channels of the largest). A kernel of 1 or
an even size, and an expansion of 1 (which has no expansion layer), stay operations of their
own. A sub-network's layer names its own kernel and expansion (`stage_2_block_1_mbconv_k3_e3_
expand_conv`); `supernet_layer_name` gives the supernet layer it inherits from.
`ElasticExpansion` runs a MobileNetSpace supernet block at every expansion.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import keras

from keras_nas.layers import ChannelMask, PathChoice, optional_path
from keras_nas.layers.elastic_kernel import ElasticKernelSize

# A layer of a searched block: position, operation, kernel, expansion, squeeze-excite, rest.
_BLOCK_LAYER = re.compile(r"^(stage_\d+_block_\d+)_([a-z]+)_k(\d+)(?:_e(\d+))?(?:_se)?_(.+)$")


def elastic_kernels(kernels: Sequence[int]) -> tuple[int, ...]:
    """The kernel sizes that run as one elastic kernel: the odd ones from 3 up, if several.

    Example:
    >>> elastic_kernels((1, 3, 4, 5, 7))
    (3, 5, 7)
    >>> elastic_kernels((3, 4))
    ()
    """
    odd = tuple(kernel for kernel in kernels if kernel % 2 and kernel >= 3)
    return odd if len(odd) > 1 else ()


def supernet_kernel(kernel: int, kernels: Sequence[int], hp_name: str) -> int | ElasticKernelSize:
    """The kernel the supernet builds for `kernel`: the elastic kernel, or the size itself."""
    shared = elastic_kernels(kernels)
    return ElasticKernelSize(hp_name, shared) if kernel in shared else kernel


def supernet_kernel_size(kernel: int, kernels: Sequence[int]) -> int:
    """The kernel size of the supernet layer that runs `kernel`."""
    shared = elastic_kernels(kernels)
    return max(shared) if kernel in shared else kernel


def expansion_group(expansion: int, expansions: Sequence[int]) -> tuple[int, ...]:
    """The expansions that one supernet operation runs with `expansion`: all those above 1,
    or 1 alone.

    Example:
    >>> expansion_group(3, (1, 3, 6)), expansion_group(1, (1, 3, 6))
    ((3, 6), (1,))
    """
    return (1,) if expansion == 1 else tuple(e for e in expansions if e > 1)


def elastic_operations(
    input_shape: Sequence[int | None],
    build: Callable[..., keras.KerasTensor],
    *,
    kernels: Sequence[int],
    kernel_hp: str,
    expansions: Sequence[int] = (1,),
    expansion_hp: str | None = None,
    name: str,
) -> keras.Layer:
    """The supernet operations of one block at one position, grouped as Once-for-All shares
    them: one operation per supernet kernel size and expansion group, each built by
    `build(inputs, kernel=..., expansions=...)` with the supernet's kernel (an
    `ElasticKernelSize` for the elastic group) and the group's expansions.

    Returns:
        The operation itself when there is one, otherwise a `PathChoice` named `name` that
        follows `kernel_hp` (keys: kernels), or `kernel_hp` and `expansion_hp` when that is
        given (keys: `(kernel, expansion)`).

    Example:
    >>> def build(x, *, kernel, expansions):
    ...     size = kernel if isinstance(kernel, int) else kernel.largest
    ...     return keras.layers.Conv2D(4, size, padding="same")(x)
    >>> choice = elastic_operations((None, 8, 8, 1), build, kernels=(1, 3, 5), kernel_hp="k",
    ...                             name="demo_choice")
    >>> choice.hp_names, choice.keys, len(choice.branches)
    (('k',), [1, 3, 5], 2)
    """
    operations: dict[tuple, keras.Model] = {}
    branches: dict = {}
    for kernel in kernels:
        for expansion in expansions:
            group = (supernet_kernel_size(kernel, kernels), expansion_group(expansion, expansions))
            if group not in operations:
                operations[group] = PathChoice.branch(
                    input_shape,
                    functools.partial(
                        build,
                        kernel=supernet_kernel(kernel, kernels, kernel_hp),
                        expansions=group[1],
                    ),
                )
            branches[(kernel, expansion) if expansion_hp else kernel] = operations[group]
    if len(operations) == 1:
        return next(iter(operations.values()))
    hp_names = (kernel_hp, expansion_hp) if expansion_hp else kernel_hp
    return PathChoice(hp_names, branches, name=name)


def supernet_layer_name(name: str, kernels: Sequence[int], expansions: Sequence[int]) -> str:
    """The supernet layer that a sub-network's layer `name` inherits from: the same position
    and operation, with the supernet's kernel and expansion for its own and no squeeze-excite
    flag (the supernet gates squeeze-excite). Other names are returned unchanged.

    Example:
    >>> supernet_layer_name("stage_2_block_1_mbconv_k3_e3_se_se_reduce", (3, 5, 7), (3, 6))
    'stage_2_block_1_mbconv_k7_e6_se_reduce'
    >>> supernet_layer_name("stem_conv", (3, 5, 7), (3, 6))
    'stem_conv'
    """
    match = _BLOCK_LAYER.match(name)
    if match is None:
        return name
    position, operation, kernel, expansion, rest = match.groups()
    renamed = f"{position}_{operation}_k{supernet_kernel_size(int(kernel), kernels)}"
    if expansion is not None:
        renamed += f"_e{max(expansion_group(int(expansion), expansions))}"
    return f"{renamed}_{rest}"


class ElasticExpansion:
    """The `ElasticWidths` (`keras_nas.search_spaces.blocks`) of one MobileNetSpace supernet
    block: its width is fixed, its inner width follows the hyperparameter `expansion` over
    `expansions` (`None`: the one expansion), and its squeeze-excite the stage's Boolean
    `squeeze_excite`."""

    def __init__(
        self,
        expansion: str | None,
        expansions: tuple[int, ...],
        squeeze_excite: str,
        *,
        in_filters: int,
        filters: int,
    ):
        self.expansion, self.expansions = expansion, expansions
        self.squeeze_excite = squeeze_excite
        self.in_filters, self.filters = in_filters, filters

    def mask(self, x, kind: str, name: str):
        if kind != "expanded" or self.expansion is None:
            return x  # Every other width is fixed.
        widths = {expansion: self.in_filters * expansion for expansion in self.expansions}
        return ChannelMask(self.expansion, widths, name=name)(x)

    def has(self, kind: str) -> bool:
        return kind == "identity" and self.in_filters == self.filters

    def optional(self, x, build, kind: str, name: str):
        return optional_path(x, self.squeeze_excite, build, name=f"{name}_se_choice")
