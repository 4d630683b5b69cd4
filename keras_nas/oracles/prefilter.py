"""`ZeroCostPrefilter`: how a keras-nas oracle applies its `zero_cost` filter.

The oracle's `zero_cost` (a `keras_nas.estimation.ZeroCostFilter`) says what to do; its
`candidate_score` (a function from values to a float, which a keras-nas tuner sets from the
search's training data) scores a candidate. Pre-filter: while the oracle creates a trial, its
strategy's `populate_space` is asked for several distinct proposals and the best scored one
becomes the trial. Warm start: a pool of random architectures, scored once and kept in the
oracle's state, serves every random architecture the strategy asks for, best first.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import keras_tuner
from keras_tuner.engine.trial import TrialStatus

from keras_nas.estimation.zero_cost_filter import ranking_score
from keras_nas.oracles import candidates

if TYPE_CHECKING:  # The oracle composes it.
    from keras_nas.oracles.base import NASOracle

#: How many proposals past `candidates` a trial's pre-filter may draw to find distinct ones.
EXTRA_PROPOSALS = 10


class ZeroCostPrefilter:
    """Applies `oracle.zero_cost` with `oracle.candidate_score`; see the module docstring.

    Args:
        oracle: The oracle whose candidates it ranks.
    """

    def __init__(self, oracle: NASOracle):
        self._oracle = oracle
        #: The warm start's pool, best first: `[{"values": ..., "score": ...}]`, or `None`
        #: before it is drawn. Saved with the oracle's state.
        self.pool: list[dict[str, Any]] | None = None
        # The chosen candidate's score until its trial exists: (values, score).
        self._chosen: tuple[dict[str, Any], float] | None = None
        self._offered: set[str] = set()  # Pool entries proposed for the trial being created.

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """Within the block (the oracle creating a trial), `oracle.populate_space` returns
        the best of `candidates` proposals of the strategy's own `populate_space`."""
        oracle = self._oracle
        if oracle.zero_cost is None:
            yield
            return
        self._check_scorer()
        strategy = oracle.populate_space
        if oracle.zero_cost.candidates > 1:
            oracle.populate_space = lambda trial_id: self._best_of_proposals(strategy, trial_id)
        try:
            yield
        finally:
            oracle.__dict__.pop("populate_space", None)
            self._offered.clear()

    def record(self, trial: keras_tuner.engine.trial.Trial) -> None:
        """Writes the chosen candidate's score into its new trial's metrics."""
        chosen, self._chosen = self._chosen, None
        if chosen is None or trial.status != TrialStatus.RUNNING:
            return
        values, score = chosen
        if values == trial.hyperparameters.values:
            trial.metrics.register(self._oracle.zero_cost.metric_name, direction="max")
            trial.metrics.update(self._oracle.zero_cost.metric_name, score)

    def random_values(self) -> dict[str, Any] | None:
        """The warm start's best untried architecture, or `None` without a warm start or
        once its pool is used up (the strategy then samples at random)."""
        oracle = self._oracle
        if oracle.zero_cost is None or oracle.zero_cost.warm_start == 0:
            return None
        if self.pool is None:
            self.pool = self._draw_pool(oracle.zero_cost.warm_start)
        for entry in self.pool:
            key = oracle._key(entry["values"])
            if key not in self._offered and oracle.proposable(entry["values"]):
                self._offered.add(key)
                self._chosen = (entry["values"], entry["score"])
                return dict(entry["values"])
        return None

    def _best_of_proposals(self, strategy: Callable, trial_id: str) -> dict[str, Any]:
        wanted = self._oracle.zero_cost.candidates
        proposals: dict[str, dict[str, Any]] = {}
        for _ in range(wanted + EXTRA_PROPOSALS):
            response = strategy(trial_id)
            if response["status"] != TrialStatus.RUNNING:
                if proposals:
                    break
                return response
            proposals.setdefault(self._oracle._key(response["values"]), response["values"])
            if len(proposals) == wanted:
                break
        values = list(proposals.values())
        scores = [self._score(candidate) for candidate in values]
        best = self._oracle.zero_cost.best_index(scores)
        self._chosen = (values[best], scores[best])
        return {"status": TrialStatus.RUNNING, "values": values[best]}

    def _score(self, values: dict[str, Any]) -> float:
        if self.pool:
            for entry in self.pool:
                if entry["values"] == values:
                    return entry["score"]
        try:
            return float(self._oracle.candidate_score(values))
        except Exception:  # A candidate that cannot be scored ranks last, never crashes.
            return float("nan")

    def _draw_pool(self, size: int) -> list[dict[str, Any]]:
        oracle, pool, keys = self._oracle, [], set()
        proxy = oracle.zero_cost.proxy
        print(f"Warm start: scoring {size} random architectures by {proxy}.", file=sys.stderr)
        for _ in range(size + candidates.MAX_RANDOM_ATTEMPTS):
            values = candidates.random_untried_values(oracle)
            if values is None or len(pool) == size:
                break
            if oracle._key(values) not in keys:
                keys.add(oracle._key(values))
                pool.append({"values": values, "score": self._score(values)})
        pool.sort(key=lambda entry: ranking_score(entry["score"]), reverse=True)
        return pool

    def _check_scorer(self) -> None:
        if self._oracle.candidate_score is None:
            raise ValueError(
                "The oracle's `zero_cost` filter needs `oracle.candidate_score`, a function "
                "from an architecture's values to its score. The keras-nas tuners "
                "(`NASTuner`, `EvolutionarySearch`, `ReinforceSearch`) set it from the "
                "search's training data; with another tuner, set it before the search, e.g. "
                "`oracle.candidate_score = lambda values: zero_cost_score(build(values), x, y, "
                "proxy='naswot')`. Received: candidate_score=None."
            )
