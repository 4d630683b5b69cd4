"""`SearchTensorBoard`: one TensorBoard run for a search as a whole, its step the trial id."""

from __future__ import annotations

import os
import warnings
from typing import Any

import keras
import keras_tuner

from keras_nas.diagnostics import ScoredTrial, diagnose, format_diagnostics
from keras_nas.estimation.zero_cost_filter import METRIC_PREFIX, rank_correlation
from keras_nas.oracles.base import NASOracle
from keras_nas.timing import trial_seconds

#: Scalars copied from each trial's metrics, under `cost/`, when the trial has them; so are
#: its latencies (`latency_ms`, `latency_ms_b<n>`) and its time split (`*_seconds`). Beside
#: them, `cost/seconds` is the trial's time (`keras_nas.timing.trial_seconds`).
COST_METRICS = ("params", "flops", "size_bytes")
_COST_PREFIXES = ("latency_ms",)
_COST_SUFFIXES = ("_seconds",)
#: The prefix of the search-state metrics that keras-nas oracles add to each trial.
SEARCH_PREFIX = "search/"


class SearchTensorBoard(keras.callbacks.Callback):
    """Logs a search to TensorBoard: scores, costs, the strategy's state, architectures.

    Pass it to `search(...)` of a keras-nas tuner beside (or instead of)
    `keras.callbacks.TensorBoard`. It writes one run, `log_dir/search`, whose step is the trial
    id (0, 1, ..., as `keras-nas report` numbers the trials), after each trial ends:

    - scalars `objective/<name>` (the trial's score) and `objective/best_<name>` (the best so
      far); `cost/params`, `cost/flops`, `cost/size_bytes`, `cost/seconds` (the trial's time,
      the sum of its split, as `keras-nas report` shows it), the latencies
      (`cost/latency_ms`, ...) and the time split (`cost/build_seconds`, ...) (see `NASTuner`);
    - `zero_cost/<proxy>`, the trial's score by the zero-cost filter's proxy (see
      `keras_nas.estimation.ZeroCostFilter`), and `zero_cost/<proxy>_rank_correlation`, the
      proxy's Spearman correlation with the trained scores of the trials completed so far;
    - the strategy's state, from the oracle's `search_summary` recorded in the trial:
      `search/population/mean`, `/best`, `/diversity` for regularized evolution; `search/reward`,
      `search/baseline`, `search/entropy` and `search/probability/<choice>/<value>` for
      REINFORCE;
    - text `genotype`: the trial's status, summary and a table of its hyperparameters;
    - the search space's diagnostics (`keras_nas.diagnostics`) over the trials completed so
      far: histogram `space/scores` (their scores) and text `space/diagnostics` (the scores'
      distribution, the most important choices, edge-of-range warnings), as
      `keras-nas report` shows them;
    - scalar `anytime/best_<name>`: the best so far against the search's seconds (the step),
      with a keras-nas oracle (`keras_nas.anytime`);
    - images `architecture` (a drawing of the candidate, for keras-nas spaces) and `progress`
      (every completed trial's score and the best so far).

    Everything is read from the oracle (`get_trial`, `get_best_trials`), so workers of a
    distributed search log the trials they ran into the same run. Under a tuner that is not a
    keras-nas tuner it does nothing and says so.

    Example:
    >>> import tempfile
    >>> from keras_nas import EvolutionarySearch
    >>> from keras_nas.datasets import load_digits
    >>> from keras_nas.search_spaces import MLPSpace
    >>> (x, y), (x_val, y_val) = load_digits()
    >>> tuner = EvolutionarySearch(MLPSpace(input_shape=(64,), num_classes=10),
    ...                            objective="val_accuracy", max_trials=2, seed=0,
    ...                            directory=tempfile.mkdtemp())
    >>> log_dir = tempfile.mkdtemp()
    >>> tuner.search(x.reshape(-1, 64), y, validation_data=(x_val.reshape(-1, 64), y_val),
    ...              epochs=1, verbose=0, callbacks=[SearchTensorBoard(log_dir)])
    >>> os.listdir(log_dir)
    ['search']

    Args:
        log_dir: The TensorBoard log directory (the one given to `keras.callbacks.TensorBoard`,
            if any); the run goes to `log_dir/<run_name>`.
        run_name: The name of the run.
        images: Whether to draw the architecture and progress images (matplotlib); `False`
            saves a little time per trial.
    """

    def __init__(self, log_dir: str = "logs", *, run_name: str = "search", images: bool = True):
        super().__init__()
        if not isinstance(run_name, str) or not run_name or os.sep in run_name:
            raise ValueError(
                "`run_name` must be a non-empty folder name without a path separator. "
                f"Received: run_name={run_name!r}."
            )
        self.log_dir = str(log_dir)
        self.run_name = run_name
        self.images = bool(images)
        self._writer = None
        self._warned = False

    @property
    def run_dir(self) -> str:
        """Where the run's event files go."""
        return os.path.join(self.log_dir, self.run_name)

    def on_search_begin(self, tuner: keras_tuner.Tuner) -> None:
        """Opens the run's writer; called by the keras-nas tuner."""
        import tensorflow as tf

        self._writer = tf.summary.create_file_writer(self.run_dir)

    def on_trial_end(self, tuner: keras_tuner.Tuner, trial: keras_tuner.engine.trial.Trial) -> None:
        """Writes the summaries of a trial that the oracle has just ended."""
        import tensorflow as tf

        if self._writer is None:
            self.on_search_begin(tuner)
        trial = tuner.oracle.get_trial(trial.trial_id)
        step = trial_number(trial)
        with self._writer.as_default(step=step):
            for name, value in self.scalars(tuner, trial).items():
                tf.summary.scalar(name, value)
            tf.summary.text("genotype", _architecture_text(tuner, trial))
            completed = _scored_trials(tuner.oracle)
            if completed:
                tf.summary.histogram("space/scores", [done.score for done in completed])
                tf.summary.text("space/diagnostics", _diagnostics_text(tuner.oracle, completed))
            best = tuner.oracle.get_best_trials(1)
            ended_at = getattr(tuner.oracle, "time_limits", None)
            ended_at = ended_at.ended_at.get(trial.trial_id) if ended_at else None
            if best and best[0].score is not None and ended_at is not None:
                # The anytime view: the best so far against the search's seconds.
                name = f"anytime/best_{tuner.oracle.objective.name}"
                tf.summary.scalar(name, float(best[0].score), step=int(ended_at))
            if self.images:
                for name, png in self._images(tuner, trial).items():
                    tf.summary.image(name, tf.expand_dims(tf.io.decode_png(png, channels=4), 0))
        self._writer.flush()

    def on_search_end(self, tuner: keras_tuner.Tuner) -> None:
        """Closes the run's writer."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def scalars(
        self, tuner: keras_tuner.Tuner, trial: keras_tuner.engine.trial.Trial
    ) -> dict[str, float]:
        """The scalars written for `trial`, by summary name."""
        objective = tuner.oracle.objective
        scalars: dict[str, float] = {}
        if trial.score is not None:
            scalars[f"objective/{objective.name}"] = float(trial.score)
        best = tuner.oracle.get_best_trials(1)
        if best and best[0].score is not None:
            scalars[f"objective/best_{objective.name}"] = float(best[0].score)
        for name in trial.metrics.metrics:
            if (
                name in COST_METRICS
                or name.startswith(_COST_PREFIXES)
                or name.endswith(_COST_SUFFIXES)
            ):
                scalars[f"cost/{name}"] = float(trial.metrics.get_last_value(name))
        seconds = trial_seconds(trial)
        if seconds is not None:
            scalars["cost/seconds"] = float(seconds)
        for name in trial.metrics.metrics:
            if name.startswith(SEARCH_PREFIX):
                scalars[name] = float(trial.metrics.get_last_value(name))
            if name.startswith(METRIC_PREFIX):
                scalars[name] = float(trial.metrics.get_last_value(name))
                correlation = _running_correlation(tuner.oracle, name)
                if correlation is not None:
                    scalars[f"{name}_rank_correlation"] = correlation
        return scalars

    def on_train_begin(self, logs: dict | None = None) -> None:
        # Reached only when a tuner passed this callback on to `model.fit`: not a keras-nas one.
        if not self._warned:
            self._warned = True
            warnings.warn(
                "`SearchTensorBoard` logs only under a keras-nas tuner (`NASTuner`, "
                "`EvolutionarySearch`, `ReinforceSearch`); this tuner passed it to `model.fit`, "
                "where it does nothing.",
                stacklevel=2,
            )

    def _images(
        self, tuner: keras_tuner.Tuner, trial: keras_tuner.engine.trial.Trial
    ) -> dict[str, bytes]:
        from keras_nas import plots

        images = {}
        graph = getattr(tuner.hypermodel, "architecture_graph", None)
        if graph is not None and trial.hyperparameters.values:
            images["architecture"] = plots.architecture_png(
                graph(trial.hyperparameters.values), title=f"trial {trial.trial_id}"
            )
        scored = {trial_number(done): done.score for done in tuner.oracle.get_best_trials(10**9)}
        objective = tuner.oracle.objective
        # Every trial up to this one: those without a score are marked as such.
        ids = range(max([trial_number(trial), *scored]) + 1)
        images["progress"] = plots.progress_png(
            [scored.get(i) for i in ids],
            direction=objective.direction,
            objective=objective.name,
            trial_ids=list(ids),
        )
        return images


def _scored_trials(oracle: keras_tuner.Oracle) -> list[ScoredTrial]:
    """The completed trials with a score, through `get_best_trials` (a worker's client has
    no `trials`)."""
    return [
        ScoredTrial(trial.trial_id, float(trial.score), dict(trial.hyperparameters.values))
        for trial in oracle.get_best_trials(10**9)
        if trial.score is not None
    ]


def _diagnostics_text(oracle: keras_tuner.Oracle, completed: list[ScoredTrial]) -> str:
    """The report's "Search space" section, as a Markdown code block."""
    active, control, initial = {}, [], []
    if isinstance(oracle, NASOracle):
        for trial in completed:
            names = oracle.active_hyperparameters(trial.trial_id)
            if names is not None:
                active[trial.trial_id] = sorted(names)
        control = [trial.trial_id for trial in completed if oracle.is_control(trial.trial_id)]
        initial = [trial.trial_id for trial in completed if oracle.is_initial(trial.trial_id)]
    direction = getattr(oracle.objective, "direction", "min")  # Several objectives: a sum.
    space = oracle.get_space().get_config()["space"]
    lines = format_diagnostics(diagnose(completed, space, direction, active, control, initial))
    return "\n".join(f"    {line}" for line in lines)


