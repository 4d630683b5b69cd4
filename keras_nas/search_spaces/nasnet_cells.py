"""The cells of `NASNetCellSpace`: a searched cell of blocks, and the operations a block
applies to its inputs (NASNet, ENAS and DARTS cells)."""

from __future__ import annotations

from keras import layers

from keras_nas.search_spaces.blocks import (
    batch_norm,
    conv_layer,
    depthwise_layer,
    op_token,
    pool_layer,
)

#: A block: `((node, operation), (node, operation))`, its two inputs.
Block = tuple[tuple[int, str], tuple[int, str]]
#: Which nodes a cell concatenates into its output: `"unused"` (the blocks no block reads,
#: NASNet's rule), `"all"` (every block, DARTS's) or a tuple of node numbers.
Output = str | tuple[int, ...]

# (kernel, dilation) of the depthwise-separable operations, and the kind of the pools.
_SEPARABLE = {
    "sep_conv_3x3": (3, 1),
    "sep_conv_5x5": (5, 1),
    "sep_conv_7x7": (7, 1),
    "dil_conv_3x3": (3, 2),
}
_POOLS = {"avg_pool_3x3": "avg", "max_pool_3x3": "max"}


def cell(
    blocks: tuple[Block, ...],
    prev,
    curr,
    filters: int,
    *,
    reduction: bool,
    name: str,
    output: Output = "unused",
    separable_repeats: int = 1,
):
    """Builds one cell on inputs h_{i-2} = `prev` and h_{i-1} = `curr`; its output
    concatenates the nodes `output` names (`output_nodes`)."""
    outputs = output_nodes(blocks, output)
    needed = {node for block in blocks for node, _ in block} | set(outputs)
    nodes = {}
    if 0 in needed:
        calibrate = factorized_reduce if prev.shape[1] > curr.shape[1] else relu_conv_bn
        nodes[0] = calibrate(prev, filters, name=f"{name}_input_0")
    if 1 in needed:
        nodes[1] = relu_conv_bn(curr, filters, name=f"{name}_input_1")
    for index, block in enumerate(blocks, start=1):
        branches = [
            operation(
                nodes[node],
                op,
                filters,
                strides=2 if reduction and node < 2 else 1,
                name=f"{name}_block_{index}_op_{slot}_{op_token(op)}",
                separable_repeats=separable_repeats,
            )
            for slot, (node, op) in enumerate(block, start=1)
        ]
        nodes[index + 1] = layers.Add(name=f"{name}_block_{index}_add")(branches)
    if len(outputs) == 1:
        return nodes[outputs[0]]
    return layers.Concatenate(name=f"{name}_concat")([nodes[node] for node in outputs])


def output_nodes(blocks: tuple[Block, ...], output: Output) -> list[int]:
    """The nodes a cell of `blocks` concatenates: node 0 is h_{i-2}, node 1 h_{i-1}, node
    b + 1 block b.

    Example:
    >>> blocks = (((1, "identity"), (0, "identity")), ((2, "identity"), (1, "identity")))
    >>> output_nodes(blocks, "unused"), output_nodes(blocks, "all"), output_nodes(blocks, (0, 3))
    ([3], [2, 3], [0, 3])
    """
    if output == "all":
        return list(range(2, len(blocks) + 2))
    if output == "unused":
        used = {node for block in blocks for node, _ in block}
        return [node for node in range(2, len(blocks) + 2) if node not in used]
    return list(output)


def operation(x, op: str, filters: int, *, strides: int, name: str, separable_repeats: int = 1):
    """Applies `op`; `name` holds the block, the input slot and the operation
    (`stage_1_cell_1_block_1_op_1_sep_conv_3x3`), so that different operations in one slot
    never give a layer the same name, class and weight shapes. A `sep_conv_*` runs
    `separable_repeats` times, the first with the stride (NASNet and DARTS apply it twice);
    `dil_conv_3x3` runs once, as in DARTS."""
    if op in _SEPARABLE:
        kernel, dilation = _SEPARABLE[op]
        repeats = separable_repeats if op.startswith("sep_conv") else 1
        for repeat in range(1, repeats + 1):
            x = _separable(
                x,
                filters,
                kernel,
                dilation=dilation,
                strides=strides if repeat == 1 else 1,
                name=name if repeat == 1 else f"{name}_{repeat}",
            )
        return x
    if op in _POOLS:
        return pool_layer(x, _POOLS[op], 3, strides=strides, name=name)
    return x if strides == 1 else factorized_reduce(x, filters, name=name)


def _separable(x, filters: int, kernel: int, *, dilation: int, strides: int, name: str):
    """ReLU -> depthwise kxk (dilated) -> pointwise 1x1 -> BN."""
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = depthwise_layer(x, kernel, strides=strides, dilation=dilation, name=f"{name}_depthwise")
    x = conv_layer(x, filters, 1, name=f"{name}_pointwise")
    return batch_norm(x, f"{name}_bn")


def relu_conv_bn(x, filters: int, *, name: str):
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return batch_norm(conv_layer(x, filters, 1, name=f"{name}_conv"), f"{name}_bn")


def factorized_reduce(x, filters: int, *, name: str):
    """Halves the resolution with two stride-2 1x1 convolutions, the second on the input shifted
    by one pixel, so that every pixel reaches the output (Zoph et al. 2018)."""
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    shifted = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"{name}_shift_pad")(x)
    shifted = layers.Cropping2D(((1, 0), (1, 0)), name=f"{name}_shift_crop")(shifted)
    paths = [
        conv_layer(x, filters // 2, 1, strides=2, name=f"{name}_conv_1"),
        conv_layer(shifted, filters - filters // 2, 1, strides=2, name=f"{name}_conv_2"),
    ]
    return batch_norm(layers.Concatenate(name=f"{name}_concat")(paths), f"{name}_bn")
