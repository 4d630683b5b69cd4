"""Supernet pieces: `PathChoice`, `set_path` and BatchNorm recalibration; NB201's supernet."""

import keras
import numpy as np
import pytest

from keras_nas.search_spaces import NASBench201Space
from keras_nas.weight_sharing import SharedLayerRegistry
from keras_nas.weight_sharing.supernet import (
    PathChoice,
    path_choices,
    recalibrate_batch_norm,
    set_path,
)

CELLS = [
    {},
    dict(
        zip(
            [f"cell/edge_{i}/op" for i in range(1, 7)],
            ["none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "none", "nor_conv_3x3"],
            strict=True,
        )
    ),
    {f"cell/edge_{i}/op": "none" for i in range(1, 7)},
    {f"cell/edge_{i}/op": "nor_conv_1x1" for i in range(1, 7)},
]


def _space():
    return NASBench201Space(input_shape=(8, 8, 1), num_classes=3, channels=4, cells_per_stage=1)


def _trained_supernet(space):
    """The supernet with random weights (positive, so BatchNorm variances are valid)."""
    supernet = space.build_supernet()
    rng = np.random.default_rng(0)
    supernet.set_weights(
        [
            w if w.dtype == np.int32 else rng.uniform(0.5, 1.5, size=w.shape).astype(w.dtype)
            for w in supernet.get_weights()
        ]
    )
    return supernet


@pytest.mark.parametrize("cell", CELLS)
def test_a_sub_network_computes_what_its_supernet_path_computes(cell):
    space = _space()
    supernet = _trained_supernet(space)
    registry = SharedLayerRegistry()
    registry.store(supernet)
    values = space.complete_values(cell)
    set_path(supernet, values)
    sub_network = space.build_model(values)
    assert registry.restore(sub_network) == registry.keys_of(sub_network)
    x = np.random.default_rng(1).normal(size=(5, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(
        sub_network(x, training=False), supernet(x, training=False), rtol=1e-5, atol=1e-6
    )


def test_the_nasbench201_supernet_has_a_choice_per_edge_and_cell():
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=3, channels=4, cells_per_stage=2)
    choices = path_choices(space.build_supernet())
    assert len(choices) == 3 * 2 * 6
    assert {choice.hp_name for choice in choices} == {f"cell/edge_{i}/op" for i in range(1, 7)}
    assert all(choice.values == list(space.operations) for choice in choices)
    assert space.supports_one_shot()


def test_training_a_path_changes_only_its_branch():
    inputs = keras.Input((4,))
    branches = {
        name: PathChoice.branch(
            inputs.shape, lambda x, name=name: keras.layers.Dense(4, name=name)(x)
        )
        for name in ("a", "b")
    }
    choice = PathChoice("op", branches)
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(choice(inputs)))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = {name: branch.get_weights()[0].copy() for name, branch in branches.items()}
    choice.set_value("b")
    model.fit(np.ones((16, 4)), np.zeros((16, 1)), epochs=1, verbose=0)
    np.testing.assert_array_equal(branches["a"].get_weights()[0], before["a"])
    assert not np.array_equal(branches["b"].get_weights()[0], before["b"])


def test_set_value_rejects_a_value_without_a_branch():
    inputs = keras.Input((2,))
    choice = PathChoice("cell/op", {"none": PathChoice.branch(inputs.shape, None)})
    with pytest.raises(
        ValueError, match="'cell/op' has no branch for the value 'conv'.*\\['none'\\]"
    ):
        choice.set_value("conv")


def test_set_path_needs_a_value_for_every_choice():
    supernet = _space().build_supernet()
    with pytest.raises(ValueError, match="no value for 'cell/edge_1/op'"):
        set_path(supernet, {})


def test_recalibration_sets_the_exact_mean_and_variance_of_the_batches():
    inputs = keras.Input((3,))
    norm = keras.layers.BatchNormalization(momentum=0.99)
    model = keras.Model(inputs, norm(inputs))
    rng = np.random.default_rng(0)
    batches = [rng.normal(loc=2.0, size=(8, 3)).astype("float32") for _ in range(4)]
    assert recalibrate_batch_norm(model, batches) == 1
    np.testing.assert_allclose(
        norm.moving_mean.numpy(), np.mean([b.mean(0) for b in batches], 0), rtol=1e-5
    )
    np.testing.assert_allclose(
        norm.moving_variance.numpy(), np.mean([b.var(0) for b in batches], 0), rtol=1e-4
    )
    assert norm.momentum == 0.99