def _running_correlation(oracle: keras_tuner.Oracle, metric: str) -> float | None:
    """Spearman's rank correlation of a proxy's scores with the trained scores, over the
    completed trials so far."""
    pairs = [
        (trial.metrics.get_last_value(metric), trial.score)
        for trial in oracle.trials.values()
        if trial.status == "COMPLETED" and trial.score is not None and trial.metrics.exists(metric)
    ]
    if oracle.objective.direction == "min":
        pairs = [(proxy, -score) for proxy, score in pairs]
    return rank_correlation([proxy for proxy, _ in pairs], [score for _, score in pairs])


def trial_number(trial: keras_tuner.engine.trial.Trial) -> int:
    """The trial's id as a number (KerasTuner numbers trials 0, 1, ...), as the report shows it.

    Example:
    >>> from keras_tuner.engine.trial import Trial
    >>> trial_number(Trial(hyperparameters=None, trial_id="07"))
    7
    """
    try:
        return int(trial.trial_id)
    except ValueError as error:
        raise ValueError(
            "`SearchTensorBoard` numbers trials by their ids, which KerasTuner's oracles make "
            f'from a count ("00", "01", ...). Received: trial_id={trial.trial_id!r}. Use an '
            "oracle that numbers its trials."
        ) from error


def _architecture_text(tuner: keras_tuner.Tuner, trial: keras_tuner.engine.trial.Trial) -> str:
    """Markdown: status, score, the space's one-line summary and the values as a table."""
    values: dict[str, Any] = trial.hyperparameters.values
    lines = [f"**trial {trial.trial_id}**: {trial.status}, score {trial.score}"]
    if trial.message:
        lines.append(f"\n{trial.message.splitlines()[0]}")
    describe = getattr(tuner.hypermodel, "describe", None)
    if describe is not None and values:
        lines.append(f"\n`{describe(values)['summary']}`")
    lines += ["", "| hyperparameter | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in values.items()]
    return "\n".join(lines)
