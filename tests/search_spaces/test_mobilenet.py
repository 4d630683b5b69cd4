"""Tests of `MobileNetSpace`."""

import re

import numpy as np
import pytest

from keras_nas.search_spaces import MobileNetSpace
from tests.search_spaces.weight_keys import (
    assert_names_are_stable,
    assert_operations_do_not_collide,
)

SMALL = {"depths": (1, 2), "expansions": (3,), "kernels": (3, 5), "width_multipliers": (0.5,)}


def block_layer(model, block, part):
    """The layer `part` (e.g. `"project_conv"`) of `block` (`"stage_1_block_1"`), whatever the
    block's kernel, expansion and squeeze-excite."""
    pattern = re.compile(rf"{block}_mbconv_k\d+_e\d+(_se)?_{part}")
    [layer] = [layer for layer in model.layers if pattern.fullmatch(layer.name)]
    return layer


@pytest.mark.parametrize("input_shape", [(8, 8, 1), (32, 32, 3)])
def test_trains_one_batch(input_shape):
    space = MobileNetSpace(input_shape=input_shape, num_classes=10, **SMALL)
    model = space.build_model({"stage_2/squeeze_excite": True, "stage_5/block_2/kernel": 5})
    x = np.random.default_rng(0).random((4, *input_shape), dtype="float32")
    model.run_eagerly = True  # One step: tracing the graph would take 8 times as long.
    loss, _ = model.train_on_batch(x, np.arange(4))
    assert np.isfinite(loss)
    assert model.output_shape == (None, 10)


def test_default_architecture_builds_like_mobilenet_v3():
    space = MobileNetSpace(input_shape=(32, 32, 3), num_classes=10)
    model = space.build_model()
    widths = [block_layer(model, f"stage_{s}_block_1", "project_conv").filters for s in range(1, 6)]
    assert widths == [24, 40, 80, 112, 160]
    assert model.get_layer("head_conv").filters == 960
    names = [layer.name for layer in model.layers]
    assert "stage_2_block_1_mbconv_k5_e4_se_se_excite" in names
    assert not any(name.startswith("stage_1_") and name.endswith("_se_excite") for name in names)
    assert "stage_5_block_3_mbconv_k5_e4_se_add" in names
    assert not any(name.startswith("stage_5_block_4_") for name in names)


def test_small_input_keeps_the_latest_reductions():
    model = MobileNetSpace(input_shape=(8, 8, 1), num_classes=10, **SMALL).build_model()
    sizes = [
        block_layer(model, f"stage_{s}_block_1", "project_conv").output.shape[1]
        for s in range(1, 6)
    ]
    assert model.get_layer("stem_conv").strides == (1, 1)
    assert sizes == [8, 4, 2, 2, 1]


def test_blocks_beyond_the_depth_are_inactive():
    space = MobileNetSpace(input_shape=(32, 32, 3), num_classes=10)
    values = space.complete_values({"stage_1/depth": 2})
    assert "stage_1/block_2/kernel" in values and "stage_1/block_3/kernel" not in values
    assert "stage_2/block_3/kernel" in values


def test_width_multiplier_scales_every_stage():
    space = MobileNetSpace(
        input_shape=(32, 32, 3), num_classes=10, **{**SMALL, "width_multipliers": (0.5, 1.0)}
    )
    model = space.build_model({"width_multiplier": 0.5})
    assert block_layer(model, "stage_1_block_1", "project_conv").filters == 16
    assert block_layer(model, "stage_5_block_1", "project_conv").filters == 80


def test_per_block_kernel_and_expansion():
    space = MobileNetSpace(input_shape=(32, 32, 3), num_classes=10)
    model = space.build_model({"stage_3/block_2/kernel": 7, "stage_3/block_2/expansion": 6})
    assert model.get_layer("stage_3_block_2_mbconv_k7_e6_depthwise").kernel_size == (7, 7)
    assert model.get_layer("stage_3_block_2_mbconv_k7_e6_expand_conv").filters == 80 * 6


def test_block_choices_have_distinct_layer_keys():
    space = MobileNetSpace(input_shape=(8, 8, 1), num_classes=10, **{**SMALL, "expansions": (3, 6)})
    variants = [
        {"stage_3/block_2/kernel": kernel, "stage_3/block_2/expansion": expansion}
        for kernel, expansion in ((3, 3), (5, 3), (3, 6))
    ]
    assert_operations_do_not_collide(space, variants, "stage_3_block_2_")
    squeeze_excite = [{"stage_3/squeeze_excite": flag} for flag in (False, True)]
    assert_operations_do_not_collide(space, squeeze_excite, "stage_3_block_")


def test_layer_names_are_stable():
    space = MobileNetSpace(input_shape=(8, 8, 1), num_classes=10, **SMALL)
    assert_names_are_stable(space, {"stage_2/block_2/kernel": 3})


def test_summary_lists_each_block():
    space = MobileNetSpace(input_shape=(32, 32, 3), num_classes=10, **SMALL)
    summary = space.describe({"stage_1/block_2/kernel": 5})["summary"]
    assert summary == "w0.5 | k3e3 k5e3 | k5e3 k5e3 se | k3e3 k3e3 | k5e3 k5e3 se | k5e3 k5e3 se"


def test_config_round_trip():
    space = MobileNetSpace(input_shape=(16, 16, 3), num_classes=5, **SMALL)
    config = space.get_config()
    assert MobileNetSpace.from_config(config).get_config() == config


def test_rejects_sequences():
    with pytest.raises(ValueError, match=r"`input_shape` of MobileNetSpace must be \(height"):
        MobileNetSpace(input_shape=(32, 3), num_classes=10)


def test_non_positive_width_multiplier():
    with pytest.raises(ValueError, match="Every option of `width_multipliers` must be positive"):
        MobileNetSpace(input_shape=(32, 32, 3), num_classes=10, width_multipliers=(0.0, 1.0))
