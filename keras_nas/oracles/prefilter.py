"""`ZeroCostPrefilter`: how a keras-nas oracle applies its `zero_cost` filter.

The oracle's `zero_cost` (a `keras_nas.estimation.ZeroCostFilter`) says what to do; its
`candidate_score` (a function from values to a float, which a keras-nas tuner sets from the
search's training data) scores a candidate. Pre-filter: while the oracle creates a trial, its
strategy's `populate_space` is asked for several distinct proposals and the best scored one
becomes the trial. Warm start: a pool of random architectures, scored once and written to
`zero_cost_pool.json` in the project directory, serves every random architecture the strategy
asks for, best first.

A candidate whose scoring raises ranks last; but while no candidate of the search has been
scored at all, an error is taken for a wrong setting (a proxy that the model or the data do
not allow) and stops the search before any training, with that error.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import keras_tuner
from keras_tuner.engine.trial import TrialStatus

from keras_nas import compat
from keras_nas.estimation.zero_cost_filter import ranking_score
from keras_nas.files import write_json_atomically
from keras_nas.oracles import candidates

if TYPE_CHECKING:  # The oracle composes it.
    from keras_nas.oracles.base import NASOracle

#: How many proposals past `candidates` a trial's pre-filter may draw to find distinct ones.
EXTRA_PROPOSALS = 10
#: The warm start's pool in the project directory: `{"filter": config, "pool": [{"values",
#: "score"}]}`, best first; a score that is not finite is `null`.
POOL_FILE = "zero_cost_pool.json"


class ZeroCostPrefilter:
    """Applies `oracle.zero_cost` with `oracle.candidate_score`; see the module docstring.

    Args:
        oracle: The oracle whose candidates it ranks.
    """

    def __init__(self, oracle: NASOracle):
        self._oracle = oracle
        #: The warm start's pool, best first: `[{"values": ..., "score": ...}]`, or `None`
        #: before it is read or drawn (`POOL_FILE`).
        self.pool: list[dict[str, Any]] | None = None
        self._scored_any = False  # Whether any candidate of this process was scored.
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
        swapped = oracle.zero_cost.candidates > 1
        if swapped:
            oracle.populate_space = lambda trial_id: self._best_of_proposals(strategy, trial_id)
        try:
            yield
        finally:
            if swapped:
                del oracle.populate_space  # The strategy's own method again.
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
            self.pool = self._read_pool()
        if self.pool is None:
            self.pool = self._draw_pool(oracle.zero_cost.warm_start)
        for entry in self.pool:
            key = oracle.candidate_key(entry["values"])
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
            proposals.setdefault(self._oracle.candidate_key(response["values"]), response["values"])
            if len(proposals) == wanted:
                break
        values = list(proposals.values())
        scores = self._scores(values)
        best = self._oracle.zero_cost.best_index(scores)
        self._chosen = (values[best], scores[best])
        return {"status": TrialStatus.RUNNING, "values": values[best]}

    def _scores(self, proposals: list[dict[str, Any]]) -> list[float]:
        """Each proposal's score (from the pool where it is there); one whose scoring raises
        gets NaN, unless no candidate of the search could be scored yet."""
        scores, errors = [], []
        for values in proposals:
            pooled = [entry["score"] for entry in self.pool or () if entry["values"] == values]
            if pooled:
                scores.append(pooled[0])
                continue
            try:
                scores.append(float(self._oracle.candidate_score(values)))
                self._scored_any = True
            except Exception as error:  # This candidate ranks last; the search goes on.
                scores.append(math.nan)
                errors.append(error)
        if errors and not self._scored_any:
            proxy = self._oracle.zero_cost.proxy
            raise ValueError(
                f"No candidate could be scored by the zero-cost proxy {proxy!r}; the first "
                f"error: {errors[0]!r}. Check that the proxy suits the model and the data "
                "(`keras_nas.estimation.zero_cost_score` on one built candidate shows the "
                "full error), or choose another proxy."
            ) from errors[0]
        return scores

    def _draw_pool(self, size: int) -> list[dict[str, Any]]:
        self._check_scorer()
        oracle, drawn, keys = self._oracle, [], set()
        proxy = oracle.zero_cost.proxy
        print(f"Warm start: scoring {size} random architectures by {proxy}.", file=sys.stderr)
        for _ in range(size + candidates.MAX_RANDOM_ATTEMPTS):
            if len(drawn) == size:
                break
            values = candidates.random_untried_values(oracle)
            if values is None:
                break
            if oracle.candidate_key(values) not in keys:
                keys.add(oracle.candidate_key(values))
                drawn.append(values)
        scores = self._scores(drawn)
        pool = [{"values": v, "score": s} for v, s in zip(drawn, scores, strict=True)]
        pool.sort(key=lambda entry: ranking_score(entry["score"]), reverse=True)
        self._write_pool(pool)
        return pool

    def _pool_path(self) -> str:
        return os.path.join(compat.project_directory(self._oracle), POOL_FILE)

    def _read_pool(self) -> list[dict[str, Any]] | None:
        """The saved pool, if it was drawn with the same filter (proxy, size, seed)."""
        path = self._pool_path()
        if not os.path.exists(path):
            return None
        with open(path) as file:
            saved = json.load(file)
        if saved["filter"] != self._oracle.zero_cost.get_config():
            return None  # Scored under other settings: drawn anew.
        self._scored_any = any(entry["score"] is not None for entry in saved["pool"])
        return [
            {
                "values": entry["values"],
                "score": math.nan if entry["score"] is None else entry["score"],
            }
            for entry in saved["pool"]
        ]

    def _write_pool(self, pool: list[dict[str, Any]]) -> None:
        entries = [
            {
                "values": entry["values"],
                "score": entry["score"] if math.isfinite(entry["score"]) else None,
            }
            for entry in pool
        ]
        write_json_atomically(
            self._pool_path(), {"filter": self._oracle.zero_cost.get_config(), "pool": entries}
        )

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
