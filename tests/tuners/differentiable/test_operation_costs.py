"""The cost term of hardware-aware gradient search: each operation's price, and the
architecture parameters it moves towards cheaper operations."""

import keras
import numpy as np
import pytest

from keras_nas.objectives import count_flops
from keras_nas.search_spaces import NASBench201Space
from keras_nas.tuners.differentiable import RelaxedSupernet
from keras_nas.tuners.differentiable.operation_costs import expected_cost, operation_costs
from tests.messages import raises_mentioning


def _space():
    return NASBench201Space(
        input_shape=(4, 4, 1),
        num_classes=3,
        cells_per_stage=1,
        channels=2,
        operations=("skip_connect", "nor_conv_3x3"),
    )


def test_each_operation_costs_its_branches_summed_over_the_cells_that_share_it():
    network, choices = _space().build_relaxed_supernet()
    flops = operation_costs(network, "flops")
    assert list(flops) == list(choices)
    # A 3x3 convolution on edge 1 of the three cells (2, 4 and 8 channels at 4x4, 2x2, 1x1),
    # with its BatchNorm; a skip costs nothing.
    raw = [
        count_flops(branch)
        for layer in network.layers
        if getattr(layer, "hp_name", None) == "cell/edge_1/op"
        for branch in layer.branches
    ]
    assert raw[0::2] == [0, 0, 0]
    # Per cell: positions x 9 x channels x channels, plus a multiply-add per BN output.
    assert raw[1::2] == [16 * 9 * 2 * 2 + 16 * 2, 4 * 9 * 4 * 4 + 4 * 4, 9 * 8 * 8 + 8]
    # Scaled so that the mean costs of the six edges add up to 1.
    assert sum(float(np.mean(c)) for c in flops.values()) == pytest.approx(1.0)
    assert flops["cell/edge_1/op"][0] == 0.0
    with raises_mentioning(ValueError, "`cost` must be one of", "'flops'", "cost='energy'"):
        operation_costs(network, "energy")


def test_a_cost_term_moves_the_architecture_towards_cheaper_operations():
    def searched(cost_weight):
        network, choices = _space().build_relaxed_supernet()
        costs = operation_costs(network, "params")
        supernet = RelaxedSupernet(network, choices, seed=0, costs=costs, cost_weight=cost_weight)
        supernet.compile(
            optimizer=keras.optimizers.SGD(0.1),
            architecture_optimizer=keras.optimizers.Adam(0.1),
            loss="sparse_categorical_crossentropy",
        )
        supernet.build_optimizers()
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(8, 4, 4, 1)).astype("float32"), rng.integers(0, 3, 8)
        for _ in range(5):
            supernet.architecture_step(x, y)
        weights = [np.array(list(p.values())) for p in supernet.probabilities().values()]
        skips = [p["skip_connect"] for p in supernet.probabilities().values()]
        return np.array(skips), float(expected_cost(weights, list(costs.values())))

    skips, cost = searched(0.0)
    cheaper_skips, cheaper_cost = searched(10.0)
    # The same steps with the cost term weigh the parameter-free skip more on every edge
    # (Adam's steps are at most its learning rate: with it, each skip gained the most).
    assert np.all(cheaper_skips > skips)
    assert np.all(cheaper_skips > 0.7)
    assert cheaper_cost < cost
