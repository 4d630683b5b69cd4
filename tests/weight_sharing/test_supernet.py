"""Supernet pieces: `PathChoice`, `set_path`, the single-path optimizer, BatchNorm recalibration;
the NB201 and MobileNet supernets."""

import keras
import numpy as np
import pytest

from keras_nas.layers import PathChoice, set_path, single_path_optimizer
from keras_nas.layers.elastic_kernel import is_elastic_kernel
from keras_nas.layers.path_choice import path_choices
from keras_nas.search_spaces import MobileNetSpace, NASBench201Space
from keras_nas.weight_sharing import SharedLayerRegistry, recalibrate_batch_norm

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
    assert {choice.hp_names for choice in choices} == {(f"cell/edge_{i}/op",) for i in range(1, 7)}
    assert all(choice.keys == list(space.operations) for choice in choices)
    assert space.supports_one_shot()


def _two_branch_model():
    inputs = keras.Input((4,))
    branches = {
        name: PathChoice.branch(
            inputs.shape, lambda x, name=name: keras.layers.Dense(4, name=name)(x)
        )
        for name in ("a", "b")
    }
    choice = PathChoice("op", branches)
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(choice(inputs)))
    return model, choice, branches


@pytest.mark.parametrize("single_path", [False, True])
def test_adam_moves_branches_that_did_not_run_unless_made_single_path(single_path):
    model, choice, branches = _two_branch_model()
    optimizer = keras.optimizers.Adam(0.1)
    model.compile(single_path_optimizer(optimizer) if single_path else optimizer, "mse")
    x, y = np.ones((8, 4), "float32"), np.ones((8, 1), "float32")
    choice.set_value("a")
    model.fit(x, y, epochs=2, verbose=0)
    after_a = branches["a"].get_weights()[0].copy()
    choice.set_value("b")
    model.fit(x, y, epochs=2, verbose=0)
    assert not np.array_equal(branches["b"].get_weights()[0], after_a)
    moved = not np.array_equal(branches["a"].get_weights()[0], after_a)
    assert moved is not single_path


def test_single_path_optimizer_keeps_the_class_and_configuration():
    optimizer = single_path_optimizer(keras.optimizers.SGD(0.05, momentum=0.9))
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert type(optimizer).__name__ == "SinglePathSGD"
    assert optimizer.momentum == 0.9 and float(optimizer.learning_rate) == pytest.approx(0.05)
    assert single_path_optimizer(optimizer) is optimizer


def test_training_a_path_changes_only_its_branch():
    model, choice, branches = _two_branch_model()
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = {name: branch.get_weights()[0].copy() for name, branch in branches.items()}
    choice.set_value("b")
    model.fit(np.ones((16, 4)), np.zeros((16, 1)), epochs=1, verbose=0)
    np.testing.assert_array_equal(branches["a"].get_weights()[0], before["a"])
    assert not np.array_equal(branches["b"].get_weights()[0], before["b"])


def test_set_value_rejects_a_key_without_a_branch():
    inputs = keras.Input((2,))
    choice = PathChoice("cell/op", {"none": PathChoice.branch(inputs.shape, None)})
    with pytest.raises(ValueError, match="\\('cell/op',\\) has no branch for 'conv'.*\\['none'\\]"):
        choice.set_value("conv")


def test_a_choice_on_several_hyperparameters_with_shared_branches():
    inputs = keras.Input((2,))
    zeros, same = (
        PathChoice.branch(inputs.shape, None),
        PathChoice.branch(inputs.shape, lambda x: x),
    )
    choice = PathChoice(("a", "b"), {(1, 1): zeros, (1, 2): same, (2, 2): same})
    model = keras.Model(inputs, choice(inputs))
    assert len(choice.layers) == 2
    x = np.ones((1, 2), "float32")
    choice.set_from({"a": 2, "b": 2})
    assert model(x).numpy().tolist() == [[1.0, 1.0]]
    choice.set_from({"a": 1})  # A name absent: inactive, the branch stays.
    assert model(x).numpy().tolist() == [[1.0, 1.0]]
    choice.set_from({"a": 1, "b": 1})
    assert model(x).numpy().tolist() == [[0.0, 0.0]]


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


def _mobilenet():
    return MobileNetSpace(
        input_shape=(8, 8, 1),
        num_classes=3,
        depths=(1, 2),
        kernels=(3, 5),
        expansions=(3, 6),
        width_multipliers=(0.25,),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_mobilenet_sub_network_computes_what_its_supernet_path_computes(seed):
    space = _mobilenet()
    supernet = _trained_supernet(space)
    registry = SharedLayerRegistry()
    registry.store(supernet)
    rng = np.random.default_rng(seed)
    hyperparameters = space.declared_hyperparameters()
    values = space.complete_values(
        {hp.name: hp.random_sample(int(rng.integers(2**31))) for hp in hyperparameters.space}
    )
    set_path(supernet, values)
    sub_network = space.build_model(values)
    restored = registry.restore(sub_network, sliced=True, source_name=space.supernet_layer_name)
    assert restored == registry.keys_of(sub_network)
    x = rng.normal(size=(4, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(
        sub_network(x, training=False), supernet(x, training=False), rtol=1e-4, atol=1e-5
    )


def test_the_mobilenet_supernet_gates_blocks_deeper_than_the_smallest_depth():
    supernet = _mobilenet().build_supernet()
    choices = [choice for choice in path_choices(supernet) if isinstance(choice, PathChoice)]
    gates = [choice for choice in choices if choice.hp_names[0].endswith("/depth")]
    assert [gate.hp_names for gate in gates] == [(f"stage_{s}/depth",) for s in range(1, 6)]
    # Kernels and expansions are elastic: besides the gates, only squeeze-excite choices.
    assert sorted(c.hp_names for c in choices if c not in gates) == [
        (f"stage_{s}/squeeze_excite",) for s in range(1, 6) for _ in range(2)
    ]
    assert all(len(choice.branches) == 2 for choice in choices)
    kernels = [layer for layer in path_choices(supernet) if is_elastic_kernel(layer)]
    assert len(kernels) == 5 * 2 and {layer.kernel_size for layer in kernels} == {(5, 5)}


def test_mobilenet_needs_one_width_multiplier_for_one_shot():
    space = MobileNetSpace(input_shape=(8, 8, 1), num_classes=3)
    assert not space.supports_one_shot()
    assert "width_multipliers=(1.0,)" in space.one_shot_problem()
    with pytest.raises(ValueError, match="Cannot build the supernet: the MobileNetSpace"):
        space.build_supernet()
