"""`NASOracle`: what the keras-nas oracles share, each concern in a module it composes.

- its own random generator, saved with its state, and `next_seed` from it;
- the active hyperparameters of each trial, the names its build function read
  (`keras_nas.oracles.active`);
- candidates (`keras_nas.oracles.candidates`): values under the space's conditions, bounded
  random sampling of untried architectures, duplicates by canonical form;
- constraints (`keras_nas.oracles.constrained`): only candidates within them are proposed;
- early stopping of poor trials by a pruning rule (`keras_nas.estimation`);
- a zero-cost pre-filter and warm start (`keras_nas.oracles.prefilter`);
- a random-sampling control, a share of the trials (`keras_nas.oracles.random_control`);
- crash-safe state files (`keras_nas.oracles.state_files`);
- lost-worker recovery in a parallel search (`keras_nas.distribute.recovery`);
- a summary of the search state for the dashboards (`search_summary`).

Size: about 790 lines, one class: the `keras_tuner.Oracle` hooks (create, update, end, save,
reload) through which every concern above passes, each a few lines that call the module that
holds it; its docstring documents the behaviour all strategies share.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import keras_tuner
import numpy as np
from keras_tuner.engine.trial import TrialStatus

from keras_nas import compat
from keras_nas.arguments import check_bool, check_count, check_seconds, check_seed
from keras_nas.distribute.recovery import LostWorkers
from keras_nas.estimation.pruning import STOPPED_EARLY, History, PruningRule
from keras_nas.estimation.zero_cost_filter import ZeroCostFilter
from keras_nas.messages import failure_reason
from keras_nas.objectives.constraints import ConstraintCheck, Constraints
from keras_nas.oracles import candidates
from keras_nas.oracles.active import ActiveRecord
from keras_nas.oracles.constrained import ConstraintFilter
from keras_nas.oracles.initial import InitialArchitectures
from keras_nas.oracles.prefilter import ZeroCostPrefilter
from keras_nas.oracles.random_control import RandomControl
from keras_nas.oracles.state_files import STATE_FORMAT, StateFiles
from keras_nas.oracles.time_limits import TimeLimits
from keras_nas.version import __version__


class NASOracle(keras_tuner.Oracle):
    """Base of the keras-nas oracles; subclasses implement `populate_space`.

    Adds to `keras_tuner.Oracle`:
    - a per-instance `numpy.random.Generator` seeded from `seed`, saved in the oracle state
      (JSON), so that a reloaded search continues the same sequence;
    - `canonical_key`: a function from values to a string that is equal for architectures that
      compute the same function (a search space's `canonical_key`; `NASTuner` sets it from the
      hypermodel). `already_tried(values)` is true for values whose key matches a trial's, as
      well as for KerasTuner's exact duplicates, and for values that agree with a completed
      trial on every hyperparameter its build function read (see below);
    - active hyperparameters (`keras_nas.oracles.active`): each trial runs with
      hyperparameters that record the names its build function reads, and a completed
      trial's names are kept (`active_hyperparameters`); strategies change and reward only
      those, so a `build(hp)` that skips a choice with plain Python (`if`, `range`) is
      searched as if it had declared the condition;
    - `resolve(values)`: the active values under the space's conditions, sampling the choices
      that become active and dropping the ones that do not;
    - `random_untried_values()`: bounded random sampling of an untried architecture;
    - `constraint`: a function from values to a `keras_nas.objectives.ConstraintCheck` (the
      reason they break a constraint, or `None`, and the share of the limits they take), or
      simply to the reason (or `None`); the oracles propose only candidates that keep it
      (`proposable`), so a rejected candidate is never trained and never counts as a failed
      trial. A rejected candidate is shrunk one choice at a time toward the space's smallest
      options until it keeps the constraint (`repair`), so a tight limit that few random
      candidates meet still gives every trial. When no candidate within it is found, the
      search stops with a message; when not even the smallest candidate keeps it, at once,
      naming that candidate's cost and what to change in `search_space`, the space searched
      (`keras_nas.oracles.constrained`). `NASTuner(constraints=..., max_model_size=...)`
      sets one;
    - `pruning`: a rule (`keras_nas.estimation.MedianStopping`, `SuccessiveHalving`) asked at
      every `update_trial` whether the trial should stop. When it should, `update_trial`
      returns the trial with status `STOPPED` (a keras-nas tuner then stops training it); the
      trial still ends `COMPLETED` with the best score it reached, and its `message` says
      "Stopped early at epoch k by <rule>: <reason>". Needs a tuner that reports every epoch
      (`NASTuner` does) and a single objective;
    - `zero_cost`: a `keras_nas.estimation.ZeroCostFilter`, which ranks candidates by a
      zero-cost proxy before any is trained: each trial is the best of several proposals of
      the strategy, and the random architectures it asks for come from the best of a scored
      pool, saved in `zero_cost_pool.json` (`keras_nas.oracles.prefilter`). The scores come
      from `candidate_score`, a function from values to a float, which a keras-nas tuner
      sets from the search's training data (with another tuner, set it yourself). The
      chosen trial records its score as the metric `zero_cost/<proxy>`;
    - `baseline="random"`: a random-sampling control. Every `1 / baseline_share`-th trial
      (every 2nd by default) is drawn uniformly at random from the space, under the same
      constraints, instead of by the strategy, which never learns from it (`is_control`,
      `strategy_trials`); `keras-nas report` compares the strategy's best with what random
      sampling would reach in as many trials, as Yang et al. 2020's relative improvement
      (`keras_nas.oracles.random_control`, `keras_nas.diagnostics`);
    - `initial_architectures=[values, ...]`: architectures tried first, in order, before
      the strategy proposes (a published network, the one in production); each a dict of
      the space's values, completed with defaults; one already tried, or outside the
      constraints (with a warning), is skipped; a value the space does not allow stops the
      search before any training with a message that says so, and a name it has not met
      yet goes to the build function with a warning (an error with
      `allow_new_entries=False`) (`keras_nas.oracles.initial`). The strategy learns from
      them; the report's comparison with the random control leaves them out;
    - `max_time` and `max_trial_seconds`: the search's time budget (no trial starts that
      the time left cannot finish, judged by the trials so far; a trial is stopped at the
      epoch when the budget runs out) and each trial's limit; a stopped trial keeps its
      epochs' metrics with the reason in its message, and the search says why it stopped
      (`keras_nas.oracles.time_limits`, `time_limits`). `NASTuner.search(max_time=...)`
      sets them too;
    - `search_summary()`: numbers that describe the search state (for `SearchTensorBoard`),
      recorded in each trial's metrics under `search/` when the trial ends;
    - `trial_timeout`: in a parallel search (KerasTuner's chief/worker mode, `keras-nas
      launch`), a worker that has sent nothing for `trial_timeout` seconds counts as gone:
      its trial goes back to the queue and the next worker that asks for a trial runs it
      again. Once every trial has been handed out, workers wait (they poll) while other
      workers' trials may still come back, instead of leaving; a late result of a trial
      that has been handed to another worker is ignored, so no trial counts twice. Any call
      about a trial counts as a sign of life of its worker: keras-nas tuners send one every
      10 s while training (`keras_nas.distribute.Heartbeat`), so a minute is a safe timeout
      however long an epoch; other tuners report only when a trial ends, so with them the
      timeout must exceed the longest trial. `None` (the default) never takes a trial
      back, as KerasTuner.

    Args:
        seed: Seed of the oracle's random generator; `None` draws one (and saves it).
        canonical_key: See above; `None` recognises only identical values.
        pruning: A `keras_nas.estimation.PruningRule`, or `None` (the default) to train
            every trial for all its epochs.
        trial_timeout: Seconds without a report after which a worker's trial is run again
            by another worker (see above); `None` never.
        constraints: `keras_nas.objectives.Constraints` on each candidate's parameters,
            FLOPs and latency, checked on the untrained model before it becomes a trial, by
            the keras-nas tuner that runs the search (it builds and measures candidates for
            the oracle); `None` for none.
        zero_cost: A `keras_nas.estimation.ZeroCostFilter`, or `None` (the default) to
            propose candidates without ranking them first.
        baseline: `"random"` for a random-sampling control (see above), or `None` (the
            default) for none.
        baseline_share: The share of the trials that the control takes, strictly between
            0 and 1. Half (the default) gives the control and the strategy the same budget,
            as Yang et al. compare them; a smaller share costs the strategy less, and makes
            the report's estimate of random sampling at the strategy's budget optimistic
            for the strategy (measured in BENCHMARKS.md).
        initial_architectures: Architectures to try first, in order (see above); `None`
            (the default) for none.
        max_time: The search's budget in seconds, counted over every run of a resumed
            search; `None` (the default) for none.
        max_trial_seconds: Each trial's limit in seconds; `None` (the default) for none.
        **kwargs: The arguments of `keras_tuner.Oracle`.

    Raises:
        ValueError: If `pruning` is not a `PruningRule`, `zero_cost` not a
            `ZeroCostFilter`, `baseline` neither `None` nor `"random"`, `baseline_share`
            not strictly between 0 and 1, `initial_architectures` not a list of dicts of
            values, the objective is not single, `trial_timeout`, `max_time` or
            `max_trial_seconds` is not a positive number, `max_trials` is neither a positive
            integer nor `None`, or another count or flag is not what `keras_tuner.Oracle`
            expects (`keras_nas.arguments`).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        canonical_key: Callable[[dict[str, Any]], str] | None = None,
        pruning: PruningRule | None = None,
        trial_timeout: float | None = None,
        constraints: Constraints | None = None,
        zero_cost: ZeroCostFilter | None = None,
        baseline: str | None = None,
        baseline_share: float = 0.5,
        initial_architectures: Sequence[dict[str, Any]] | None = None,
        max_time: float | None = None,
        max_trial_seconds: float | None = None,
        **kwargs: Any,
    ):
        seed = _check_oracle_arguments(seed, kwargs)
        time_limits = TimeLimits(max_time, max_trial_seconds)
        if zero_cost is not None and not isinstance(zero_cost, ZeroCostFilter):
            raise ValueError(
                "`zero_cost` must be a `keras_nas.estimation.ZeroCostFilter`, such as "
                f"`ZeroCostFilter('naswot', candidates=10)`, or None. Received: "
                f"zero_cost={zero_cost!r}."
            )
        self._files = StateFiles(self)  # Before `Oracle.__init__`: `_save_trial` uses it.
        super().__init__(seed=seed, **kwargs)
        self._seed_argument = seed
        self._saved_search_seed: int | None = None  # A resumed search's, from its state.
        self.trial_timeout = check_seconds("trial_timeout", trial_timeout)
        if pruning is not None and not isinstance(pruning, PruningRule):
            raise ValueError(
                "`pruning` must be a `keras_nas.estimation.PruningRule`, such as "
                f"`MedianStopping(min_epochs=2)`, or None. Received: pruning={pruning!r}."
            )
        if pruning is not None and compat.is_multi_objective(self.objective):
            raise ValueError(
                "`pruning` needs a single objective: a trial is stopped when that objective "
                f"falls behind. Received: objective={self.objective!r}. Pass one objective or "
                "pruning=None."
            )
        if constraints is not None and not isinstance(constraints, Constraints):
            raise ValueError(
                "`constraints` must be a `keras_nas.objectives.Constraints`, e.g. "
                f"Constraints(max_params=100_000). Received: constraints={constraints!r}."
            )
        self.constraints = constraints
        self.pruning = pruning
        self.canonical_key = canonical_key
        #: A function from values to whether they keep a constraint (see `proposable`): a
        #: `ConstraintCheck`, or the reason they break it (`None` when they do not);
        #: `NASTuner(constraints=..., max_model_size=...)` sets one.
        self.constraint: Callable[[dict[str, Any]], ConstraintCheck | str | None] | None = None
        #: The keras-nas `SearchSpace` searched, or `None` (a user's `build(hp)`, or not
        #: known): when no candidate can keep the constraint, the message that ends the
        #: search names the options to change in it. `NASTuner` sets it with `constraint`.
        self.search_space: Any = None
        self.zero_cost = zero_cost
        #: A function from values to a candidate's zero-cost score, which `zero_cost` needs;
        #: `NASTuner` sets one from the search's training data.
        self.candidate_score: Callable[[dict[str, Any]], float] | None = None
        self._prefilter = ZeroCostPrefilter(self)
        self._control = RandomControl(self, baseline, baseline_share)
        self._initial = InitialArchitectures(self, initial_architectures)
        # Rejected candidates, their usage and the order of options learned (`repair`).
        self._constraint_filter = ConstraintFilter(self)
        # `Oracle` replaces a missing seed with a random one in `self.seed`; seeding from it
        # makes an unseeded search reproducible from its saved state.
        self._rng = np.random.default_rng(seed if seed is not None else self.seed)
        self._canonical_keys = candidates.CanonicalKeys()
        self._active = ActiveRecord()
        # Trial id -> the message of a trial that the pruning rule stopped, until it ends.
        self._stopped_early: dict[str, str] = {}
        self._lost_workers = LostWorkers(self)
        #: The search's clock, its `max_time` and its trials' `max_trial_seconds`.
        self.time_limits = time_limits
        #: Prints a message to the person following the search (why it stopped for time);
        #: a keras-nas tuner sends it where its progress lines go.
        self.announce: Callable[[str], None] = _print

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["keras_nas"] = {"version": __version__, "state_format": STATE_FORMAT}
        state["arguments"] = self._arguments()
        state["search_seed"] = self.search_seed
        state["rng_state"] = self._rng.bit_generator.state
        state["stopped_early"] = dict(self._stopped_early)
        state["requeued"] = list(self._lost_workers.requeued)
        state["option_order"] = dict(self._constraint_filter.learned_order)
        state["active_hyperparameters"] = self._active.get_state()
        state["baseline_trials"] = list(self._control.trials)
        state["initial_trials"] = list(self._initial.trials)
        state["time"] = self.time_limits.get_state()
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self._rng = np.random.default_rng()
        self._rng.bit_generator.state = state["rng_state"]
        self._saved_search_seed = state.get("search_seed")
        self._canonical_keys.clear()
        self._stopped_early = dict(state.get("stopped_early", {}))
        self._lost_workers.requeued = list(state.get("requeued", []))
        self._constraint_filter.learned_order = dict(state.get("option_order", {}))
        self._active.set_state(state.get("active_hyperparameters", {}))
        self._control.trials = list(state.get("baseline_trials", []))
        self._initial.trials = list(state.get("initial_trials", []))
        self._prefilter.pool = None  # Read again from its file when needed.
        self.time_limits.set_state(state.get("time", {}), compat.project_directory(self))

    def save(self) -> None:
        """Writes the oracle state to `oracle.json` atomically (see `keras_nas.files`), after
        the `trial.json` of every trial changed since the last save.

        `oracle.json` is the commit point of a search: a trial counts as created, and as
        ended, once `oracle.json` says so. `reload` undoes what a crash left half done.
        Creating a trial and reporting its epochs write nothing (`StateFiles.deferred`): the
        oracle is saved once per trial, when it ends. A crash during a trial loses nothing
        that counts: the saved random state proposes the same trial again, and it reruns.
        """
        self._files.save()

    def reload(self) -> None:
        """Reads the saved search back and repairs what a crash (even SIGKILL) left.

        - a trial whose `trial.json` was written but that `oracle.json` never listed (the
          crash came while it was being created) is forgotten: the saved random state
          proposes it again;
        - a trial that was running, or had finished but whose end `oracle.json` does not
          hold yet (in `end_order`), runs again from scratch: its partial metrics are dropped;
        - every completed trial that `oracle.json` holds keeps its score.

        Raises:
            StateFileError: If `oracle.json` or a `trial.json` is corrupt or truncated, or
                was written by a newer keras-nas or by one whose state this version cannot
                read. The file is left as it is.
        """
        state = self._files.read()
        self._warn_changed_arguments(state.get("arguments", {}))
        for trial in self._files.take_interrupted():
            self._stopped_early.pop(trial.trial_id, None)  # The new run is judged afresh.
            compat.retry_queue(self).append(trial.trial_id)

    def _save_trial(self, trial: keras_tuner.engine.trial.Trial) -> None:
        # Overrides a private hook of `keras_tuner.Oracle` (`keras_nas.compat`), through which
        # every write of a `trial.json` goes, to make those writes atomic (and to defer them).
        self._files.save_trial(trial)

    @property
    def search_seed(self) -> int:
        """The seed a deterministic search derives every trial's seeds from: the `seed`
        argument of the search's first run (saved with the state, so a resumed search keeps
        it, as it keeps its random state), or, without one, the seed KerasTuner drew
        (`self.seed`; KerasTuner also draws one for `seed=0`, which this keeps as 0)."""
        if self._saved_search_seed is not None:
            return int(self._saved_search_seed)
        return int(self._seed_argument if self._seed_argument is not None else self.seed)

    def recorded_arguments(self) -> dict[str, Any]:
        """The constructor arguments saved with the oracle's state (its seed, budget and
        strategy settings), as JSON values; the run manifest records them."""
        return self._arguments()

    def _arguments(self) -> dict[str, Any]:
        """Constructor arguments saved with the state, to warn when a resumed search changes
        them; subclasses add their own."""
        return {
            "seed": self._seed_argument,
            "max_trials": self.max_trials,
            "zero_cost": None if self.zero_cost is None else self.zero_cost.get_config(),
            "baseline": self._control.baseline,
            "baseline_share": self._control.share,
            "initial_architectures": self._initial.architectures,
        }

    def _warn_changed_arguments(self, saved: dict[str, Any]) -> None:
        current = self._arguments()
        for name, before in saved.items():
            now = current.get(name, before)
            if now == before or (name == "seed" and now is None):
                continue
            if name == "seed":
                outcome = (
                    "the saved random state wins, so that the search continues its sequence. "
                    "Pass `overwrite=True` or another `project_name` to start a new search "
                    f"with seed={now!r}."
                )
            else:
                outcome = f"the constructor's value ({now!r}) is used from now on."
            directory = compat.project_directory(self)
            warnings.warn(
                f"Resuming the search in {directory!r}: `{name}` is {now!r} now and "
                f"was {before!r} when the search was saved; {outcome}",
                stacklevel=3,
            )

    @keras_tuner.synchronized
    def create_trial(self, tuner_id: str) -> keras_tuner.engine.trial.Trial:
        """A trial for the tuner `tuner_id`, as `keras_tuner.Oracle.create_trial` gives.

        With a `trial_timeout`, it first takes back the trials of silent workers; a trial
        taken back goes to the next tuner that asks, and a tuner that finds every trial
        handed out while others may still come back gets an `IDLE` trial (ask again).
        A running trial's hyperparameters record the names its build reads
        (`keras_nas.oracles.active.ActiveHyperParameters`).
        """
        self._lost_workers.heard_from(tuner_id)
        self.reclaim_silent_trials()
        self.time_limits.start()
        if tuner_id not in self.ongoing_trials:
            no_time = self.time_limits.reason_not_to_start()
            if no_time is not None:
                return self._stop_for_time(tuner_id, no_time)
            if self._lost_workers.requeued:
                return self._recording(self._timed(self._hand_over(tuner_id)))
            if self._lost_workers.must_wait():
                self.tuner_ids.add(tuner_id)
                return keras_tuner.engine.trial.Trial(self.get_space(), status=TrialStatus.IDLE)
        self._active.forget_proposal_builds()
        with self._files.deferred(), self._proposal(tuner_id):
            trial = super().create_trial(tuner_id)
            self._prefilter.record(trial)
            self._control.record(trial)
            self._initial.record(trial)
        if trial.status == TrialStatus.STOPPED and self.rejected and self.remaining_trials() != 0:
            print(self._constraint_filter.stop_message(), file=sys.stderr, flush=True)
        return self._recording(self._timed(trial))

    def _timed(self, trial: keras_tuner.engine.trial.Trial) -> keras_tuner.engine.trial.Trial:
        if trial.status == TrialStatus.RUNNING:
            self.time_limits.trial_started(trial.trial_id)
        return trial

    def _stop_for_time(self, tuner_id: str, reason: str) -> keras_tuner.engine.trial.Trial:
        """Tells `tuner_id` to stop: no trial can start within `max_time`."""
        if self.time_limits.stop_reason is None:
            self.time_limits.stop_reason = reason
            self.announce(f"The search stopped: {reason}.")
            self._drop_queued_trials(reason)
            self.save()  # The reason, for the report.
        self.tuner_ids.discard(tuner_id)  # A chief waits for no tuner told to stop.
        return keras_tuner.engine.trial.Trial(self.get_space(), status=TrialStatus.STOPPED)

    def _drop_queued_trials(self, reason: str) -> None:
        """Ends, as stopped, the trials waiting to run again (a crash's, a lost worker's):
        no time is left for them, and a chief waits for none."""
        queued = [*compat.retry_queue(self), *self._lost_workers.requeued]
        compat.retry_queue(self).clear()
        self._lost_workers.requeued.clear()
        for trial_id in dict.fromkeys(queued):
            trial = self.trials[trial_id]
            trial.status = TrialStatus.STOPPED
            trial.message = f"Not run again: {reason}."
            self._files.mark_changed(trial_id)

    def remaining_trials(self) -> int | None:
        """The trials left to hand out: 0 once the search stopped for time, else as
        `keras_tuner.Oracle` counts them (`None` without `max_trials`)."""
        if self.time_limits.stop_reason is not None:
            return 0
        return super().remaining_trials()

    def _proposal(self, tuner_id: str) -> contextlib.AbstractContextManager:
        """Who proposes a new trial (not a tuner's ongoing one, nor a retry): the next
        initial architecture, else the random control when one is due, else the strategy
        (through the zero-cost pre-filter, if any)."""
        new = tuner_id not in self.ongoing_trials and not compat.retry_queue(self)
        if new and self._initial.pending():
            return self._initial.applied()
        if new and self._control.is_due(len(self.trials) - len(self._initial.trials)):
            return self._control.applied()
        return self._prefilter.applied()

    def _recording(self, trial: keras_tuner.engine.trial.Trial) -> keras_tuner.engine.trial.Trial:
        if trial.status == TrialStatus.RUNNING:
            trial.hyperparameters = self._active.recording(trial.hyperparameters)
        return trial

    @keras_tuner.synchronized
    def reclaim_silent_trials(self) -> list[str]:
        """Takes back the trials of workers silent for longer than `trial_timeout`.

        Their tuners are forgotten (a chief waits for no tuner it has forgotten) and their
        trials are queued to run again. Does nothing without a `trial_timeout`.

        Returns:
            The ids of the trials taken back.
        """
        taken = self._lost_workers.take_back_silent()
        if taken:
            self.save()
        return taken

    @keras_tuner.synchronized
    def search_finished(self, stop_requested: bool = False) -> bool:
        """Whether a chief can stop serving (`keras_nas.distribute.serve`).

        True when every trial has been handed out (or `stop_requested`: a tuner was told
        the oracle has nothing more to try), none runs or waits to run again, and no tuner
        is still to be told to stop. Trials of silent workers are taken back first.
        """
        self.reclaim_silent_trials()
        return (
            (stop_requested or self.remaining_trials() == 0)
            and not self._lost_workers.requeued
            and not compat.retry_queue(self)
            and not self.ongoing_trials
            and not self.tuner_ids
        )

    def get_trial(self, trial_id: str) -> keras_tuner.engine.trial.Trial:
        """The trial `trial_id`; a call from a worker counts as its sign of life."""
        self._lost_workers.heard_about(trial_id)
        return super().get_trial(trial_id)

    @keras_tuner.synchronized
    def update_trial(
        self, trial_id: str, metrics: dict[str, float], step: int = 0
    ) -> keras_tuner.engine.trial.Trial:
        """Records `metrics` at `step` (a 0-based epoch); asks the pruning rule, if any.

        With several objectives, KerasTuner's `multi_objective` (the sum of the objectives,
        each turned so that lower is better) is added when `metrics` hold them all.

        Returns:
            The trial; a copy with status `STOPPED` when the pruning rule or a time limit
            (`max_trial_seconds`, `max_time`; `keras_nas.oracles.time_limits`) stops it.
        """
        self._lost_workers.heard_about(trial_id)
        if self._superseded(trial_id):
            return _with_status(self.trials[trial_id], TrialStatus.STOPPED)
        objective = self.objective
        if compat.is_multi_objective(objective) and objective.name not in metrics:
            if objective.has_value(metrics):  # KerasTuner's score of several objectives.
                metrics = {**metrics, objective.name: objective.get_value(metrics)}
        with self._files.deferred():
            trial = super().update_trial(trial_id, metrics, step)
        if trial.status != TrialStatus.RUNNING:
            return trial
        if trial_id in self._stopped_early:
            return _with_status(trial, TrialStatus.STOPPED)
        # A keras-nas tuner's epoch report carries the trial's `seconds`; a report without
        # it (a plain KerasTuner tuner's, KerasTuner's last one of each trial) is no epoch.
        epoch_report = "seconds" in metrics
        if epoch_report and self.time_limits.max_time is not None:  # Kept if killed.
            self.time_limits.write(compat.project_directory(self))
        out_of_time = self.time_limits.reason_to_stop(trial_id) if epoch_report else None
        if out_of_time is not None:
            epoch = int(step) + 1
            self._stopped_early[trial_id] = f"{STOPPED_EARLY} at epoch {epoch} by {out_of_time}."
            return _with_status(trial, TrialStatus.STOPPED)
        if self.pruning is None:
            return trial
        others = [self._history(other) for other in self.completed_trials()]
        reason = self.pruning.reason_to_stop(
            self._history(trial), others, int(step), self.objective.direction
        )
        if reason is None:
            return trial
        self._stopped_early[trial_id] = (
            f"{STOPPED_EARLY} at epoch {int(step) + 1} by {type(self.pruning).__name__}: {reason}."
        )
        return _with_status(trial, TrialStatus.STOPPED)

    @keras_tuner.synchronized
    def end_trial(self, trial: keras_tuner.engine.trial.Trial) -> None:
        """Ends the trial as `keras_tuner.Oracle.end_trial` does; records the search state.

        A completed trial that the pruning rule stopped gets its "Stopped early ..." message;
        a completed trial gets the numbers of `search_summary()`, taken once it has joined the
        results, as metrics named `search/<name>`. Metrics that `trial` carries and the
        oracle's record lacks are added to it (a worker's trial timing, see
        `keras_nas.timing`). A completed trial's active hyperparameters are kept. The trial's
        record and `oracle.json` are each written once.
        """
        self._lost_workers.heard_about(trial.trial_id)
        if self._superseded(trial.trial_id):
            print(
                f"Ignored a late result of trial {trial.trial_id}: it was taken back from a "
                "silent worker and has been, or will be, run again.",
                file=sys.stderr,
                flush=True,
            )
            return
        read = self._active.names(trial)  # Before KerasTuner's checks read every value.
        message = self._stopped_early.pop(trial.trial_id, None)
        self.time_limits.trial_ended(
            trial.trial_id, finished=message is None and trial.status == TrialStatus.COMPLETED
        )
        if message is not None and trial.status == TrialStatus.COMPLETED:
            trial.message = message
        stored = self.trials[trial.trial_id]
        _add_new_metrics(stored, trial)
        with self._files.deferred():
            super().end_trial(trial)
        if stored.status == TrialStatus.COMPLETED:
            self._active.record(stored.trial_id, read)
            for name, value in self.search_summary().items():
                stored.metrics.update(f"search/{name}", value)
        self._files.mark_changed(stored.trial_id)
        self.save()  # The trial's record, then `oracle.json`: one write of each per trial.
        self._stop_after_consecutive_failures()

    def _check_consecutive_failures(self) -> None:
        # Overrides a private hook of `keras_tuner.Oracle.end_trial` (1.4.8), which raises
        # before the failed trial is saved and names only the last reason; the check runs
        # in `_stop_after_consecutive_failures` instead, once the trial is saved.
        pass

    def _stop_after_consecutive_failures(self) -> None:
        """Stops the search once `max_consecutive_failed_trials` trials in a row failed.

        Raises:
            RuntimeError: Listing each of those trials with the reason it failed.
        """
        limit = self.max_consecutive_failed_trials
        failed = []
        for trial_id in self.end_order:
            failed = (
                failed + [trial_id] if self.trials[trial_id].status == TrialStatus.FAILED else []
            )
        if not limit or len(failed) < limit:
            return
        reasons = "\n".join(
            f"- trial {trial_id}: {failure_reason(self.trials[trial_id].message)}"
            for trial_id in failed
        )
        raise RuntimeError(
            f"The search stopped: the last {len(failed)} trials failed, and "
            f"`max_consecutive_failed_trials` is {limit}. Their reasons:\n{reasons}\n"
            "Fix the cause (the full errors are in each trial's trial.json), or raise "
            "`max_consecutive_failed_trials`. Completed trials are kept: the same script with "
            "`overwrite=False` resumes the search."
        )

    def search_summary(self) -> dict[str, float]:
        """Numbers that describe where the search stands; none in the base class.

        Subclasses add their own (population statistics, policy probabilities). The values
        are plain floats; the names use `/` for groups.
        """
        return {}

    def already_tried(self, values: dict[str, Any]) -> bool:
        """Whether `values`, or an architecture with the same canonical key, was proposed,
        or `values` agree with a completed trial on every hyperparameter its build read."""
        if compat.is_duplicate(self, values) or self._active.tried(values, self.trials):
            return True
        return self.canonical_key is not None and self._canonical_keys.tried(
            values, self.trials, self.canonical_key
        )

    def active_hyperparameters(
        self, trial: keras_tuner.engine.trial.Trial | str
    ) -> set[str] | None:
        """The names of the hyperparameters that the build function read in `trial` (a
        trial or its id): recorded when it completed, or read so far while it runs. `None`
        when not known (a trial run by a worker of a parallel search, a failed one, or one
        whose build read nothing through its hyperparameters): then every hyperparameter
        active under the space's conditions counts."""
        return self._active.names(trial)

    def note_build(self, values: dict[str, Any], read_names: Any) -> None:
        """Records the names that a build of the candidate `values`, run by the tuner while
        the oracle proposes it (a constraint check, a zero-cost score), read: the trial of
        that candidate trains the model built then, without building it again."""
        self._active.note_build(values, read_names)

    def proposable(self, values: dict[str, Any]) -> bool:
        """Whether `values` may be proposed: not tried yet, and within the `constraint`.

        A candidate that the constraint rejects is remembered, so it is checked once, and it
        never becomes a trial: it is never trained and never counts as a failure.
        """
        if self.already_tried(values):
            return False
        if self.constraint is None:
            return True
        return self._constraint_filter.accepts(values)

    def rejected_by_constraint(self, values: dict[str, Any]) -> bool:
        """Whether the constraint rejected `values` (when `proposable` checked them)."""
        return self.constraint is not None and self._constraint_filter.was_rejected(values)

    @property
    def rejected(self) -> dict[str, str]:
        """The candidates the constraint rejected in this process: key -> reason."""
        return self._constraint_filter.rejected

    def repair(self, values: dict[str, Any]) -> dict[str, Any] | None:
        """An untried candidate within the constraint, found by shrinking `values` (which
        the constraint rejected) one choice at a time toward the space's smallest options;
        `None` if none is found. See `keras_nas.oracles.constrained.ConstraintFilter.repair`
        for the steps and their bound; once not even the smallest candidate keeps the
        constraint, the oracle proposes nothing more."""
        return self._constraint_filter.repair(values)

    def option_order(self, name: str) -> list | None:
        """The options of the hyperparameter `name`, smallest first, as `repair` uses them:
        numbers in order, `False` before `True`, other options in the order measured;
        `None` where not known (yet)."""
        return self._constraint_filter.option_order(name)

    def completed_trials(self) -> list[keras_tuner.engine.trial.Trial]:
        """The trials that completed with a score, in the order they ended."""
        return [
            self.trials[trial_id]
            for trial_id in self.end_order
            if self.trials[trial_id].status == TrialStatus.COMPLETED
            and self.trials[trial_id].score is not None
        ]

    def strategy_trials(self) -> list[keras_tuner.engine.trial.Trial]:
        """The completed trials the strategy learns from: `completed_trials` without the
        random control's (`baseline="random"`)."""
        return [trial for trial in self.completed_trials() if not self.is_control(trial.trial_id)]

    def is_control(self, trial_id: str) -> bool:
        """Whether `trial_id` is a trial of the random control (`baseline="random"`)."""
        return self._control.is_control(trial_id)

    def is_initial(self, trial_id: str) -> bool:
        """Whether `trial_id` is a trial of one of the `initial_architectures`."""
        return trial_id in self._initial.trials

    def resolve(self, values: dict[str, Any]) -> dict[str, Any]:
        """Keeps the values of active hyperparameters, drops the rest, samples new ones."""
        return candidates.resolve(self.hyperparameters, values, self.next_seed)

    def random_untried_values(self) -> dict[str, Any] | None:
        """A random proposable architecture (see `proposable`), or `None` after
        `MAX_RANDOM_ATTEMPTS` draws that were not; the first `MAX_REPAIRS` that the
        constraint rejects are repaired (`keras_nas.oracles.candidates`). With a warm start
        (`zero_cost`), the best untried architecture of its scored pool, while one is left."""
        values = self._prefilter.random_values()
        return values if values is not None else candidates.random_untried_values(self)

    @property
    def constraint_impossible(self) -> bool:
        """Whether not even the space's smallest candidate keeps the constraint."""
        return self._constraint_filter.impossible

    def next_seed(self) -> int:
        """A seed for KerasTuner's `random_sample`, drawn from the oracle's generator."""
        return int(self._rng.integers(2**31))

    def _history(self, trial: keras_tuner.engine.trial.Trial) -> History:
        """The trial's objective by step (0-based epoch)."""
        name = self.objective.name
        if not trial.metrics.exists(name):
            return {}
        return {int(obs.step): float(obs.mean()) for obs in trial.metrics.get_history(name)}

    def _superseded(self, trial_id: str) -> bool:
        """Whether reports on `trial_id` come from a worker it was taken back from."""
        return self._lost_workers.superseded(trial_id)

    def candidate_key(self, values: dict[str, Any]) -> str:
        """The canonical key of `values` (their JSON without a `canonical_key`), under which
        `rejected` holds the reason the constraint rejected them."""
        return self._canonical_keys.key(values, self.canonical_key)

    def _hand_over(self, tuner_id: str) -> keras_tuner.engine.trial.Trial:
        """Gives the first trial taken back from a silent worker to `tuner_id`, afresh."""
        trial = self._lost_workers.hand_over(tuner_id)
        self._stopped_early.pop(trial.trial_id, None)
        self._save_trial(trial)
        self.save()
        return trial


def _add_new_metrics(
    stored: keras_tuner.engine.trial.Trial, trial: keras_tuner.engine.trial.Trial
) -> None:
    """Adds to `stored` the metrics of `trial` (the same trial, as a tuner sent it) that it
    does not hold yet."""
    if trial is stored:
        return
    for name, metric in trial.metrics.metrics.items():
        if not stored.metrics.exists(name):
            for observation in metric.get_history():
                for value in observation.value:
                    stored.metrics.update(name, value, step=observation.step)


def _print(text: str) -> None:
    print(text, flush=True)


def _with_status(trial: keras_tuner.engine.trial.Trial, status: str):
    # A copy: the stored trial stays RUNNING (and is saved so) until the tuner ends it.
    stopped = copy.copy(trial)
    stopped.status = status
    return stopped


def _check_oracle_arguments(seed: Any, kwargs: dict[str, Any]) -> int | None:
    """Refuses a count or flag of `keras_tuner.Oracle` that it would misread: `max_trials=0`
    searches forever there, `max_trials="6"` fails with a `TypeError` deep inside. Turns the
    counts in `kwargs` into Python ints (numpy's are not JSON) and returns the seed so."""
    seed = check_seed(seed)
    if "max_trials" in kwargs:
        kwargs["max_trials"] = check_count(
            "max_trials",
            kwargs["max_trials"],
            none_means=(
                "search until the strategy finds no untried architecture (in a large space, "
                "until you stop it)"
            ),
        )
    if "max_retries_per_trial" in kwargs:
        kwargs["max_retries_per_trial"] = check_count(
            "max_retries_per_trial", kwargs["max_retries_per_trial"], minimum=0
        )
    if "max_consecutive_failed_trials" in kwargs:
        kwargs["max_consecutive_failed_trials"] = check_count(
            "max_consecutive_failed_trials",
            kwargs["max_consecutive_failed_trials"],
            none_means="never stop the search for failed trials",
        )
    for name in ("allow_new_entries", "tune_new_entries"):
        if name in kwargs:
            check_bool(name, kwargs[name])
    return seed
