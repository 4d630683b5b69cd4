"""`measure_latency_ms`, `latency_metrics`: positive, ordered by the work, and clear errors.

Timings are compared only across a gap far wider than a busy machine's noise: a model with
millions of times the multiply-adds of another, compared by medians.
"""

import math
import types

import keras
import pytest
from keras import layers

from keras_nas.objectives import latency
from keras_nas.objectives.latency import (
    latency_metric_name,
    latency_metrics,
    measure_latency_ms,
)


def _tiny():
    return keras.Sequential([keras.Input((4,)), layers.Dense(1)])


def _large():
    # Two 3x3 convolutions of 64 channels on 64x64: 2 * 64*64 * 9 * 64*64 = 302 million
    # multiply-adds, against the tiny model's 4 (about 4 ms against 0.13 ms here).
    inputs = keras.Input((64, 64, 64))
    x = layers.Conv2D(64, 3, padding="same")(inputs)
    return keras.Model(inputs, layers.Conv2D(64, 3, padding="same")(x))


def test_returns_a_positive_finite_number_of_milliseconds():
    latency = measure_latency_ms(_tiny(), warmup=1, repeats=3)
    assert isinstance(latency, float)
    assert math.isfinite(latency) and 0 < latency < 1000


def test_a_model_with_far_more_work_measures_slower():
    tiny, large = measure_latency_ms(_tiny()), measure_latency_ms(_large())
    assert large > 5 * tiny


def test_a_larger_batch_of_the_same_model_measures_slower():
    model = _large()
    one = measure_latency_ms(model, batch_size=1, repeats=5)
    sixteen = measure_latency_ms(model, batch_size=16, repeats=5)
    assert sixteen > 2 * one


def test_max_seconds_stops_timing_but_keeps_three_calls(monkeypatch):
    ticks = []

    def clock():  # Each reading is one second after the last: every call takes 1 s.
        ticks.append(len(ticks))
        return float(len(ticks))

    monkeypatch.setattr(latency, "time", types.SimpleNamespace(perf_counter=clock))
    assert measure_latency_ms(_tiny(), warmup=0, repeats=100, max_seconds=0.5) == 1000.0
    assert len(ticks) == 2 * 3  # A start and an end reading per timed call.
    ticks.clear()
    measure_latency_ms(_tiny(), warmup=0, repeats=5, max_seconds=None)
    assert len(ticks) == 2 * 5
    ticks.clear()
    measure_latency_ms(_tiny(), warmup=0, repeats=2, max_seconds=0.5)
    assert len(ticks) == 2 * 2


def test_several_inputs_each_get_a_batch_in_the_model_s_structure():
    vector = keras.Input((3,), name="vector")
    tokens = keras.Input((5,), name="tokens", dtype="int32")
    embedded = layers.GlobalAveragePooling1D()(layers.Embedding(10, 3)(tokens))
    outputs = layers.Dense(2)(layers.Concatenate()([vector, embedded]))
    as_list = keras.Model([vector, tokens], outputs)
    as_dict = keras.Model({"vector": vector, "tokens": tokens}, outputs)
    for model in (as_list, as_dict):
        assert measure_latency_ms(model, batch_size=4, warmup=1, repeats=2) > 0


def test_a_sequential_built_later_and_a_subclassed_model_with_input_shape():
    built_later = keras.Sequential([layers.Dense(4)])
    built_later.build((None, 6))
    assert measure_latency_ms(built_later, warmup=1, repeats=2) > 0

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Subclassed()
    model(keras.ops.ones((1, 3)))
    assert measure_latency_ms(model, input_shape=(3,), warmup=1, repeats=2) > 0
    with pytest.raises(ValueError, match=r"subclassed model.*Pass `input_shape`"):
        measure_latency_ms(model)


def test_input_shape_sets_unknown_dimensions():
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, layers.Conv2D(4, 1)(inputs))
    assert measure_latency_ms(model, input_shape=(5, 7, 3), warmup=1, repeats=2) > 0
    with pytest.raises(ValueError, match=r"positive integer.*\(None, None, None, 3\)"):
        measure_latency_ms(model)
    with pytest.raises(ValueError, match=r"without the batch dimension.*\(1, 5, 7, 3\)"):
        measure_latency_ms(model, input_shape=(1, 5, 7, 3))


def test_latency_metrics_names_each_batch_size():
    metrics = latency_metrics(_tiny(), batch_sizes=(1, 32), warmup=1, repeats=2)
    assert list(metrics) == ["latency_ms", "latency_ms_b32"]
    assert all(value > 0 for value in metrics.values())
    assert latency_metric_name(1) == "latency_ms"
    assert latency_metric_name(8) == "latency_ms_b8"


def test_bad_arguments_say_what_was_received():
    # One test, not one per case: each test pays for a fresh Keras session (conftest).
    model = _tiny()
    for kwargs, message in [
        ({"batch_size": 0}, r"`batch_size`.*positive integer.*Received: batch_size=0"),
        ({"batch_size": 2.0}, r"Received: batch_size=2.0"),
        ({"repeats": 0}, r"`repeats`.*positive integer.*Received: repeats=0"),
        ({"repeats": True}, r"Received: repeats=True"),
        ({"warmup": -1}, r"`warmup`.*at least 0.*Received: warmup=-1"),
        ({"max_seconds": 0}, r"`max_seconds`.*positive number.*max_seconds=0"),
    ]:
        with pytest.raises(ValueError, match=message):
            measure_latency_ms(model, **kwargs)


def test_an_unbuilt_model_or_not_a_model_is_refused():
    with pytest.raises(ValueError, match=r"needs a built model.*'unbuilt'"):
        measure_latency_ms(keras.Sequential([layers.Dense(2)], name="unbuilt"))
    with pytest.raises(ValueError, match="needs a Keras model. Received: 'model'"):
        measure_latency_ms("model")


def test_latency_metrics_refuses_bad_batch_sizes():
    for batch_sizes in [(), (1, 1), (0,), 32, "1"]:
        with pytest.raises(ValueError, match=r"batch_size.*Received: batch_size"):
            latency_metrics(_tiny(), batch_sizes=batch_sizes)
