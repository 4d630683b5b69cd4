"""Tests of `NASNetCellSpace`: building, training, cell wiring, round trips and errors."""

import json

import keras
import keras_tuner
import numpy as np
import pytest

from keras_nas.search_spaces import NASNetCellSpace
from keras_nas.search_spaces.nasnet import OPERATIONS
from tests.search_spaces.weight_keys import (
    assert_names_are_stable,
    assert_operations_do_not_collide,
)

SMALL = {"num_blocks": 2, "cells_per_stage": 1, "channels": 8}


def _space(input_shape=(8, 8, 1), **kwargs):
    return NASNetCellSpace(input_shape=input_shape, num_classes=10, **{**SMALL, **kwargs})


def _batch(input_shape, size=4):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(size, *input_shape)).astype("float32")
    return x, np.arange(size) % 10


def _declared(space):
    hp = keras_tuner.HyperParameters()
    space.declare_hyperparameters(hp)
    return {h.name: h for h in hp.space}


@pytest.mark.parametrize("input_shape", [(8, 8, 1), (32, 32, 3)])
def test_default_model_trains_one_batch(input_shape):
    model = _space(input_shape).build_model()
    assert model.output_shape == (None, 10)
    model.run_eagerly = True  # One step: tracing the graph would take 8 times as long.
    loss, accuracy = model.train_on_batch(*_batch(input_shape))
    assert np.isfinite(loss)
    assert 0.0 <= accuracy <= 1.0


def test_each_reduction_cell_halves_resolution_and_doubles_channels():
    model = _space((32, 32, 3)).build_model()
    shapes = {
        "stage_1_cell_1_block_2_add": (None, 32, 32, 8),
        "reduction_1_block_2_add": (None, 16, 16, 16),
        "stage_2_cell_1_block_2_add": (None, 16, 16, 16),
        "reduction_2_block_2_add": (None, 8, 8, 32),
        "stage_3_cell_1_block_2_add": (None, 8, 8, 32),
    }
    for name, shape in shapes.items():
        assert tuple(model.get_layer(name).output.shape) == shape, name


def test_odd_sizes_calibrate_the_older_input_to_the_reduced_resolution():
    # After a reduction, node 0 (9x7) must be reduced to node 1's ceil(9/2) x ceil(7/2).
    model = _space((9, 7, 1)).build_model()
    assert tuple(model.get_layer("stage_2_cell_1_input_0_bn").output.shape) == (None, 5, 4, 16)
    assert tuple(model.get_layer("stage_3_cell_1_block_2_add").output.shape) == (None, 3, 2, 32)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_builds_in_both_cell_types(operation):
    space = _space(operations=[operation], num_reductions=1)
    # Block 2 reads block 1, so each cell applies the operation to a block output (stride 1)
    # as well as to the cell inputs (stride 2 in the reduction cell).
    values = {"normal_cell/block_2/input_1": 2, "reduction_cell/block_2/input_1": 2}
    arch = space.complete_values(values)
    assert {value for name, value in arch.items() if "/op_" in name} == {operation}
    model = space.build_model(values)
    for name in ("reduction_1_block_1_add", "reduction_1_block_2_add"):
        assert tuple(model.get_layer(name).output.shape) == (None, 4, 4, 16)
    assert tuple(model.get_layer("stage_2_cell_1_block_2_add").output.shape) == (None, 4, 4, 16)
    outputs = keras.ops.convert_to_numpy(model(_batch((8, 8, 1))[0]))
    assert outputs.shape == (4, 10)
    assert np.all(np.isfinite(outputs))


@pytest.mark.parametrize(
    "slot, position",
    [
        # Stride 2 on a cell input: identity is a factorized reduction, with weights.
        ("reduction_cell/block_1/op_2", "reduction_1_block_1_op_2_"),
        ("normal_cell/block_1/op_1", r"stage_\d_cell_1_block_1_op_1_"),
    ],
)
def test_operations_in_one_slot_have_distinct_layer_keys(slot, position):
    variants = [{slot: op} for op in OPERATIONS]
    assert_operations_do_not_collide(_space(num_reductions=1), variants, position)


def test_layer_names_are_stable():
    assert_names_are_stable(_space(num_reductions=1), {"reduction_cell/block_2/op_1": "identity"})


def test_cell_output_concatenates_only_blocks_that_no_block_reads():
    space = _space(num_blocks=3, num_reductions=0)
    concat = "stage_1_cell_1_concat"
    assert space.build_model().get_layer(concat).output.shape[-1] == 3 * 8
    chained = space.build_model({"normal_cell/block_2/input_1": 2})
    assert chained.get_layer(concat).output.shape[-1] == 2 * 8


