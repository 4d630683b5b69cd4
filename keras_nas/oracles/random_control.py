"""A random-sampling control inside a search (`baseline="random"`).

"NAS evaluation is frustratingly hard" (Yang et al., ICLR 2020, https://arxiv.org/abs/1912.12522)
found that in several published spaces random sampling comes within a fraction of a point
of the strategies: the space, not the strategy, did the work. Their measure is the relative
improvement of a strategy over random sampling in the same space,
`RI = 100 * (best of the strategy - best of random sampling) / best of random sampling`.

With `baseline="random"`, a share of a search's trials (`baseline_share`, every
`1 / share`-th trial in order, after the initial architectures if any) are drawn uniformly
at random from the space, under the same constraints (a draw outside them is drawn again,
never shrunk to fit), instead of by the strategy.
The strategy never learns from them (they join no population and update no policy), so they
are the control; the report compares the two (`keras_nas.diagnostics.compare_with_control`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from keras_nas.oracles import candidates

if TYPE_CHECKING:  # The oracle composes this.
    from keras_nas.oracles.base import NASOracle

#: The baselines a search can run beside its strategy.
BASELINES = ("random",)


class RandomControl(candidates.TrialSource):
    """Which trials of `oracle` are the random control, and proposing them.

    Args:
        oracle: The oracle whose trials these are.
        baseline: `"random"`, or `None` for no control.
        share: The share of the trials that are the control, in (0, 1).

    Raises:
        ValueError: If `baseline` is neither `None` nor `"random"`, or `share` is not a
            number strictly between 0 and 1.
    """

    def __init__(self, oracle: NASOracle, baseline: str | None, share: float):
        if baseline is not None and baseline not in BASELINES:
            raise ValueError(
                "`baseline` must be 'random' (a share of the trials sampled at random, as a "
                f"control of the strategy) or None. Received: baseline={baseline!r}."
            )
        if (
            isinstance(share, bool)
            or not isinstance(share, (int, float))
            or not 0 < share < 1
            or not math.isfinite(share)
        ):
            raise ValueError(
                "`baseline_share` must be a number strictly between 0 and 1: the share of "
                "the trials sampled at random (0.25: every 4th). "
                f"Received: baseline_share={share!r}."
            )
        super().__init__(oracle)
        self.baseline = baseline
        self.share = float(share)

    def is_due(self, index: int) -> bool:
        """Whether the trial numbered `index` (0, 1, ..., counted after the initial
        architectures) is to be a control trial: whenever the control holds fewer than
        `floor((index + 1) * share)` trials, so it keeps its share at every count (every
        4th trial at 0.25)."""
        if self.baseline is None:
            return False
        # The tolerance keeps 0.29 * 100 from flooring to 28.
        return math.floor((index + 1) * self.share + 1e-9) > len(self.trials)

    def is_control(self, trial_id: str) -> bool:
        """Whether the trial `trial_id` is one of the control's."""
        return trial_id in self.trials

    def propose(self, trial_id: str) -> dict[str, Any]:
        """An untried candidate drawn uniformly at random: drawn again until one is untried
        and within the constraint, never shrunk to fit it. When none is found, the strategy
        proposes the trial, and it is not the control's."""
        oracle = self._oracle
        for _ in range(candidates.MAX_RANDOM_ATTEMPTS):
            if oracle.constraint_impossible:
                break
            values = oracle.resolve({})
            if oracle.proposable(values):
                return candidates.proposal(values)
        return self.decline(trial_id)
