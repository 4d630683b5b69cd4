"""Published architectures as named points of the keras-nas spaces.

Each is the architecture a paper reports, as values of a space's hyperparameters, with the
configuration of the space that builds the paper's network and the parameter count the paper
prints. `space.published(name)` gives the values in a space, to start a search from them
(`initial_architectures=[space.published("darts_v2")]`) or to build them;
`NASNetCellSpace.paper_space("darts_v2")` is the space configured as the paper's network.

| name | space | network | parameters (paper; this model's) |
|---|---|---|---|
| `nasbench201_best` | `NASBench201Space` | C=16, N=5, CIFAR-10 | not printed; 1,073,466 |
| `darts_v2` | `NASNetCellSpace` | 20 cells, C=36, CIFAR-10 | 3.3M; 3,349,342 |
| `nasnet_a` | `NASNetCellSpace` | NASNet-A 6@768, CIFAR-10 | 3.3M; 3,328,234 |
| `mnasnet_a1` | `MobileNetSpace` | `skeleton="mnasnet"`, ImageNet | 3.9M; 3,887,038 |
| `efficientnet_b0` | `MobileNetSpace` | `skeleton="efficientnet"`, ImageNet | 5.3M; 5,288,548 |

The counts are trainable parameters, without auxiliary heads, as the papers count them.
DARTS-V2, MnasNet-A1 and EfficientNet-B0 equal the count of the authors' code exactly;
NASNet-A is 0.5% below it (18,304 fewer), because `NASNetCellSpace` passes every cell input
through a ReLU-1x1-BN, where NASNet's code gives the first cell the stem's output as it is.

Example:
>>> from keras_nas.search_spaces import published
>>> darts = published.architecture("darts_v2")
>>> darts.title, darts.space, darts.parameters
('DARTS-V2', 'NASNetCellSpace', 3300000)
>>> published.names_for("NASNetCellSpace")
['darts_v2', 'nasnet_a']
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class PublishedArchitecture:
    """One published architecture.

    Attributes:
        name: Its key, e.g. `"darts_v2"`.
        title: Its name in the paper, e.g. `"DARTS-V2"`.
        reference: The paper.
        space: The name of the keras-nas space class it is a point of.
        network: That class's constructor arguments for the paper's network.
        values: Its hyperparameter values.
        parameters: Its trainable parameters as the paper prints them (`3_300_000` for
            "3.3M"), or `None` where the paper gives none.
    """

    name: str
    title: str
    reference: str
    space: str
    network: dict[str, Any]
    values: dict[str, Any]
    parameters: int | None

    def paper_network(self) -> str:
        """The paper's network as a constructor call, for messages."""
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.network.items())
        return f"{self.space}({arguments})"


def architecture(name: str) -> PublishedArchitecture:
    """The published architecture `name` (see the table above).

    Raises:
        ValueError: If there is none of that name.
    """
    if name not in ARCHITECTURES:
        raise ValueError(
            f"There is no published architecture named {name!r}. The names are: "
            f"{sorted(ARCHITECTURES)}."
        )
    return ARCHITECTURES[name]


def names_for(space: str) -> list[str]:
    """The names of the published architectures of the space class named `space`."""
    return [name for name, published in ARCHITECTURES.items() if published.space == space]


def of_class(space_class: type, name: str) -> PublishedArchitecture:
    """The published architecture `name`, which must be a point of `space_class` (or of a
    class it derives from).

    Raises:
        ValueError: If there is none of that name, or it belongs to another space class.
    """
    published = architecture(name)
    if published.space not in {cls.__name__ for cls in space_class.__mro__}:
        raise ValueError(
            f"{published.title} is an architecture of {published.space}, not of "
            f"{space_class.__name__}. The names for {space_class.__name__} are: "
            f"{names_for(space_class.__name__)}."
        )
    return published


def values_in(space: Any, name: str) -> dict[str, Any]:
    """The values of the published architecture `name` in `space`, a keras-nas space
    (`SearchSpace.published`).

    The space must offer every value the architecture takes and have no choice it leaves
    open (another number of blocks, a deeper stage): the architecture must be a point of
    the space. Settings that are not choices (the channels, `separable_repeats`, the cell
    output rule) are the space's, so the network may differ from the paper's.

    Raises:
        ValueError: If there is no such architecture, it belongs to another space class, or
            it is not a point of `space`; the message names the paper's configuration.
    """
    published = of_class(type(space), name)
    space_name = type(space).__name__
    try:
        completed = space.complete_values(published.values)
    except ValueError as error:
        raise ValueError(
            f"{published.title} is not a point of this {space_name}: {error} The paper's "
            f"network is {published.paper_network()}."
        ) from None
    open_choices = [name for name in completed if name not in published.values]
    if open_choices:
        raise ValueError(
            f"{published.title} is not a point of this {space_name}: it fixes no value for "
            f"{open_choices[:4]}{' ...' if len(open_choices) > 4 else ''}. The paper's "
            f"network is {published.paper_network()}."
        )
    return completed


def _cells(cell_type: str, genotype: list[tuple[str, int]]) -> dict[str, Any]:
    """`NASNetCellSpace` values from a genotype of (operation, node) pairs, two per block, in
    `NASNetCellSpace`'s node numbering (0: h_{i-2}, 1: h_{i-1}, b + 1: block b)."""
    values = {}
    for index, (op, node) in enumerate(genotype):
        name = f"{cell_type}/block_{index // 2 + 1}"
        values[f"{name}/input_{index % 2 + 1}"] = node
        values[f"{name}/op_{index % 2 + 1}"] = op
    return values


