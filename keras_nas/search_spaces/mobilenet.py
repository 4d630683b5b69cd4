"""`MobileNetSpace`: the MnasNet / Once-for-All macro space of MBConv stages."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import keras
import keras_tuner

from keras_nas.layers import PathChoice
from keras_nas.layers.elastic_kernel import ElasticKernelSize
from keras_nas.search_spaces import blocks
from keras_nas.search_spaces import elastic as elastic_ops
from keras_nas.search_spaces import mobilenet_relaxation as relaxation
from keras_nas.search_spaces.base import (
    ChoiceFactory,
    SearchSpace,
    check_choices,
    default_choice,
    plan_strides,
)
from keras_nas.search_spaces.mobilenet_skeletons import SKELETONS, Skeleton


class MobileNetSpace(SearchSpace):
    """Stages of inverted-residual (MBConv) blocks, searched as in MnasNet and Once-for-All.

    The default skeleton is Once-for-All's MobileNetV3: a stride-2 stem of 16 filters, one
    fixed MBConv block (expansion 1, kernel 3), five searchable stages of widths 24, 40, 80,
    112 and 160, a 1x1 convolution to 6x the last width, global pooling and the classifier.
    `skeleton="mnasnet"` and `"efficientnet"` search MnasNet's and EfficientNet-B0's (a stem
    of 32, six stages up to 320, a head of 1280; `SKELETONS`), where MnasNet-A1 and
    EfficientNet-B0 are points (`keras_nas.search_spaces.published`). Searched:
    the depth of each stage, the kernel (3/5/7) and expansion ratio (3/4/6) of every block,
    squeeze-excite per stage (MnasNet), and a global width multiplier. As in `MacroSpace`, the
    earliest stride-2 points are dropped on inputs too small for all of them (an 8x8 image
    keeps the last three reductions).

    The default architecture is close to MobileNetV3-Large: depth 3, kernels 3 and 5,
    expansion 4, squeeze-excite in stages 2, 4 and 5.

    Example:
    >>> space = MobileNetSpace(input_shape=(32, 32, 3), num_classes=10)
    >>> space.describe({"stage_1/depth": 2})["summary"]
    'w1 | k3e4 k3e4 | k5e4 k5e4 k5e4 se | k3e4 k3e4 k3e4 | k5e4 k5e4 k5e4 se | k5e4 k5e4 k5e4 se'

    Args:
        input_shape: `(height, width, channels)`.
        num_classes: See `SearchSpace`.
        depths: Options for the number of blocks of each stage.
        kernels: Kernel size options of every block.
        expansions: Expansion ratio options of every block.
        width_multipliers: Options for the factor applied to every width.
        dropout: Dropout rate before the classifier.
        skeleton: The fixed network around the searched stages, a key of `SKELETONS`.
        **kwargs: The output, optimizer and loss arguments of `SearchSpace`.

    Hyperparameters: `width_multiplier`; per stage i `stage_i/depth` and
    `stage_i/squeeze_excite`; per block j of stage i `stage_i/block_j/kernel` and
    `stage_i/block_j/expansion` (active while `stage_i/depth >= j`).

    Layer names: a block's layers name its kernel, expansion and squeeze-excite, e.g.
    `stage_2_block_1_mbconv_k5_e4_se_expand_conv`; the stem, the fixed first block and the head
    keep theirs (`stem_block_depthwise`, `head_conv`).
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int | None = None,
        *,
        depths: Sequence[int] = (2, 3, 4),
        kernels: Sequence[int] = (3, 5, 7),
        expansions: Sequence[int] = (3, 4, 6),
        width_multipliers: Sequence[float] = (0.75, 1.0, 1.25),
        dropout: float = 0.2,
        skeleton: str = "ofa",
        **kwargs: Any,
    ):
        super().__init__(input_shape, num_classes, dropout=dropout, **kwargs)
        if skeleton not in SKELETONS:
            raise ValueError(
                f"`skeleton` must be one of {list(SKELETONS)}. Received: skeleton={skeleton!r}."
            )
        self.skeleton_name = skeleton
        self.skeleton = SKELETONS[skeleton]
        self.depths = tuple(sorted(check_choices("depths", depths, positive=True)))
        self.kernels = check_choices("kernels", kernels, positive=True)
        self.expansions = check_choices("expansions", expansions, positive=True)
        self.width_multipliers = tuple(
            float(m)
            for m in check_choices(
                "width_multipliers", width_multipliers, kind=(int, float), positive=True
            )
        )

    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        hp.Choice(
            "width_multiplier",
            list(self.width_multipliers),
            default=default_choice(self.width_multipliers, 1.0),
        )
        for stage, (_, _, squeeze_excite, _) in enumerate(self.skeleton.stages, start=1):
            depth_name = f"stage_{stage}/depth"
            hp.Choice(depth_name, list(self.depths), default=default_choice(self.depths, 3))
            hp.Boolean(f"stage_{stage}/squeeze_excite", default=squeeze_excite)
            for block in range(1, self.depths[-1] + 1):
                active_depths = [d for d in self.depths if d >= block]
                with hp.conditional_scope(depth_name, active_depths):
                    name = f"stage_{stage}/block_{block}"
                    hp.Choice(
                        f"{name}/kernel",
                        list(self.kernels),
                        default=default_choice(self.kernels, 5 if squeeze_excite else 3),
                    )
                    hp.Choice(
                        f"{name}/expansion",
                        list(self.expansions),
                        default=default_choice(self.expansions, 4),
                    )

    def build_features(self, arch: dict[str, Any], inputs: keras.KerasTensor) -> keras.KerasTensor:
        multiplier = arch["width_multiplier"]
        strides = self._strides()
        x = _stem(inputs, self.skeleton, multiplier, strides[0])
        for stage, (width, _, _, activation) in enumerate(self.skeleton.stages, start=1):
            squeeze_excite = arch[f"stage_{stage}/squeeze_excite"]
            for block in range(1, arch[f"stage_{stage}/depth"] + 1):
                name = f"stage_{stage}/block_{block}"
                x = _block(
                    x,
                    name,
                    blocks.make_divisible(width * multiplier),
                    arch[f"{name}/kernel"],
                    arch[f"{name}/expansion"],
                    squeeze_excite,
                    strides=strides[stage] if block == 1 else 1,
                    activation=activation,
                )
        return _head(x, self.skeleton, multiplier)

    def one_shot_problem(self) -> str | None:
        if len(self.width_multipliers) > 1:
            return (
                "the MobileNetSpace supernet holds one width; pass one width multiplier, e.g. "
                f"width_multipliers=(1.0,). Received: width_multipliers={self.width_multipliers}"
            )
        return None

    def build_supernet_features(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        """The one-shot supernet: Once-for-All's elastic kernel, expansion and depth.

        Every block position up to the largest depth holds one MBConv operation at the
        largest kernel and expansion: a smaller odd kernel runs the centre of the largest, a
        smaller expansion the leading channels (a `ChannelMask` zeroes the others), and the
        stage's squeeze-excite is a `PathChoice` that runs it or skips it. Only a kernel of 1
        or an even size and an expansion of 1 stay operations of their own, in a
        `PathChoice`. A block deeper than the smallest depth sits in a second `PathChoice` on
        the stage's depth that skips it for smaller depths. A sub-network inherits the
        matching slice of each weight (`supernet_layer_name`). The space must have a single
        width multiplier (`one_shot_problem`).
        """
        problem = self.one_shot_problem()
        if problem is not None:
            raise ValueError(f"Cannot build the supernet: {problem}.")
        multiplier = self.width_multipliers[0]
        strides = self._strides()
        x = _stem(inputs, self.skeleton, multiplier, strides[0])
        for stage, (width, _, _, activation) in enumerate(self.skeleton.stages, start=1):
            filters = blocks.make_divisible(width * multiplier)
            for block in range(1, self.depths[-1] + 1):
                stride = strides[stage] if block == 1 else 1
                x = self._supernet_block(x, stage, block, filters, stride, activation)
        return _head(x, self.skeleton, multiplier)

    def relaxation_problem(self) -> str | None:
        if len(self.width_multipliers) > 1:
            return (
                "the relaxed MobileNetSpace supernet holds one width; pass one width "
                f"multiplier, e.g. width_multipliers=(1.0,). Received: {self.width_multipliers}"
            )
        if len(self.kernels) * len(self.expansions) == 1 and len(self.depths) == 1:
            return (
                f"it has one kernel {self.kernels}, one expansion {self.expansions} and one "
                f"depth {self.depths}: nothing to choose; pass several of one of them"
            )
        return None

    def build_relaxed_features(
        self, inputs: keras.KerasTensor, choice: ChoiceFactory
    ) -> keras.KerasTensor:
        """FBNet's relaxation: every block position a choice among the MBConv blocks of
        every kernel and expansion (`"k5e4"`), and `"skip"` beyond the smallest depth, up to
        the largest depth (see `keras_nas.search_spaces.mobilenet_relaxation`). Each stage
        keeps its default squeeze-excite, and the space must have one width multiplier.
        The blocks' layers carry the sub-network's names, so a derived network inherits
        them by name."""
        problem = self.relaxation_problem()
        if problem is not None:
            raise ValueError(f"Cannot build the relaxed supernet: {problem}.")
        multiplier = self.width_multipliers[0]
        defaults = self.complete_values({})
        strides = self._strides()
        x = _stem(inputs, self.skeleton, multiplier, strides[0])
        for stage, (width, _, _, activation) in enumerate(self.skeleton.stages, start=1):
            filters = blocks.make_divisible(width * multiplier)
            se = defaults[f"stage_{stage}/squeeze_excite"]
            for block in range(1, self.depths[-1] + 1):
                name = f"stage_{stage}/block_{block}"
                options = {
                    relaxation.operation_name(k, e): functools.partial(
                        _block,
                        name=name,
                        filters=filters,
                        kernel=k,
                        expansion=e,
                        se=se,
                        strides=strides[stage] if block == 1 else 1,
                        activation=activation,
                    )
                    for k in self.kernels
                    for e in self.expansions
                }
                if block > self.depths[0]:
                    options[relaxation.SKIP] = lambda t: t
                if len(options) == 1:
                    x = next(iter(options.values()))(x)
                    continue
                branches = {value: PathChoice.branch(x.shape, op) for value, op in options.items()}
                hp_name = relaxation.choice_name(stage, block)
                x = choice(hp_name, branches, f"{blocks.layer_name(name)}_choice")(x)
        return _head(x, self.skeleton, multiplier)

    def discretize(self, weights: dict[str, dict[Any, float]]) -> dict[str, Any]:
        """Each stage's likeliest depth given the skip weights, and each kept block's
        strongest MBConv (`keras_nas.search_spaces.mobilenet_relaxation.discretize`).

        Example:
        >>> space = MobileNetSpace(input_shape=(8, 8, 1), num_classes=10, depths=(1, 2),
        ...                        kernels=(3, 5), expansions=(4,), width_multipliers=(1.0,))
        >>> values = space.discretize({
        ...     "stage_1/block_1/operation": {"k3e4": 0.3, "k5e4": 0.7},
        ...     "stage_1/block_2/operation": {"k3e4": 0.5, "k5e4": 0.1, "skip": 0.4}})
        >>> space.summarize(values).split(" | ")[:2]
        ['w1', 'k5e4 k3e4']
        """
        return self.complete_values(
            relaxation.discretize(weights, len(self.skeleton.stages), self.depths)
        )

    def relaxed_layer_source(self, values: dict[str, Any]) -> Callable[[str], Any]:
        """The relaxed supernet names each block's layers as the sub-network does."""
        return _same_name

    def supernet_layer_name(self, name: str) -> str:
        """The supernet layer a sub-network layer inherits from (see
        `keras_nas.search_spaces.elastic.supernet_layer_name`).

        Example:
        >>> space = MobileNetSpace(input_shape=(32, 32, 3), width_multipliers=(1.0,))
        >>> space.supernet_layer_name("stage_2_block_1_mbconv_k5_e4_se_expand_conv")
        'stage_2_block_1_mbconv_k7_e6_expand_conv'
        """
        return elastic_ops.supernet_layer_name(name, self.kernels, self.expansions)

    def _supernet_block(self, x, stage: int, block: int, filters: int, stride: int, activation):
        name = f"stage_{stage}/block_{block}"

        def build(t, *, kernel: int | ElasticKernelSize, expansions: tuple[int, ...]):
            elastic = elastic_ops.ElasticExpansion(
                f"{name}/expansion" if len(expansions) > 1 else None,
                expansions,
                f"stage_{stage}/squeeze_excite",
                in_filters=x.shape[-1],
                filters=filters,
            )
            return _block(
                t,
                name=name,
                filters=filters,
                kernel=kernel,
                expansion=max(expansions),
                se=True,
                strides=stride,
                activation=activation,
                elastic=elastic,
            )

        operation = elastic_ops.elastic_operations(
            x.shape,
            build,
            kernels=self.kernels,
            kernel_hp=f"{name}/kernel",
            expansions=self.expansions,
            expansion_hp=f"{name}/expansion",
            name=f"{blocks.layer_name(name)}_choice",
        )
        if block <= self.depths[0]:
            return operation(x)
        run = PathChoice.branch(x.shape, operation)
        skip = PathChoice.branch(x.shape, lambda t: t)
        depth_gate = {depth: run if depth >= block else skip for depth in self.depths}
        return PathChoice(
            f"stage_{stage}/depth", depth_gate, name=f"{blocks.layer_name(name)}_gate"
        )(x)

    def _strides(self) -> tuple[int, ...]:
        return plan_strides(
            self.input_shape, (2,) + tuple(s for _, s, _, _ in self.skeleton.stages)
        )

    def summarize(self, arch: dict[str, Any]) -> str:
        parts = [f"w{arch['width_multiplier']:g}"]
        for stage in range(1, len(self.skeleton.stages) + 1):
            kernels_and_expansions = [
                f"k{arch[f'stage_{stage}/block_{b}/kernel']}"
                f"e{arch[f'stage_{stage}/block_{b}/expansion']}"
                for b in range(1, arch[f"stage_{stage}/depth"] + 1)
            ]
            se = " se" if arch[f"stage_{stage}/squeeze_excite"] else ""
            parts.append(" ".join(kernels_and_expansions) + se)
        return " | ".join(parts)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "depths": list(self.depths),
            "kernels": list(self.kernels),
            "expansions": list(self.expansions),
            "width_multipliers": list(self.width_multipliers),
            "skeleton": self.skeleton_name,
        }


