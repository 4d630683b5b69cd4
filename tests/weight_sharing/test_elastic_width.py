"""Elastic width (`ChannelMask`, sliced restore), the single-path optimizer and the MacroSpace
supernet."""

import itertools

import keras
import numpy as np
import pytest

from keras_nas import OneShotSearch
from keras_nas.datasets import load_digits
from keras_nas.layers.elastic_kernel import is_elastic_kernel
from keras_nas.layers.path_choice import (
    ChannelMask,
    PathChoice,
    path_choices,
    set_path,
)
from keras_nas.search_spaces import MacroSpace
from keras_nas.weight_sharing import SharedLayerRegistry
from keras_nas.weight_sharing.registry import leaf_layers


def test_channel_mask_keeps_the_first_channels_of_the_active_width():
    mask = ChannelMask(("a", "b"), {(1, 2): 2, (1, 3): 3, (2, 2): 0})
    x = np.arange(1, 5, dtype="float32").reshape(1, 4)
    assert mask(x).numpy().tolist() == [[1.0, 2.0, 3.0, 0.0]]  # Starts at the widest.
    mask.set_from({"a": 1, "b": 2})
    assert mask(x).numpy().tolist() == [[1.0, 2.0, 0.0, 0.0]]
    mask.set_from({"a": 2})  # A name absent: inactive, the width stays.
    assert mask(x).numpy().tolist() == [[1.0, 2.0, 0.0, 0.0]]
    mask.set_from({"a": 2, "b": 2})
    assert mask(x).numpy().tolist() == [[0.0, 0.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match="not known for \\(3, 3\\); its keys are"):
        mask.set_value((3, 3))


def test_channel_mask_pads_or_cuts_to_its_channels():
    x = np.ones((2, 3, 3), "float32")
    padded = ChannelMask("w", {3: 3}, channels=5)
    assert padded(x).shape == (2, 3, 5)
    assert padded(x).numpy()[0, 0].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    cut = ChannelMask("w", {2: 2}, channels=2)
    assert cut(x).shape == (2, 3, 2)
    assert cut.compute_output_shape((None, 3, 3)) == (None, 3, 2)


def _dense_model(units: int):
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(units, name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="out")(hidden))


def test_a_sliced_restore_takes_the_leading_slice_of_a_larger_layer():
    wide, narrow = _dense_model(6), _dense_model(4)
    registry = SharedLayerRegistry()
    registry.store(wide)
    assert registry.restore(narrow) == []  # Exact shapes only, by default.
    assert registry.restore(narrow, sliced=True) == registry.keys_of(narrow)
    hidden_kernel = wide.get_layer("hidden").kernel.numpy()
    np.testing.assert_array_equal(narrow.get_layer("hidden").kernel, hidden_kernel[:, :4])
    np.testing.assert_array_equal(
        narrow.get_layer("out").kernel, wide.get_layer("out").kernel.numpy()[:4]
    )
    wider = _dense_model(8)
    assert registry.restore(wider, sliced=True) == []  # Never from a smaller layer.


def test_layers_with_only_integer_variables_are_not_shared():
    inputs = keras.Input((3,))
    mask = ChannelMask("w", {3: 3}, name="mask")
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(mask(inputs)))
    assert SharedLayerRegistry().keys_of(model) == ["out:Dense:3x2,2"]


def _macro(rank: int = 2, **kwargs):
    input_shape = (8, 8, 1) if rank == 2 else (16, 2)
    options = dict(num_stages=2, widths=(4, 8), depths=(1, 2), expansions=(2, 3), stem_width=8)
    return MacroSpace(input_shape=input_shape, num_classes=3, dropout=0.0, **{**options, **kwargs})


