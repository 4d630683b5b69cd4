"""Tests of what every search space shares: argument checks, values, describe, config."""

import json

import keras
import keras_tuner
import numpy as np
import pytest

from keras_nas.search_spaces import (
    MacroSpace,
    MLPSpace,
    MobileNetSpace,
    NASBench201Space,
    NASNetCellSpace,
    base,
    genotype,
)


def test_classification_head_and_default_loss():
    model = MLPSpace(input_shape=(5,), num_classes=4).build_model()
    assert model.output_shape == (None, 4)
    assert model.layers[-1].get_config()["activation"] == "softmax"
    assert model.loss == "sparse_categorical_crossentropy"
    np.testing.assert_allclose(
        model.predict(np.zeros((2, 5)), verbose=0).sum(axis=1), [1, 1], rtol=1e-5
    )


def test_regression_head_trains_with_mse():
    space = MLPSpace(input_shape=(5,), num_classes=None, output_units=3)
    model = space.build_model()
    assert model.output_shape == (None, 3)
    assert model.loss == "mse"
    logs = model.train_on_batch(np.ones((4, 5)), np.ones((4, 3)), return_dict=True)
    assert set(logs) == {"loss", "mae"}


def test_user_overrides_of_optimizer_loss_and_metrics():
    space = MLPSpace(
        input_shape=(5,),
        num_classes=3,
        optimizer="sgd",
        learning_rate=0.5,
        loss="categorical_crossentropy",
        metrics=["categorical_accuracy"],
    )
    model = space.build_model()
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.5)
    logs = model.train_on_batch(np.ones((2, 5)), np.eye(3)[[0, 1]], return_dict=True)
    assert set(logs) == {"loss", "categorical_accuracy"}


def test_build_uses_hyperparameter_values_and_registers_the_space():
    space = MLPSpace(input_shape=(5,), num_classes=3)
    hp = keras_tuner.HyperParameters()
    hp.values["num_layers"] = 1
    hp.values["layer_1/units"] = 32
    model = space.build(hp)
    assert model.get_layer("layer_1_relu_bn_dense").units == 32
    assert not any(layer.name.startswith("layer_2_") for layer in model.layers)
    assert [h.name for h in hp.space][:2] == ["num_layers", "layer_1/units"]


def test_complete_values_fills_defaults_and_drops_inactive_choices():
    space = MLPSpace(input_shape=(5,), num_classes=3, max_layers=2)
    values = space.complete_values({"num_layers": 1, "layer_2/units": 64})
    assert values == {
        "num_layers": 1,
        "layer_1/units": 256,
        "layer_1/normalization": "batch",
        "layer_1/activation": "relu",
        "layer_1/dropout": 0.1,
    }


def test_describe_is_json_and_round_trips_through_build_model():
    space = MacroSpace(input_shape=(8, 8, 1), num_classes=10)
    values = {"stage_1/block": "mbconv", "stage_1/squeeze_excite": True, "stage_3/depth": 2}
    description = json.loads(json.dumps(space.describe(values)))
    assert description["space"] == "MacroSpace"
    assert description["genotype"]["stage_1"] == {
        "block": "mbconv",
        "kernel": 3,
        "width": 32,
        "depth": 1,
        "expansion": 6,
        "squeeze_excite": True,
    }
    assert genotype.flatten(description["genotype"]) == space.complete_values(values)
    from_description = space.build_model(description)
    from_values = space.build_model(values)
    assert [layer.name for layer in from_description.layers] == [
        layer.name for layer in from_values.layers
    ]
    assert from_description.count_params() == from_values.count_params()


def test_nest_and_flatten_are_inverse():
    values = {"a/b/c": 1, "a/b/d": "x", "a/e": True, "f": 0.5}
    assert genotype.nest(values) == {"a": {"b": {"c": 1, "d": "x"}, "e": True}, "f": 0.5}
    assert genotype.flatten(genotype.nest(values)) == values


def test_snake_case():
    assert genotype.snake_case("NASBench201Space") == "nas_bench201_space"
    assert genotype.snake_case("MLPSpace") == "mlp_space"
    assert genotype.snake_case("MacroSpace") == "macro_space"


@pytest.mark.parametrize(
    "input_shape, requested, expected",
    [
        ((8, 8, 1), (1, 2, 2), (1, 2, 2)),
        ((8, 8, 1), (1, 2, 2, 2, 2), (1, 1, 2, 2, 2)),
        ((8, 8, 1), (2, 2, 2, 1, 2, 2), (1, 1, 2, 1, 2, 2)),
        ((1, 1, 3), (1, 2), (1, 1)),
        ((7, 9, 3), (2, 2, 2, 2), (1, 2, 2, 2)),
        ((32, 3), (1, 2, 2), (1, 2, 2)),
    ],
)
def test_plan_strides_keeps_the_latest_reductions_that_fit(input_shape, requested, expected):
    assert base.plan_strides(input_shape, requested) == expected


