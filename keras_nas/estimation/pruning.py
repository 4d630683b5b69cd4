"""Early stopping of poor candidates: rules that stop a trial whose epochs fall behind.

A keras-nas tuner reports every epoch's metrics to its oracle; an oracle given a rule
(`pruning=`) asks it after each report whether the trial should go on. A stopped trial keeps
the best score it reached, is recorded as stopped early (its `message` starts with
`STOPPED_EARLY`), and frees its time for the next candidate.

Epochs are counted from 1 in messages and arguments; KerasTuner's steps (the `step` of a metric
observation) are the 0-based epoch indices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keras_nas.arguments import check_count

#: How the `message` of a trial stopped by a pruning rule starts (trial records and reports).
STOPPED_EARLY = "Stopped early"

#: One trial's objective by 0-based epoch.
History = Mapping[int, float]


class PruningRule:
    """Base of the pruning rules: `reason_to_stop` says whether a trial should stop now.

    Subclasses implement `reason_to_stop` and `get_config`.
    """

    def reason_to_stop(
        self, history: History, others: Sequence[History], step: int, direction: str
    ) -> str | None:
        """A reason to stop the trial after epoch `step + 1`, or `None` to let it go on.

        Args:
            history: The trial's objective so far, by 0-based epoch.
            others: The histories of the trials that ended before it (completed ones,
                including those stopped early).
            step: The 0-based epoch just reported.
            direction: `"max"` or `"min"`: which way the objective improves.
        """
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PruningRule:
        return cls(**config)


class MedianStopping(PruningRule):
    """Stops a trial whose objective is worse than the median of earlier trials at that epoch.

    The median stopping rule of Google Vizier (Golovin et al. 2017, "Google Vizier: A Service
    for Black-Box Optimization"), in the form of Optuna's `MedianPruner`: after epoch k (from
    `min_epochs` on), the trial's best objective up to epoch k is compared with the median,
    over the earlier trials that reached epoch k, of their best objective up to epoch k. It
    stops when it is strictly worse. Comparing best-so-far values on both sides keeps one noisy
    epoch from stopping a good candidate. The rule waits until `min_trials` earlier trials
    reached the epoch.

    Example:
    >>> rule = MedianStopping(min_epochs=2, min_trials=3)
    >>> others = [{0: 0.5, 1: 0.8}, {0: 0.6, 1: 0.9}, {0: 0.4, 1: 0.7}]
    >>> rule.reason_to_stop({0: 0.3}, others, step=0, direction="max") is None  # Too early.
    True
    >>> rule.reason_to_stop({0: 0.3, 1: 0.6}, others, step=1, direction="max")
    '0.6 at epoch 2 is worse than the median 0.8 of 3 earlier trials'
    >>> rule.reason_to_stop({0: 0.3, 1: 0.85}, others, step=1, direction="max") is None
    True

    Args:
        min_epochs: The first epoch after which a trial may be stopped (counted from 1).
        min_trials: How many earlier trials must have reached an epoch before the rule
            compares at that epoch.
    """

    def __init__(self, *, min_epochs: int = 1, min_trials: int = 3):
        self.min_epochs = check_count("min_epochs", min_epochs)
        self.min_trials = check_count("min_trials", min_trials)

    def reason_to_stop(
        self, history: History, others: Sequence[History], step: int, direction: str
    ) -> str | None:
        if step + 1 < self.min_epochs:
            return None
        peers = [best_up_to(other, step, direction) for other in others if step in other]
        if len(peers) < self.min_trials:
            return None
        median = float(np.median(peers))
        value = best_up_to(history, step, direction)
        if not _worse(value, median, direction):
            return None
        return (
            f"{value:.4g} at epoch {step + 1} is worse than the median {median:.4g} of "
            f"{len(peers)} earlier trials"
        )

    def get_config(self) -> dict[str, Any]:
        return {"min_epochs": self.min_epochs, "min_trials": self.min_trials}


class SuccessiveHalving(PruningRule):
    """Rung pruning: at each rung epoch only the best `1 / reduction_factor` go on.

    The asynchronous form of successive halving (Li et al. 2020, "A System for Massively
    Parallel Hyperparameter Tuning", ASHA): rungs sit at epochs `min_epochs`,
    `min_epochs * reduction_factor`, `min_epochs * reduction_factor**2`, ... When a trial
    reaches a rung, its best objective so far is ranked among those of every earlier trial that
    reached the rung; it goes on only if it is among the best `n // reduction_factor` of the
    `n` trials ranked (itself included). Until `reduction_factor` trials have reached a rung,
    every trial passes it: ASHA would make them wait, but a search cannot pause a trial.

    Example:
    >>> rule = SuccessiveHalving(min_epochs=1, reduction_factor=2)
    >>> others = [{0: 0.9}, {0: 0.5}, {0: 0.7}]
    >>> rule.reason_to_stop({0: 0.6}, others, step=0, direction="max")
    '0.6 at epoch 1 ranks 3 of 4 trials at this rung; only the best 2 go on'
    >>> rule.reason_to_stop({0: 0.8}, others, step=0, direction="max") is None
    True
    >>> rule.reason_to_stop({0: 0.1, 1: 0.2}, others, step=1, direction="max") is None  # No rung.
    True

    Args:
        min_epochs: The first rung (an epoch, counted from 1).
        reduction_factor: Only the best `1 / reduction_factor` of the trials pass a rung; the
            rungs are this factor apart. At least 2.
    """

    def __init__(self, *, min_epochs: int = 1, reduction_factor: int = 3):
        self.min_epochs = check_count("min_epochs", min_epochs)
        self.reduction_factor = check_count("reduction_factor", reduction_factor, minimum=2)

    def is_rung(self, epoch: int) -> bool:
        """Whether `epoch` (counted from 1) is a rung."""
        rung = self.min_epochs
        while rung < epoch:
            rung *= self.reduction_factor
        return rung == epoch

    def reason_to_stop(
        self, history: History, others: Sequence[History], step: int, direction: str
    ) -> str | None:
        if not self.is_rung(step + 1):
            return None
        peers = [best_up_to(other, step, direction) for other in others if step in other]
        value = best_up_to(history, step, direction)
        ranked = len(peers) + 1
        if ranked < self.reduction_factor:
            return None
        rank = 1 + sum(_worse(value, peer, direction) for peer in peers)
        passing = ranked // self.reduction_factor
        if rank <= passing:
            return None
        return (
            f"{value:.4g} at epoch {step + 1} ranks {rank} of {ranked} trials at this rung; "
            f"only the best {passing} go on"
        )

    def get_config(self) -> dict[str, Any]:
        return {"min_epochs": self.min_epochs, "reduction_factor": self.reduction_factor}


def best_up_to(history: History, step: int, direction: str) -> float:
    """The best value of `history` at steps up to `step` (`direction`: `"max"` or `"min"`)."""
    values = [value for s, value in history.items() if s <= step]
    return float(max(values) if direction == "max" else min(values))


def _worse(value: float, reference: float, direction: str) -> bool:
    return value < reference if direction == "max" else value > reference
