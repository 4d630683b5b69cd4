"""The FBNet / ProxylessNAS relaxation of `MobileNetSpace` (Wu et al., CVPR 2019; Cai, Zhu
and Han, ICLR 2019).

Each block position of a stage is one relaxed choice, `stage_2/block_3/operation`, among
every MBConv of the space's kernels and expansions (`"k5e4"`) and, at positions deeper than
the smallest depth, `"skip"`. `discretize` reads a stage's depth from the skip weights, as the
depth that is likeliest when each position runs or skips independently (the blocks of a
stage are a prefix in the space), and each kept block's strongest MBConv.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

#: The operation of a relaxed block position that passes its input through.
SKIP = "skip"

_OPERATION = re.compile(r"k(?P<kernel>\d+)e(?P<expansion>\d+)")
# Keeps log-probabilities finite where a weight is 0.
_TINY = 1e-12


def operation_name(kernel: int, expansion: int) -> str:
    """The relaxed choice's value for an MBConv block.

    Example:
    >>> operation_name(5, 4)
    'k5e4'
    """
    return f"k{kernel}e{expansion}"


def choice_name(stage: int, block: int) -> str:
    """The relaxed choice of a block position.

    Example:
    >>> choice_name(2, 3)
    'stage_2/block_3/operation'
    """
    return f"stage_{stage}/block_{block}/operation"


def discretize(
    weights: dict[str, dict[Any, float]], stages: int, depths: Sequence[int]
) -> dict[str, Any]:
    """The values of `MobileNetSpace` that the relaxed choices' weights describe.

    A stage's depth is the allowed depth `d` of the highest likelihood that positions 1 to
    `d` run and the deeper ones skip, each position running with probability 1 minus its
    skip weight; each block up to `d` takes its strongest MBConv. Stages or positions
    without weights are left out (the space's defaults fill them).

    Example:
    >>> discretize({"stage_1/block_1/operation": {"k3e4": 0.3, "k5e4": 0.7},
    ...             "stage_1/block_2/operation": {"k3e4": 0.3, "k5e4": 0.1, "skip": 0.6}},
    ...            stages=1, depths=(1, 2))
    {'stage_1/depth': 1, 'stage_1/block_1/kernel': 5, 'stage_1/block_1/expansion': 4}
    """
    values: dict[str, Any] = {}
    for stage in range(1, stages + 1):
        positions = {
            block: weights[choice_name(stage, block)]
            for block in range(1, max(depths) + 1)
            if choice_name(stage, block) in weights
        }
        if not positions:
            continue
        depth = max(depths, key=lambda d: _log_likelihood(positions, d))
        values[f"stage_{stage}/depth"] = depth
        for block, options in positions.items():
            if block > depth:
                continue
            match = _OPERATION.fullmatch(max((o for o in options if o != SKIP), key=options.get))
            values[f"stage_{stage}/block_{block}/kernel"] = int(match["kernel"])
            values[f"stage_{stage}/block_{block}/expansion"] = int(match["expansion"])
    return values


def _log_likelihood(positions: dict[int, dict[Any, float]], depth: int) -> float:
    """The log-probability that the positions up to `depth` run and the others skip."""
    total = 0.0
    for block, options in positions.items():
        skip = options.get(SKIP, 0.0)
        total += math.log(max(skip if block > depth else 1.0 - skip, _TINY))
    return total
