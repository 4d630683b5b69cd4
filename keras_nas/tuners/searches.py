"""`EvolutionarySearch` and `ReinforceSearch`: a `NASTuner` with its oracle built in."""

from __future__ import annotations

from typing import Any

from keras_nas import oracles
from keras_nas.estimation.pruning import PruningRule
from keras_nas.estimation.zero_cost_filter import ZeroCostFilter
from keras_nas.tuners.nas_tuner import NASTuner


class EvolutionarySearch(NASTuner):
    """Architecture search by regularized evolution (`RegularizedEvolutionOracle`).

    Example:
    >>> import tempfile
    >>> from keras_nas.datasets import load_digits
    >>> from keras_nas.search_spaces import MacroSpace
    >>> (x, y), validation = load_digits()
    >>> tuner = EvolutionarySearch(MacroSpace(input_shape=(8, 8, 1), num_classes=10),
    ...                            objective="val_accuracy", max_trials=1, seed=0,
    ...                            directory=tempfile.mkdtemp())
    >>> tuner.search(x, y, validation_data=validation, epochs=1, verbose=0)
    >>> tuner.get_best_models(1)[0].output_shape
    (None, 10)

    Args:
        hypermodel: A keras-nas search space, a `keras_tuner.HyperModel` or a `build(hp)`
            function.
        objective, max_trials, seed, hyperparameters, tune_new_entries, allow_new_entries,
        max_retries_per_trial, max_consecutive_failed_trials: As for `keras_tuner.Oracle`.
        pruning: A rule that stops poor candidates early, e.g.
            `keras_nas.estimation.MedianStopping(min_epochs=2)`; `None` trains each for all
            its epochs. See `NASOracle`.
        trial_timeout: Seconds without a report after which a parallel worker's trial is
            run again by another worker (`keras-nas launch`); `None` never. See `NASOracle`.
        zero_cost: A `keras_nas.estimation.ZeroCostFilter` that ranks candidates by a
            zero-cost proxy before any is trained; `None` trains the strategy's proposals
            as they come. See `NASOracle`.
        baseline, baseline_share: `baseline="random"` samples a share of the trials
            (half by default) at random, as a control that `keras-nas report` compares
            the strategy with. See `NASOracle`.
        initial_architectures: Architectures (dicts of values) to try first, in order.
            See `NASOracle`.
        population_size, sample_size, mutations: See `RegularizedEvolutionOracle`.
        **kwargs: The arguments of `NASTuner` and `keras_tuner.Tuner`.
    """

    def __init__(
        self,
        hypermodel: Any = None,
        objective: Any = None,
        max_trials: int = 10,
        *,
        population_size: int = 10,
        sample_size: int = 10,
        mutations: int = 1,
        seed: int | None = None,
        hyperparameters: Any = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        pruning: PruningRule | None = None,
        trial_timeout: float | None = None,
        zero_cost: ZeroCostFilter | None = None,
        baseline: str | None = None,
        baseline_share: float = 0.5,
        initial_architectures: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ):
        oracle = oracles.RegularizedEvolutionOracle(
            objective=objective,
            max_trials=max_trials,
            population_size=population_size,
            sample_size=sample_size,
            mutations=mutations,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
            pruning=pruning,
            trial_timeout=trial_timeout,
            zero_cost=zero_cost,
            baseline=baseline,
            baseline_share=baseline_share,
            initial_architectures=initial_architectures,
        )
        super().__init__(hypermodel, oracle, **kwargs)


class ReinforceSearch(NASTuner):
    """Architecture search by a REINFORCE policy (`ReinforceOracle`).

    Args:
        hypermodel: A keras-nas search space, a `keras_tuner.HyperModel` or a `build(hp)`
            function.
        objective, max_trials, seed, hyperparameters, tune_new_entries, allow_new_entries,
        max_retries_per_trial, max_consecutive_failed_trials: As for `keras_tuner.Oracle`.
        pruning: A rule that stops poor candidates early, e.g.
            `keras_nas.estimation.MedianStopping(min_epochs=2)`; `None` trains each for all
            its epochs. See `NASOracle`.
        trial_timeout: Seconds without a report after which a parallel worker's trial is
            run again by another worker (`keras-nas launch`); `None` never. See `NASOracle`.
        zero_cost: A `keras_nas.estimation.ZeroCostFilter` that ranks candidates by a
            zero-cost proxy before any is trained; `None` trains the strategy's proposals
            as they come. See `NASOracle`.
        baseline, baseline_share: `baseline="random"` samples a share of the trials
            (half by default) at random, as a control that `keras-nas report` compares
            the strategy with. See `NASOracle`.
        initial_architectures: Architectures (dicts of values) to try first, in order.
            See `NASOracle`.
        **oracle_and_tuner_kwargs: `ReinforceOracle`'s own arguments (`learning_rate`,
            `entropy_weight`, `baseline_decay`) and those of `NASTuner`.
    """

    def __init__(
        self,
        hypermodel: Any = None,
        objective: Any = None,
        max_trials: int = 10,
        *,
        seed: int | None = None,
        hyperparameters: Any = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        pruning: PruningRule | None = None,
        trial_timeout: float | None = None,
        zero_cost: ZeroCostFilter | None = None,
        baseline: str | None = None,
        baseline_share: float = 0.5,
        initial_architectures: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ):
        policy = {
            name: kwargs.pop(name)
            for name in ("learning_rate", "entropy_weight", "baseline_decay")
            if name in kwargs
        }
        oracle = oracles.ReinforceOracle(
            objective=objective,
            max_trials=max_trials,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
            pruning=pruning,
            trial_timeout=trial_timeout,
            zero_cost=zero_cost,
            baseline=baseline,
            baseline_share=baseline_share,
            initial_architectures=initial_architectures,
            **policy,
        )
        super().__init__(hypermodel, oracle, **kwargs)
