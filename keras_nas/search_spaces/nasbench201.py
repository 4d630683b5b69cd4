"""`NASBench201Space`: the cell search space of NAS-Bench-201 (Dong & Yang, ICLR 2020)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import keras
import keras_tuner
from keras import layers

from keras_nas.layers import PathChoice, zeros_like
from keras_nas.search_spaces import blocks
from keras_nas.search_spaces.base import (
    ChoiceFactory,
    SearchSpace,
    check_choices,
    check_positive_int,
    default_choice,
    path_choice,
)

OPERATIONS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")

#: The edges (from node, to node) of the cell, numbered 1..6 in the order of the arch string.
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))

#: The cell with the best CIFAR-10 test accuracy in the benchmark; the default architecture.
BEST_CELL = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
)

ARCH_STRING_FORMAT = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"

_NUM_NODES = 4
_CONV_KERNELS = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}
_MIN_SIZE = 4  # The two stride-2 reductions leave a 4x4 input 1x1 in the last stage.


class NASBench201Space(SearchSpace):
    """The NAS-Bench-201 cell, searched once and stacked in the paper's ResNet-like skeleton.

    The cell is a graph of 4 nodes: node 0 is the cell input, node j is the sum over i < j of
    `op_{i->j}(node i)` and node 3 is the output. Each of the 6 edges holds one of `none`
    (the edge is absent), `skip_connect` (identity), `nor_conv_1x1` and `nor_conv_3x3`
    (ReLU -> Conv -> BatchNorm) or `avg_pool_3x3` (stride 1, "same"). The network is a stem
    (3x3 conv with `channels` filters and BatchNorm), three stages of `cells_per_stage` cells
    with `channels`, 2x and 4x as many channels, a ResNet basic block of stride 2 between two
    stages (its shortcut is 2x2 average pooling and a 1x1 conv), and BatchNorm -> ReLU before
    the base class's global pooling and classifier. All cells share one genotype, so the space
    holds 5**6 = 15,625 cells, the benchmark's. The default is the benchmark's best cell.

    Operations that compute zeros are not built: a `none` edge adds no layer, and a node with
    no non-zero input is zero. Where a convolution reads such a node (its BatchNorm then yields
    its bias, as in the benchmark's networks) or the cell output is zero, a standard
    `Rescaling(0.0)` layer (`keras_nas.layers.zeros_like`) stands for the node. The model
    computes the function of the benchmark's network and, for cells whose nodes all reach
    the output, has its trainable parameter count (1,073,466 for
    the default cell with C=16, N=5 and 10 classes). Deviations from the benchmark's PyTorch
    code: a node that does not reach the output is left out of the model (the benchmark
    counts its parameters); Keras "same" padding (asymmetric at stride 2); BatchNorm epsilon
    1e-3; and the optimizer and learning rate of `SearchSpace` (the benchmark trained with SGD
    and a cosine schedule for 200 epochs).

    Example:
    >>> space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1,
    ...                          channels=8)
    >>> space.to_arch_string({"cell/edge_6/op": "none"})
    '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|'
    >>> values = space.from_arch_string("|skip_connect~0|+|none~0|nor_conv_1x1~1|"
    ...                                 "+|none~0|none~1|avg_pool_3x3~2|")
    >>> values["cell/edge_3/op"]
    'nor_conv_1x1'
    >>> space.build_model(values).output_shape
    (None, 10)

    Args:
        input_shape: `(height, width, channels)`, at least 4x4.
        num_classes: See `SearchSpace`.
        cells_per_stage: Number of cells in each of the three stages (N in the paper: 5).
        channels: Channels of the stem and the first stage (C in the paper: 16).
        operations: The operations each edge chooses from, a subset of `OPERATIONS`.
        **kwargs: The output, optimizer and loss arguments of `SearchSpace`.

    Hyperparameters: `cell/edge_1/op` ... `cell/edge_6/op`, the edges 0->1, 0->2, 1->2, 0->3,
    1->3 and 2->3 (the order of the arch string).

    Layer names: an edge's layers name its operation, e.g. `stage_1_cell_1_edge_1_nor_conv_3x3_bn`
    and `stage_1_cell_1_edge_5_avg_pool_3x3`; the stem, reduction blocks and final layers do
    not depend on a choice (`stem_conv`, `reduction_1_a_conv`).
    """

    supported_ranks = (3,)
    width_setting = "channels"
    depth_setting = "cells_per_stage"

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int | None = None,
        *,
        cells_per_stage: int = 5,
        channels: int = 16,
        operations: Sequence[str] = OPERATIONS,
        **kwargs: Any,
    ):
        super().__init__(input_shape, num_classes, **kwargs)
        self.cells_per_stage = check_positive_int("cells_per_stage", cells_per_stage)
        self.channels = check_positive_int("channels", channels)
        self.operations = check_choices("operations", operations, kind=str, allowed=OPERATIONS)
        _check_image_size(self.input_shape)

    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        for edge, best in enumerate(_BEST_OPS, start=1):
            hp.Choice(
                _edge_hp(edge), list(self.operations), default=default_choice(self.operations, best)
            )

    def build_features(self, arch: dict[str, Any], inputs: keras.KerasTensor) -> keras.KerasTensor:
        ops = _ops_of(arch)
        return self._network(inputs, lambda x, name: _cell(x, ops, name=name))

    def build_supernet_features(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        """The one-shot supernet: every edge a `PathChoice` over the space's operations.

        The stem, reductions and final layers are those of every cell; an edge's branch for
        an operation is built by the same code, with the same layer names, as that edge in
        `build_features`, so a sub-network inherits the branch weights of its operations.
        """
        return self.build_relaxed_features(inputs, path_choice)

    def build_relaxed_features(
        self, inputs: keras.KerasTensor, choice: ChoiceFactory
    ) -> keras.KerasTensor:
        """The supernet with each edge made by `choice`; see `SearchSpace`. All cells share
        one choice per edge, as they share one genotype."""
        operations = self.operations
        return self._network(
            inputs, lambda x, name: _supernet_cell(x, operations, name=name, choice=choice)
        )

    def _network(self, inputs: keras.KerasTensor, cell) -> keras.KerasTensor:
        """The stem, three stages of `cell(x, name)` with reductions between, and the end."""
        x = blocks.conv_layer(inputs, self.channels, 3, name="stem_conv")
        x = blocks.batch_norm(x, "stem_bn")
        for stage in range(1, 4):
            filters = self.channels * 2 ** (stage - 1)
            if stage > 1:
                x = _reduction_block(x, filters, name=f"reduction_{stage - 1}")
            for index in range(1, self.cells_per_stage + 1):
                x = cell(x, f"stage_{stage}_cell_{index}")
        x = blocks.batch_norm(x, "final_bn")
        return layers.Activation("relu", name="final_relu")(x)

    def summarize(self, arch: dict[str, Any]) -> str:
        return _format_ops(_ops_of(arch))

    def architecture_graph(self, values: dict[str, Any] | None = None) -> dict[str, list]:
        """Returns the cell as a DAG: nodes 0 to 3, one edge per operation that is not `none`.

        See `SearchSpace.architecture_graph`. Edge labels are the operations.

        Example:
        >>> space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10)
        >>> graph = space.architecture_graph(space.from_arch_string(
        ...     "|skip_connect~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|avg_pool_3x3~2|"))
        >>> graph["edges"]
        [[0, 1, 'skip_connect'], [1, 2, 'nor_conv_1x1'], [2, 3, 'avg_pool_3x3']]
        """
        ops = _ops_of(self.complete_values(values))
        return {
            "nodes": [f"node {node}" for node in range(_NUM_NODES)],
            "edges": [
                [source, target, op]
                for (source, target), op in zip(EDGES, ops, strict=True)
                if op != "none"
            ],
        }

    def to_arch_string(self, values: dict[str, Any] | None = None) -> str:
        """Returns the NAS-Bench-201 string of an architecture, e.g. `BEST_CELL`.

        Args:
            values: A flat dict of hyperparameter values or the output of `describe`, as for
                `build_model`; missing edges take their default.

        Returns:
            The string `"|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"` with each edge's operation.

        Raises:
            ValueError: if a name is not a choice of this space or a value is not allowed.
        """
        return self.summarize(self.complete_values(values))

    def from_arch_string(self, arch_string: str) -> dict[str, str]:
        """Returns the flat hyperparameter values of a NAS-Bench-201 string.

        Args:
            arch_string: A string such as `BEST_CELL`, as in the benchmark's tables.

        Returns:
            `{"cell/edge_1/op": ..., ..., "cell/edge_6/op": ...}`, which `build_model` accepts.

        Raises:
            ValueError: if the string does not have the format `ARCH_STRING_FORMAT` or names an
                operation outside this space's `operations`.
        """
        ops = _parse_ops(arch_string)
        unknown = list(dict.fromkeys(op for op in ops if op not in self.operations))
        if unknown:
            raise ValueError(
                f"The architecture string {arch_string!r} uses operations {unknown} that this "
                f"space does not hold. Its operations are {list(self.operations)}; pass the "
                "others in `operations` to search them too."
            )
        return {_edge_hp(edge): op for edge, op in enumerate(ops, start=1)}

    def architecture_key(self, arch: dict[str, Any]) -> str:
        """Returns a string equal for cells that compute the same function.

        The cell output is written as a sum of terms, each an operation applied to the sum at
        its input node (`"(x)@nor_conv_3x3"`); skip connections merge their input's terms into
        the sum, `none` edges and pooling or skipping a zero node add nothing, a convolution
        of a zero node is the constant term `"(#)@op"`, and every sum is sorted. The 15,625
        cells fall into 5,545 classes (the benchmark's own `UniqueString` keeps zero nodes and
        does not sort sums: 6,466).

        Example:
        >>> space = NASBench201Space(input_shape=(32, 32, 3), num_classes=10)
        >>> a = space.from_arch_string("|nor_conv_3x3~0|+|skip_connect~0|none~1|"
        ...                            "+|none~0|skip_connect~1|skip_connect~2|")
        >>> b = space.from_arch_string("|skip_connect~0|+|nor_conv_3x3~0|none~1|"
        ...                            "+|none~0|skip_connect~1|skip_connect~2|")
        >>> space.canonical_key(a) == space.canonical_key(b) == "(x)@nor_conv_3x3+x"
        True
        """
        ops = _ops_of(arch)
        terms_of_node: list[list[str]] = [["x"]]
        for target in range(1, _NUM_NODES):
            terms = []
            for (source, to), op in zip(EDGES, ops, strict=True):
                if to != target or op == "none":
                    continue
                source_terms = terms_of_node[source]
                if op in _CONV_KERNELS:
                    terms.append("(" + "+".join(sorted(source_terms) or ["#"]) + f")@{op}")
                elif source_terms and op == "skip_connect":
                    terms.extend(source_terms)
                elif source_terms:
                    terms.append("(" + "+".join(sorted(source_terms)) + f")@{op}")
            terms_of_node.append(terms)
        return "+".join(sorted(terms_of_node[-1]))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "cells_per_stage": self.cells_per_stage,
            "channels": self.channels,
            "operations": list(self.operations),
        }


# ------------------------------------------------------------------------------ arch strings
def _edge_hp(edge: int) -> str:
    return f"cell/edge_{edge}/op"


def _ops_of(arch: dict[str, Any]) -> list[str]:
    return [arch[_edge_hp(edge)] for edge in range(1, len(EDGES) + 1)]


def _format_ops(ops: Sequence[str]) -> str:
    nodes = []
    for target in range(1, _NUM_NODES):
        inputs = [
            f"{op}~{source}" for (source, to), op in zip(EDGES, ops, strict=True) if to == target
        ]
        nodes.append("|" + "|".join(inputs) + "|")
    return "+".join(nodes)


# The arch string format with one capture group per edge, in edge order.
_ARCH_PATTERN = re.compile(re.escape(_format_ops(["OP"] * len(EDGES))).replace("OP", r"(\w+)"))


def _parse_ops(arch_string: Any) -> list[str]:
    match = _ARCH_PATTERN.fullmatch(arch_string) if isinstance(arch_string, str) else None
    if match is None:
        raise ValueError(
            "An architecture string must have the NAS-Bench-201 format "
            f"{ARCH_STRING_FORMAT!r}: for nodes 1, 2 and 3 the operation on the edge from each "
            f"earlier node, e.g. {BEST_CELL!r}. Received: {arch_string!r}."
        )
    return list(match.groups())


_BEST_OPS = _parse_ops(BEST_CELL)


# ------------------------------------------------------------------------------------ layers
def _check_image_size(input_shape: tuple[int, ...]) -> None:
    if min(input_shape[:2]) < _MIN_SIZE:
        raise ValueError(
            f"NASBench201Space needs images of at least {_MIN_SIZE}x{_MIN_SIZE} pixels, since "
            "its two reduction blocks halve the height and width twice. Received: "
            f"input_shape={input_shape}. Resize the images (e.g. with `keras.layers.Resizing`) "
            "or use a space for small inputs, such as MLPSpace on the flattened pixels."
        )


def _relu_conv_bn(x, filters: int, kernel: int, *, strides: int = 1, name: str):
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = blocks.conv_layer(x, filters, kernel, strides=strides, name=f"{name}_conv")
    return blocks.batch_norm(x, f"{name}_bn")


def _reduction_block(x, filters: int, *, name: str):
    """The benchmark's ResNet basic block of stride 2 (no activation after the sum)."""
    shortcut = blocks.pool_layer(x, "avg", 2, strides=2, name=f"{name}_shortcut_pool")
    shortcut = blocks.conv_layer(shortcut, filters, 1, name=f"{name}_shortcut_conv")
    x = _relu_conv_bn(x, filters, 3, strides=2, name=f"{name}_a")
    x = _relu_conv_bn(x, filters, 3, name=f"{name}_b")
    return layers.Add(name=f"{name}_add")([x, shortcut])


