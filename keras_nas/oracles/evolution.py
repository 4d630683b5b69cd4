"""`RegularizedEvolutionOracle`: aging evolution over a KerasTuner search space."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import keras_tuner
import numpy as np
from keras_tuner.engine import hyperparameters as hp_module
from keras_tuner.engine.trial import TrialStatus

from keras_nas import compat
from keras_nas.arguments import check_count
from keras_nas.objectives.pareto import nsga2_rank, nsga2_select
from keras_nas.oracles.base import NASOracle
from keras_nas.oracles.candidates import first_proposable

# A tournament whose children were all tried this many times in a row gives way to random
# sampling.
_MAX_MUTATION_ATTEMPTS = 100
# Int and Float mutations re-sample until the value changes, at most this many times.
_MAX_RESAMPLES = 10


class RegularizedEvolutionOracle(NASOracle):
    """Aging (regularized) evolution, a KerasTuner `Oracle`.

    Implements Real et al. 2019, "Regularized Evolution for Image Classifier Architecture
    Search" (https://arxiv.org/abs/1802.01548). Until `population_size` trials have completed,
    candidates are sampled at random. After that, the population is the `population_size`
    most recently completed trials (the oldest dies, whatever its score). Each new candidate
    comes from a tournament: `sample_size` members are drawn uniformly without replacement,
    the best by the objective is the parent, and the child is the parent with `mutations`
    active hyperparameters changed to a different value: active under the space's conditions
    and read by the parent's build function (`NASOracle.active_hyperparameters`), so a
    choice that a plain `if` in `build(hp)` skipped is never mutated. Conditional
    hyperparameters are then re-resolved: values of hyperparameters that stay active are
    kept, inactive ones are dropped and newly active ones are sampled at random.

    With several objectives (`objective=["val_accuracy", Objective("latency_ms", "min")]`),
    the search is a steady-state NSGA-II (Deb et al. 2002) with the same mutations: the
    population is the `population_size` best completed trials by non-dominated rank, the
    last front cut by crowding distance (`keras_nas.objectives.nsga2_select`), and the
    tournament winner is the member of best rank, then largest crowding distance. Each
    trial counts with its best value of each objective. `NASTuner.pareto_front()` gives the
    non-dominated trials.

    Deviations from the paper: the population is never stored; it is read from the completed
    trials in end order, which also makes the search asynchronous (running trials are simply
    not members yet). A child that equals an already tried architecture is discarded and a new
    tournament is run (at most 100 times, then a random candidate is drawn); when no untried
    candidate is found the oracle returns `STOPPED`. A child that breaks the `constraints` is
    shrunk toward smaller options until it keeps them (`NASOracle.repair`, the first 3 such
    children of a proposal). Failed trials never join the population.

    Example:
    >>> import tempfile
    >>> import keras_tuner
    >>> from keras_tuner.engine.trial import TrialStatus
    >>> hp = keras_tuner.HyperParameters()
    >>> for i in range(4):
    ...     _ = hp.Choice(f"edge_{i}/op", ["conv", "pool", "skip"])
    >>> oracle = RegularizedEvolutionOracle(
    ...     objective=keras_tuner.Objective("score", "max"),
    ...     max_trials=40,
    ...     population_size=8,
    ...     sample_size=3,
    ...     hyperparameters=hp,
    ...     seed=1,
    ... )
    >>> oracle.verbose = 0
    >>> from keras_nas.compat import set_project_directory
    >>> set_project_directory(oracle, tempfile.mkdtemp(), "doctest")
    >>> for _ in range(40):
    ...     trial = oracle.create_trial("tuner0")
    ...     score = sum(op == "conv" for op in trial.hyperparameters.values.values())
    ...     _ = oracle.update_trial(trial.trial_id, {"score": score})
    ...     trial.status = TrialStatus.COMPLETED
    ...     oracle.end_trial(trial)
    >>> oracle.get_best_trials(1)[0].hyperparameters.values
    {'edge_0/op': 'conv', 'edge_1/op': 'conv', 'edge_2/op': 'conv', 'edge_3/op': 'conv'}

    Args:
        population_size: How many of the most recently completed trials (with several
            objectives: of the best) form the population.
        sample_size: How many population members take part in each tournament. The defaults
            (10 and 10: the parent is the best of the last 10 trials) did best among the
            settings measured on NAS-Bench-201 at a budget of 100 trials (BENCHMARKS.md);
            the paper's larger populations suit budgets of thousands of trials.
        mutations: How many active hyperparameters a child changes relative to its parent.
        **kwargs: The arguments of `NASOracle` (`seed`, `canonical_key`, `pruning`,
            `trial_timeout`, `constraints`) and of `keras_tuner.Oracle` (`objective`,
            `max_trials`, `hyperparameters`, `max_consecutive_failed_trials`, ...).
            The objective's direction decides the tournament winner; several objectives
            select by non-dominated rank (see above).

    Raises:
        ValueError: If `population_size`, `sample_size` or `mutations` is not a positive
            integer, or if `sample_size` is larger than `population_size`.
    """

    def __init__(
        self,
        *,
        population_size: int = 10,
        sample_size: int = 10,
        mutations: int = 1,
        **kwargs: Any,
    ):
        population_size = check_count("population_size", population_size)
        sample_size = check_count("sample_size", sample_size)
        mutations = check_count("mutations", mutations)
        if sample_size > population_size:
            raise ValueError(
                "`sample_size` must be at most `population_size`. "
                f"Received: sample_size={sample_size}, population_size={population_size}."
            )
        super().__init__(**kwargs)
        self.population_size = population_size
        self.sample_size = sample_size
        self.mutations = mutations
        #: Several objectives: select by non-dominated rank and crowding (NSGA-II).
        self._pareto = compat.is_multi_objective(self.objective)
        self._directions = (
            [one.direction for one in self.objective.objectives] if self._pareto else []
        )

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """Proposes the next architecture: a mutated tournament winner, or a random one.

        Args:
            trial_id: The ID of the trial to fill (unused: candidates depend on the state).

        Returns:
            `{"status": RUNNING, "values": {...}}` with an untried set of active values, or
            `{"status": STOPPED, "values": None}` when no untried candidate is found.
        """
        values = None
        # The population is derived from `self.trials` and `end_order`, which the parent
        # saves, so it needs no state of its own.
        population = self.population()
        if len(population) >= self.population_size:
            values = self._evolve(population)
        if values is None:
            values = self.random_untried_values()
        if values is None:
            return {"status": TrialStatus.STOPPED, "values": None}
        return {"status": TrialStatus.RUNNING, "values": values}

    def population(self) -> list[keras_tuner.engine.trial.Trial]:
        """The members that tournaments draw from.

        With one objective, the `population_size` most recently completed trials (aging).
        The random control's trials (`baseline="random"`) are never members.
        With several (`objective=[...]`), the `population_size` best completed trials by
        NSGA-II's selection: whole non-dominated fronts in rank order, the last one cut by
        crowding distance (`keras_nas.objectives.nsga2_select`), in the order they ended.
        """
        completed = self.strategy_trials()
        if not self._pareto:
            return completed[-self.population_size :]
        if len(completed) <= self.population_size:
            return completed
        kept = nsga2_select(self._points(completed), self._directions, self.population_size)
        return [completed[index] for index in sorted(kept)]

    def _points(self, trials: list[keras_tuner.engine.trial.Trial]) -> list[list[float | None]]:
        """Each trial's best value of each objective."""
        return [
            [trial.metrics.get_best_value(one.name) for one in self.objective.objectives]
            for trial in trials
        ]

    def _arguments(self) -> dict[str, Any]:
        own = ("population_size", "sample_size", "mutations")
        return {**super()._arguments(), **{name: getattr(self, name) for name in own}}

    def search_summary(self) -> dict[str, float]:
        """The population's size, mean and best score, and diversity.

        Diversity is the mean, over pairs of members, of the fraction of hyperparameters
        (active in either) whose values differ: 0 when all members are the same architecture,
        1 when no two share a value.
        """
        population = self.strategy_trials()[-self.population_size :]
        if not population:
            return {}
        scores = [trial.score for trial in population]
        best = max(scores) if self.objective.direction == "max" else min(scores)
        return {
            "population/size": float(len(population)),
            "population/mean": float(np.mean(scores)),
            "population/best": float(best),
            "population/diversity": _diversity([t.hyperparameters.values for t in population]),
        }

    def _evolve(self, population):
        """A proposable child of a tournament winner; a child over a limit is shrunk until
        it fits (`first_proposable`); `None` after `_MAX_MUTATION_ATTEMPTS` children."""
        return first_proposable(self, self._children(population))

    def _children(self, population) -> Iterator[dict[str, Any]]:
        better = self._tournament_order(population)
        for _ in range(_MAX_MUTATION_ATTEMPTS):
            picks = self._rng.choice(len(population), size=self.sample_size, replace=False)
            winner = int(picks[0])
            for index in picks[1:]:
                if better(int(index), winner):
                    winner = int(index)
            parent = population[winner]
            yield self._mutate(parent.hyperparameters.values, self.active_hyperparameters(parent))

    def _tournament_order(self, population) -> Callable[[int, int], bool]:
        """Whether member i beats member j: by the objective's score, or with several
        objectives by non-dominated rank, then crowding distance (NSGA-II)."""
        if not self._pareto:
            return lambda i, j: self.objective.better_than(population[i].score, population[j].score)
        keys = nsga2_rank(self._points(population), self._directions)
        return lambda i, j: keys[i] < keys[j]

    def _mutate(self, values: dict[str, Any], read: set[str] | None = None) -> dict[str, Any]:
        """`values` with `mutations` hyperparameters changed: ones active under the space's
        conditions and, where known, read by the parent's build (`read`)."""
        active = self.resolve(values)
        # A name may be registered more than once under different conditions; the instance
        # to mutate is the one whose conditions hold.
        by_name = {
            hp.name: hp
            for hp in self.hyperparameters.space
            if _is_mutable(hp)
            and all(cond.is_active(active) for cond in hp.conditions)
            and (read is None or hp.name in read)
        }
        candidates = list(by_name.values())
        if not candidates:
            return active
        count = min(self.mutations, len(candidates))
        child = dict(active)
        for index in sorted(self._rng.choice(len(candidates), size=count, replace=False)):
            hp = candidates[int(index)]
            child[hp.name] = self._different_value(hp, child[hp.name])
        return self.resolve(child)

    def _different_value(self, hp, current):
        if isinstance(hp, hp_module.Boolean):
            return not current
        if isinstance(hp, hp_module.Choice):
            others = [value for value in hp.values if value != current]
            return others[int(self._rng.integers(len(others)))]
        value = current
        for _ in range(_MAX_RESAMPLES):
            value = hp.random_sample(self.next_seed())
            if value != current:
                break
        return value


def _diversity(members: list[dict[str, Any]]) -> float:
    distances = [
        _distance(first, second)
        for index, first in enumerate(members)
        for second in members[index + 1 :]
    ]
    return float(np.mean(distances)) if distances else 0.0


def _distance(first: dict[str, Any], second: dict[str, Any]) -> float:
    names = set(first) | set(second)
    if not names:
        return 0.0
    return sum(first.get(name) != second.get(name) for name in names) / len(names)


def _is_mutable(hp) -> bool:
    if isinstance(hp, hp_module.Fixed):
        return False
    if isinstance(hp, hp_module.Choice):
        return len(hp.values) > 1
    if isinstance(hp, (hp_module.Int, hp_module.Float)):
        return hp.max_value > hp.min_value
    return True