def _stages(stages: list[tuple[int, int, int, bool]]) -> dict[str, Any]:
    """`MobileNetSpace` values from `(kernel, expansion, depth, squeeze-excite)` per stage."""
    values: dict[str, Any] = {"width_multiplier": 1.0}
    for stage, (kernel, expansion, depth, squeeze_excite) in enumerate(stages, start=1):
        values[f"stage_{stage}/depth"] = depth
        values[f"stage_{stage}/squeeze_excite"] = squeeze_excite
        for block in range(1, depth + 1):
            values[f"stage_{stage}/block_{block}/kernel"] = kernel
            values[f"stage_{stage}/block_{block}/expansion"] = expansion
    return values


_CIFAR = {"input_shape": (32, 32, 3), "num_classes": 10}
_IMAGENET = {
    "input_shape": (224, 224, 3),
    "num_classes": 1000,
    "depths": (1, 2, 3, 4),
    "kernels": (3, 5),
    "expansions": (3, 6),
    "width_multipliers": (1.0,),
}
_SEP3, _SEP5, _SEP7 = "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7"
_AVG, _MAX, _SKIP = "avg_pool_3x3", "max_pool_3x3", "identity"
_ALL = [
    PublishedArchitecture(
        "nasbench201_best",
        "NAS-Bench-201's best CIFAR-10 cell",
        "Dong and Yang, NAS-Bench-201, ICLR 2020",
        "NASBench201Space",
        dict(_CIFAR),
        {
            f"cell/edge_{edge}/op": op
            for edge, op in enumerate(
                ["nor_conv_3x3"] * 3 + ["skip_connect", "nor_conv_3x3", "nor_conv_1x1"],
                start=1,
            )
        },
        None,
    ),
    PublishedArchitecture(
        "darts_v2",
        "DARTS-V2",
        "Liu, Simonyan and Yang, DARTS, ICLR 2019 (genotypes.py, DARTS_V2)",
        "NASNetCellSpace",
        {
            **_CIFAR,
            "num_blocks": 4,
            "cells_per_stage": 6,
            "channels": 36,
            "separable_repeats": 2,
            "stem_multiplier": 3,
            "cell_output": "all",
        },
        {
            **_cells(
                "normal_cell",
                [(_SEP3, 0), (_SEP3, 1), (_SEP3, 0), (_SEP3, 1)]
                + [(_SEP3, 1), (_SKIP, 0), (_SKIP, 0), ("dil_conv_3x3", 2)],
            ),
            **_cells(
                "reduction_cell",
                [(_MAX, 0), (_MAX, 1), (_SKIP, 2), (_MAX, 1)]
                + [(_MAX, 0), (_SKIP, 2), (_SKIP, 2), (_MAX, 1)],
            ),
        },
        3_300_000,
    ),
    PublishedArchitecture(
        "nasnet_a",
        "NASNet-A",
        "Zoph, Vasudevan, Shlens and Le, Learning Transferable Architectures, CVPR 2018 "
        "(TF-slim nasnet_utils.py)",
        "NASNetCellSpace",
        {
            **_CIFAR,
            "num_blocks": 5,
            "cells_per_stage": 6,
            "channels": 32,
            "operations": (_SKIP, _SEP3, _SEP5, _SEP7, _AVG, _MAX),
            "separable_repeats": 2,
            "stem_multiplier": 3,
            "cell_output": {"normal_cell": (0, 2, 3, 4, 5, 6), "reduction_cell": (3, 4, 5, 6)},
        },
        {
            **_cells(
                "normal_cell",
                [(_SEP5, 1), (_SEP3, 0), (_SEP5, 0), (_SEP3, 0), (_AVG, 1)]
                + [(_SKIP, 0), (_AVG, 0), (_AVG, 0), (_SEP3, 1), (_SKIP, 1)],
            ),
            **_cells(
                "reduction_cell",
                [(_SEP5, 1), (_SEP7, 0), (_MAX, 1), (_SEP7, 0), (_AVG, 1)]
                + [(_SEP5, 0), (_SKIP, 3), (_AVG, 2), (_SEP3, 2), (_MAX, 1)],
            ),
        },
        3_300_000,
    ),
    PublishedArchitecture(
        "mnasnet_a1",
        "MnasNet-A1",
        "Tan et al., MnasNet, CVPR 2019 (mnasnet_models.py, mnasnet_a1)",
        "MobileNetSpace",
        {**_IMAGENET, "skeleton": "mnasnet"},
        _stages(
            [(3, 6, 2, False), (5, 3, 3, True), (3, 6, 4, False)]
            + [(3, 6, 2, True), (5, 6, 3, True), (3, 6, 1, False)]
        ),
        3_900_000,
    ),
    PublishedArchitecture(
        "efficientnet_b0",
        "EfficientNet-B0",
        "Tan and Le, EfficientNet, ICML 2019 (efficientnet_builder.py)",
        "MobileNetSpace",
        {**_IMAGENET, "skeleton": "efficientnet"},
        _stages(
            [(3, 6, 2, True), (5, 6, 2, True), (3, 6, 3, True)]
            + [(5, 6, 3, True), (5, 6, 4, True), (3, 6, 1, True)]
        ),
        5_300_000,
    ),
]
#: The published architectures by name.
ARCHITECTURES = {published.name: published for published in _ALL}