def _cell(x, ops: Sequence[str], *, name: str):
    """Applies one cell to `x`; a node is `None` while it is zero."""
    nodes = [x]
    for target in range(1, _NUM_NODES):
        terms = [
            _edge(nodes[source], op, like=x, name=f"{name}_edge_{edge}_{blocks.op_token(op)}")
            for edge, ((source, to), op) in enumerate(zip(EDGES, ops, strict=True), start=1)
            if to == target
        ]
        nodes.append(_sum([term for term in terms if term is not None], f"{name}_node_{target}"))
    if nodes[-1] is None:
        return zeros_like(x, name=f"{name}_zeros")
    return nodes[-1]


def _supernet_cell(x, operations: Sequence[str], *, name: str, choice: ChoiceFactory):
    """A cell whose every edge chooses among `operations` through `choice`; zero edges add
    zeros."""
    nodes = [x]
    for target in range(1, _NUM_NODES):
        terms = []
        for edge, (source, to) in enumerate(EDGES, start=1):
            if to != target:
                continue
            branches = {
                op: PathChoice.branch(
                    nodes[source].shape,
                    lambda t, op=op, edge=edge: _edge(
                        t, op, like=t, name=f"{name}_edge_{edge}_{blocks.op_token(op)}"
                    ),
                )
                for op in operations
            }
            edge_choice = choice(_edge_hp(edge), branches, f"{name}_edge_{edge}_choice")
            terms.append(edge_choice(nodes[source]))
        nodes.append(_sum(terms, f"{name}_node_{target}"))
    return nodes[-1]


def _edge(source, op: str, *, like, name: str):
    """Returns `op(source)`, or `None` where that is zero (`source` is `None` when zero).

    `name` holds the edge and the operation (`stage_1_cell_1_edge_1_nor_conv_3x3`), so that
    the BatchNorm of a 1x1 and of a 3x3 convolution on one edge have different names.
    """
    if op in _CONV_KERNELS:
        if source is None:
            source = zeros_like(like, name=f"{name}_zeros")
        return _relu_conv_bn(source, source.shape[-1], _CONV_KERNELS[op], name=name)
    if source is None or op == "none":
        return None
    if op == "avg_pool_3x3":
        return blocks.pool_layer(source, "avg", 3, name=name)
    return source


def _sum(terms: list, name: str):
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    return layers.Add(name=f"{name}_add")(terms)