def test_default_choice_prefers_the_requested_or_closest_option():
    assert base.default_choice((16, 32, 64), 32) == 32
    assert base.default_choice((16, 48), 32) == 16
    assert base.default_choice(("a", "b"), "c") == "a"


def test_config_round_trip_keeps_loss_objects():
    space = MLPSpace(
        input_shape=(3,),
        num_classes=2,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
        metrics=["accuracy"],
    )
    config = space.get_config()
    json.dumps(config)
    restored = MLPSpace.from_config(config)
    assert isinstance(restored.loss, keras.losses.SparseCategoricalCrossentropy)
    assert restored.get_config() == config


# ------------------------------------------------------------------------------ error branches
@pytest.mark.parametrize("input_shape", [(8, 8), (0,), "5", (5.0,), (True,)])
def test_invalid_input_shape(input_shape):
    with pytest.raises(ValueError, match=r"`input_shape` of MLPSpace must be \(features,\)"):
        MLPSpace(input_shape=input_shape, num_classes=3)


def test_input_shape_message_lists_every_supported_layout():
    with pytest.raises(ValueError, match=r"\(steps, channels\) or \(height, width, channels\)"):
        MacroSpace(input_shape=(8, 8, 8, 1), num_classes=3)


@pytest.mark.parametrize("num_classes", [1, 0, 2.5, True])
def test_num_classes_below_two(num_classes):
    with pytest.raises(ValueError, match="`num_classes` must be an integer of at least 2"):
        MLPSpace(input_shape=(3,), num_classes=num_classes)


def test_output_units_with_classification():
    with pytest.raises(ValueError, match="`output_units` is for regression"):
        MLPSpace(input_shape=(3,), num_classes=3, output_units=2)


def test_non_positive_output_units():
    with pytest.raises(ValueError, match="`output_units` must be a positive integer"):
        MLPSpace(input_shape=(3,), output_units=0)


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="`optimizer` must be the name of a Keras optimizer"):
        MLPSpace(input_shape=(3,), num_classes=3, optimizer="adamm")


@pytest.mark.parametrize("learning_rate", [0, -1e-3, "0.1"])
def test_invalid_learning_rate(learning_rate):
    with pytest.raises(ValueError, match="`learning_rate` must be a finite number above 0"):
        MLPSpace(input_shape=(3,), num_classes=3, learning_rate=learning_rate)


@pytest.mark.parametrize("dropout", [1.0, -0.1, "0.2"])
def test_invalid_dropout(dropout):
    with pytest.raises(ValueError, match="`dropout`.*at least 0 and below 1"):
        MLPSpace(input_shape=(3,), num_classes=3, dropout=dropout)


def test_empty_choice_list():
    with pytest.raises(ValueError, match="`widths` must hold at least one option"):
        MacroSpace(input_shape=(8, 8, 1), num_classes=3, widths=[])


def test_choice_list_that_is_not_a_list():
    with pytest.raises(ValueError, match="`kernels` must be a list of options"):
        MacroSpace(input_shape=(8, 8, 1), num_classes=3, kernels=3)


def test_repeated_choice():
    with pytest.raises(ValueError, match="`kernels` must not repeat an option"):
        MacroSpace(input_shape=(8, 8, 1), num_classes=3, kernels=[3, 3])


def test_choice_of_the_wrong_type():
    with pytest.raises(ValueError, match="Every option of `widths` must be of type int"):
        MacroSpace(input_shape=(8, 8, 1), num_classes=3, widths=[16, "32"])


def test_non_positive_depth():
    with pytest.raises(ValueError, match="Every option of `depths` must be positive"):
        MacroSpace(input_shape=(8, 8, 1), num_classes=3, depths=[0, 1])


def test_unknown_option():
    with pytest.raises(ValueError, match="Unknown option 'dense' in `block_types`"):
        MacroSpace(input_shape=(8, 8, 1), num_classes=3, block_types=["conv", "dense"])


def test_non_positive_integer_argument():
    with pytest.raises(ValueError, match="`num_stages` must be a positive integer"):
        MacroSpace(input_shape=(8, 8, 1), num_classes=3, num_stages=0)


def test_values_that_are_not_a_dict():
    with pytest.raises(ValueError, match="`values` must be a dict"):
        MLPSpace(input_shape=(3,), num_classes=3).build_model([("num_layers", 1)])


def test_description_of_another_space():
    description = MLPSpace(input_shape=(64,), num_classes=3).describe()
    with pytest.raises(ValueError, match="This description is of a MLPSpace, not of a MacroSpace"):
        MacroSpace(input_shape=(8, 8, 1), num_classes=3).build_model(description)


