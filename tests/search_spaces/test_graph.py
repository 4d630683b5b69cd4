"""Tests of `SearchSpace.architecture_graph`: chains by default, the cell DAG of NAS-Bench-201."""

import json

import pytest

from keras_nas.search_spaces import MacroSpace, MLPSpace, NASBench201Space

BEST = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
)
NODES_201 = ["node 0", "node 1", "node 2", "node 3"]


def nasbench201():
    return NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1)


def test_chain_of_an_mlp_has_one_node_per_layer():
    space = MLPSpace(input_shape=(4,), num_classes=3)
    graph = space.architecture_graph(
        {"num_layers": 2, "layer_1/units": 64, "layer_2/dropout": 0.0, "layer_2/units": 32}
    )
    assert graph == {
        "nodes": ["input", "dense64-batch-relu-drop0.1", "dense32-batch-relu", "output"],
        "edges": [[0, 1, ""], [1, 2, ""], [2, 3, ""]],
    }


def test_chain_of_the_default_macro_architecture():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=10)
    assert space.architecture_graph() == {
        "nodes": ["input", "stem32", "conv3-32", "conv3-64 /2", "conv3-128 /2", "output"],
        "edges": [[0, 1, ""], [1, 2, ""], [2, 3, ""], [3, 4, ""], [4, 5, ""]],
    }


def test_chain_accepts_the_output_of_describe():
    space = MLPSpace(input_shape=(4,), num_classes=3)
    values = {"num_layers": 1, "layer_1/units": 32}
    assert space.architecture_graph(space.describe(values)) == space.architecture_graph(values)


def test_nasbench201_graph_of_the_best_cell_has_all_six_edges():
    space = nasbench201()
    assert space.architecture_graph(space.from_arch_string(BEST)) == {
        "nodes": NODES_201,
        "edges": [
            [0, 1, "nor_conv_3x3"],
            [0, 2, "nor_conv_3x3"],
            [1, 2, "nor_conv_3x3"],
            [0, 3, "skip_connect"],
            [1, 3, "nor_conv_3x3"],
            [2, 3, "nor_conv_1x1"],
        ],
    }


def test_nasbench201_graph_leaves_out_none_edges():
    space = nasbench201()
    values = space.from_arch_string(
        "|none~0|+|avg_pool_3x3~0|none~1|+|none~0|skip_connect~1|nor_conv_1x1~2|"
    )
    assert space.architecture_graph(values) == {
        "nodes": NODES_201,
        "edges": [[0, 2, "avg_pool_3x3"], [1, 3, "skip_connect"], [2, 3, "nor_conv_1x1"]],
    }


def test_nasbench201_graph_of_the_empty_cell_has_nodes_and_no_edges():
    space = nasbench201()
    values = space.from_arch_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert space.architecture_graph(values) == {"nodes": NODES_201, "edges": []}


def test_graphs_are_json_safe():
    for space in [nasbench201(), MLPSpace(input_shape=(4,), num_classes=3)]:
        graph = space.architecture_graph()
        assert json.loads(json.dumps(graph)) == graph


def test_graph_rejects_a_value_outside_the_space():
    with pytest.raises(ValueError, match="cell/edge_1/op"):
        nasbench201().architecture_graph({"cell/edge_1/op": "sep_conv_7x7"})
