"""Tests of `MacroSpace` on images and sequences."""

import numpy as np
import pytest

from keras_nas.search_spaces import MacroSpace
from tests.search_spaces.weight_keys import (
    assert_names_are_stable,
    assert_operations_do_not_collide,
)

EVERY_BLOCK = {
    "stage_1/block": "conv",
    "stage_2/block": "separable",
    "stage_3/block": "mbconv",
    "stage_3/squeeze_excite": True,
    "stage_4/block": "resnet",
}


@pytest.mark.parametrize("input_shape", [(8, 8, 1), (32, 32, 3), (40, 2)])
def test_every_block_type_trains_one_batch(input_shape):
    space = MacroSpace(
        input_shape=input_shape, num_classes=10, num_stages=4, widths=(8, 16), depths=(1, 2)
    )
    model = space.build_model(EVERY_BLOCK)
    x = np.random.default_rng(0).random((4, *input_shape), dtype="float32")
    loss, accuracy = model.train_on_batch(x, np.arange(4))
    assert model.output_shape == (None, 10)
    assert np.isfinite(loss) and 0 <= accuracy <= 1


def test_sequences_use_one_dimensional_layers():
    model = MacroSpace(input_shape=(40, 2), num_classes=3, num_stages=4).build_model(EVERY_BLOCK)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"Conv1D", "DepthwiseConv1D", "GlobalAveragePooling1D"} <= kinds
    assert not any(kind.endswith("2D") for kind in kinds)


def test_images_use_two_dimensional_layers():
    model = MacroSpace(input_shape=(8, 8, 1), num_classes=3, num_stages=4).build_model(EVERY_BLOCK)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"Conv2D", "DepthwiseConv2D", "GlobalAveragePooling2D"} <= kinds


def test_downsampling_never_shrinks_an_8x8_input_below_1x1():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=3, num_stages=6, widths=(8,))
    model = space.build_model()
    last_block_of_each_stage = [
        model.get_layer(f"stage_{s}_block_1_conv_k3_act") for s in range(1, 7)
    ]
    sizes = [layer.output.shape[1] for layer in last_block_of_each_stage]
    assert sizes == [8, 8, 8, 4, 2, 1]
    assert space.describe()["summary"].count("/2") == 3


def test_default_architecture_is_three_conv_stages_of_doubling_width():
    space = MacroSpace(input_shape=(32, 32, 3), num_classes=10)
    assert space.describe()["summary"] == "stem32 | conv3-32 | conv3-64 /2 | conv3-128 /2"
    model = space.build_model()
    assert model.get_layer("stage_3_block_1_conv_k3_act").output.shape[1:] == (8, 8, 128)
    assert model.get_layer("head_dropout").rate == pytest.approx(0.2)


def test_depth_repeats_blocks_and_only_the_first_block_strides():
    model = MacroSpace(input_shape=(16, 16, 1), num_classes=3).build_model(
        {"stage_2/depth": 3, "stage_2/block": "resnet"}
    )
    names = [layer.name for layer in model.layers]
    assert "stage_2_block_3_resnet_k3_out" in names
    assert "stage_2_block_4_resnet_k3_out" not in names
    assert model.get_layer("stage_2_block_1_resnet_k3_1_conv").strides == (2, 2)
    assert model.get_layer("stage_2_block_2_resnet_k3_1_conv").strides == (1, 1)


def test_mbconv_choices_exist_only_for_mbconv_blocks():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=3)
    assert "stage_1/expansion" not in space.complete_values({"stage_1/block": "conv"})
    values = space.complete_values({"stage_1/block": "mbconv"})
    assert values["stage_1/expansion"] == 6 and values["stage_1/squeeze_excite"] is False
    no_mbconv = MacroSpace(input_shape=(8, 8, 1), num_classes=3, block_types=["conv"])
    assert "stage_1/expansion" not in no_mbconv.complete_values()


def test_squeeze_excite_and_expansion_change_the_model():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=3)
    plain = space.build_model({"stage_1/block": "mbconv", "stage_1/expansion": 3})
    wider = space.build_model({"stage_1/block": "mbconv", "stage_1/expansion": 6})
    with_se = space.build_model(
        {"stage_1/block": "mbconv", "stage_1/expansion": 3, "stage_1/squeeze_excite": True}
    )
    assert plain.get_layer("stage_1_block_1_mbconv_k3_e3_expand_conv").filters == 96
    assert wider.get_layer("stage_1_block_1_mbconv_k3_e6_expand_conv").filters == 192
    assert "stage_1_block_1_mbconv_k3_e3_se_se_excite" in [layer.name for layer in with_se.layers]
    assert with_se.count_params() > plain.count_params()


def test_block_choices_have_distinct_layer_keys():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=3, widths=(16,))
    mbconv = {"stage_2/block": "mbconv", "stage_2/expansion": 3}
    variants = [
        {"stage_2/block": "conv"},
        {"stage_2/block": "conv", "stage_2/kernel": 5},
        {"stage_2/block": "separable"},
        {"stage_2/block": "resnet"},
        mbconv,
        {**mbconv, "stage_2/expansion": 6},
        {**mbconv, "stage_2/squeeze_excite": True},
        {**mbconv, "stage_2/kernel": 5},
    ]
    variants = [{**values, "stage_2/depth": 2} for values in variants]
    assert_operations_do_not_collide(space, variants, "stage_2_block_")


def test_layer_names_are_stable():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=3, num_stages=4, widths=(8,))
    assert_names_are_stable(space, EVERY_BLOCK)


def test_restricted_choices_give_a_valid_default():
    space = MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=3,
        widths=(24, 48),
        kernels=(7,),
        depths=(2, 4),
        block_types=("separable",),
    )
    values = space.complete_values()
    assert values["stage_1/width"] == 24 and values["stage_3/width"] == 48
    assert values["stage_1/kernel"] == 7 and values["stage_1/depth"] == 2
    assert values["stage_1/block"] == "separable"


def test_config_round_trip():
    space = MacroSpace(
        input_shape=(40, 2),
        num_classes=None,
        output_units=2,
        num_stages=2,
        widths=(8, 16),
        stem_width=8,
        learning_rate=0.01,
    )
    config = space.get_config()
    restored = MacroSpace.from_config(config)
    assert restored.get_config() == config
    assert restored.input_shape == (40, 2)
    assert restored.build_model().count_params() == space.build_model().count_params()


def test_summary_names_every_stage():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=10)
    summary = space.describe(
        {
            "stage_2/block": "mbconv",
            "stage_2/kernel": 5,
            "stage_2/squeeze_excite": True,
            "stage_3/depth": 3,
        }
    )["summary"]
    assert summary == "stem32 | conv3-32 | mbconv5-64-e6-se /2 | conv3-128 x3 /2"