def test_unknown_choice_name():
    with pytest.raises(ValueError, match=r"MLPSpace has no choice named \['num_layerz'\]"):
        MLPSpace(input_shape=(3,), num_classes=3).build_model({"num_layerz": 1})


def test_value_that_is_not_an_option():
    with pytest.raises(ValueError, match="7 is not an option of `num_layers` in MLPSpace"):
        MLPSpace(input_shape=(3,), num_classes=3).describe({"num_layers": 7})


def test_boolean_is_not_an_integer_option():
    with pytest.raises(ValueError, match="True is not an option of `num_layers`"):
        MLPSpace(input_shape=(3,), num_classes=3).describe({"num_layers": True})


SMALL_SPACES = [
    lambda: MacroSpace(input_shape=(8, 8, 1), num_classes=10, widths=(8, 16)),
    lambda: MobileNetSpace(
        input_shape=(8, 8, 1), num_classes=10, depths=(1, 2), width_multipliers=(0.5,)
    ),
    lambda: NASNetCellSpace(
        input_shape=(8, 8, 1), num_classes=10, num_blocks=2, cells_per_stage=1, channels=8
    ),
    lambda: NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1, channels=8),
    lambda: MLPSpace(input_shape=(64,), num_classes=10),
]

SPACE_IDS = ["macro", "mobilenet", "nasnet", "nasbench201", "mlp"]


@pytest.mark.parametrize("make_space", SMALL_SPACES, ids=SPACE_IDS)
def test_every_space_round_trips_random_architectures_through_describe(make_space):
    space = make_space()
    declared = keras_tuner.HyperParameters()
    space.declare_hyperparameters(declared)
    rng = np.random.default_rng(0)
    for _ in range(2):
        values = {
            h.name: h.values[rng.integers(len(h.values))]
            if hasattr(h, "values")
            else bool(rng.integers(2))
            for h in declared.space
        }
        description = json.loads(json.dumps(space.describe(values)))
        assert space.complete_values(description) == space.complete_values(values)
        from_values = space.build_model(values)
        from_description = space.build_model(description)
        assert from_description.count_params() == from_values.count_params()
        assert [layer.name for layer in from_description.layers] == [
            layer.name for layer in from_values.layers
        ]
        keras.backend.clear_session()


@pytest.mark.parametrize("make_space", SMALL_SPACES, ids=SPACE_IDS)
def test_every_space_config_round_trips_through_json(make_space):
    space = make_space()
    config = json.loads(json.dumps(space.get_config()))
    restored = type(space).from_config(config)
    assert restored.get_config() == space.get_config()
    assert restored.describe() == space.describe()


def test_canonical_key_ignores_inactive_choices_and_keeps_values_of_other_tuners():
    space = MLPSpace(input_shape=(4,), num_classes=3)
    one_layer = {"num_layers": 1, "layer_1/units": 32}
    assert space.canonical_key(one_layer) == space.canonical_key({**one_layer, "layer_2/units": 64})
    assert space.canonical_key(one_layer) != space.canonical_key({"num_layers": 2})
    with_rate = space.canonical_key({**one_layer, "learning_rate": 0.01})
    assert with_rate.endswith('{"learning_rate": 0.01}')
    assert with_rate != space.canonical_key({**one_layer, "learning_rate": 0.1})


def test_numpy_integers_are_accepted_as_plain_ints():
    import json

    import numpy as np

    from keras_nas.search_spaces import MLPSpace

    labels = np.array([0, 9, 3])
    space = MLPSpace(
        input_shape=(np.int64(64),), num_classes=labels.max() + 1, max_layers=np.int32(2)
    )
    config = space.get_config()
    assert (config["num_classes"], config["input_shape"], config["max_layers"]) == (10, [64], 2)
    assert type(config["num_classes"]) is int
    assert json.loads(json.dumps(config))["num_classes"] == 10


def test_a_relaxed_choice_must_offer_the_same_values_in_every_layer():
    class Swapped(NASBench201Space):
        """Builds its second cell with the operations in the other order."""

        def build_relaxed_features(self, inputs, choice):
            first = NASBench201Space.build_relaxed_features(self, inputs, choice)
            self.operations = self.operations[::-1]
            return NASBench201Space.build_relaxed_features(self, first, choice)

    space = Swapped(
        input_shape=(4, 4, 1),
        num_classes=3,
        cells_per_stage=1,
        channels=2,
        operations=("skip_connect", "nor_conv_1x1"),
    )
    with pytest.raises(ValueError, match="same values in the same order") as error:
        space.build_relaxed_supernet()
    assert "['skip_connect', 'nor_conv_1x1'] first, ['nor_conv_1x1', 'skip_connect']" in str(
        error.value
    )
