"""`ZeroCostFilter`: train only the most promising candidates, as a zero-cost proxy ranks them.

The setting that a keras-nas oracle takes as `zero_cost=` (`keras_nas.oracles.NASOracle`);
the oracle applies it (`keras_nas.oracles.prefilter`), and a keras-nas tuner scores the
candidates on the search's training data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from keras_nas.arguments import check_count

#: The proxies a filter may rank by (`keras_nas.estimation.zero_cost.ZERO_COST_PROXIES`).
PROXIES = ("synflow", "naswot", "jacob_cov", "grad_norm", "snip", "params", "flops")
#: How the trial metric of a proxy's score starts: `zero_cost/<proxy>`.
METRIC_PREFIX = "zero_cost/"
#: The proxies that read a batch of data (`x`; `grad_norm` and `snip` also `y`).
DATA_PROXIES = ("naswot", "jacob_cov", "grad_norm", "snip")


class ZeroCostFilter:
    """Ranks candidates by a zero-cost proxy before any is trained.

    Two uses, together or apart:

    - **Pre-filter** (`candidates=N`, N > 1): each time the oracle is asked for a trial, it
      proposes N distinct untried architectures in its strategy's own way (N mutations of
      tournament winners for evolution, N draws from the policy for REINFORCE), and the one
      the proxy ranks best becomes the trial. The others are forgotten (a later trial may
      propose them again). REINFORCE then learns from architectures chosen by the proxy,
      not drawn from its policy alone: its update is no longer an unbiased policy gradient,
      a deviation that trades theory for fewer trained candidates.
    - **Warm start** (`warm_start=M`, M > 0): the first time the strategy asks for a random
      architecture, M distinct random ones are scored; from then on every random
      architecture it asks for is the best untried one of them, while they last. Evolution
      draws its first population at random, so its first population is the best of M
      (NASLib's zero-cost warm-up); REINFORCE asks for random architectures only when its
      policy proposes none untried, so the warm start does little for it. The pool is scored
      while the first trial is created (in a parallel search, on the chief, which answers no
      worker meanwhile: set `trial_timeout` above that time) and written to
      `zero_cost_pool.json`, so a resumed search does not score it again.

    Each candidate is built untrained with the Keras seed `seed` (so its score depends on its
    architecture only) and scored with `keras_nas.estimation.zero_cost_score` on
    `batch_size` training examples drawn once with `seed`; a pre-filtered trial trains
    that very network. A candidate whose score is NaN or infinite, or whose scoring fails,
    ranks last; while no candidate could be scored at all, a failure stops the search before
    any training, with its error (a proxy that does not suit the model or the data). The chosen
    trial records its score as the metric `zero_cost/<proxy>`.

    Example:
    >>> zero_cost = ZeroCostFilter("synflow", candidates=3)
    >>> zero_cost.best_index([0.5, float("nan"), 2.0])
    2
    >>> ZeroCostFilter.from_config(zero_cost.get_config()).get_config() == zero_cost.get_config()
    True

    Args:
        proxy: The proxy to rank by, one of `keras_nas.estimation.ZERO_COST_PROXIES`.
        candidates: How many candidates to propose for each trial (1: no pre-filter).
        warm_start: How many random architectures to score for the warm start (0: none).
        batch_size: How many training examples the proxy reads.
        seed: Seeds each candidate's weights and the examples drawn.

    Raises:
        ValueError: If `proxy` is unknown (the message lists the proxies), a count is not a
            whole number in range, or the filter would do nothing (`candidates=1` and
            `warm_start=0`).
    """

    def __init__(
        self,
        proxy: str = "naswot",
        *,
        candidates: int = 10,
        warm_start: int = 0,
        batch_size: int = 64,
        seed: int = 0,
    ):
        if proxy not in PROXIES:
            raise ValueError(
                f"Unknown zero-cost proxy. Accepted: {list(PROXIES)}. Received: {proxy!r}."
            )
        self.proxy = proxy
        self.candidates = check_count("candidates", candidates)
        self.warm_start = check_count("warm_start", warm_start, minimum=0)
        self.batch_size = check_count("batch_size", batch_size)
        self.seed = check_count("seed", seed, minimum=0)
        if self.candidates == 1 and self.warm_start == 0:
            raise ValueError(
                "A `ZeroCostFilter` with candidates=1 and warm_start=0 ranks nothing. Pass "
                "candidates > 1 (train the best of several proposals) or warm_start > 0 "
                "(draw random architectures from the best of a scored pool). Received: "
                "candidates=1, warm_start=0."
            )

    @property
    def metric_name(self) -> str:
        """The trial metric that holds a chosen candidate's score."""
        return f"{METRIC_PREFIX}{self.proxy}"

    def best_index(self, scores: list[float]) -> int:
        """The index of the best score; a NaN or infinite one ranks last, ties go to the
        first."""
        ranked = [ranking_score(score) for score in scores]
        return ranked.index(max(ranked))

    def get_config(self) -> dict[str, Any]:
        return {
            "proxy": self.proxy,
            "candidates": self.candidates,
            "warm_start": self.warm_start,
            "batch_size": self.batch_size,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ZeroCostFilter:
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{name}={value!r}" for name, value in self.get_config().items())
        return f"ZeroCostFilter({arguments})"


def ranking_score(score: float) -> float:
    """`score`, or minus infinity where it is NaN or infinite, so that such a candidate ranks
    last whichever proxy gave it.

    Example:
    >>> ranking_score(2.5), ranking_score(float("nan")), ranking_score(float("inf"))
    (2.5, -inf, -inf)
    """
    return score if math.isfinite(score) else -math.inf


def rank_correlation(scores: Sequence[float], results: Sequence[float]) -> float | None:
    """Spearman's rank correlation of proxy scores with trained results, tied ranks averaged;
    a NaN or infinite score ranks last. `None` for fewer than 3 pairs or constant ranks.

    Example:
    >>> round(rank_correlation([0.1, 0.4, float("nan"), 0.3], [0.8, 0.9, 0.2, 0.7]), 6)
    0.8
    """
    if len(scores) < 3 or len(scores) != len(results):
        return None
    ranked = [ranking_score(float(score)) for score in scores]
    lowest = min((score for score in ranked if score != -math.inf), default=0.0)
    ranked = [lowest - 1.0 if score == -math.inf else score for score in ranked]
    x, y = _ranks(np.asarray(ranked)), _ranks(np.asarray(results, dtype=float))
    if x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):  # Ties share their mean rank.
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks
