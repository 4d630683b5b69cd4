"""`PathSampler`: uniform and sandwich path sampling for supernet training."""

import keras
import pytest

from keras_nas import OneShotSearch
from keras_nas.search_spaces import MacroSpace, NASBench201Space, SearchSpace
from keras_nas.weight_sharing import PathSampler
from keras_nas.weight_sharing.sampling import extreme_values


class _IntegerWidthSpace(SearchSpace):
    supported_ranks = (1,)

    def declare_hyperparameters(self, hp):
        hp.Int("units", 4, 16)

    def build_features(self, arch, inputs):
        return keras.layers.Dense(arch["units"], name="hidden")(inputs)

    def summarize(self, arch):
        return f"dense{arch['units']}"


def _macro():
    return MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=3,
        num_stages=2,
        block_types=("conv", "mbconv"),
        kernels=(3, 5),
        widths=(4, 8),
        depths=(1, 2),
        expansions=(2, 3),
    )


def test_extreme_architectures_have_the_most_and_fewest_parameters():
    space = _macro()
    largest, smallest = extreme_values(space, largest=True), extreme_values(space)
    for stage in (1, 2):
        assert largest[f"stage_{stage}/width"] == 8 and smallest[f"stage_{stage}/width"] == 4
        assert largest[f"stage_{stage}/depth"] == 2 and smallest[f"stage_{stage}/depth"] == 1
        assert largest[f"stage_{stage}/kernel"] == 5 and smallest[f"stage_{stage}/kernel"] == 3
    sampler = PathSampler(space, seed=0)
    counts = [space.build_model(sampler()).count_params() for _ in range(10)]
    assert space.build_model(largest).count_params() >= max(counts)
    assert space.build_model(smallest).count_params() <= min(counts)


def test_the_sandwich_rule_cycles_largest_smallest_and_two_random():
    space = _macro()
    sampler = PathSampler(space, rule="sandwich", seed=0)
    drawn = [sampler() for _ in range(8)]
    largest, smallest = extreme_values(space, largest=True), extreme_values(space)
    assert drawn[0] == drawn[4] == largest
    assert drawn[1] == drawn[5] == smallest
    assert len({space.canonical_key(values) for values in drawn[2:4] + drawn[6:]}) > 1


def test_uniform_draws_are_seeded_and_cover_every_option():
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=3, cells_per_stage=1)
    first, again = PathSampler(space, seed=1), PathSampler(space, seed=1)
    assert [first() for _ in range(5)] == [again() for _ in range(5)]
    sampler = PathSampler(space, seed=2)
    assert {sampler()["cell/edge_1/op"] for _ in range(60)} == set(space.operations)


def test_invalid_rules_and_hyperparameters_raise():
    with pytest.raises(ValueError, match="`rule` must be one of \\('uniform', 'sandwich'\\)"):
        PathSampler(_macro(), rule="fair")
    space = _IntegerWidthSpace(input_shape=(4,), num_classes=2)
    with pytest.raises(ValueError, match="needs every hyperparameter to be a Choice or a Boolean"):
        extreme_values(space)


def test_one_shot_search_checks_path_sampling(tmp_path):
    with pytest.raises(ValueError, match="`path_sampling` must be one of"):
        OneShotSearch(_macro(), path_sampling="largest", directory=str(tmp_path))