def _randomized_supernet(space, seed: int = 0):
    """The supernet with random weights and BatchNorm statistics (not all ones)."""
    supernet = space.build_supernet()
    rng = np.random.default_rng(seed)
    for layer in leaf_layers(supernet):
        for weight in layer.weights:
            if "float" in weight.dtype:
                weight.assign(rng.uniform(0.5, 1.5, size=weight.shape) * rng.choice([-1, 1]))
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, size=layer.moving_variance.shape))
    return supernet


# Every block type, with and without a width change and a residual, at both depths.
MACRO_ARCHITECTURES = [
    {"stage_1/block": "resnet", "stage_1/width": 8, "stage_1/depth": 2},  # Identity shortcut.
    {"stage_1/block": "resnet", "stage_1/width": 4, "stage_2/block": "resnet"},  # Projections.
    {"stage_1/block": "mbconv", "stage_1/width": 8, "stage_1/squeeze_excite": True},
    {"stage_1/block": "mbconv", "stage_1/width": 4, "stage_1/expansion": 3, "stage_1/depth": 2},
    {"stage_1/block": "separable", "stage_1/width": 4, "stage_2/block": "mbconv"},
    {"stage_1/kernel": 5, "stage_2/width": 4, "stage_2/depth": 2, "stage_2/block": "separable"},
    {"stage_2/block": "mbconv", "stage_2/width": 8, "stage_2/squeeze_excite": True},
    # Smaller kernels and expansions: the centre and leading channels of the largest.
    {"stage_1/block": "mbconv", "stage_1/kernel": 3, "stage_1/expansion": 2, "stage_2/kernel": 5},
    {"stage_1/block": "resnet", "stage_1/kernel": 5, "stage_2/block": "conv", "stage_2/kernel": 3},
    {"stage_2/block": "mbconv", "stage_2/kernel": 3, "stage_2/expansion": 2, "stage_2/depth": 2},
    {"stage_2/block": "mbconv", "stage_2/squeeze_excite": True, "stage_2/expansion": 2},
]


@pytest.mark.parametrize("rank", [2, 1])
def test_a_macro_sub_network_computes_what_its_supernet_path_computes(rank):
    space = _macro(rank)
    supernet = _randomized_supernet(space)
    registry = SharedLayerRegistry()
    x = np.random.default_rng(1).normal(size=(4, *space.input_shape)).astype("float32")
    for architecture in MACRO_ARCHITECTURES:
        registry.store(supernet)  # Training-mode calls move the BatchNorm statistics.
        values = space.complete_values(architecture)
        set_path(supernet, values)
        sub_network = space.build_model(values)
        restored = registry.restore(sub_network, sliced=True, source_name=space.supernet_layer_name)
        assert restored == registry.keys_of(sub_network)
        for training in (False, True):
            np.testing.assert_allclose(
                sub_network(x, training=training),
                supernet(x, training=training),
                rtol=1e-4,
                atol=1e-5,
                err_msg=f"{space.summarize(values)}, training={training}",
            )


def test_the_macro_supernet_pads_and_cuts_between_widths_that_differ_from_the_stem():
    space = _macro(widths=(2, 4), stem_width=4)  # The widest block is as wide as the stem.
    supernet = _randomized_supernet(space, seed=3)
    registry = SharedLayerRegistry()
    registry.store(supernet)
    x = np.random.default_rng(2).normal(size=(2, 8, 8, 1)).astype("float32")
    for width in (2, 4):
        values = space.complete_values({"stage_1/block": "mbconv", "stage_1/width": width})
        set_path(supernet, values)
        sub_network = space.build_model(values)
        registry.restore(sub_network, sliced=True, source_name=space.supernet_layer_name)
        np.testing.assert_allclose(sub_network(x), supernet(x), rtol=1e-4, atol=1e-5)


