"""DARTS's relaxation of `NASNetCellSpace`: the relaxed supernet's edges, discretization and
the layers a derived cell inherits."""

import numpy as np
import pytest

from keras_nas.search_spaces import NASNetCellSpace
from keras_nas.search_spaces.nasnet_relaxation import discretize, layer_source
from keras_nas.weight_sharing import SharedLayerRegistry

OPS = ("identity", "sep_conv_3x3", "max_pool_3x3")


def _space(**kwargs):
    kwargs = {
        "num_blocks": 2,
        "cells_per_stage": 1,
        "num_reductions": 1,
        "channels": 4,
        "operations": OPS,
        **kwargs,
    }
    return NASNetCellSpace(input_shape=(8, 8, 1), num_classes=10, **kwargs)


def test_every_block_reads_every_earlier_node_through_none_or_an_operation():
    network, choices = _space().build_relaxed_supernet()
    expected = [
        f"{cell}/block_{block}/edge_{node}"
        for cell in ("normal_cell", "reduction_cell")
        for block in (1, 2)
        for node in range(block + 1)
    ]
    assert list(choices) == expected
    assert all(values == ["none", *OPS] for values in choices.values())
    assert [tuple(shape) for shape in network.input_shape[1:]] == [(None, 4)] * len(expected)
    # A cell concatenates both blocks; the reduction cell halves the size.
    assert network.get_layer("stage_1_cell_1_concat").output.shape == (None, 8, 8, 8)
    assert network.get_layer("reduction_1_concat").output.shape == (None, 4, 4, 16)
    x = np.zeros((2, 8, 8, 1), "float32")
    weights = [np.full((1, 4), 0.25, "float32")] * len(expected)
    assert network([x, *weights]).shape == (2, 10)


def test_each_block_keeps_its_two_strongest_inputs_ignoring_none():
    space = _space(num_reductions=0, num_blocks=3)
    strengths = {  # none, identity, sep_conv_3x3, max_pool_3x3
        (1, 0): [0.7, 0.1, 0.1, 0.1],
        (1, 1): [0.1, 0.1, 0.2, 0.6],
        (2, 0): [0.0, 0.3, 0.3, 0.4],
        (2, 1): [0.0, 0.5, 0.4, 0.1],
        (2, 2): [0.9, 0.05, 0.05, 0.0],
        (3, 0): [0.0, 0.2, 0.2, 0.6],
        (3, 1): [0.0, 0.2, 0.2, 0.6],
        (3, 2): [0.0, 0.1, 0.1, 0.8],
        (3, 3): [0.0, 0.0, 0.0, 1.0],
    }
    weights = {
        f"normal_cell/block_{block}/edge_{node}": dict(zip(["none", *OPS], values, strict=True))
        for (block, node), values in strengths.items()
    }
    values = space.discretize(weights)
    assert space.summarize(values) == (
        "normal: [max_pool_3x3(1)+identity(0)] [identity(1)+max_pool_3x3(0)] "
        "[max_pool_3x3(3)+max_pool_3x3(2)]"
    )
    assert space.build_model(values).output_shape == (None, 10)


def test_discretize_ignores_other_names_and_leaves_missing_blocks_to_their_defaults():
    values = discretize(
        {
            "normal_cell/block_1/edge_0": {"none": 0.0, "identity": 1.0},
            "reduction_cell/block_1/edge_0": {"none": 0.0, "identity": 1.0},
            "cell/edge_1/op": {"none": 1.0},
        },
        ["normal_cell"],
    )
    assert values == {"normal_cell/block_1/input_1": 0, "normal_cell/block_1/op_1": "identity"}


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("stem_conv", "stem_conv"),
        ("stage_1_cell_1_block_2_op_1_identity", "stage_1_cell_1_block_2_edge_2_identity"),
        (
            "reduction_1_block_1_op_2_identity_conv_1",  # An identity of stride 2.
            "reduction_1_block_1_edge_0_identity_conv_1",
        ),
        ("stage_1_cell_1_input_0_conv", "stage_1_cell_1_input_0_conv"),  # The stem.
        ("reduction_1_input_0_conv", "reduction_1_input_0_conv"),
        # Block 1 of the normal cell is read by block 2: its output is block 2's channels.
        ("reduction_1_input_1_conv", ("reduction_1_input_1_conv", [4, 5, 6, 7])),
        ("stage_2_cell_1_input_0_conv_2", ("stage_2_cell_1_input_0_conv_2", [4, 5, 6, 7])),
        # The reduction cell's two blocks read only the cell inputs: both are its output.
        ("stage_2_cell_1_input_1_conv", ("stage_2_cell_1_input_1_conv", list(range(16)))),
        # The last cell, a normal cell of 8 channels, outputs its block 2.
        ("predictions", ("predictions", list(range(8, 16)))),
    ],
)
def test_derived_layers_inherit_from_the_edge_they_read_and_the_blocks_concatenated(name, source):
    space = _space()
    values = {
        "normal_cell/block_2/input_1": 2,
        "normal_cell/block_2/op_1": "identity",
        "reduction_cell/block_1/input_2": 0,
        "reduction_cell/block_1/op_2": "identity",
        "reduction_cell/block_2/input_1": 1,
        "reduction_cell/block_2/input_2": 0,
    }
    assert layer_source(*_cells(space, values))(name) == source
    assert space.relaxed_layer_source(values)(name) == source


def _cells(space, values):
    arch = space.complete_values(values)
    cells = {cell_type: space._cell_blocks(arch, cell_type) for cell_type in space._cell_types()}
    return cells, space._cell_sequence()


@pytest.mark.parametrize(
    "settings",
    [{}, {"cell_output": "all", "separable_repeats": 2}],  # NASNet's network, then DARTS's.
)
def test_a_derived_network_finds_every_weight_in_the_relaxed_one_reduction_cells_included(
    settings,
):
    space = _space(operations=("identity", "sep_conv_3x3", "avg_pool_3x3"), **settings)
    network, choices = space.build_relaxed_supernet(sample=True)  # GDAS: one branch runs.
    registry = SharedLayerRegistry()
    registry.store(network)
    # Block 1 of each cell: an identity of stride 2 on node 0 in the reduction cell, and a
    # separable convolution; block 2 reads block 1 (the cell outputs block 2 only) or not.
    values = {
        "normal_cell/block_2/input_1": 2,
        "reduction_cell/block_1/input_1": 0,
        "reduction_cell/block_1/op_1": "identity",
        "reduction_cell/block_1/op_2": "sep_conv_3x3",
        "reduction_cell/block_2/input_1": 1,
        "reduction_cell/block_2/input_2": 0,
    }
    model = space.build_model(values)
    keys = registry.keys_of(model)
    assert registry.restore(model, source_name=space.relaxed_layer_source(values)) == keys
    # With `none` on every edge but one, the relaxed network runs, whatever the stride.
    x = np.ones((2, 8, 8, 1), "float32")
    weights = [np.eye(len(options), dtype="float32")[:1] for options in choices.values()]
    assert network([x, *weights]).shape == (2, 10)
