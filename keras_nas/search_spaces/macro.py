"""`MacroSpace`: a chain of stages of convolution blocks, for images and sequences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import keras_tuner

from keras_nas.layers import ChannelMask, PathChoice, optional_path
from keras_nas.layers.elastic_kernel import ElasticKernelSize
from keras_nas.search_spaces import blocks
from keras_nas.search_spaces import elastic as elastic_ops
from keras_nas.search_spaces.base import (
    SearchSpace,
    check_choices,
    check_positive_int,
    default_choice,
    plan_strides,
)

BLOCK_TYPES = ("conv", "separable", "mbconv", "resnet")
SQUEEZE_EXCITE_RATIO = 0.25


class MacroSpace(SearchSpace):
    """A block-level chain of stages: the space a Keras user reaches for first.

    A stem convolution is followed by `num_stages` stages; each stage chooses its block type
    (plain convolution, depthwise-separable convolution, MBConv with an expansion ratio and
    optional squeeze-excite, or ResNet basic block), kernel size, width and depth. Every stage
    after the first halves the resolution with a stride-2 first block, except where the input
    is too small: the earliest reductions are dropped so that an 8x8 image never shrinks below
    1x1. The same space works on images `(height, width, channels)` with 2-D layers and on
    sequences `(steps, channels)` with their 1-D counterparts.

    The default architecture, conv-BN-ReLU stages of 32, 64 and 128 filters, reaches 0.98+ on
    the 8x8 digits within a few epochs.

    Example:
    >>> space = MacroSpace(input_shape=(8, 8, 1), num_classes=10)
    >>> space.describe({"stage_2/block": "mbconv", "stage_2/kernel": 5})["summary"]
    'stem32 | conv3-32 | mbconv5-64-e6 /2 | conv3-128 /2'

    Args:
        input_shape: `(height, width, channels)` or `(steps, channels)`.
        num_classes: See `SearchSpace`.
        num_stages: Number of stages.
        block_types: Block options among `"conv"`, `"separable"`, `"mbconv"`, `"resnet"`.
        kernels: Kernel size options.
        widths: Filter count options of each stage.
        depths: Options for the number of blocks in a stage.
        expansions: Expansion ratio options of MBConv blocks.
        stem_width: Filters of the stem convolution.
        dropout: Dropout rate before the classifier.
        **kwargs: The output, optimizer and loss arguments of `SearchSpace`.

    Hyperparameters, for each stage i: `stage_i/block`, `stage_i/kernel`, `stage_i/width`,
    `stage_i/depth`, and, while `stage_i/block` is `"mbconv"`, `stage_i/expansion` and
    `stage_i/squeeze_excite`.

    Layer names: a block's layers name its type and kernel, and for MBConv the expansion and
    squeeze-excite, e.g. `stage_1_block_1_conv_k3_conv` or
    `stage_2_block_1_mbconv_k5_e6_se_expand_conv` (the width only changes weight shapes).
    """

    supported_ranks = (2, 3)

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int | None = None,
        *,
        num_stages: int = 3,
        block_types: Sequence[str] = BLOCK_TYPES,
        kernels: Sequence[int] = (3, 5),
        widths: Sequence[int] = (16, 32, 64, 128),
        depths: Sequence[int] = (1, 2, 3),
        expansions: Sequence[int] = (3, 6),
        stem_width: int = 32,
        dropout: float = 0.2,
        **kwargs: Any,
    ):
        super().__init__(input_shape, num_classes, dropout=dropout, **kwargs)
        self.num_stages = check_positive_int("num_stages", num_stages)
        self.block_types = check_choices("block_types", block_types, kind=str, allowed=BLOCK_TYPES)
        self.kernels = check_choices("kernels", kernels, positive=True)
        self.widths = check_choices("widths", widths, positive=True)
        self.depths = check_choices("depths", depths, positive=True)
        self.expansions = check_choices("expansions", expansions, positive=True)
        self.stem_width = check_positive_int("stem_width", stem_width)

    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        for stage in range(1, self.num_stages + 1):
            name = f"stage_{stage}"
            hp.Choice(
                f"{name}/block",
                list(self.block_types),
                default=default_choice(self.block_types, "conv"),
            )
            hp.Choice(f"{name}/kernel", list(self.kernels), default=default_choice(self.kernels, 3))
            hp.Choice(
                f"{name}/width",
                list(self.widths),
                default=default_choice(self.widths, 32 * 2 ** (stage - 1)),
            )
            hp.Choice(f"{name}/depth", list(self.depths), default=default_choice(self.depths, 1))
            if "mbconv" in self.block_types:
                with hp.conditional_scope(f"{name}/block", ["mbconv"]):
                    hp.Choice(
                        f"{name}/expansion",
                        list(self.expansions),
                        default=default_choice(self.expansions, 6),
                    )
                    hp.Boolean(f"{name}/squeeze_excite", default=False)

    def build_features(self, arch: dict[str, Any], inputs: keras.KerasTensor) -> keras.KerasTensor:
        x = blocks.conv_bn_act(inputs, self.stem_width, 3, name="stem")
        for stage, stride in enumerate(self._stage_strides(), start=1):
            for block in range(1, arch[f"stage_{stage}/depth"] + 1):
                x = self._block(
                    x,
                    arch,
                    stage,
                    strides=stride if block == 1 else 1,
                    name=f"stage_{stage}_block_{block}",
                )
        return x

    def summarize(self, arch: dict[str, Any]) -> str:
        stages = [f"stem{self.stem_width}"]
        for stage, stride in enumerate(self._stage_strides(), start=1):
            name = f"stage_{stage}"
            label = f"{arch[f'{name}/block']}{arch[f'{name}/kernel']}-{arch[f'{name}/width']}"
            if arch[f"{name}/block"] == "mbconv":
                label += f"-e{arch[f'{name}/expansion']}"
                label += "-se" if arch[f"{name}/squeeze_excite"] else ""
            if arch[f"{name}/depth"] > 1:
                label += f" x{arch[f'{name}/depth']}"
            stages.append(label + (" /2" if stride > 1 else ""))
        return " | ".join(stages)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_stages": self.num_stages,
            "block_types": list(self.block_types),
            "kernels": list(self.kernels),
            "widths": list(self.widths),
            "depths": list(self.depths),
            "expansions": list(self.expansions),
            "stem_width": self.stem_width,
        }

    def _stage_strides(self) -> tuple[int, ...]:
        return plan_strides(self.input_shape, (1,) + (2,) * (self.num_stages - 1))

    def build_supernet_features(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        """The one-shot supernet, with Once-for-All's elastic kernel, expansion and width.

        Every block position up to the largest depth holds one operation per block type, at
        the largest odd kernel, the largest expansion and the widest width: a `PathChoice` on
        the stage's block type. A smaller odd kernel runs the centre of the largest (an
        elastic convolution), a smaller expansion or width the leading channels (`ChannelMask`
        layers zero the others), and squeeze-excite is a `PathChoice` that runs it or skips
        it. Only even kernels, a kernel of 1 and an expansion of 1 stay operations of their
        own, in a `PathChoice` inside the block type's branch. Blocks beyond the smallest
        depth sit in a `PathChoice` on the stage's depth that skips them. A sub-network inherits the
        matching slice of each weight (`SharedLayerRegistry.restore(model, sliced=True,
        source_name=space.supernet_layer_name)`) and computes exactly what the supernet's path
        computes. So every step that runs a block type trains the weights that all its
        kernels and expansions share.
        """
        x = blocks.conv_bn_act(inputs, self.stem_width, 3, name="stem")
        in_width = None  # The stem's width is fixed.
        for stage, stride in enumerate(self._stage_strides(), start=1):
            for block in range(1, self.depths[-1] + 1):
                elastic = _BlockWidths(
                    in_width, f"stage_{stage}/width", self.widths, stem_width=self.stem_width
                )
                x = self._supernet_block(
                    x, stage, block, elastic, strides=stride if block == 1 else 1
                )
                in_width = f"stage_{stage}/width"
        return x

    def supernet_layer_name(self, name: str) -> str:
        """The supernet layer a sub-network layer inherits from (see
        `keras_nas.search_spaces.elastic.supernet_layer_name`).

        Example:
        >>> space = MacroSpace(input_shape=(8, 8, 1), num_classes=10, kernels=(3, 5, 7))
        >>> space.supernet_layer_name("stage_2_block_1_resnet_k3_1_conv")
        'stage_2_block_1_resnet_k7_1_conv'
        """
        return elastic_ops.supernet_layer_name(name, self.kernels, self.expansions)

    def _supernet_block(self, x, stage: int, block: int, elastic: _BlockWidths, *, strides: int):
        name = f"stage_{stage}_block_{block}"
        by_type = {
            block_type: PathChoice.branch(
                x.shape, self._options_choice(x, block_type, stage, name, elastic, strides)
            )
            for block_type in self.block_types
        }
        operations = PathChoice(f"stage_{stage}/block", by_type, name=f"{name}_choice")
        if block <= self.depths[0]:
            return operations(x)
        run = PathChoice.branch(x.shape, operations)
        skip = PathChoice.branch(x.shape, lambda t: t)
        depth_gate = {depth: run if depth >= block else skip for depth in self.depths}
        return PathChoice(f"stage_{stage}/depth", depth_gate, name=f"{name}_gate")(x)

    def _options_choice(
        self, x, block_type: str, stage: int, name: str, elastic: _BlockWidths, strides: int
    ):
        """The operations of one block type at one position: one, unless even kernels or an
        expansion of 1 need operations of their own; then a `PathChoice` over them."""
        mbconv = block_type == "mbconv"

        def build(t, *, kernel: int | ElasticKernelSize, expansions: tuple[int, ...]):
            widths = elastic
            if mbconv:
                widths = elastic.with_expansion(
                    f"stage_{stage}/expansion" if len(expansions) > 1 else None,
                    expansions,
                    squeeze_excite=f"stage_{stage}/squeeze_excite",
                )
            return self._operation(
                t,
                block_type,
                max(self.widths),
                kernel,
                max(expansions) if mbconv else None,
                mbconv,
                strides=strides,
                name=name,
                elastic=widths,
            )

        return elastic_ops.elastic_operations(
            x.shape,
            build,
            kernels=self.kernels,
            kernel_hp=f"stage_{stage}/kernel",
            expansions=self.expansions if mbconv else (1,),
            expansion_hp=f"stage_{stage}/expansion" if mbconv else None,
            name=f"{name}_{block_type}_choice",
        )

    def _block(self, x, arch: dict[str, Any], stage: int, *, strides: int, name: str):
        block_type = arch[f"stage_{stage}/block"]
        mbconv = block_type == "mbconv"
        return self._operation(
            x,
            block_type,
            arch[f"stage_{stage}/width"],
            arch[f"stage_{stage}/kernel"],
            arch[f"stage_{stage}/expansion"] if mbconv else None,
            arch[f"stage_{stage}/squeeze_excite"] if mbconv else False,
            strides=strides,
            name=name,
        )

    @staticmethod
    def _operation(
        x,
        block_type: str,
        width: int,
        kernel: int | ElasticKernelSize,
        expansion: int | None,
        squeeze_excite: bool,
        *,
        strides: int,
        name: str,
        elastic: blocks.ElasticWidths | None = None,
    ):
        """One block; its layers are named by position, type and kernel (and expansion and
        squeeze-excite for MBConv). In the supernet (`elastic`) squeeze-excite is gated, so
        the names leave it out, and an elastic kernel is named by its largest size."""
        size = _token_size(kernel)
        if block_type == "mbconv":
            token = blocks.op_token(
                block_type, k=size, e=expansion, se=squeeze_excite and elastic is None
            )
            return blocks.mbconv_block(
                x,
                width,
                kernel,
                strides=strides,
                expansion=expansion,
                squeeze_excite_ratio=SQUEEZE_EXCITE_RATIO if squeeze_excite else 0.0,
                name=f"{name}_{token}",
                elastic=elastic,
            )
        name = f"{name}_{blocks.op_token(block_type, k=size)}"
        if block_type == "conv":
            x = blocks.conv_bn_act(x, width, kernel, strides=strides, name=name)
            return blocks.masked(x, elastic, "output", f"{name}_mask")
        if block_type == "separable":
            return blocks.separable_block(
                x, width, kernel, strides=strides, name=name, elastic=elastic
            )
        return blocks.resnet_block(x, width, kernel, strides=strides, name=name, elastic=elastic)


class _BlockWidths:
    """The `ElasticWidths` of one block of the MacroSpace supernet, as `ChannelMask`s.

    A block's input width is the previous stage's width hyperparameter (the stem's fixed
    width before the first stage; the block's own stage width after its first block) and its
    output width its stage's. Each mask is keyed by the values of both.
    """

    def __init__(
        self,
        in_width: str | None,
        out_width: str,
        widths: tuple[int, ...],
        *,
        stem_width: int,
        expansion: str | None = None,
        expansions: tuple[int, ...] = (1,),
        squeeze_excite: str | None = None,
    ):
        self.in_width, self.out_width, self.widths = in_width, out_width, widths
        self.stem_width = stem_width
        self.expansion, self.expansions = expansion, expansions
        self.squeeze_excite = squeeze_excite
        if in_width is None:
            self.hp_names = (out_width,)
            self.pairs = {w: (stem_width, w) for w in widths}
        elif in_width == out_width:
            self.hp_names = (out_width,)
            self.pairs = {w: (w, w) for w in widths}
        else:
            self.hp_names = (in_width, out_width)
            self.pairs = {(a, b): (a, b) for a in widths for b in widths}

    def with_expansion(
        self, expansion: str | None, expansions: tuple[int, ...], *, squeeze_excite: str
    ) -> _BlockWidths:
        """The same block's widths for an MBConv operation: its inner width follows the
        hyperparameter `expansion` over `expansions` (`None`: the one expansion of
        `expansions`), and its squeeze-excite the Boolean `squeeze_excite`."""
        return _BlockWidths(
            self.in_width,
            self.out_width,
            self.widths,
            stem_width=self.stem_width,
            expansion=expansion,
            expansions=expansions,
            squeeze_excite=squeeze_excite,
        )

    def has(self, kind: str) -> bool:
        same = [a == b for a, b in self.pairs.values()]
        return any(same) if kind == "identity" else not all(same)

    def mask(self, x, kind: str, name: str):
        if kind == "expanded" and self.expansion is not None:
            widths = {
                (*_as_tuple(key), expansion): a * expansion
                for key, (a, _) in self.pairs.items()
                for expansion in self.expansions
            }
            return ChannelMask((*self.hp_names, self.expansion), widths, name=name)(x)
        width_of = {
            "expanded": lambda a, b: a * self.expansions[0],
            "reduced": lambda a, b: blocks.se_filters(a, SQUEEZE_EXCITE_RATIO),
            "output": lambda a, b: b,
            "identity": lambda a, b: b if a == b else 0,
            "projection": lambda a, b: b if a != b else 0,
        }[kind]
        widths = {key: width_of(a, b) for key, (a, b) in self.pairs.items()}
        channels = max(self.widths) if kind == "identity" else None
        return ChannelMask(self.hp_names, widths, channels, name=name)(x)

    def optional(self, x, build, kind: str, name: str):
        """Squeeze-excite where the sub-network's Boolean says so, else `x` unchanged."""
        if kind != "squeeze_excite" or self.squeeze_excite is None:
            return build(x)
        return optional_path(x, self.squeeze_excite, build, name=f"{name}_se_choice")


def _token_size(kernel: int | ElasticKernelSize) -> int:
    """The kernel size that names a block's layers: an elastic kernel's largest."""
    return kernel.largest if isinstance(kernel, ElasticKernelSize) else kernel


def _as_tuple(key: Any) -> tuple:
    return key if isinstance(key, tuple) else (key,)
