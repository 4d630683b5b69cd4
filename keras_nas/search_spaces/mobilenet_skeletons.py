"""The fixed networks around `MobileNetSpace`'s searched stages: Once-for-All's MobileNetV3,
MnasNet's and EfficientNet-B0's.

Example:
>>> from keras_nas.search_spaces.mobilenet_skeletons import SKELETONS
>>> [width for width, _, _, _ in SKELETONS["efficientnet"].stages]
[24, 40, 80, 112, 192, 320]
"""

from __future__ import annotations

import dataclasses

# Once-for-All's MobileNetV3 stages: (width, stride, squeeze-excite by default, activation).
OFA_STAGES = (
    (24, 2, False, "relu"),
    (40, 2, True, "relu"),
    (80, 2, False, "hard_silu"),
    (112, 1, True, "hard_silu"),
    (160, 2, True, "hard_silu"),
)


@dataclasses.dataclass(frozen=True)
class Skeleton:
    """The fixed parts of a `MobileNetSpace` network: a stride-2 stem convolution, one MBConv
    block of expansion 1 and kernel 3, the searched `stages` (each `(width, stride,
    squeeze-excite by default, activation)`), and a 1x1 convolution before the classifier."""

    stem_width: int
    stem_activation: str
    first_block_width: int
    first_block_squeeze_excite: bool
    first_block_activation: str
    stages: tuple[tuple[int, int, bool, str], ...]
    head_width: int
    head_activation: str


#: The networks `MobileNetSpace(skeleton=...)` searches within: Once-for-All's MobileNetV3
#: (the default), MnasNet's (Tan et al. 2019; ReLU, its squeeze-excite per stage) and
#: EfficientNet-B0's (Tan and Le 2019; swish, squeeze-excite in every block).
SKELETONS = {
    "ofa": Skeleton(16, "hard_silu", 16, False, "relu", OFA_STAGES, 6 * 160, "hard_silu"),
    "mnasnet": Skeleton(
        32,
        "relu",
        16,
        False,
        "relu",
        tuple(
            (width, stride, se, "relu")
            for width, stride, se in (
                (24, 2, False),
                (40, 2, True),
                (80, 2, False),
                (112, 1, True),
                (160, 2, True),
                (320, 1, False),
            )
        ),
        1280,
        "relu",
    ),
    "efficientnet": Skeleton(
        32,
        "swish",
        16,
        True,
        "swish",
        tuple(
            (width, stride, True, "swish")
            for width, stride in ((24, 2), (40, 2), (80, 2), (112, 1), (192, 2), (320, 1))
        ),
        1280,
        "swish",
    ),
}
