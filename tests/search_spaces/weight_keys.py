"""Checks that a space's layer names can key shared weights: (name, class, weight shapes)
tells operations apart at one position and stays the same from one build to the next."""

import itertools
import re

import keras


def weight_keys(model):
    """The (name, class name, weight shapes) of the model's layers that have weights."""
    return {
        (layer.name, type(layer).__name__, tuple(tuple(w.shape) for w in layer.weights))
        for layer in model.layers
        if layer.weights
    }


def assert_operations_do_not_collide(space, variants, position):
    """Builds `variants`, architectures that differ only in the operation at `position` (a
    regex that the names of that position's layers start with), and checks that no two of
    them have a layer key in common there, while every other layer keeps its key."""
    at_position, elsewhere = [], []
    for values in variants:
        keys = weight_keys(space.build_model(values))
        here = {key for key in keys if re.match(position, key[0])}
        at_position.append(here)
        elsewhere.append(keys - here)
    assert sum(map(bool, at_position)) >= 2, f"too few weights match {position!r}"
    for i, j in itertools.combinations(range(len(variants)), 2):
        shared = at_position[i] & at_position[j]
        assert not shared, f"{variants[i]} and {variants[j]} share {sorted(shared)}"
    assert all(keys == elsewhere[0] for keys in elsewhere)


def assert_names_are_stable(space, values=None):
    """Builds `values` three times, the second after `clear_session`, and checks that the
    layer names are equal: none comes from Keras's global name counters."""

    def names():
        return [layer.name for layer in space.build_model(values).layers]

    first = names()
    keras.backend.clear_session()
    assert names() == first
    assert names() == first
