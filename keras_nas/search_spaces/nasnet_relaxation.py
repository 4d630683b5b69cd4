"""DARTS's relaxation of `NASNetCellSpace` (Liu, Simonyan and Yang, ICLR 2019).

In the relaxed cell every block reads every earlier node, each through a choice among `none`
and the operations (an edge, `normal_cell/block_2/edge_0`), and the cell's output
concatenates all its blocks. A search learns one weight per operation and edge;
`discretize` turns them into the space's hyperparameters (each block's two strongest inputs
with their strongest operation other than `none`), and `layer_source` tells a sub-network
of those values which supernet layer each of its layers inherits from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import keras

from keras_nas.layers import PathChoice
from keras_nas.layers.zeros import Zeros
from keras_nas.search_spaces.blocks import op_token
from keras_nas.search_spaces.nasnet_cells import (
    Block,
    Output,
    factorized_reduce,
    operation,
    output_nodes,
    relu_conv_bn,
)

#: The operation of a relaxed edge that reads nothing; never kept by `discretize`.
NONE = "none"
#: The classifier's layer, which reads the last cell (`SearchSpace`'s head).
HEAD = "predictions"

_EDGE = re.compile(r"(?P<cell_type>\w+)/block_(?P<block>\d+)/edge_(?P<node>\d+)")
_OPERATION = re.compile(r"(?P<cell>.+)_block_(?P<block>\d+)_op_(?P<slot>[12])_(?P<rest>.+)")
_INPUT_CONVOLUTION = re.compile(r"(?P<cell>.+)_input_(?P<node>[01])_(?P<rest>conv(_1|_2)?)")


def edge_name(cell_type: str, block: int, node: int) -> str:
    """The name of the relaxed choice of block `block` reading node `node`.

    Example:
    >>> edge_name("normal_cell", 2, 0)
    'normal_cell/block_2/edge_0'
    """
    return f"{cell_type}/block_{block}/edge_{node}"


def relaxed_cell(
    cell_type: str,
    num_blocks: int,
    operations: Sequence[str],
    prev,
    curr,
    filters: int,
    *,
    name: str,
    choice: Callable,
    separable_repeats: int = 1,
):
    """One relaxed cell on inputs h_{i-2} = `prev` and h_{i-1} = `curr`: block b adds the
    choices of its edges from nodes 0 to b, and the output concatenates the blocks."""
    reduction = cell_type == "reduction_cell"
    calibrate = factorized_reduce if prev.shape[1] > curr.shape[1] else relu_conv_bn
    nodes = [
        calibrate(prev, filters, name=f"{name}_input_0"),
        relu_conv_bn(curr, filters, name=f"{name}_input_1"),
    ]
    for block in range(1, num_blocks + 1):
        terms = []
        for node in range(block + 1):
            strides = 2 if reduction and node < 2 else 1
            edge = f"{name}_block_{block}_edge_{node}"
            branches = {NONE: PathChoice.branch(nodes[node].shape, _zeros(strides))}
            for op in operations:
                branches[op] = PathChoice.branch(
                    nodes[node].shape,
                    lambda x, op=op, strides=strides, edge=edge: operation(
                        x,
                        op,
                        filters,
                        strides=strides,
                        name=f"{edge}_{op_token(op)}",
                        separable_repeats=separable_repeats,
                    ),
                )
            terms.append(
                choice(edge_name(cell_type, block, node), branches, f"{edge}_choice")(nodes[node])
            )
        nodes.append(keras.layers.Add(name=f"{name}_block_{block}_add")(terms))
    if num_blocks == 1:
        return nodes[-1]
    return keras.layers.Concatenate(name=f"{name}_concat")(nodes[2:])


def _zeros(strides: int) -> Callable:
    """Builds the `none` operation: zeros of the edge's output shape."""

    def build(x):
        if strides > 1:
            x = keras.layers.AveragePooling2D(1, strides=strides, padding="same")(x)
        return Zeros()(x)

    return build


