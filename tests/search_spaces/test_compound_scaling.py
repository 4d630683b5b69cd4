"""Tests of `CompoundScaling` and EfficientNet's rounding rules."""

import itertools
import json
import os

import keras
import keras_tuner
import pytest

import keras_nas
from keras_nas.datasets import load_digits
from keras_nas.search_spaces import (
    CompoundScaling,
    MobileNetSpace,
    round_filters,
    round_repeats,
    round_resolution,
)
from keras_nas.search_spaces.compound_scaling import decode, product


@keras.saving.register_keras_serializable(package="keras_nas_tests")
def digits_base(depth, width, resolution):
    """Two 3x3 convolutions of 16 channels on the 8x8 digits, resized first."""
    side = round_resolution(8, resolution)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Resizing(side, side, name="resize")(inputs)
    for i in range(round_repeats(2, depth)):
        x = keras.layers.Conv2D(
            round_filters(16, width), 3, padding="same", activation="relu", name=f"conv_{i}"
        )(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _shape(model):
    """Convolutions, channels of the first and input side: what each multiplier scales."""
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    resize = model.get_layer("resize")
    return len(convs), convs[0].filters, (resize.height, resize.width)


def _configs(model):
    """Each layer's configuration but its name (Keras numbers the unnamed ones)."""
    return [
        {key: value for key, value in layer.get_config().items() if key != "name"}
        for layer in model.layers
    ]


def test_every_choice_respects_the_rule_and_every_valid_triple_is_a_choice():
    space = CompoundScaling(digits_base, target=2.0, tolerance=0.1)
    hp = keras_tuner.HyperParameters()
    space.declare_hyperparameters(hp)
    options = hp.space[0].values
    assert [h.name for h in hp.space] == ["coefficients"]
    for option in options:
        assert abs(product(decode(option)) - 2.0) <= 0.1
    grid = itertools.product(space.alphas, space.betas, space.gammas)
    valid = [t for t in grid if abs(t[0] * t[1] ** 2 * t[2] ** 2 - 2.0) <= 0.1]
    assert sorted(decode(option) for option in options) == sorted(valid)
    assert len(options) == 29
    assert hp.get("coefficients") == "1.2,1.1,1.15"  # EfficientNet's, the default


def test_the_default_is_the_product_closest_to_target_without_efficientnet_s_triple():
    space = CompoundScaling(digits_base, alphas=(1.0, 2.0), betas=(1.0,), gammas=(1.0, 1.4))
    assert space.coefficients() == (2.0, 1.0, 1.0)  # 2.0 beats 1.0 * 1.4**2 = 1.96
    assert space.coefficients({"coefficients": "1,1,1.4"}) == (1.0, 1.0, 1.4)


def test_scale_multiplies_depth_width_and_resolution_as_documented():
    space = CompoundScaling(digits_base)
    assert space.coefficients() == (1.2, 1.1, 1.15)
    # phi=0: 2 convs of 16 on 8x8. phi=1: ceil(1.2 * 2) = 3 convs, 16 * 1.1 = 17.6 -> 16,
    # 8 * 1.15 = 9.2 -> 9. phi=2: ceil(1.44 * 2) = 3, 16 * 1.21 = 19.4 -> 24 (16 is more
    # than 10% below), 8 * 1.3225 = 10.6 -> 11.
    shapes = [_shape(model) for model in space.scaled_family(phis=(0, 1, 2))]
    assert shapes == [(2, 16, (8, 8)), (3, 16, (9, 9)), (3, 24, (11, 11))]
    depth, width, resolution = space.multipliers(2)
    assert (depth, width, resolution) == pytest.approx((1.44, 1.21, 1.3225))


def test_scale_zero_is_the_base_and_scale_one_is_the_candidate():
    space = CompoundScaling(digits_base)
    values = {"coefficients": "1.4,1.2,1"}
    base = digits_base(1.0, 1.0, 1.0)
    scaled = space.scale(0, values)
    assert _configs(scaled) == _configs(base)
    assert scaled.count_params() == base.count_params()
    assert (
        _shape(space.build_model(values))
        == _shape(digits_base(1.4, 1.2, 1.0))
        == (
            3,
            24,
            (8, 8),
        )
    )


def test_build_on_a_tuner_s_hyperparameters_builds_the_phi_one_candidate():
    space = CompoundScaling(digits_base)
    hp = keras_tuner.HyperParameters()
    hp.values["coefficients"] = "1.3,1,1.25"
    assert _shape(space.build(hp)) == (3, 16, (10, 10))


def test_describe_is_json_and_builds_back():
    space = CompoundScaling(digits_base)
    record = space.describe({"coefficients": "1.20,1.10,1.15"})
    assert json.loads(json.dumps(record)) == record
    assert record["genotype"] == {"coefficients": "1.2,1.1,1.15"}
    assert record["summary"] == "alpha=1.2 beta=1.1 gamma=1.15 (alpha*beta^2*gamma^2=1.92)"
    assert space.coefficients(record) == (1.2, 1.1, 1.15)
    assert space.canonical_key({"coefficients": "1.20,1.1,1.15"}) == space.canonical_key()


def test_config_round_trip():
    space = CompoundScaling(digits_base, alphas=(1.0, 1.2), tolerance=0.2)
    config = space.get_config()
    assert json.loads(json.dumps(config)) == config
    again = CompoundScaling.from_config(config)
    assert again.get_config() == config
    assert again.base is digits_base


def test_no_valid_triple_lists_the_closest_products():
    with pytest.raises(ValueError, match=r"closest are 1,1,1.1 \(1.210\), 1,1,1 \(1.000\)"):
        CompoundScaling(digits_base, alphas=(1.0,), betas=(1.0,), gammas=(1.0, 1.1))


def test_base_must_be_a_function():
    with pytest.raises(ValueError, match=r"`base` must be a function.*Received: base=3"):
        CompoundScaling(3)
    space = MobileNetSpace(input_shape=(8, 8, 1), num_classes=10)
    with pytest.raises(ValueError, match=r"search space is not one.*type MobileNetSpace"):
        CompoundScaling(space)


def test_base_must_return_a_compiled_model():
    uncompiled = CompoundScaling(
        lambda depth, width, resolution: keras.Sequential([keras.Input((2,))])
    )
    with pytest.raises(ValueError, match=r"compiled keras.Model.*base\(depth=1.2, width=1.1"):
        uncompiled.build_model()
    with pytest.raises(ValueError, match=r"Received: None from base\(depth=1, width=1"):
        CompoundScaling(lambda depth, width, resolution: None).scale(0)


def test_bad_arguments_say_what_was_received():
    for kwargs, message in [
        ({"alphas": ()}, r"`alphas` must hold at least one option"),
        ({"betas": (1.0, 1.0)}, r"`betas` must not repeat an option"),
        ({"gammas": (0.0, 1.0)}, r"Every option of `gammas` must be positive"),
        ({"target": 0}, r"`target`.*number above 0.*Received: target=0"),
        ({"tolerance": -0.1}, r"`tolerance` must be a finite number of at least 0"),
    ]:
        with pytest.raises(ValueError, match=message):
            CompoundScaling(digits_base, **kwargs)


def test_bad_values_and_phis_are_refused():
    space = CompoundScaling(digits_base)
    with pytest.raises(ValueError, match=r"'1,1,1' is not an option of `coefficients`"):
        space.build_model({"coefficients": "1,1,1"})
    with pytest.raises(ValueError, match=r"no choice named \['depth'\]"):
        space.describe({"depth": 2})
    with pytest.raises(ValueError, match=r"`phi` must be a finite number of at least 0.*phi=-1"):
        space.scale(-1)
    with pytest.raises(ValueError, match=r"`phis` must be a non-empty list"):
        space.scaled_family(phis=())


def test_rounding_rules():
    assert [round_filters(32, w) for w in (1.0, 1.1, 1.21, 2.0)] == [32, 32, 40, 64]
    assert round_filters(16, 0.1) == 8
    assert [round_repeats(3, d) for d in (1.0, 1.2, 1.44, 2.0)] == [3, 4, 5, 6]
    assert round_repeats(10, 1.1) == 11  # Keras' int(math.ceil(1.1 * 10)) is 12.
    assert [round_resolution(224, g) for g in (1.0, 1.15, 1.3225)] == [224, 258, 296]
    with pytest.raises(ValueError, match=r"`channels` must be a positive integer"):
        round_filters(0, 1.0)
    with pytest.raises(ValueError, match=r"`depth`.*number above 0.*Received: depth=0"):
        round_repeats(2, 0)
    with pytest.raises(ValueError, match=r"`resolution` must be a finite number above 0"):
        round_resolution(8, float("nan"))


def test_a_two_trial_evolutionary_search_on_digits(tmp_path):
    (x, y), validation = load_digits()
    tuner = keras_nas.EvolutionarySearch(
        CompoundScaling(digits_base),
        objective="val_accuracy",
        max_trials=2,
        seed=0,
        directory=str(tmp_path),
    )
    tuner.search(x[:256], y[:256], validation_data=validation, epochs=1, verbose=0)
    trials = tuner.oracle.get_best_trials(2)
    assert len(trials) == 2
    for trial in trials:
        assert abs(product(decode(trial.hyperparameters.get("coefficients"))) - 2) <= 0.1
        with open(os.path.join(tuner.get_trial_dir(trial.trial_id), "architecture.json")) as f:
            assert json.load(f)["summary"].startswith("alpha=")
    best = tuner.get_best_models(1)[0]
    assert best.output_shape == (None, 10)
