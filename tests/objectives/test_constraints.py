"""`Constraints`: exact reasons, each error, the config round trip and `check_model`."""

import json
import math

import keras
import numpy as np
import pytest
from keras import layers

from keras_nas.objectives import Constraints
from tests.messages import raises_mentioning


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    """Overrides the suite's fixture: its 0.15 s per test would be most of this module's time.

    The few models here are tiny and no assertion depends on layer names or random weights.
    """
    yield


def raises(*facts):
    return raises_mentioning(ValueError, *facts)


def _tiny_model():
    return keras.Sequential([keras.Input((8,)), layers.Dense(4), layers.Dense(2)])


#: (8 * 4 weights + 4 biases) + (4 * 2 weights + 2 biases).
TINY_PARAMS = 8 * 4 + 4 + 4 * 2 + 2
#: 8 * 4 + 4 * 2 multiply-adds.
TINY_FLOPS = 8 * 4 + 4 * 2


def test_no_limit_rejects_nothing():
    constraints = Constraints()
    assert constraints.violation() is None
    assert constraints.violation(params=10**12, flops=10**15, latency_ms=1e6) is None
    assert not constraints.needs_latency
    assert constraints.get_config() == {
        "max_params": None,
        "max_flops": None,
        "max_latency_ms": None,
    }
    assert repr(constraints) == "Constraints()"


def test_reasons_name_the_value_and_the_limit():
    constraints = Constraints(max_params=10_000, max_flops=1e6, max_latency_ms=2)
    within = {"params": 10_000, "flops": 1_000_000, "latency_ms": 2.0}
    assert constraints.violation(**within) is None
    assert (
        constraints.violation(**{**within, "params": 12_345})
        == "12,345 parameters, over max_params=10,000"
    )
    assert (
        constraints.violation(**{**within, "flops": 1_234_567})
        == "1,234,567 FLOPs, over max_flops=1,000,000"
    )
    assert constraints.violation(**{**within, "latency_ms": 3.2}) == "3.2 ms, over max_latency_ms=2"
    assert (
        constraints.violation(**{**within, "latency_ms": 1234.5678})
        == "1,234.57 ms, over max_latency_ms=2"
    )
    # The first broken limit, in the order params, FLOPs, latency.
    assert (
        constraints.violation(params=20_000, flops=2e6, latency_ms=3.0)
        == "20,000 parameters, over max_params=10,000"
    )
    assert (
        constraints.violation(params=1, flops=2e6, latency_ms=3.0)
        == "2,000,000 FLOPs, over max_flops=1,000,000"
    )
    assert (
        Constraints(max_latency_ms=0.25).violation(latency_ms=np.float32(0.3))
        == "0.3 ms, over max_latency_ms=0.25"
    )


def test_a_needed_measurement_must_be_given():
    constraints = Constraints(max_params=10_000, max_latency_ms=2.5)
    assert constraints.needs_latency
    with raises("`latency_ms`", "max_latency_ms=2.5", "Measure", "Received: latency_ms=None"):
        constraints.violation(params=100)
    with raises("`params`", "max_params=10,000", "Measure", "Received: params=None"):
        constraints.violation(latency_ms=1.0)
    # A broken limit is reported before a later one finds its measurement missing.
    assert constraints.violation(params=20_000) == "20,000 parameters, over max_params=10,000"


@pytest.mark.parametrize("name", ["max_params", "max_flops", "max_latency_ms"])
@pytest.mark.parametrize("limit", [0, -1, math.inf, math.nan, True, "10"])
def test_limits_must_be_positive_finite_numbers(name, limit):
    with raises(f"`{name}`", "finite number above 0", f"Received: {name}={limit!r}"):
        Constraints(**{name: limit})


@pytest.mark.parametrize("value", [-1, math.nan, math.inf, True, "5"])
def test_measurements_must_be_finite_numbers_at_least_0(value):
    with raises("`flops`", "finite number of at least 0", f"Received: flops={value!r}"):
        Constraints().violation(flops=value)


def test_config_round_trip_through_json():
    constraints = Constraints(max_params=np.int64(10_000), max_flops=2.5e8, max_latency_ms=20)
    config = json.loads(json.dumps(constraints.get_config()))
    assert config == {"max_params": 10_000, "max_flops": 2.5e8, "max_latency_ms": 20}
    restored = Constraints.from_config(config)
    assert restored.get_config() == constraints.get_config()
    assert (
        repr(restored) == "Constraints(max_params=10000, max_flops=250000000.0, max_latency_ms=20)"
    )


def test_check_model_counts_params_and_flops():
    model = _tiny_model()
    assert model.count_params() == TINY_PARAMS == 46
    assert Constraints(max_params=TINY_PARAMS).check_model(model) is None
    assert Constraints(max_params=45).check_model(model) == "46 parameters, over max_params=45"
    assert Constraints(max_flops=TINY_FLOPS).check_model(model) is None
    assert Constraints(max_flops=39).check_model(model) == "40 FLOPs, over max_flops=39"
    assert Constraints().check_model(model) is None


def test_check_model_measures_latency_only_when_needed():
    model = _tiny_model()
    calls = []

    def latency_ms(measured):
        calls.append(measured)
        return 1.5

    assert Constraints(max_params=100).check_model(model, latency_ms_fn=latency_ms) is None
    assert calls == []
    # Over the parameter limit: the latency is not measured.
    constraints = Constraints(max_params=45, max_latency_ms=1)
    assert constraints.check_model(model, latency_ms) == "46 parameters, over max_params=45"
    assert calls == []
    constraints = Constraints(max_params=46, max_latency_ms=1)
    assert constraints.check_model(model, latency_ms) == "1.5 ms, over max_latency_ms=1"
    assert calls == [model]
    assert Constraints(max_latency_ms=2).check_model(model, latency_ms) is None


def test_check_model_errors():
    model = _tiny_model()
    with raises("`latency_ms_fn`", "max_latency_ms=2", "function", "latency_ms_fn=None"):
        Constraints(max_latency_ms=2).check_model(model)

    def broken(_):
        return math.nan

    with raises(
        "`latency_ms_fn`", "finite number at least 0", f"nan from latency_ms_fn={broken!r}"
    ):
        Constraints(max_latency_ms=2).check_model(model, broken)
    unbuilt = keras.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="`count_params` needs a built model"):
        Constraints(max_params=10).check_model(unbuilt)