def test_the_macro_supernet_holds_one_operation_per_block_type_at_the_largest_options():
    space = _macro()
    supernet = space.build_supernet()
    assert space.supports_one_shot()
    choices = [c for c in path_choices(supernet) if isinstance(c, PathChoice)]
    hp_names = sorted(choice.hp_names for choice in choices)
    # 2 stages x 2 block positions: a block-type choice and a squeeze-excite gate; 2 depth
    # gates. Kernels and expansions are elastic, not choices.
    assert hp_names == sorted(
        [(f"stage_{s}/block",) for s in (1, 2)] * 2
        + [(f"stage_{s}/squeeze_excite",) for s in (1, 2)] * 2
        + [(f"stage_{s}/depth",) for s in (1, 2)]
    )
    kernels = [c for c in path_choices(supernet) if is_elastic_kernel(c)]
    # conv 1, separable 1, mbconv 1, resnet 2 kernel layers per position.
    assert len(kernels) == 2 * 2 * 5
    assert {c.kernel_size for c in kernels} == {(5, 5)}
    [expand] = [
        layer
        for layer in leaf_layers(supernet)
        if layer.name == "stage_1_block_1_mbconv_k5_e3_expand_conv"
    ]
    assert expand.filters == 8 * 3  # The widest input times the largest expansion.
    assert supernet.get_layer("predictions").kernel.shape == (8, 3)


def test_even_kernels_and_an_expansion_of_one_stay_operations_of_their_own():
    space = _macro(block_types=("mbconv",), kernels=(3, 4, 5), expansions=(1, 2, 3), depths=(1,))
    supernet = space.build_supernet()
    [choice] = [c for c in path_choices(supernet) if c.name == "stage_1_block_1_mbconv_choice"]
    assert choice.hp_names == ("stage_1/kernel", "stage_1/expansion")
    assert len(choice.branches) == 4  # Kernel 3 and 5 or 4, expansion 1 or 2 and 3.
    assert space.supernet_layer_name("stage_1_block_1_mbconv_k3_e2_depthwise") == (
        "stage_1_block_1_mbconv_k5_e3_depthwise"
    )
    assert space.supernet_layer_name("stage_1_block_1_mbconv_k4_e1_se_se_reduce") == (
        "stage_1_block_1_mbconv_k4_e1_se_reduce"
    )
    supernet = _randomized_supernet(space)
    registry = SharedLayerRegistry()
    registry.store(supernet)
    x = np.random.default_rng(4).normal(size=(2, 8, 8, 1)).astype("float32")
    for kernel, expansion in itertools.product((3, 4, 5), (1, 2, 3)):
        values = space.complete_values(
            {"stage_1/kernel": kernel, "stage_1/expansion": expansion, "stage_1/width": 4}
        )
        set_path(supernet, values)
        sub_network = space.build_model(values)
        restored = registry.restore(sub_network, sliced=True, source_name=space.supernet_layer_name)
        assert restored == registry.keys_of(sub_network)
        np.testing.assert_allclose(sub_network(x), supernet(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("path_sampling", ["sandwich", "fair"])
def test_a_macro_one_shot_search_exports_a_plain_model(tmp_path, path_sampling):
    (x, y), validation = load_digits()
    space = MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=10,
        num_stages=2,
        widths=(4, 8),
        depths=(1,),
        block_types=("conv", "mbconv"),
        kernels=(3,),
        expansions=(2,),
    )
    tuner = OneShotSearch(
        space,
        max_trials=3,
        supernet_epochs=1,
        path_sampling=path_sampling,
        seed=0,
        directory=str(tmp_path),
    )
    tuner.search(x, y, validation_data=validation, batch_size=64, verbose=0)
    assert tuner.supernet_epochs_trained() == 1
    trial = tuner.oracle.get_best_trials(1)[0]
    model = tuner.get_best_models(1)[0]
    path = str(tmp_path / "best.keras")
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert loaded.count_params() == space.build_model(trial.hyperparameters.values).count_params()
    accuracy = loaded.evaluate(*validation, verbose=0, return_dict=True)["accuracy"]
    assert accuracy == pytest.approx(trial.score, abs=1e-6)
