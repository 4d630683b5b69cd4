"""FBNet's relaxation of `MobileNetSpace`: its choices, the depth and blocks it derives, and
the derived network's layers, which the relaxed supernet holds under the same names."""

import pytest

from keras_nas.search_spaces import MobileNetSpace
from keras_nas.search_spaces.mobilenet_relaxation import discretize
from keras_nas.weight_sharing import SharedLayerRegistry
from tests.messages import raises_mentioning


def _space(**kwargs):
    kwargs = {"depths": (1, 2), "kernels": (3, 5), "expansions": (3,), **kwargs}
    return MobileNetSpace(input_shape=(8, 8, 1), num_classes=10, width_multipliers=(0.5,), **kwargs)


def test_each_block_position_chooses_an_mbconv_or_a_skip_beyond_the_smallest_depth():
    space = _space()
    network, choices = space.build_relaxed_supernet()
    assert list(choices) == [f"stage_{s}/block_{b}/operation" for s in range(1, 6) for b in (1, 2)]
    assert choices["stage_3/block_1/operation"] == ["k3e3", "k5e3"]
    assert choices["stage_3/block_2/operation"] == ["k3e3", "k5e3", "skip"]
    # A derived network's layers are the relaxed supernet's, under the same names and shapes.
    values = space.discretize(
        {
            name: {value: float(value == "k5e3") for value in options}
            for name, options in choices.items()
        }
    )
    assert (
        space.summarize(values)
        == "w0.5 | k5e3 k5e3 | k5e3 k5e3 se | k5e3 k5e3 | k5e3 k5e3 se | k5e3 k5e3 se"
    )
    relaxed = set(SharedLayerRegistry().keys_of(network))
    derived = SharedLayerRegistry().keys_of(space.build_model(values))
    assert set(derived) <= relaxed and len(derived) > 20


@pytest.mark.parametrize(
    ("skips", "depths", "depth"),
    [
        ((0.1, 0.2), (1, 2, 3), 3),
        ((0.9, 0.2), (1, 2, 3), 1),  # Skipping position 2 is likelier than running 2 and 3.
        ((0.9, 0.9), (1, 2, 3), 1),
        ((0.3, 0.9), (1, 2, 3), 2),
        ((0.3, 0.9), (1, 3), 1),  # Depth 2 not allowed: 0.3 * 0.9 > 0.7 * 0.1.
    ],
)
def test_a_stage_takes_its_likeliest_allowed_depth(skips, depths, depth):
    weights = {"stage_1/block_1/operation": {"k3e3": 0.4, "k5e3": 0.6}}
    for block, skip in enumerate(skips, start=2):
        weights[f"stage_1/block_{block}/operation"] = {"k3e3": 1 - skip, "skip": skip}
    values = discretize(weights, stages=1, depths=depths)
    assert values["stage_1/depth"] == depth
    assert values["stage_1/block_1/kernel"] == 5
    assert [f"stage_1/block_{b}/kernel" in values for b in (2, 3)] == [depth >= 2, depth >= 3]


def test_a_space_with_several_widths_or_nothing_to_choose_is_refused():
    several = MobileNetSpace(input_shape=(8, 8, 1), num_classes=10)
    assert "width_multipliers=(1.0,)" in several.relaxation_problem()
    with raises_mentioning(ValueError, "one width multiplier"):
        several.build_relaxed_supernet()
    fixed = _space(depths=(2,), kernels=(3,))
    assert "nothing to choose" in fixed.relaxation_problem()
    assert _space(kernels=(3,)).relaxation_problem() is None  # Only the depth is searched.
