import itertools
import json
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_nas.layers import Zeros
from keras_nas.search_spaces import NASBench201Space
from keras_nas.search_spaces.nasbench201 import BEST_CELL, OPERATIONS
from keras_nas.tuners.best_weights import build_optimizer
from tests.search_spaces.weight_keys import (
    assert_names_are_stable,
    assert_operations_do_not_collide,
)

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
BEST = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
)
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
# Node 1 is zero (edge 1 is none) and feeds a convolution on edge 3.
ZERO_NODE = "|none~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"


def tiny_space(input_shape=(8, 8, 1), **kwargs):
    return NASBench201Space(input_shape, 10, cells_per_stage=1, channels=8, **kwargs)


def layer_names(model):
    return [layer.name for layer in model.layers]


def trainable_params(model):
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


def values_of(ops):
    return {f"cell/edge_{edge}/op": op for edge, op in enumerate(ops, start=1)}


@pytest.mark.parametrize("input_shape", [(8, 8, 1), (32, 32, 3)])
def test_trains_one_batch(input_shape):
    # SGD: the first Adam step takes seconds more to trace, and the optimizer is not under test.
    model = tiny_space(input_shape, optimizer="sgd").build_model()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, *input_shape)).astype("float32")
    y = np.array([0, 1, 2, 3])
    logs = model.train_on_batch(x, y, return_dict=True)
    assert np.isfinite(logs["loss"])
    assert tuple(model(x).shape) == (4, 10)


def test_default_model_has_three_stages_of_five_cells():
    model = NASBench201Space((32, 32, 3), 10).build_model()
    cells = {
        m.group(1) for m in map(re.compile(r"(stage_\d_cell_\d+)_").match, layer_names(model)) if m
    }
    assert cells == {f"stage_{s}_cell_{c}" for s in (1, 2, 3) for c in range(1, 6)}
    assert {"reduction_1_add", "reduction_2_add"} <= set(layer_names(model))
    assert model.get_layer("final_relu").output.shape == (None, 8, 8, 64)
    assert model.output_shape == (None, 10)
    assert all("/" not in name for name in layer_names(model))
    assert trainable_params(model) == 1_073_466


def test_largest_cell_has_the_benchmarks_parameter_count():
    space = NASBench201Space((32, 32, 3), 10)
    model = space.build_model(values_of(["nor_conv_3x3"] * 6))
    # NAS-Bench-201 lists 1.531546 M parameters for this cell on CIFAR-10.
    assert trainable_params(model) == 1_531_546


def test_default_is_best_cell():
    space = tiny_space()
    assert space.to_arch_string() == BEST
    assert space.describe()["summary"] == BEST


def test_default_with_restricted_operations_is_valid():
    space = tiny_space(operations=["none", "skip_connect", "nor_conv_1x1"])
    assert space.to_arch_string() == (
        "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"
    )


def test_arch_string_round_trips_all_cells():
    space = tiny_space()
    strings = set()
    for ops in itertools.product(OPS, repeat=6):
        values = values_of(ops)
        arch_string = space.to_arch_string(values)
        assert space.from_arch_string(arch_string) == values
        strings.add(arch_string)
    assert len(strings) == 5**6


def test_from_arch_string_parses_edges_in_order():
    values = tiny_space().from_arch_string(
        "|skip_connect~0|+|nor_conv_1x1~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|"
    )
    assert values == {
        "cell/edge_1/op": "skip_connect",
        "cell/edge_2/op": "nor_conv_1x1",
        "cell/edge_3/op": "none",
        "cell/edge_4/op": "avg_pool_3x3",
        "cell/edge_5/op": "nor_conv_3x3",
        "cell/edge_6/op": "none",
    }


def test_to_arch_string_completes_partial_values():
    arch_string = tiny_space().to_arch_string({"cell/edge_3/op": "avg_pool_3x3"})
    assert arch_string == BEST.replace("nor_conv_3x3~1|+", "avg_pool_3x3~1|+")


