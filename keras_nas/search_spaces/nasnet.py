"""`NASNetCellSpace`: the NASNet / ENAS micro search space of normal and reduction cells."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import keras_tuner
from keras import layers

from keras_nas.arguments import check_count
from keras_nas.search_spaces import nasnet_cells as cells_module
from keras_nas.search_spaces import nasnet_relaxation as relaxation
from keras_nas.search_spaces.base import (
    ChoiceFactory,
    SearchSpace,
    check_choices,
    check_positive_int,
    default_choice,
    spatial_size,
)
from keras_nas.search_spaces.blocks import batch_norm, conv_layer
from keras_nas.search_spaces.nasnet_cells import Block

OPERATIONS = (
    "identity",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "avg_pool_3x3",
    "max_pool_3x3",
    "dil_conv_3x3",
)
#: Operations a space may also offer, outside the default set: NASNet-A's reduction cell
#: uses `sep_conv_7x7`.
MORE_OPERATIONS = ("sep_conv_7x7",)
CELL_TYPES = ("normal_cell", "reduction_cell")
CELL_OUTPUTS = ("unused", "all")

# The default cells, one ((node, op), (node, op)) pair per block. Nodes: 0 = h_{i-2},
# 1 = h_{i-1}, k + 1 = block k. Like NASNet-A and the ENAS cells, the first blocks read the cell
# inputs with separable convolutions next to an identity (a residual path); later blocks deepen
# earlier ones, and the blocks that nothing reads (3, 4 and 5) form the output.
_DEFAULT_CELLS = {
    "normal_cell": (
        ((1, "sep_conv_3x3"), (0, "identity")),
        ((0, "sep_conv_3x3"), (1, "sep_conv_5x5")),
        ((1, "avg_pool_3x3"), (0, "identity")),
        ((2, "sep_conv_3x3"), (1, "identity")),
        ((3, "dil_conv_3x3"), (1, "identity")),
    ),
    "reduction_cell": (
        ((1, "sep_conv_3x3"), (0, "max_pool_3x3")),
        ((1, "sep_conv_5x5"), (0, "avg_pool_3x3")),
        ((2, "sep_conv_3x3"), (1, "max_pool_3x3")),
        ((3, "identity"), (1, "avg_pool_3x3")),
        ((0, "sep_conv_3x3"), (2, "identity")),
    ),
}


class NASNetCellSpace(SearchSpace):
    """Cell-level search (Zoph et al. 2018, NASNet; Pham et al. 2018, ENAS micro space).

    Two cells are searched, a normal cell and a reduction cell, and stacked into a fixed
    network: a stem Conv3x3-BN (`stem_multiplier` times `channels` filters), then
    `num_reductions + 1` stages of `cells_per_stage` normal cells separated by reduction
    cells, which halve the resolution and double the channels, then a ReLU before the head
    of `SearchSpace`.

    A cell has `num_blocks` blocks. Block b picks two inputs among the earlier nodes (node 0 is
    the output of the cell before the previous one, node 1 the previous cell's, node k + 1 the
    output of block k of this cell), applies one operation to each and adds the results. The
    cell's output concatenates the blocks that no other block of the cell reads (NASNet's rule,
    `cell_output="unused"`), every block (DARTS's, `"all"`), or fixed nodes per cell type
    (NASNet-A's code: `{"normal_cell": (0, 2, 3, 4, 5, 6), "reduction_cell": (3, 4, 5, 6)}`).
    Both cell inputs are first calibrated to the cell's channel count with ReLU-Conv1x1-BN, or
    with a factorized reduction (two stride-2 1x1 convolutions, one shifted by a pixel) when the
    older input has twice the resolution. In a reduction cell the operations on nodes 0 and 1
    have stride 2; identity with stride 2 becomes a factorized reduction, as in DARTS.

    Operations: `identity`; `sep_conv_3x3`, `sep_conv_5x5` and, if asked for, `sep_conv_7x7`
    (ReLU -> depthwise -> pointwise -> BN, applied `separable_repeats` times: once by default
    to stay light on CPU, twice in NASNet and DARTS); `dil_conv_3x3` (the same once, with a
    depthwise kernel of dilation 2); `avg_pool_3x3` and `max_pool_3x3` ("same" padding).
    With `separable_repeats=2`, `stem_multiplier=3` and the output rule of the paper, the
    network is NASNet's and DARTS's (`keras_nas.search_spaces.published`).

    The default cells mix separable convolutions with identity paths in the manner of NASNet-A
    and the ENAS cells; restricted `operations` replace missing defaults with the first option.

    Example:
    >>> space = NASNetCellSpace(input_shape=(8, 8, 1), num_classes=10, num_blocks=1)
    >>> space.describe({"reduction_cell/block_1/op_2": "identity"})["summary"]
    'normal: [sep_conv_3x3(1)+identity(0)] | reduction: [sep_conv_3x3(1)+identity(0)]'
    >>> space.build_model().output_shape
    (None, 10)

    Args:
        input_shape: `(height, width, channels)`; height and width at least
            `2 ** num_reductions`.
        num_classes: See `SearchSpace`.
        num_blocks: Blocks per cell.
        cells_per_stage: Normal cells in each stage.
        num_reductions: Reduction cells; the network has `num_reductions + 1` stages.
        channels: Channels of the first stage's cells; each reduction doubles them.
        operations: Operation options, from `OPERATIONS` and `MORE_OPERATIONS`.
        separable_repeats: How many times a `sep_conv_*` operation runs (1 or 2).
        stem_multiplier: The stem's filters, as a multiple of `channels`.
        cell_output: Which nodes a cell concatenates: `"unused"`, `"all"`, or a dict from
            cell type to a tuple of node numbers (a reduction cell's may not hold the inputs
            0 and 1, which have twice its resolution).
        **kwargs: The output, optimizer, loss and dropout arguments of `SearchSpace`.

    Raises:
        ValueError: if an argument is not a positive integer (`num_reductions`: non-negative),
            `operations` is empty or holds an unknown name, or the input is smaller than
            `2 ** num_reductions` in height or width.

    Hyperparameters, for each cell type `normal_cell` and (when `num_reductions > 0`)
    `reduction_cell`, and each block b: `{cell}/block_b/input_1` and `{cell}/block_b/input_2`
    (a node in 0..b), `{cell}/block_b/op_1` and `{cell}/block_b/op_2`.

    Layer names: an operation's layers name the block, the slot and the operation, e.g.
    `stage_1_cell_1_block_1_op_1_sep_conv_3x3_depthwise` or, for an identity of stride 2,
    `reduction_1_block_1_op_2_identity_conv_1`. The chosen input node is not part of the name:
    as in ENAS, an operation's weights are the same whichever earlier node it reads.
    """

    supported_ranks = (3,)
    width_setting = "channels"
    depth_setting = "cells_per_stage"

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int | None = None,
        *,
        num_blocks: int = 5,
        cells_per_stage: int = 2,
        num_reductions: int = 2,
        channels: int = 16,
        operations: Sequence[str] = OPERATIONS,
        separable_repeats: int = 1,
        stem_multiplier: int = 1,
        cell_output: str | Mapping[str, Sequence[int]] = "unused",
        **kwargs: Any,
    ):
        super().__init__(input_shape, num_classes, **kwargs)
        self.num_blocks = check_positive_int("num_blocks", num_blocks)
        self.cells_per_stage = check_positive_int("cells_per_stage", cells_per_stage)
        self.num_reductions = _check_num_reductions(num_reductions, self.input_shape)
        self.channels = check_positive_int("channels", channels)
        self.operations = check_choices(
            "operations", operations, kind=str, allowed=OPERATIONS + MORE_OPERATIONS
        )
        if separable_repeats not in (1, 2) or isinstance(separable_repeats, bool):
            raise ValueError(
                "`separable_repeats` must be 1 (each separable convolution once) or 2 (twice, "
                f"as NASNet and DARTS). Received: separable_repeats={separable_repeats!r}."
            )
        self.separable_repeats = int(separable_repeats)
        self.stem_multiplier = check_positive_int("stem_multiplier", stem_multiplier)
        self.cell_output = _check_cell_output(cell_output, self.num_blocks, self._cell_types())

    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        for cell_type in self._cell_types():
            for block in range(1, self.num_blocks + 1):
                nodes = list(range(block + 1))
                for slot, (node, op) in enumerate(_default_block(cell_type, block), start=1):
                    name = f"{cell_type}/block_{block}"
                    hp.Choice(f"{name}/input_{slot}", nodes, default=node)
                    hp.Choice(
                        f"{name}/op_{slot}",
                        list(self.operations),
                        default=default_choice(self.operations, op),
                    )

    def build_features(self, arch: dict[str, Any], inputs: keras.KerasTensor) -> keras.KerasTensor:
        cells = {cell_type: self._cell_blocks(arch, cell_type) for cell_type in self._cell_types()}
        return self._network(
            inputs,
            lambda cell_type, prev, curr, filters, name: cells_module.cell(
                cells[cell_type],
                prev,
                curr,
                filters,
                reduction=cell_type == "reduction_cell",
                name=name,
                output=self._output(cell_type),
                separable_repeats=self.separable_repeats,
            ),
        )

    def build_relaxed_features(
        self, inputs: keras.KerasTensor, choice: ChoiceFactory
    ) -> keras.KerasTensor:
        """DARTS's relaxation of the cells: every block reads every earlier node through a
        choice among `none` and the operations, one choice per cell type, block and input
        node (`normal_cell/block_2/edge_0`), shared by the cells of that type; a cell's
        output concatenates all its blocks. `discretize` keeps each block's two strongest
        inputs, as DARTS does."""
        return self._network(
            inputs,
            lambda cell_type, prev, curr, filters, name: relaxation.relaxed_cell(
                cell_type,
                self.num_blocks,
                self.operations,
                prev,
                curr,
                filters,
                name=name,
                choice=choice,
                separable_repeats=self.separable_repeats,
            ),
        )

    def relaxation_problem(self) -> str | None:
        """`None` where the relaxed cell can stand for the plain one: each edge chooses
        between `none` and the operations (one operation is enough), and the relaxed cell
        concatenates blocks, not its inputs."""
        if isinstance(self.cell_output, dict) and any(
            node < 2 for nodes in self.cell_output.values() for node in nodes
        ):
            return (
                "DARTS's relaxed cell concatenates its blocks, not its inputs, so it cannot "
                f"stand for cell_output={self.cell_output}; pass cell_output='unused' or 'all'"
            )
        return None

    def cost_term_problem(self) -> str | None:
        return (
            "NASNetCellSpace's discretization keeps two inputs per block whatever the weight "
            "of `none`, which costs nothing, so a cost term would raise `none`'s weight "
            "without making the derived cells cheaper; search it without `cost_weight`, or "
            "use NASBench201Space or MobileNetSpace"
        )

    def discretize(self, weights: dict[str, dict[Any, float]]) -> dict[str, Any]:
        """The cells that the weights of the relaxed edges describe (DARTS's rule): each block
        reads the two earlier nodes whose strongest operation other than `none` weighs most,
        through that operation.

        Example:
        >>> space = NASNetCellSpace(input_shape=(8, 8, 1), num_classes=10, num_blocks=2,
        ...                         num_reductions=0)
        >>> weights = {
        ...     f"normal_cell/block_{block}/edge_{node}": dict(
        ...         zip(["none", *space.operations], strengths))
        ...     for (block, node), strengths in {
        ...         (1, 0): [0.5, 0.3, 0.2, 0, 0, 0, 0], (1, 1): [0.9, 0, 0, 0, 0, 0.1, 0],
        ...         (2, 0): [0, 0.2, 0.8, 0, 0, 0, 0], (2, 1): [0, 0.5, 0.5, 0, 0, 0, 0],
        ...         (2, 2): [0, 0, 0, 0, 0, 0, 0.9]}.items()}
        >>> space.summarize(space.discretize(weights))
        'normal: [identity(0)+max_pool_3x3(1)] [dil_conv_3x3(2)+sep_conv_3x3(0)]'
        """
        return self.complete_values(relaxation.discretize(weights, self._cell_types()))

    def relaxed_layer_source(self, values: dict[str, Any]) -> Callable[[str], Any]:
        """Maps the sub-network's layers to the relaxed supernet's: an operation in slot s of
        a block to that operation on the edge from the node the slot reads, and a cell's
        input convolution to the rows of the blocks that the cell before concatenates."""
        arch = self.complete_values(values)
        cells = {cell_type: self._cell_blocks(arch, cell_type) for cell_type in self._cell_types()}
        outputs = {cell_type: self._output(cell_type) for cell_type in cells}
        return relaxation.layer_source(cells, self._cell_sequence(), outputs)

    def _network(self, inputs: keras.KerasTensor, cell) -> keras.KerasTensor:
        """The stem, then the cells, each `cell(cell_type, prev, curr, filters, name)`, and a
        ReLU."""
        stem_filters = self.channels * self.stem_multiplier
        stem = batch_norm(conv_layer(inputs, stem_filters, 3, name="stem_conv"), "stem_bn")
        prev, curr = stem, stem
        for name, cell_type, filters in self._cell_sequence():
            prev, curr = curr, cell(cell_type, prev, curr, filters, name)
        return layers.Activation("relu", name="features_relu")(curr)

    def _cell_sequence(self) -> list[tuple[str, str, int]]:
        """`(name, cell type, channels)` of each cell of the network, in order."""
        sequence = []
        for stage in range(1, self.num_reductions + 2):
            filters = self.channels * 2 ** (stage - 1)
            for cell in range(1, self.cells_per_stage + 1):
                sequence.append((f"stage_{stage}_cell_{cell}", "normal_cell", filters))
            if stage <= self.num_reductions:
                sequence.append((f"reduction_{stage}", "reduction_cell", 2 * filters))
        return sequence

    def summarize(self, arch: dict[str, Any]) -> str:
        cells = []
        for cell_type in self._cell_types():
            blocks = " ".join(
                "[" + "+".join(f"{op}({node})" for node, op in block) + "]"
                for block in self._cell_blocks(arch, cell_type)
            )
            cells.append(f"{cell_type.removesuffix('_cell')}: {blocks}")
        return " | ".join(cells)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_blocks": self.num_blocks,
            "cells_per_stage": self.cells_per_stage,
            "num_reductions": self.num_reductions,
            "channels": self.channels,
            "operations": list(self.operations),
            "separable_repeats": self.separable_repeats,
            "stem_multiplier": self.stem_multiplier,
            "cell_output": (
                {k: list(v) for k, v in self.cell_output.items()}
                if isinstance(self.cell_output, dict)
                else self.cell_output
            ),
        }

    def _cell_types(self) -> tuple[str, ...]:
        return CELL_TYPES if self.num_reductions else CELL_TYPES[:1]

    def _output(self, cell_type: str) -> cells_module.Output:
        if isinstance(self.cell_output, dict):
            return self.cell_output[cell_type]
        return self.cell_output

    def _cell_blocks(self, arch: dict[str, Any], cell_type: str) -> tuple[Block, ...]:
        return tuple(
            tuple(
                (
                    arch[f"{cell_type}/block_{block}/input_{slot}"],
                    arch[f"{cell_type}/block_{block}/op_{slot}"],
                )
                for slot in (1, 2)
            )
            for block in range(1, self.num_blocks + 1)
        )


def _default_block(cell_type: str, block: int) -> Block:
    """The default of block `block` (1-based); blocks beyond the table extend the previous one
    with a separable convolution of h_{i-1}."""
    table = _DEFAULT_CELLS[cell_type]
    if block <= len(table):
        return table[block - 1]
    return ((1, "sep_conv_3x3"), (block, "identity"))


def _check_cell_output(
    cell_output: Any, num_blocks: int, cell_types: tuple[str, ...]
) -> str | dict[str, tuple[int, ...]]:
    if isinstance(cell_output, str) and cell_output in CELL_OUTPUTS:
        return cell_output
    nodes = range(num_blocks + 2)
    fixed = isinstance(cell_output, Mapping) and set(cell_output) == set(cell_types)
    if fixed:
        cell_output = {cell_type: tuple(cell_output[cell_type]) for cell_type in cell_types}
        fixed = all(
            values
            and len(set(values)) == len(values)
            and all(type(node) is int and node in nodes for node in values)
            and (cell_type == "normal_cell" or min(values) >= 2)
            for cell_type, values in cell_output.items()
        )
    if not fixed:
        raise ValueError(
            f"`cell_output` must be one of {CELL_OUTPUTS}, or a dict from each cell type "
            f"{list(cell_types)} to a tuple of distinct nodes in 0..{num_blocks + 1} (node 0 "
            "is h_{i-2}, node 1 h_{i-1}, node b + 1 block b; a reduction cell's from 2). "
            f"Received: cell_output={cell_output!r}."
        )
    return cell_output


def _check_num_reductions(num_reductions: Any, input_shape: tuple[int, ...]) -> int:
    num_reductions = check_count("num_reductions", num_reductions, minimum=0)
    size = spatial_size(input_shape)
    if size < 2**num_reductions:
        raise ValueError(
            f"`num_reductions={num_reductions}` needs an input of at least {2**num_reductions}"
            f"x{2**num_reductions} pixels (height and width >= 2**num_reductions). "
            f"Received: input_shape={input_shape}. Use num_reductions <= "
            f"{size.bit_length() - 1} for this input, or a larger input."
        )
    return num_reductions
