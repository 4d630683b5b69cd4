"""`PathSampler`: uniform, sandwich, fair and progressive path sampling for supernet training."""

import collections

import keras
import numpy as np
import pytest

from keras_nas import OneShotSearch
from keras_nas.search_spaces import MacroSpace, NASBench201Space, SearchSpace
from keras_nas.tuners.one_shot import PathSampler
from keras_nas.tuners.one_shot.sampling import extreme_values
from tests.messages import raises_mentioning


class _IntegerWidthSpace(SearchSpace):
    supported_ranks = (1,)
    units = "units"  # The hyperparameter's name.

    def declare_hyperparameters(self, hp):
        hp.Int(self.units, 4, 16)

    def build_features(self, arch, inputs):
        return keras.layers.Dense(arch[self.units], name="hidden")(inputs)

    def summarize(self, arch):
        return f"dense{arch[self.units]}"


class _IntegerElasticWidthSpace(_IntegerWidthSpace):
    units = "stage_1/width"  # Named as an elastic dimension that progressive shrinking releases.


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
    with pytest.raises(
        ValueError,
        match="`rule` must be one of \\('uniform', 'sandwich', 'fair', 'progressive'\\)",
    ):
        PathSampler(_macro(), rule="largest")
    space = _IntegerWidthSpace(input_shape=(4,), num_classes=2)
    with pytest.raises(ValueError, match="The sandwich rule needs every hyperparameter"):
        extreme_values(space)
    with pytest.raises(ValueError, match="The fair rule needs every hyperparameter"):
        PathSampler(space, rule="fair")
    PathSampler(space)  # The uniform rule draws any hyperparameter.
    facts = ("progressive rule", "'stage_1/width'", "as Int", "rule='uniform'", "hp.Choice")
    with raises_mentioning(ValueError, *facts):
        PathSampler(
            _IntegerElasticWidthSpace(input_shape=(4,), num_classes=2), rule="progressive", epochs=4
        )


def test_the_fair_rule_runs_every_option_once_per_group():
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=3, cells_per_stage=1)
    sampler = PathSampler(space, rule="fair", seed=0)
    assert sampler.steps_per_update == len(space.operations) == 5
    groups = [[sampler() for _ in range(5)] for _ in range(3)]
    for group in groups:
        for edge in range(1, 7):
            assert sorted(v[f"cell/edge_{edge}/op"] for v in group) == sorted(space.operations)
    assert groups[0] != groups[1]  # A new random order each group.
    again = PathSampler(space, rule="fair", seed=0)
    assert [again() for _ in range(5)] == groups[0]


def test_the_fair_rule_spreads_fewer_options_evenly_over_a_group():
    space = MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=3,
        num_stages=1,
        block_types=("conv", "resnet"),
        kernels=(3, 5),
        widths=(4, 8, 16),
        depths=(1,),
    )
    sampler = PathSampler(space, rule="fair", seed=3)
    assert sampler.steps_per_update == 3
    for _ in range(4):
        group = [sampler() for _ in range(3)]
        assert sorted(v["stage_1/width"] for v in group) == [4, 8, 16]
        blocks = collections.Counter(v["stage_1/block"] for v in group)
        assert sorted(blocks.values()) == [1, 2]


def test_uniform_and_sandwich_update_every_step():
    assert PathSampler(_macro(), seed=0).steps_per_update == 1
    assert PathSampler(_macro(), rule="sandwich", seed=0).steps_per_update == 1


def test_a_supernet_built_for_fair_sampling_updates_once_per_group():
    # `build_supernet` is the base class's, so the quickest supernet to trace stands for all.
    space = MacroSpace(
        input_shape=(8, 8, 1),
        num_classes=3,
        num_stages=1,
        block_types=("conv",),
        kernels=(3,),
        widths=(4,),
        depths=(1,),
    )
    supernet = space.build_supernet(0.01, steps_per_update=3)
    assert supernet.optimizer.gradient_accumulation_steps == 3
    x = np.random.default_rng(0).normal(size=(8, 8, 8, 1)).astype("float32")
    y = np.arange(8) % 3
    stem = supernet.get_layer("stem_conv")
    before = keras.ops.convert_to_numpy(stem.kernel).copy()
    for step in range(1, 4):
        supernet.train_on_batch(x, y)
        changed = not np.array_equal(keras.ops.convert_to_numpy(stem.kernel), before)
        assert changed == (step == 3), step


def test_one_shot_search_checks_path_sampling(tmp_path):
    with pytest.raises(ValueError, match="`path_sampling` must be one of"):
        OneShotSearch(_macro(), path_sampling="largest", directory=str(tmp_path))


@pytest.mark.parametrize("steps", [0, 2.0, None])
def test_build_supernet_checks_steps_per_update(steps):
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=3, cells_per_stage=1)
    with pytest.raises(ValueError, match="`steps_per_update` must be a positive integer"):
        space.build_supernet(steps_per_update=steps)


def _drawn(sampler, epoch, count=40):
    sampler.start_epoch(epoch)
    return [sampler() for _ in range(count)]


def _taken(drawn, suffix):
    return {values[name] for values in drawn for name in values if name.endswith(suffix)}


def test_the_progressive_rule_releases_kernel_depth_then_width():
    sampler = PathSampler(_macro(), rule="progressive", epochs=8, seed=0)
    assert sampler.phases == [
        ["stage_1/kernel", "stage_2/kernel"],
        ["stage_1/depth", "stage_2/depth"],
        ["stage_1/width", "stage_1/expansion", "stage_2/width", "stage_2/expansion"],
    ]
    taken = {}  # Epoch -> what each dimension took in it; 8 epochs make 4 phases of 2.
    for epoch in range(8):
        drawn = _drawn(sampler, epoch)
        taken[epoch] = {s: _taken(drawn, s) for s in ("kernel", "depth", "width", "expansion")}
        assert _taken(drawn, "block") == {"conv", "mbconv"}  # Not elastic: drawn throughout.
    largest = {"kernel": {5}, "depth": {2}, "width": {8}, "expansion": {3}}
    every = {"kernel": {3, 5}, "depth": {1, 2}, "width": {4, 8}, "expansion": {2, 3}}
    assert taken[0] == taken[1] == largest
    assert taken[2] == taken[3] == {**largest, "kernel": every["kernel"]}
    assert taken[4] == taken[5] == {**every, "width": {8}, "expansion": {3}}
    assert taken[6] == taken[7] == every


def test_the_progressive_rule_follows_the_epoch_not_the_steps_drawn():
    resumed = PathSampler(_macro(), rule="progressive", epochs=4, seed=0)
    resumed.start_epoch(3)  # A resumed supernet starts in its last phase.
    assert _taken([resumed() for _ in range(40)], "width") == {4, 8}
    uniform = PathSampler(_macro(), seed=0)
    uniform.start_epoch(0)  # Other rules ignore the epoch.
    assert _taken([uniform() for _ in range(40)], "width") == {4, 8}


def test_the_progressive_rule_needs_epochs_and_elastic_dimensions(tmp_path):
    with raises_mentioning(ValueError, "`epochs`", "positive integer", "Received: epochs=None"):
        PathSampler(_macro(), rule="progressive")
    space = NASBench201Space(input_shape=(8, 8, 1), num_classes=3, cells_per_stage=1)
    facts = ("elastic dimensions", "NASBench201Space has none", "rule='uniform'")
    with raises_mentioning(ValueError, *facts):
        PathSampler(space, rule="progressive", epochs=4)
    with raises_mentioning(ValueError, *facts):  # Before any training.
        OneShotSearch(space, path_sampling="progressive", directory=str(tmp_path))
