"""`NASTuner`: the KerasTuner `Tuner` that the keras-nas searches extend.

Size: about 910 lines, one unit: the `NASTuner` class, whose methods are the hooks of
`keras_tuner.Tuner` that every trial passes through (build, fit, epoch reports, end, save
and reload) and so belong to one object by KerasTuner's design; its docstring (a hundred
lines) documents every argument of the keras-nas searches. What is not a hook lives beside
it in `keras_nas.tuners`: argument checks (`checks`), costs (`costs`), failures
(`failures`), best weights (`best_weights`), the search and architecture records
(`records`), the run manifest (`manifest`), seeds of a deterministic search
(`determinism`), progress lines (`progress`), memory cleanup (`cleanup`, `sessions`) and the
transfer of a proxy task's best architectures (`transfer`, which `NASTuner.transfer` calls).
"""

from __future__ import annotations

import gc
import glob
import os
import time
import warnings
from collections.abc import Sequence
from typing import Any, TextIO

import keras
import keras_tuner
from keras_tuner import errors
from keras_tuner.engine.trial import TrialStatus

from keras_nas import compat
from keras_nas.arguments import check_bool
from keras_nas.callbacks.hparams import trial_hparams
from keras_nas.callbacks.search_tensorboard import SearchTensorBoard
from keras_nas.distribute.chief import role, serve
from keras_nas.distribute.heartbeat import Heartbeat
from keras_nas.estimation.proxy_task import ProxyTask
from keras_nas.estimation.pruning import STOPPED_EARLY
from keras_nas.files import (
    ORACLE_FILE,
    SEARCH_FILE,
    read_json_state,
    write_json_atomically,
)
from keras_nas.objectives import ConstraintCheck, Constraints, pareto_front
from keras_nas.oracles.active import ActiveHyperParameters
from keras_nas.oracles.base import NASOracle
from keras_nas.search_spaces.base import SearchSpace
from keras_nas.search_spaces.scaling import scaled_space
from keras_nas.timing import TrialClock
from keras_nas.tuners.best_weights import (
    BEST_WEIGHTS_FILE,
    KeepBestWeights,
    build_optimizer,
    read_best_weights,
)
from keras_nas.tuners.candidate_scores import CandidateScorer
from keras_nas.tuners.checks import (
    check_fit_arguments,
    check_search_inputs,
    check_tuner_arguments,
    check_writable_directory,
    declaration_failed_message,
    fit_keywords,
    search_constraints,
)
from keras_nas.tuners.cleanup import custom_gradient_names, forget_custom_gradients
from keras_nas.tuners.costs import CandidateCosts, derived_objectives, needed_metrics
from keras_nas.tuners.deadline import TrialDeadline
from keras_nas.tuners.determinism import (
    enable_op_determinism,
    proposal_seed,
    seed_everything,
    trial_seed,
)
from keras_nas.tuners.failures import TrialGuard, as_failed_trial
from keras_nas.tuners.manifest import search_manifest, write_or_check_manifest
from keras_nas.tuners.progress import SearchProgress
from keras_nas.tuners.records import write_architecture, write_search_record
from keras_nas.tuners.reproduce import ReproducedTrial, TrialModel, reproduce_trial
from keras_nas.tuners.sessions import objects_frozen, release_keras_state
from keras_nas.tuners.transfer import TransferResult, transfer
from keras_nas.weight_sharing import InheritWeights, SharedLayerRegistry

#: Where `weight_sharing=True` keeps the shared weights, under the project directory.
SHARED_WEIGHTS_DIR = "shared_weights"
#: Where a trial's trained shared weights wait, under its trial directory, until its end is
#: recorded.
PENDING_WEIGHTS_DIR = "shared_weights_pending"
#: Seconds a worker waits before asking again when the oracle has no trial for it yet.
WAIT_SECONDS = 1.0