def test_describe_builds_the_same_model():
    space = tiny_space()
    values = space.from_arch_string(ZERO_NODE)
    direct = space.build_model(values)
    described = space.build_model(space.describe(values))
    assert described.count_params() == direct.count_params()
    assert layer_names(described) == layer_names(direct)


def test_all_none_cell_outputs_zeros():
    space = tiny_space()
    model = space.build_model(space.from_arch_string(ALL_NONE))
    zeros = model.get_layer("stage_1_cell_1_zeros")
    assert isinstance(zeros, keras.layers.Rescaling) and zeros.scale == 0.0
    assert not any(re.match(r"stage_\d_cell_1_edge_", name) for name in layer_names(model))
    features = keras.Model(model.inputs, zeros.output)
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(features.predict(x, verbose=0), 0.0)


def test_none_edges_add_no_layers():
    space = tiny_space()
    model = space.build_model(
        space.from_arch_string(
            "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|skip_connect~2|"
        )
    )
    names = layer_names(model)
    for edge in (2, 4):
        assert not any(name.startswith(f"stage_1_cell_1_edge_{edge}_") for name in names)
    assert model.get_layer("stage_1_cell_1_edge_1_nor_conv_3x3_conv").kernel_size == (3, 3)
    assert model.get_layer("stage_1_cell_1_edge_3_nor_conv_1x1_conv").kernel_size == (1, 1)
    assert "stage_1_cell_1_edge_5_avg_pool_3x3" in names
    assert "stage_1_cell_1_node_3_add" in names
    assert not any(name.endswith("_zeros") for name in names)


def test_nodes_that_do_not_reach_the_output_are_left_out():
    space = tiny_space()
    model = space.build_model(
        space.from_arch_string(
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|none~1|none~2|"
        )
    )
    cell_layers = [name for name in layer_names(model) if name.startswith("stage_1_cell_1_")]
    assert cell_layers == [
        f"stage_1_cell_1_edge_4_nor_conv_1x1_{part}" for part in ("relu", "conv", "bn")
    ]


def test_convolution_of_a_zero_node_reads_zeros():
    space = tiny_space()
    model = space.build_model(space.from_arch_string(ZERO_NODE))
    zeros = model.get_layer("stage_1_cell_1_edge_3_nor_conv_1x1_zeros")
    assert isinstance(zeros, keras.layers.Rescaling) and zeros.scale == 0.0
    assert model.get_layer("stage_1_cell_1_edge_3_nor_conv_1x1_relu").input is zeros.output
    assert model.get_layer("stage_1_cell_1_edge_3_nor_conv_1x1_conv").kernel_size == (1, 1)
    assert "stage_1_cell_1_edge_5_nor_conv_3x3_conv" in layer_names(model)


def test_operations_on_one_edge_have_distinct_layer_keys():
    space = tiny_space()
    best = space.from_arch_string(BEST)
    variants = [{**best, "cell/edge_5/op": op} for op in OPS]
    assert_operations_do_not_collide(space, variants, r"stage_\d_cell_1_edge_5_")


def test_layer_names_are_stable():
    space = tiny_space()
    assert_names_are_stable(space, space.from_arch_string(ZERO_NODE))


def test_saved_model_with_zeros_loads_with_keras_alone(tmp_path):
    # Only standard layers: a process that imports keras and not keras_nas loads the file.
    space = NASBench201Space((8, 8, 1), 3, cells_per_stage=1, channels=4)
    model = build_optimizer(space.build_model(space.from_arch_string(ZERO_NODE)))
    path, inputs = tmp_path / "cell.keras", tmp_path / "x.npy"
    model.save(path)
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype("float32")
    np.save(inputs, x)
    script = (
        "import sys, warnings, numpy as np, keras\n"
        "warnings.simplefilter('error', UserWarning)\n"
        f"model = keras.saving.load_model({str(path)!r}, safe_mode=True)\n"
        f"y = model.predict(np.load({str(inputs)!r}), verbose=0)\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, y)\n"
        "print(sorted(name for name in sys.modules if name.startswith('keras_nas')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model.predict(x, verbose=0), rtol=1e-6)


def test_zeros_of_an_earlier_version_still_load(tmp_path):
    assert keras.saving.get_registered_name(Zeros) == "keras_nas>Zeros"
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Add()([inputs, Zeros(name="node_zeros")(inputs)]))
    model.save(tmp_path / "old.keras")
    loaded = keras.saving.load_model(tmp_path / "old.keras", safe_mode=True)
    assert isinstance(loaded.get_layer("node_zeros"), Zeros)