def test_cell_with_one_unused_block_outputs_that_block_alone():
    space = _space(num_blocks=2, num_reductions=0)
    model = space.build_model({"normal_cell/block_2/input_2": 2})
    names = [layer.name for layer in model.layers]
    assert "stage_1_cell_1_concat" not in names
    assert tuple(model.get_layer("features_relu").output.shape) == (None, 8, 8, 8)


def test_hyperparameters_are_hierarchical_choices_over_earlier_nodes():
    declared = _declared(_space(num_blocks=3, num_reductions=1))
    assert len(declared) == 2 * 3 * 4
    assert declared["normal_cell/block_3/input_2"].values == [0, 1, 2, 3]
    assert declared["reduction_cell/block_1/input_1"].values == [0, 1]
    assert declared["reduction_cell/block_2/op_1"].values == list(OPERATIONS)


def test_no_reduction_cell_hyperparameters_without_reductions():
    declared = _declared(_space(num_blocks=3, num_reductions=0))
    assert len(declared) == 3 * 4
    assert all(name.startswith("normal_cell/block_") for name in declared)


def test_default_architecture_mixes_convolutions_identities_and_earlier_blocks():
    space = NASNetCellSpace(input_shape=(32, 32, 3), num_classes=10)
    summary = space.describe()["summary"]
    assert summary.startswith("normal: [sep_conv_3x3(1)+identity(0)] [")
    assert "[sep_conv_3x3(2)+identity(1)]" in summary
    assert " | reduction: [sep_conv_3x3(1)+max_pool_3x3(0)] [" in summary


def test_defaults_beyond_five_blocks_are_valid():
    space = _space(num_blocks=7, operations=["max_pool_3x3", "sep_conv_3x3"])
    arch = space.complete_values()
    assert arch["normal_cell/block_7/input_2"] == 7
    assert arch["normal_cell/block_1/op_2"] == "max_pool_3x3"  # identity is not an option.


def test_describe_then_build_model_gives_the_same_network():
    space = _space(num_blocks=3, num_reductions=1)
    values = {"normal_cell/block_3/input_1": 3, "reduction_cell/block_2/op_2": "dil_conv_3x3"}
    description = json.loads(json.dumps(space.describe(values)))
    from_description = space.build_model(description)
    from_values = space.build_model(values)
    names = [layer.name for layer in from_values.layers]
    assert [layer.name for layer in from_description.layers] == names
    assert from_description.count_params() == from_values.count_params()
    assert all("/" not in name for name in names)
    assert "dil_conv_3x3(0)" in description["summary"]


def test_config_round_trip():
    space = NASNetCellSpace(
        input_shape=(16, 16, 3),
        num_classes=5,
        num_blocks=3,
        cells_per_stage=1,
        num_reductions=1,
        channels=12,
        operations=["identity", "max_pool_3x3"],
        dropout=0.1,
        learning_rate=0.01,
    )
    config = json.loads(json.dumps(space.get_config()))
    assert config["operations"] == ["identity", "max_pool_3x3"]
    assert config["num_reductions"] == 1
    restored = NASNetCellSpace.from_config(config)
    assert restored.get_config() == config
    assert restored.describe() == space.describe()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_blocks": 0}, "`num_blocks`.*positive integer.*Received: num_blocks=0"),
        ({"cells_per_stage": 0}, "`cells_per_stage` must be a positive integer"),
        ({"channels": -8}, "`channels`.*positive integer.*Received: channels=-8"),
        ({"num_reductions": -1}, "`num_reductions` must be an integer of at least 0"),
        ({"num_reductions": 1.0}, "`num_reductions` must be an integer of at least 0"),
        ({"operations": []}, "`operations` must hold at least one option"),
        ({"operations": ["conv_7x7"]}, "Unknown option 'conv_7x7' in `operations`"),
        (
            {"input_shape": (4, 16, 1), "num_reductions": 3},
            r"at least 8x8 pixels.*Use num_reductions <= 2",
        ),
        ({"input_shape": (32, 32)}, "`input_shape` of NASNetCellSpace must be"),
    ],
)
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _space(**kwargs)


def test_input_beyond_the_earlier_nodes_is_rejected():
    with pytest.raises(ValueError, match="is not an option of `normal_cell/block_1/input_1`"):
        _space().build_model({"normal_cell/block_1/input_1": 2})


def test_keras_file_round_trip_gives_the_same_predictions(tmp_path):
    model = _space(num_reductions=1).build_model()
    x, _ = _batch((8, 8, 1))
    path = tmp_path / "nasnet.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)),
        keras.ops.convert_to_numpy(model(x)),
        rtol=1e-5,
        atol=1e-6,
    )
