"""Tests of `MLPSpace`."""

import numpy as np
import pytest

from keras_nas.search_spaces import MLPSpace
from tests.search_spaces.weight_keys import (
    assert_names_are_stable,
    assert_operations_do_not_collide,
)


def test_trains_one_batch_on_vectors():
    space = MLPSpace(input_shape=(12,), num_classes=3)
    model = space.build_model({"num_layers": 3, "layer_3/normalization": "layer"})
    loss, _ = model.train_on_batch(np.ones((4, 12)), np.array([0, 1, 2, 0]))
    assert np.isfinite(loss)
    assert model.output_shape == (None, 3)


def test_each_block_follows_its_choices():
    space = MLPSpace(input_shape=(12,), num_classes=3)
    model = space.build_model(
        {
            "num_layers": 2,
            "layer_1/units": 64,
            "layer_1/normalization": "none",
            "layer_1/activation": "tanh",
            "layer_1/dropout": 0.0,
            "layer_2/units": 32,
            "layer_2/normalization": "layer",
            "layer_2/activation": "gelu",
            "layer_2/dropout": 0.5,
        }
    )
    names = [layer.name for layer in model.layers]
    assert [name for name in names if name.startswith("layer_1_")] == [
        "layer_1_tanh_dense",
        "layer_1_tanh_act",
    ]
    assert model.get_layer("layer_1_tanh_dense").units == 64
    assert model.get_layer("layer_1_tanh_dense").use_bias is True
    assert model.get_layer("layer_2_gelu_ln_dense").use_bias is False
    assert "layer_2_gelu_ln_ln" in names
    assert model.get_layer("layer_2_gelu_ln_dropout").rate == 0.5
    assert model.get_layer("layer_2_gelu_ln_act").get_config()["activation"] == "gelu"


def test_activation_and_normalization_have_distinct_layer_keys():
    variants = [
        {"layer_1/normalization": normalization, "layer_1/activation": activation}
        for normalization, activation in [
            ("batch", "relu"),
            ("batch", "gelu"),
            ("layer", "relu"),
            ("none", "relu"),
            ("none", "tanh"),
        ]
    ]
    assert_operations_do_not_collide(
        MLPSpace(input_shape=(12,), num_classes=3), variants, "layer_1_"
    )


def test_layer_names_are_stable():
    assert_names_are_stable(MLPSpace(input_shape=(12,), num_classes=3), {"num_layers": 3})


def test_depth_controls_active_blocks():
    space = MLPSpace(input_shape=(12,), num_classes=3, max_layers=4)
    values = space.complete_values({"num_layers": 3})
    assert sorted({name.split("/")[0] for name in values if "/" in name}) == [
        "layer_1",
        "layer_2",
        "layer_3",
    ]


def test_summary():
    space = MLPSpace(input_shape=(12,), num_classes=3)
    summary = space.describe(
        {"num_layers": 2, "layer_2/normalization": "none", "layer_2/dropout": 0.0}
    )["summary"]
    assert summary == "dense256-batch-relu-drop0.1 | dense128-relu"


def test_config_round_trip():
    space = MLPSpace(
        input_shape=(12,),
        num_classes=None,
        max_layers=2,
        units=(8, 16),
        activations=("relu",),
        dropouts=(0.0, 0.3),
        normalizations=("none",),
    )
    config = space.get_config()
    assert MLPSpace.from_config(config).get_config() == config


def test_dropout_option_out_of_range():
    with pytest.raises(ValueError, match=r"Every option of `dropouts` must be in \[0, 1\)"):
        MLPSpace(input_shape=(12,), num_classes=3, dropouts=(0.0, 1.5))


def test_unknown_activation():
    with pytest.raises(ValueError, match="Unknown activation 'rellu' in `activations`"):
        MLPSpace(input_shape=(12,), num_classes=3, activations=("relu", "rellu"))


def test_unknown_normalization():
    with pytest.raises(ValueError, match="Unknown option 'group' in `normalizations`"):
        MLPSpace(input_shape=(12,), num_classes=3, normalizations=("group",))


def test_non_positive_max_layers():
    with pytest.raises(ValueError, match="`max_layers` must be a positive integer"):
        MLPSpace(input_shape=(12,), num_classes=3, max_layers=0)