def test_zeros_config_round_trips():
    layer = Zeros(name="node_zeros")
    restored = Zeros.from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()
    assert restored.name == "node_zeros"


def test_config_round_trips():
    space = NASBench201Space(
        (16, 16, 3),
        5,
        cells_per_stage=2,
        channels=12,
        operations=["skip_connect", "nor_conv_3x3"],
        dropout=0.2,
    )
    config = json.loads(json.dumps(space.get_config()))
    assert config["cells_per_stage"] == 2
    assert config["channels"] == 12
    assert config["operations"] == ["skip_connect", "nor_conv_3x3"]
    restored = NASBench201Space.from_config(config)
    assert restored.get_config() == space.get_config()
    assert restored.operations == ("skip_connect", "nor_conv_3x3")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cells_per_stage": 0}, "`cells_per_stage` must be a positive integer"),
        ({"channels": -8}, "`channels` must be a positive integer"),
        ({"operations": []}, "`operations` must hold at least one option"),
        ({"operations": ["nor_conv_3x3", "sep_conv_3x3"]}, "Unknown option 'sep_conv_3x3'"),
        ({"input_shape": (3, 32, 3)}, r"at least 4x4 pixels.*input_shape=\(3, 32, 3\)"),
        ({"input_shape": (32, 2, 3)}, "Resize the images"),
        ({"input_shape": (32, 3)}, r"must be \(height, width, channels\)"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    arguments = {"input_shape": (8, 8, 1), **kwargs}
    with pytest.raises(ValueError, match=match):
        NASBench201Space(num_classes=10, **arguments)


@pytest.mark.parametrize(
    "arch_string",
    [
        "",
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|",
        "|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|",
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~2|none~1|",
        BEST + "+",
        None,
    ],
)
def test_rejects_malformed_arch_strings(arch_string):
    with pytest.raises(ValueError, match=r"must have the NAS-Bench-201 format '\|op~0\|"):
        tiny_space().from_arch_string(arch_string)


def test_rejects_operations_outside_the_space():
    space = tiny_space(operations=["none", "skip_connect"])
    with pytest.raises(ValueError, match=r"uses operations \['nor_conv_3x3'.*'conv_7x7'\]"):
        space.from_arch_string(BEST.replace("nor_conv_1x1", "conv_7x7"))


def test_canonical_key_groups_cells_that_compute_the_same_function():
    space = NASBench201Space(input_shape=(32, 32, 3), num_classes=10)
    keys = {
        space.canonical_key({f"cell/edge_{i}/op": op for i, op in enumerate(ops, start=1)})
        for ops in itertools.product(OPERATIONS, repeat=6)
    }
    assert len(keys) == 5545
    best = space.from_arch_string(BEST_CELL)
    # Node 1 = conv3(x), node 2 = conv3(x) + conv3(node 1), output = x + conv3(node 1) +
    # conv1(node 2); sums are sorted.
    assert space.canonical_key(best) == (
        "(((x)@nor_conv_3x3)@nor_conv_3x3+(x)@nor_conv_3x3)@nor_conv_1x1"
        "+((x)@nor_conv_3x3)@nor_conv_3x3+x"
    )
    empty = space.from_arch_string("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    pool_of_zero = space.from_arch_string("|none~0|+|none~0|none~1|+|none~0|avg_pool_3x3~1|none~2|")
    conv_of_zero = space.from_arch_string("|none~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|")
    assert space.canonical_key(empty) == space.canonical_key(pool_of_zero) == ""
    assert space.canonical_key(conv_of_zero) == "(#)@nor_conv_1x1"