class NASTuner(keras_tuner.Tuner):
    """A `keras_tuner.Tuner` for architecture search, with any hypermodel and oracle.

    What it adds to `keras_tuner.Tuner`:
    - a keras-nas oracle without a `canonical_key` takes the hypermodel's (every keras-nas
      space has one), so that architectures computing the same function are tried once;
    - `search(..., verbose=1)` prints one line per trial (`SearchProgress`) instead of
      KerasTuner's tables and Keras's progress bars; `verbose=2` shows KerasTuner's display
      and one line per epoch; `verbose=0` prints nothing;
    - `weight_sharing=True`: each candidate starts from the trained weights of every layer it
      shares with earlier candidates (same operation at the same position, same shapes) and
      writes its trained weights back (ENAS-style inheritance, see `SharedLayerRegistry`).
      The weights live in `<project dir>/shared_weights/`, so a resumed search and other
      workers sharing the directory inherit them too. The progress line says how many layers
      each candidate inherited;
    - every epoch's metrics go to the oracle (`oracle.update_trial(..., step=epoch)`), with the
      candidate's cost (`params`, `flops`, `size_bytes`, and `latency_ms` when measured; see
      `keras_nas.tuners.costs`) and the `seconds` since the trial began; an oracle with a
      pruning rule can stop the trial there (`keras_nas.estimation`);
    - hardware-aware search: `constraints=keras_nas.objectives.Constraints(max_params=...,
      max_flops=..., max_latency_ms=...)` (here or on a keras-nas oracle) is checked on each
      candidate, built once and untrained, before it becomes a trial; a candidate over a
      limit is never trained, never counts as failed, and the oracle proposes another (the
      accepted candidate's model is the one trained). Latency (`latency_ms`, and
      `latency_ms_b<n>` for each of `latency_batch_sizes`) is measured when an objective or
      constraint needs it, or with `latency=True`. Objectives may be costs
      (`objective=["val_accuracy", Objective("latency_ms", "min")]`: Pareto search with
      evolution) or MnasNet's reward (`objective=MnasNetReward(target=...)`), computed at
      every epoch; `pareto_front()` gives the non-dominated trials;
    - fast trials: each candidate is built once, the search's space is declared without
      building a model, the best epoch's weights stay in memory and are written once per
      trial (`best_weights`), `trial.json` and `oracle.json` are written once per trial, and
      one garbage collection frees the previous trial (`sessions`); each trial records its
      `build_seconds`, `fit_seconds` and `bookkeeping_seconds` (`keras_nas.timing`), which
      `keras-nas report` shows (`benchmarks/overhead.py` compares a search with a plain
      `model.fit` loop);
    - `keras.callbacks.TensorBoard(log_dir)` and its subclasses log each trial under
      `log_dir/<trial id>/execution<k>` with the trial's HParams, inactive conditional choices
      included as `"inactive"` (KerasTuner matches the class name exactly and leaves them out);
    - `keras_nas.callbacks.SearchTensorBoard(log_dir)` in the callbacks logs the search as a
      whole (see there);
    - the project directory holds `search.json` (objectives, oracle, space, keras-nas version)
      and each trial directory `architecture.json` (the space's `describe` and
      `architecture_graph`), which `keras-nas report` reads;
    - parallel search (KerasTuner's chief/worker mode, started by `keras-nas launch`): with a
      keras-nas oracle the chief stops once no trial is left to run, without waiting for
      workers that vanished; a worker sends a sign of life every 10 s while it trains, and
      asks again every second while the oracle has no trial for it yet; see
      `keras_nas.distribute` and `NASOracle.trial_timeout`;
    - failed candidates: one that cannot be built, whose loss becomes NaN or infinite, or
      that runs out of memory is a failed trial whose `message` ends with its reason; the
      search goes on, and only `max_consecutive_failed_trials` failures in a row stop it
      (`keras_nas.tuners.failures`). This holds once the search runs: a hypermodel that is
      not a keras-nas space is built once when the tuner is made, to declare its
      hyperparameters, and a `build(hp)` that raises there is a `keras_tuner.errors.FatalError`
      saying so, with the original error chained;
    - `max_model_size` (a `keras_tuner.Tuner` argument), with a keras-nas oracle: a larger
      candidate is rejected before it becomes a trial, as with `constraints`
      (`NASOracle.constraint`);
    - memory: what a trial leaves in TensorFlow that `keras.backend.clear_session()` does
      not free (its training graphs, `keras_nas.tuners.cleanup`) is dropped when it ends,
      so hundreds of trials run in one process (`benchmarks/memory.py`);
    - crash-safe state: every state file is written atomically, and a search killed at any
      moment resumes (`overwrite=False`) without losing or repeating a completed trial
      (`NASOracle.reload`); a corrupt state file is an error that names it, and is never
      written over; the project directory is checked to be writable when the tuner is
      made;
    - reproducibility: `manifest.json` in the project directory records what the search ran
      with (package versions, seed, strategy, space, `fit` settings, a fingerprint of the
      data, devices), and a resumed search warns with what changed
      (`keras_nas.tuners.manifest`); `deterministic=True` seeds every trial from the
      oracle's seed and makes TensorFlow's ops deterministic, so that two runs with the same
      seed give the same trials and scores (`keras_nas.tuners.determinism`).

    `search` takes exactly what `model.fit` takes.

    Example:
    >>> import tempfile
    >>> from keras_nas.datasets import load_digits
    >>> from keras_nas.oracles import RegularizedEvolutionOracle
    >>> from keras_nas.search_spaces import MLPSpace
    >>> (x, y), (x_val, y_val) = load_digits()
    >>> space = MLPSpace(input_shape=(64,), num_classes=10)
    >>> oracle = RegularizedEvolutionOracle(objective="val_accuracy", max_trials=2, seed=0)
    >>> tuner = NASTuner(space, oracle, directory=tempfile.mkdtemp())
    >>> tuner.search(x.reshape(-1, 64), y, validation_data=(x_val.reshape(-1, 64), y_val),
    ...              epochs=1, verbose=0)
    >>> len(tuner.oracle.trials)
    2

    Args:
        hypermodel: A keras-nas search space, any `keras_tuner.HyperModel`, or a function
            `build(hp)` that returns a compiled model.
        oracle: Any `keras_tuner.Oracle`, e.g. `RegularizedEvolutionOracle`.
        weight_sharing: `True` to share weights among candidates through a
            `SharedLayerRegistry` in the project directory, or a registry of your own (for
            instance one in memory, `SharedLayerRegistry()`); `False` (the default) trains
            every candidate from scratch.
        constraints: Limits on each candidate's parameters, FLOPs and latency
            (`keras_nas.objectives.Constraints`), checked before it is trained; needs a
            keras-nas oracle. `None` takes the oracle's `constraints`.
        latency: Whether to measure each candidate's latency: `None` (the default) when an
            objective or the constraints need it, `True` always, `False` never.
        latency_batch_sizes: The batch sizes whose latency is measured: 1 is `latency_ms`,
            n is `latency_ms_b<n>` (one call on a whole batch of n).
        progress_out: Where the progress lines go; standard output by default.
        estimation: A `keras_nas.estimation.ProxyTask`: each trial trains on its cheaper
            setting (a share of the data, smaller images, a narrower or shallower network,
            fewer epochs), and `transfer` trains the best architectures on the full one;
            `None` trains every trial on what `search` receives.
        deterministic: Whether to seed each trial's proposal, initial weights and data order
            from the oracle's seed, and turn on TensorFlow's op determinism for the process
            (`keras_nas.tuners.determinism`): two runs with the same seed on the same machine
            give the same trials and scores, bit for bit on CPU. Slower on GPU.
        **kwargs: The arguments of `keras_tuner.Tuner` (`directory`, `project_name`,
            `overwrite`, `max_model_size`, `distribution_strategy`, ...).
    """

    def __init__(
        self,
        hypermodel: Any,
        oracle: keras_tuner.Oracle,
        *,
        weight_sharing: bool | SharedLayerRegistry = False,
        constraints: Constraints | None = None,
        latency: bool | None = None,
        latency_batch_sizes: Sequence[int] = (1,),
        progress_out: TextIO | None = None,
        estimation: ProxyTask | None = None,
        deterministic: bool = False,
        **kwargs: Any,
    ):
        self.deterministic = check_bool("deterministic", deterministic)
        if not isinstance(weight_sharing, (bool, SharedLayerRegistry)):
            raise ValueError(
                "`weight_sharing` must be True, False or a `SharedLayerRegistry`. Received: "
                f"weight_sharing={weight_sharing!r}."
            )
        if estimation is not None and not isinstance(estimation, ProxyTask):
            raise ValueError(
                "`estimation` must be a `keras_nas.estimation.ProxyTask` or None. Received: "
                f"estimation={estimation!r} (a {type(estimation).__name__})."
            )
        #: The proxy task of the trials, if any, and the hypermodel of the full setting.
        self.estimation = estimation
        self.full_hypermodel = hypermodel
        if estimation is not None and estimation.reduces_network:
            hypermodel = scaled_space(hypermodel, **estimation.network_scaling())
        canonical_key = getattr(hypermodel, "canonical_key", None)
        if isinstance(oracle, NASOracle) and oracle.canonical_key is None and canonical_key:
            oracle.canonical_key = canonical_key
        self._progress = SearchProgress(progress_out)
        if isinstance(oracle, NASOracle):
            oracle.announce = self._progress.say
        self._show_progress = True
        # A worker's `self.oracle` becomes KerasTuner's client of the chief's oracle.
        self._oracle_name = type(oracle).__name__
        self._asked_for_trial = False
        check_tuner_arguments(kwargs, oracle)
        check_writable_directory(kwargs.get("directory"), kwargs.get("project_name"))
        # Checked before KerasTuner touches the project directory (overwrite, reload).
        costs = CandidateCosts(
            constraints=search_constraints(constraints, oracle),
            max_model_size=kwargs.get("max_model_size"),
            latency=latency,
            latency_batch_sizes=latency_batch_sizes,
            needed=needed_metrics(compat.objectives_of(oracle.objective)),
        )
        super().__init__(hypermodel=hypermodel, oracle=oracle, **kwargs)
        self.costs = costs
        if self.costs.checks and isinstance(self.oracle, NASOracle):
            self.oracle.constraint = self._candidate_violation
            self.oracle.search_space = self.hypermodel  # Named when no candidate fits.
        # An accepted candidate, built and measured by `_candidate_violation` for its trial.
        self._prebuilt: tuple[dict[str, Any], keras.Model, dict[str, float]] | None = None
        self._prebuilt_cost: dict[str, float] | None = None
        self._trial_cost: dict[str, dict[str, float]] = {}
        self._stopped_trials: set[str] = set()  # Stopped by the oracle; no more executions.
        if self._oracle_file_without_tuner_file(kwargs.get("overwrite", False)):
            # The crash came after the oracle's first save and before the tuner's: the
            # oracle's record is the search's, so reload it rather than start over.
            self.reload()
        # Created after the parent, which deletes the project directory when overwriting.
        self.registry = (
            SharedLayerRegistry(os.path.join(self.project_dir, SHARED_WEIGHTS_DIR))
            if weight_sharing is True
            else weight_sharing or None
        )
        self._settle_pending_weights()
        self._inheritance: dict[str, InheritWeights] = {}
        self._search_boards: list[SearchTensorBoard] = []
        self._trial_start: dict[str, float] = {}
        self._heartbeat: Heartbeat | None = None
        self._custom_gradients: set[str] = set()
        self._clock = TrialClock()
        self._scorer: CandidateScorer | None = None  # With the oracle's `zero_cost` filter.

    def search(
        self,
        *fit_args: Any,
        verbose: int = 1,
        max_time: float | None = None,
        max_trial_seconds: float | None = None,
        **fit_kwargs: Any,
    ) -> None:
        """Searches; takes what `model.fit` takes. See the class docstring for `verbose`.

        `max_time` is the search's budget in seconds, counted over every run of a resumed
        search, and `max_trial_seconds` each trial's limit (a keras-nas oracle's, see
        `keras_nas.oracles.time_limits`; given here, they replace the oracle's; `None`
        keeps the oracle's, `float("inf")` removes one). Checked before any training."""
        verbose = check_fit_arguments(fit_kwargs, verbose)
        self._set_time_limits(max_time, max_trial_seconds)
        self._show_progress = verbose == 1
        self._check_same_estimation()
        if self.deterministic:
            if role() != "single":
                raise ValueError(
                    "deterministic=True seeds the trials of a search in one process; in a "
                    "parallel search (chief and workers) the order of trials depends on which "
                    "worker asks first. Run it without `keras-nas launch`, or leave "
                    "deterministic=False."
                )
            enable_op_determinism()
        given = fit_keywords(fit_args, fit_kwargs)  # For the manifest: the data given.
        if self.estimation is not None:
            fit_args, fit_kwargs = _on_proxy_task(self.estimation, fit_args, fit_kwargs)
        if isinstance(self.oracle, NASOracle) and self.oracle.zero_cost is not None:
            x = fit_args[0] if fit_args else fit_kwargs.get("x")
            y = fit_args[1] if len(fit_args) > 1 else fit_kwargs.get("y")
            self._scorer = CandidateScorer(self.oracle.zero_cost, self._build_untrained, x, y)
            self.oracle.candidate_score = self._scorer
        if role() == "chief" and isinstance(self.oracle, NASOracle):
            self.oracle.verbose = verbose if verbose == 2 else 0  # KerasTuner's display.
            self.save()
            self._write_manifest(given, record_devices=False)  # Workers train, not the chief.
            serve(self.oracle, verbose=verbose > 0)
            return
        self.check_inputs(
            fit_args[0] if fit_args else fit_kwargs.get("x"),
            fit_args[1] if len(fit_args) > 1 else fit_kwargs.get("y"),
            validation_data=fit_kwargs.get("validation_data"),
            validation_split=fit_kwargs.get("validation_split", 0.0),
        )
        if role() != "worker":
            self._write_manifest(given)
        callbacks = list(fit_kwargs.pop("callbacks", None) or [])
        # Search-level callbacks follow the search, not a `model.fit`: kept out of the trials.
        self._search_boards = [c for c in callbacks if isinstance(c, SearchTensorBoard)]
        fit_kwargs["callbacks"] = [c for c in callbacks if not isinstance(c, SearchTensorBoard)]
        with warnings.catch_warnings(), objects_frozen():
            # KerasTuner warns when the objective was reported during the trial, which is
            # what `on_epoch_end` does on purpose (so that an oracle can stop poor trials).
            warnings.filterwarnings(
                "ignore", message="The use case of calling", category=DeprecationWarning
            )
            super().search(*fit_args, verbose=0 if verbose < 2 else 2, **fit_kwargs)

    def _set_time_limits(self, max_time: Any, max_trial_seconds: Any) -> None:
        """Gives the oracle the limits passed to `search` and starts the search's clock."""
        if max_time is None and max_trial_seconds is None:
            if isinstance(self.oracle, NASOracle):
                self.oracle.time_limits.start()
            return
        if role() == "worker":
            return  # The chief's `search` gives them to its oracle, which keeps the clock.
        if not isinstance(self.oracle, NASOracle):
            raise ValueError(
                "`max_time` and `max_trial_seconds` need a keras-nas oracle, which keeps the "
                f"search's clock; this search's is {type(self.oracle).__name__}. Use "
                "EvolutionarySearch or ReinforceSearch, or a keras-nas oracle."
            )
        limits = self.oracle.time_limits
        limits.set_limits(
            limits.max_time if max_time is None else max_time,
            limits.max_trial_seconds if max_trial_seconds is None else max_trial_seconds,
        )
        limits.start()

    def transfer(
        self,
        x: Any,
        y: Any = None,
        *,
        top_k: int = 5,
        width_multiplier: float | None = None,
        cells_per_stage: int | None = None,
        overwrite: bool = False,
        verbose: int = 1,
        **fit_kwargs: Any,
    ) -> TransferResult:
        """Trains the `top_k` best architectures of the search on the full setting.

        After a search on a proxy task (`estimation=ProxyTask(...)`), each of the best
        trials' architectures is built on the full space (the image size, width and depth the
        tuner was given, or wider and deeper with `width_multiplier` and `cells_per_stage`, as
        NASNet stacked more cells for ImageNet) and trained with `model.fit(x, y,
        **fit_kwargs)`. Both scores of each are recorded in `transfer.json` in the project
        directory, after each architecture, so that a transfer killed midway resumes where it
        stopped when run again with the same settings; the models are saved in
        `transfer/trial_<id>.keras`. `keras-nas report` shows the record. See
        `keras_nas.tuners.transfer`.

        Args:
            x, y, **fit_kwargs: The full task's data and `model.fit` arguments (`epochs`,
                `validation_data`, `batch_size`, `callbacks`, ...).
            top_k: How many of the best completed trials to train.
            width_multiplier: The factor on the full space's width setting; `None` keeps it.
            cells_per_stage: The full space's depth setting; `None` keeps it.
            overwrite: Whether to discard a record with other settings instead of refusing.
            verbose: 1 prints one line per architecture and the rank correlation, 2 also
                Keras's epoch lines, 0 nothing.

        Returns:
            A `TransferResult`: the architectures, best full score first, with both scores,
            and the rank correlation between them.

        Raises:
            ValueError: If the search has no completed trial, the objective needs validation
                data that was not given, an argument is invalid, or `transfer.json` records
                other settings and `overwrite` is false.
        """
        return transfer(
            self,
            x,
            y,
            top_k=top_k,
            width_multiplier=width_multiplier,
            cells_per_stage=cells_per_stage,
            overwrite=overwrite,
            verbose=verbose,
            **fit_kwargs,
        )

    def reproduce(
        self, trial_id: str, x: Any, y: Any = None, *, verbose: int = 0, **fit_kwargs: Any
    ) -> ReproducedTrial:
        """Retrains one completed trial as the search trained it; returns the recorded and
        the reproduced score (`keras_nas.tuners.reproduce`).

        Pass the data given to `search`: they are checked against the run manifest's
        fingerprint. The manifest's `fit` settings (`epochs`, `batch_size`, ...) apply
        unless given here; a trial stopped early trains for the epochs it ran. After a
        `deterministic=True` search the trial is seeded as in the search, and on the same
        machine the two scores are identical (bit for bit on CPU).

        Example:
        >>> # tuner.search(x, y, validation_data=(x_val, y_val), epochs=2)  # deterministic
        >>> # print(tuner.reproduce("3", x, y, validation_data=(x_val, y_val)))
        >>> # trial 3: val_accuracy recorded 0.951389, reproduced 0.951389 (identical) ...

        Raises:
            ValueError: Before any training, if the trial is not a completed one with a
                score, the search shared weights (`weight_sharing`) or ran several
                executions per trial, has no manifest, or the data differ from the
                manifest's.
        """
        # Built as the search built it: in KerasTuner's scope (distribution strategy,
        # the tuner's compile overrides).
        trial_model = TrialModel(lambda hp: compat.build_hypermodel(self, hp), self.hypermodel.fit)
        return reproduce_trial(
            self.project_dir,
            trial_id,
            trial_model,
            fit_keywords((x, y), fit_kwargs),
            estimation=self.estimation,
            verbose=verbose,
        )

    def _write_manifest(self, fit_kwargs: dict[str, Any], record_devices: bool = True) -> None:
        """Writes `manifest.json`, or checks a resumed search against it (`manifest`);
        `fit_kwargs` are `search`'s arguments by name."""
        manifest = search_manifest(self, fit_kwargs, record_devices=record_devices)
        resumed = bool(getattr(self.oracle, "trials", None))
        write_or_check_manifest(self.project_dir, manifest, resumed=resumed)

    @property
    def search_seed(self) -> int:
        """The search's seed, from which a deterministic search seeds each trial: a keras-nas
        oracle's `seed` argument, else the oracle's `seed` (KerasTuner draws one when none,
        or 0, is given, and saves it with its state)."""
        if isinstance(self.oracle, NASOracle):
            return self.oracle.search_seed
        return int(getattr(self.oracle, "seed", None) or 0)

    def _check_same_estimation(self) -> None:
        """Refuses to resume a search whose trials trained on another proxy task."""
        path = os.path.join(self.project_dir, SEARCH_FILE)
        trials = getattr(self.oracle, "trials", None)  # A worker's oracle client has none.
        if not trials or not os.path.exists(path):
            return
        recorded = read_json_state(path, "search record").get("estimation")
        current = {"ProxyTask": self.estimation.get_config()} if self.estimation else None
        if recorded != current:
            raise ValueError(
                f"This search's {len(trials)} trials trained with "
                f"estimation={recorded} ({path}), and it is resumed with estimation={current}: "
                "their scores would not compare. Pass the same `estimation` to resume, or "
                "`overwrite=True` (or another `project_name`) to start a new search."
            )

    def check_inputs(
        self, x: Any, y: Any = None, *, validation_data: Any = None, validation_split: float = 0.0
    ) -> None:
        """Checks the data and the objective against a keras-nas space before any training
        (`keras_nas.tuners.checks`); `search` calls it.

        Raises:
            ValueError: If the inputs do not fit the space's `input_shape`, the labels do not
                fit its `num_classes` and loss, or the objective is a metric the trials do not
                log.
        """
        check_search_inputs(
            self.hypermodel,
            compat.objectives_of(self.oracle.objective),
            x,
            y,
            validation_data=validation_data,
            validation_split=validation_split,
            cost_metrics=[*self.costs.metric_names(), "seconds"],
        )

    def run_trial(self, trial, *args: Any, **kwargs: Any) -> list:
        """Builds and trains the candidate, as `keras_tuner.Tuner.run_trial` does, but with the
        best epoch's weights kept in memory and written once at the end (`best_weights`), and
        each part of the trial timed (`timing`).

        A candidate that cannot be built, whose loss is not finite, or that runs out of
        memory raises `keras_tuner.errors.FailedTrialError` with its reason
        (`keras_nas.tuners.failures`): the trial is recorded as failed and the search goes on.
        """
        guard = TrialGuard()
        added = [guard, _TunerHooks(self, trial), TrialDeadline(self._deadline(trial))]
        if self.registry is not None:
            inherit = InheritWeights(self.registry, self._pending_weights(trial.trial_id))
            self._inheritance[trial.trial_id] = inherit
            added.append(inherit)
        best = KeepBestWeights(self.oracle.objective)
        user_callbacks = kwargs.pop("callbacks", None) or []
        histories = []
        try:
            for execution in range(self.executions_per_trial):
                if trial.trial_id in self._stopped_trials:
                    break  # A time limit or pruning stopped it: no more executions.
                callbacks = compat.copy_callbacks(self, user_callbacks)
                self._configure_tensorboard_dir(callbacks, trial, execution)
                if self.deterministic:
                    self._seed_trial(trial.trial_id, execution, "build")
                with self._clock.part("build"):
                    model = self._try_build(trial.hyperparameters)
                self._trial_cost[trial.trial_id] = self._take_cost(model)
                built = model.built
                if self.deterministic:
                    self._seed_trial(trial.trial_id, execution, "fit")
                with self._clock.part("fit"):
                    histories.append(
                        self.hypermodel.fit(
                            trial.hyperparameters,
                            model,
                            *args,
                            callbacks=[*callbacks, *added, best],
                            **kwargs,
                        )
                    )
            if not built:  # `load_model` builds such a model from its config.
                path = compat.build_config_file(self, trial.trial_id)
                write_json_atomically(path, model.get_build_config())
            best.write(model, self._best_weights_path(trial.trial_id))
        except Exception as error:
            failed = as_failed_trial(error, training_started=guard.training_started)
            if failed is error:
                raise
            raise failed from error
        return histories

    def _deadline(self, trial) -> float | None:
        """When the trial must stop training (`time.monotonic`), if the oracle is in this
        process and has a time limit; a worker's trials stop at the end of an epoch."""
        if role() != "single" or not isinstance(self.oracle, NASOracle):
            return None
        return self.oracle.time_limits.deadline(trial.trial_id)

    def _seed_trial(self, trial_id: str, execution: int, stage: str) -> None:
        """Seeds the trial's build or training (`determinism`). The model is built afresh
        after the seed, not taken from the oracle's checks, so the trial reproduces alone."""
        if stage == "build":
            self._prebuilt = None
            if self._scorer is not None:
                self._scorer.take({})  # Forgets the networks the zero-cost filter scored.
        seed_everything(trial_seed(self.search_seed, trial_id, execution, stage))

    def _try_build(self, hp) -> keras.Model:
        # Overrides a private method of `keras_tuner.Tuner` (1.4.8), which every build of a
        # candidate goes through (`run_trial`, `load_model`), to free the previous trial's
        # state with one garbage collection instead of two (`keras_nas.tuners.sessions`).
        prebuilt, self._prebuilt = self._prebuilt, None
        if prebuilt is not None and prebuilt[0] == hp.values:
            self._prebuilt_cost = prebuilt[2]
            return prebuilt[1]  # Built when the oracle checked it: each candidate once.
        scored = self._scorer.take(hp.values) if self._scorer is not None else None
        if scored is not None:
            return scored  # The network the zero-cost filter scored, untouched.
        release_keras_state()
        model = compat.build_hypermodel(self, hp)
        if not isinstance(model, keras.Model):
            raise errors.FatalTypeError(
                "Expected the model-building function, or HyperModel.build(), to return a "
                f"Keras Model. Received: {model!r} of type {type(model).__name__}."
            )
        if self.max_model_size and model.count_params() > self.max_model_size:
            raise errors.FailedTrialError(
                f"Oversized model: {model.count_params()} parameters, over "
                f"max_model_size={self.max_model_size}."
            )
        return model

    def load_model(self, trial) -> keras.Model:
        """The trial's model with the weights of its best epoch (see `best_weights`); what
        `get_best_models` returns. A trial of a search saved by KerasTuner's own checkpoint
        loads as KerasTuner loads it. The model's optimizer is built (`build_optimizer`), so
        `model.save(path)` writes a file that loads without warnings."""
        path = self._best_weights_path(trial.trial_id)
        if not os.path.exists(path):
            return build_optimizer(super().load_model(trial))
        model = self._try_build(trial.hyperparameters)
        if not model.built:
            config = read_json_state(compat.build_config_file(self, trial.trial_id), "build")
            model.build_from_config(config)
        model.set_weights(read_best_weights(path))
        return build_optimizer(model)

    def _best_weights_path(self, trial_id: str) -> str:
        return os.path.join(self.get_trial_dir(trial_id), BEST_WEIGHTS_FILE)

    def save(self) -> None:
        """Saves the oracle (on the chief or alone) and the tuner's state, each atomically."""
        if role() != "worker":
            self.oracle.save()
        write_json_atomically(compat.tuner_file(self), self.get_state())

    def reload(self) -> None:
        """Reloads the oracle (see `NASOracle.reload`) and the tuner's state.

        Raises:
            keras_nas.files.StateFileError: If a state file is corrupt or truncated; it is
                left as it is.
        """
        if role() != "worker":
            self.oracle.reload()
        if os.path.exists(compat.tuner_file(self)):
            self.set_state(read_json_state(compat.tuner_file(self), "tuner state"))

    def on_search_begin(self) -> None:
        super().on_search_begin()
        write_search_record(
            self.project_dir, self.hypermodel, self.oracle, self._oracle_name, self.estimation
        )
        self._progress.search_started()
        for board in self._search_boards:
            board.on_search_begin(self)

    def on_search_end(self) -> None:
        super().on_search_end()
        if isinstance(self.oracle, NASOracle):
            self.oracle.time_limits.pause()  # The time until the next `search` is not spent.
        for board in self._search_boards:
            board.on_search_end(self)

    def pre_create_trial(self) -> None:
        super().pre_create_trial()
        if self._asked_for_trial:  # The last request gave no trial: wait before asking again.
            time.sleep(WAIT_SECONDS)
        self._asked_for_trial = True
        self._clock = TrialClock()
        trials = getattr(self.oracle, "trials", None)  # A worker's oracle client has none.
        if self.deterministic and trials is not None:
            seed_everything(proposal_seed(self.search_seed, len(trials)))

    def on_trial_begin(self, trial) -> None:
        self._asked_for_trial = False
        self._custom_gradients = custom_gradient_names()
        if role() == "worker":  # Tells the chief this worker lives, however long an epoch.
            self._heartbeat = Heartbeat(self.oracle, trial.trial_id)
            self._heartbeat.start()
        super().on_trial_begin(trial)
        self._trial_start[trial.trial_id] = time.monotonic()
        self._progress.trial_started()

    def on_epoch_end(self, trial, model, epoch: int, logs: dict | None = None) -> None:
        """Reports the epoch's metrics to the oracle; stops training when it says so."""
        with self._clock.bookkeeping():
            self._report_epoch(trial, model, epoch, logs)

    def _report_epoch(self, trial, model, epoch: int, logs: dict | None) -> None:
        super().on_epoch_end(trial, model, epoch, logs=logs)
        metrics = {name: float(value) for name, value in (logs or {}).items()}
        cost = self._trial_cost.get(trial.trial_id, {})
        needed = needed_metrics(compat.objectives_of(self.oracle.objective))
        if not all(name in metrics or name in cost for name in needed):
            return  # An epoch without validation (`validation_freq`): nothing to compare.
        metrics["seconds"] = time.monotonic() - self._trial_start.get(trial.trial_id, 0.0)
        metrics.update(self._trial_cost.get(trial.trial_id, {}))
        for objective in derived_objectives(compat.objectives_of(self.oracle.objective)):
            metrics[objective.name] = objective.compute(metrics)
        objective = self.oracle.objective
        if compat.is_multi_objective(objective) and objective.name not in metrics:
            # KerasTuner's score of several objectives, which its own oracles do not add.
            metrics[objective.name] = objective.get_value(metrics)
        reported = self.oracle.update_trial(trial.trial_id, metrics, step=epoch)
        if reported.status == TrialStatus.STOPPED:
            model.stop_training = True
            self._stopped_trials.add(trial.trial_id)

    def on_trial_end(self, trial) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        # The trial's training graphs, which `clear_session` does not free (`cleanup`).
        forget_custom_gradients(keep=self._custom_gradients)
        if trial.status != TrialStatus.COMPLETED:
            # What a failed candidate held (an out-of-memory model) goes before the next.
            keras.backend.clear_session()
            gc.collect()
        write_architecture(self.hypermodel, trial, self.get_trial_dir(trial.trial_id))
        for name, value in self._clock.metrics().items():
            trial.metrics.update(name, value)  # Saved with the trial's end, sent by a worker.
        self.oracle.end_trial(trial)  # Writes the trial's record, then `oracle.json`.
        if not os.path.exists(compat.tuner_file(self)):
            # KerasTuner saves the oracle again after every trial, with the tuner's state,
            # which never changes: it is written once, after the first `oracle.json`.
            write_json_atomically(compat.tuner_file(self), self.get_state())
        if self.registry is not None and self.registry.directory is not None:
            # Only now that the oracle has recorded the trial's end do its weights count.
            self.registry.commit(self._pending_weights(trial.trial_id))
        self._trial_start.pop(trial.trial_id, None)
        self._trial_cost.pop(trial.trial_id, None)
        notes = [self._inheritance_note(trial), self._stopped_note(trial)]
        note = ", ".join(note for note in notes if note) or None
        if self._show_progress:
            self._progress.trial_ended(self, trial, note=note)
        for board in self._search_boards:
            board.on_trial_end(self, trial)

    def _populate_initial_space(self) -> None:
        # Overrides a hook of `keras_tuner.BaseTuner` (1.4.8) that builds the hypermodel once
        # or more when the tuner is made, to discover its hyperparameters: a keras-nas space
        # declares every one of them without building a model.
        if not isinstance(self.hypermodel, SearchSpace):
            try:
                super()._populate_initial_space()
            except Exception as error:
                raise errors.FatalError(declaration_failed_message(error)) from error
            return
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)

    def _configure_tensorboard_dir(self, callbacks: list, trial, execution: int = 0) -> None:
        # Overrides a private hook of `keras_tuner.Tuner.run_trial` (KerasTuner 1.4.8), the one
        # place that gives each trial's TensorBoard callback its own directory and HParams:
        # KerasTuner's version recognises only the exact class `TensorBoard` and leaves
        # inactive conditional hyperparameters out of the HParams.
        from tensorboard.plugins.hparams import api as hparams_api

        for callback in list(callbacks):
            if isinstance(callback, keras.callbacks.TensorBoard):
                log_dir = os.path.join(
                    str(callback.log_dir), str(trial.trial_id), f"execution{execution}"
                )
                callback.log_dir = log_dir
                callbacks.append(
                    hparams_api.KerasCallback(
                        writer=log_dir,
                        hparams=trial_hparams(trial.hyperparameters),
                        trial_id=trial.trial_id,
                    )
                )

    def _pending_weights(self, trial_id: str) -> str | None:
        if self.registry is None or self.registry.directory is None:
            return None
        return os.path.join(self.get_trial_dir(trial_id), PENDING_WEIGHTS_DIR)

    def _settle_pending_weights(self) -> None:
        """Commits the shared weights of trials that ended before a crash, and drops those
        of trials whose end was not recorded (they run again)."""
        if self.registry is None or self.registry.directory is None or role() == "worker":
            return
        ended = set(self.oracle.end_order)
        for path in glob.glob(os.path.join(self.project_dir, "trial_*", PENDING_WEIGHTS_DIR)):
            trial_id = os.path.basename(os.path.dirname(path))[len("trial_") :]
            if trial_id in ended:
                self.registry.commit(path)
            else:
                self.registry.discard(path)

    def _candidate_violation(self, values: dict[str, Any]) -> ConstraintCheck | None:
        """Whether the candidate `values` may train (`max_model_size`, `constraints`): the
        reason it may not (or `None`) and the share of its limits it takes, which the oracle
        uses to shrink a rejected candidate (`keras_nas.oracles.shrink`). Builds it,
        untrained, to measure it, and keeps an accepted one for its trial.

        A candidate that cannot be built passes (`None`): its trial fails with the build error.
        One whose cost a limit needs cannot be measured (FLOPs that `count_flops` cannot
        count, with `max_flops`) passes too, with a warning: its trial runs as any other.
        """
        try:
            model = self._build_untrained(values)
            cost = self.costs.measure(model)
        except Exception:
            return None
        try:
            check = self.costs.check(cost)
        except ValueError as error:  # Unmeasurable, as unbuildable: a trial, not a crash.
            warnings.warn(f"{error} The candidate passes unchecked and trains.", stacklevel=2)
            check = None  # No usage either: `repair` orders it last.
        if check is None or check.reason is None:
            self._prebuilt = (dict(values), model, cost)
        return check

    def _build_untrained(self, values: dict[str, Any]) -> keras.Model:
        """The candidate's untrained model, built while the oracle proposes it (to check a
        constraint, or for the zero-cost filter's `CandidateScorer`); the oracle keeps the
        names the build read, as the candidate's trial trains this model."""
        hp = ActiveHyperParameters.copy_of(self.oracle.get_space())
        hp.values = dict(values)
        self._prebuilt = None
        release_keras_state()
        model = compat.build_hypermodel(self, hp)
        self.oracle.note_build(values, hp.read_names)
        return model

    def _take_cost(self, model: keras.Model) -> dict[str, float]:
        """The cost of the trial's model: measured when the oracle checked it, or now."""
        cost, self._prebuilt_cost = self._prebuilt_cost, None
        return cost if cost is not None else self.costs.measure(model)

    def pareto_front(self, objectives: Sequence[Any] | None = None) -> list:
        """The completed trials that no other completed trial dominates, best first by the
        first objective.

        A trial dominates another if it is at least as good in every objective and better
        in one; each trial counts with its best value of each objective. Trials without a
        finite value of every objective are left out.

        Example:
        >>> # After `tuner.search(...)` with objective=["val_accuracy",
        >>> # keras_nas.objectives.Objective("latency_ms", "min")]:
        >>> # for trial in tuner.pareto_front(): print(trial.trial_id, trial.metrics...)

        Args:
            objectives: The objectives (`keras_tuner.Objective`s); the search's by default.

        Returns:
            A list of `keras_tuner.engine.trial.Trial`.
        """
        objectives = list(objectives or compat.objectives_of(self.oracle.objective))
        completed = [
            trial for trial in self.oracle.trials.values() if trial.status == TrialStatus.COMPLETED
        ]
        points = [
            [trial.metrics.get_best_value(one.name) for one in objectives] for trial in completed
        ]
        directions = [one.direction for one in objectives]
        front = [completed[index] for index in pareto_front(points, directions)]
        first = objectives[0]
        return sorted(
            front,
            key=lambda trial: trial.metrics.get_best_value(first.name),
            reverse=first.direction == "max",
        )

    def _oracle_file_without_tuner_file(self, overwrite: bool) -> bool:
        oracle_file = os.path.join(self.project_dir, ORACLE_FILE)
        return (
            not overwrite
            and role() != "worker"
            and os.path.exists(oracle_file)
            and not os.path.exists(compat.tuner_file(self))
        )

    def _stopped_note(self, trial) -> str | None:
        message = self.oracle.get_trial(trial.trial_id).message or ""
        if not message.startswith(STOPPED_EARLY):
            return None
        return message[: message.index(" by ")].lower() if " by " in message else STOPPED_EARLY

    def _inheritance_note(self, trial) -> str | None:
        inherit = self._inheritance.pop(trial.trial_id, None)
        if inherit is None or not inherit.keys:
            return None
        return f"inherited {len(inherit.inherited)}/{len(inherit.keys)} layers"


def _on_proxy_task(
    task: ProxyTask, fit_args: tuple, fit_kwargs: dict[str, Any]
) -> tuple[tuple, dict[str, Any]]:
    """`search`'s arguments with the proxy task's data and epochs, all as keywords (so that
    a positional `epochs`, `validation_data` or `sample_weight` is reduced too)."""
    fit_kwargs = fit_keywords(fit_args, fit_kwargs)
    x, y = fit_kwargs.pop("x", None), fit_kwargs.pop("y", None)
    (x, y), fit_kwargs = task.reduce_data(x, y, fit_kwargs)
    return (), {"x": x, "y": y, **fit_kwargs}


class _TunerHooks(keras.callbacks.Callback):
    """Calls the tuner's epoch and batch hooks, as KerasTuner's `TunerCallback` does."""

    def __init__(self, tuner: NASTuner, trial):
        super().__init__()
        self.tuner, self.trial = tuner, trial

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.tuner.on_epoch_begin(self.trial, self.model, epoch, logs=logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.tuner.on_batch_begin(self.trial, self.model, batch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.tuner.on_batch_end(self.trial, self.model, batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.tuner.on_epoch_end(self.trial, self.model, epoch, logs=logs)
