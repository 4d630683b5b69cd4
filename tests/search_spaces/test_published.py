"""Published architectures as named points of the spaces, with their papers' parameter counts."""

import keras_tuner
import numpy as np
import pytest

from keras_nas.oracles import RegularizedEvolutionOracle
from keras_nas.search_spaces import MobileNetSpace, NASBench201Space, NASNetCellSpace, published
from tests.messages import raises_mentioning
from tests.oracles.toy import make_oracle

# Trainable parameters of the paper's network as the authors' code builds it (without
# auxiliary heads): DARTS's `count_parameters_in_MB`, NASNet-A counted from TF-slim's cells,
# MnasNet's and EfficientNet's TF models. `None`: the paper prints no count.
AUTHORS_COUNT = {
    "nasbench201_best": None,
    "darts_v2": 3_349_342,
    "nasnet_a": 3_346_538,
    "mnasnet_a1": 3_887_038,
    "efficientnet_b0": 5_288_548,
}


def _trainable(model):
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


SPACE_CLASSES = {
    space_class.__name__: space_class
    for space_class in (MobileNetSpace, NASBench201Space, NASNetCellSpace)
}


@pytest.mark.parametrize("name", sorted(AUTHORS_COUNT))
def test_the_paper_networks_have_the_published_parameter_counts(name):
    architecture = published.architecture(name)
    space = SPACE_CLASSES[architecture.space].paper_space(name)
    count = _trainable(space.build_model(space.published(name)))
    if architecture.parameters is not None:  # As printed: 3.3M is 3.25M to 3.35M.
        assert abs(count - architecture.parameters) < 50_000
    if name == "nasnet_a":  # Every cell input through ReLU-1x1-BN, as noted in the module.
        assert count == AUTHORS_COUNT[name] - 18_304
    elif name == "nasbench201_best":
        assert count == 1_073_466  # NASBench201Space's docstring: the benchmark's network.
    else:
        assert count == AUTHORS_COUNT[name]


def test_a_published_architecture_is_a_point_of_a_smaller_space_of_its_class():
    space = NASNetCellSpace(input_shape=(8, 8, 1), num_classes=10, num_blocks=4)
    values = space.published("darts_v2")
    assert values == published.architecture("darts_v2").values
    assert space.build_model(values).output_shape == (None, 10)
    cells = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1)
    assert cells.to_arch_string(cells.published("nasbench201_best")) == (
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
    )


def test_a_published_architecture_starts_a_search(tmp_path):
    space = MobileNetSpace(
        input_shape=(32, 32, 3),
        num_classes=10,
        depths=(1, 2, 3, 4),
        kernels=(3, 5),
        expansions=(3, 6),
        width_multipliers=(1.0,),
        skeleton="efficientnet",
    )
    initial = space.published("efficientnet_b0")
    hp = keras_tuner.HyperParameters()
    space.declare_hyperparameters(hp)
    oracle = make_oracle(
        tmp_path,
        "published",
        RegularizedEvolutionOracle,
        hyperparameters=hp,
        max_trials=2,
        seed=0,
        initial_architectures=[initial],
    )
    assert oracle.create_trial("tuner0").hyperparameters.values == initial


CELLS = NASBench201Space(input_shape=(8, 8, 1))
NASNET = NASNetCellSpace(input_shape=(8, 8, 1))
OFA = MobileNetSpace(input_shape=(32, 32, 3), depths=(1, 2, 3, 4))
MNASNET = MobileNetSpace(
    input_shape=(32, 32, 3), skeleton="mnasnet", kernels=(3, 5), expansions=(3, 6)
)


@pytest.mark.parametrize(
    "space, name, mentions",
    [
        (CELLS, "darts", ["no published architecture", "'darts_v2'"]),
        (CELLS, "darts_v2", ["DARTS-V2", "of NASNetCellSpace, not of NASBench201Space"]),
        # NASNet-A's reduction cell takes sep_conv_7x7, which the default operations lack.
        (NASNET, "nasnet_a", ["NASNet-A is not a point", "'sep_conv_7x7' is not an option"]),
        # Five blocks where DARTS-V2 has four: block 5 stays open.
        (NASNET, "darts_v2", ["normal_cell/block_5/input_1", "num_blocks=4"]),
        # Once-for-All's five stages where MnasNet-A1 has six.
        (OFA, "mnasnet_a1", ["MnasNet-A1 is not a point", "stage_6", "skeleton='mnasnet'"]),
        # Depths (2, 3, 4) lack MnasNet-A1's last stage of one block.
        (MNASNET, "mnasnet_a1", ["not an option of `stage_6/depth`", "depths=(1, 2, 3, 4)"]),
    ],
)
def test_an_architecture_outside_the_space_is_refused_with_the_papers_configuration(
    space, name, mentions
):
    with raises_mentioning(ValueError, *mentions):
        space.published(name)


def test_the_paper_space_is_of_the_architecture_s_class():
    assert NASNetCellSpace.paper_space("nasnet_a").get_config()["cell_output"] == {
        "normal_cell": [0, 2, 3, 4, 5, 6],
        "reduction_cell": [3, 4, 5, 6],
    }
    with raises_mentioning(ValueError, "MnasNet-A1 is an architecture of MobileNetSpace"):
        NASNetCellSpace.paper_space("mnasnet_a1")


def test_bad_space_settings_are_refused():
    with raises_mentioning(ValueError, "`skeleton` must be one of", "'ofa', 'mnasnet'", "'b0'"):
        MobileNetSpace(input_shape=(32, 32, 3), skeleton="b0")
    with raises_mentioning(
        ValueError, "`separable_repeats` must be 1", "Received: separable_repeats=3"
    ):
        NASNetCellSpace(input_shape=(8, 8, 1), separable_repeats=3)
    for bad in (
        "last",
        {"normal_cell": (0, 2)},
        {"normal_cell": (9,), "reduction_cell": (2,)},
        {"normal_cell": (2,), "reduction_cell": (0, 2)},
    ):
        with raises_mentioning(
            ValueError, "`cell_output` must be one of", "a reduction cell's from 2"
        ):
            NASNetCellSpace(input_shape=(8, 8, 1), num_blocks=2, cell_output=bad)