def discretize(weights: dict[str, dict[Any, float]], cell_types: Sequence[str]) -> dict[str, Any]:
    """The cells' values from the weights of their relaxed edges: per block, the two input
    nodes whose strongest operation other than `none` weighs most (the first on a tie), the
    stronger in slot 1, each with that operation.

    Example:
    >>> discretize({"normal_cell/block_1/edge_0": {"none": 0.6, "identity": 0.4},
    ...             "normal_cell/block_1/edge_1": {"none": 0.1, "identity": 0.9}},
    ...            ["normal_cell"])
    {'normal_cell/block_1/input_1': 1, 'normal_cell/block_1/op_1': 'identity', \
'normal_cell/block_1/input_2': 0, 'normal_cell/block_1/op_2': 'identity'}
    """
    edges: dict[tuple[str, int], list[tuple[float, int, Any]]] = defaultdict(list)
    for name, options in weights.items():
        match = _EDGE.fullmatch(name)
        if match is None or match["cell_type"] not in cell_types:
            continue
        op = max((op for op in options if op != NONE), key=options.get)
        edges[match["cell_type"], int(match["block"])].append((options[op], int(match["node"]), op))
    values: dict[str, Any] = {}
    for (cell_type, block), candidates in sorted(edges.items()):
        strongest = sorted(candidates, key=lambda edge: (-edge[0], edge[1]))[:2]
        for slot, (_, node, op) in enumerate(strongest, start=1):
            values[f"{cell_type}/block_{block}/input_{slot}"] = node
            values[f"{cell_type}/block_{block}/op_{slot}"] = op
    return values


def layer_source(
    cells: dict[str, tuple[Block, ...]],
    sequence: Sequence[tuple[str, str, int]],
    outputs: dict[str, Output] | None = None,
) -> Callable[[str], Any]:
    """Maps a sub-network's layer name to the relaxed supernet layer it inherits from.

    An operation in slot s of a block inherits from that operation on the edge from the node
    the slot reads. A cell's input convolution, and the classifier after the last cell, read
    the blocks that the cell before concatenates (`outputs` by cell type, default
    `"unused"`; blocks only), where the relaxed
    ones read all of them:
    they inherit those blocks' input channels, returned as `(name, channels)`. Other layers
    keep their name.

    Example:
    >>> blocks = (((1, "identity"), (0, "sep_conv_3x3")), ((2, "identity"), (1, "identity")))
    >>> source = layer_source({"normal_cell": blocks},
    ...                       [("stage_1_cell_1", "normal_cell", 4),
    ...                        ("stage_1_cell_2", "normal_cell", 4)])
    >>> source("stage_1_cell_1_block_1_op_2_sep_conv_3x3_depthwise")
    'stage_1_cell_1_block_1_edge_0_sep_conv_3x3_depthwise'
    >>> source("stage_1_cell_2_input_1_conv")  # The first cell's output is its block 2.
    ('stage_1_cell_2_input_1_conv', [4, 5, 6, 7])
    >>> source("stage_1_cell_1_input_1_conv")  # It reads the stem, as in the supernet.
    'stage_1_cell_1_input_1_conv'
    >>> source("predictions")
    ('predictions', [4, 5, 6, 7])
    """
    position = {name: index for index, (name, _, _) in enumerate(sequence)}

    def source(name: str) -> Any:
        match = _OPERATION.fullmatch(name)
        if match and match["cell"] in position:
            _, cell_type, _ = sequence[position[match["cell"]]]
            block = int(match["block"])
            node = cells[cell_type][block - 1][int(match["slot"]) - 1][0]
            return f"{match['cell']}_block_{block}_edge_{node}_{match['rest']}"
        index = -1
        match = _INPUT_CONVOLUTION.fullmatch(name)
        if match and match["cell"] in position:
            # Node 1 is the previous cell's output, node 0 the one before; the stem's is whole.
            index = position[match["cell"]] - 2 + int(match["node"])
        elif name == HEAD:
            index = len(sequence) - 1
        if index < 0:
            return name
        _, cell_type, filters = sequence[index]
        output = (outputs or {}).get(cell_type, "unused")
        return name, _concatenated_channels(cells[cell_type], filters, output)

    return source


def _concatenated_channels(blocks: tuple[Block, ...], filters: int, output: Output) -> list[int]:
    """The channels, in the relaxed cell's output (every block, `filters` each), of the
    blocks that the plain cell concatenates (`output_nodes`)."""
    return [
        channel
        for node in output_nodes(blocks, output)
        for channel in range((node - 2) * filters, (node - 1) * filters)
    ]