def _stem(inputs, skeleton: Skeleton, multiplier: float, strides: int):
    """The stride-2 stem convolution and the fixed first MBConv block (expansion 1)."""
    width = blocks.make_divisible(skeleton.stem_width * multiplier)
    x = blocks.conv_bn_act(
        inputs, width, 3, strides=strides, activation=skeleton.stem_activation, name="stem"
    )
    return blocks.mbconv_block(
        x,
        blocks.make_divisible(skeleton.first_block_width * multiplier),
        3,
        expansion=1,
        squeeze_excite_ratio=0.25 if skeleton.first_block_squeeze_excite else 0.0,
        activation=skeleton.first_block_activation,
        name="stem_block",
    )


def _block(
    x,
    name: str,
    filters: int,
    kernel: int | ElasticKernelSize,
    expansion: int,
    se: bool,
    elastic: elastic_ops.ElasticExpansion | None = None,
    **kwargs,
):
    """One searched MBConv block; its layers name the position and the operation (in the
    supernet, `elastic`, the largest kernel and no squeeze-excite flag: it is gated)."""
    size = kernel.largest if isinstance(kernel, ElasticKernelSize) else kernel
    token = blocks.op_token("mbconv", k=size, e=expansion, se=se and elastic is None)
    return blocks.mbconv_block(
        x,
        filters,
        kernel,
        expansion=expansion,
        squeeze_excite_ratio=0.25 if se else 0.0,
        name=f"{blocks.layer_name(name)}_{token}",
        elastic=elastic,
        **kwargs,
    )


def _same_name(name: str) -> str:
    return name


def _head(x, skeleton: Skeleton, multiplier: float):
    """The 1x1 convolution before the classifier."""
    width = blocks.make_divisible(skeleton.head_width * multiplier)
    return blocks.conv_bn_act(x, width, 1, activation=skeleton.head_activation, name="head")
