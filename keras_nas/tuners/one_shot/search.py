"""`OneShotSearch`: train one supernet, then search its sub-networks without training them.

The supernet's training (resumable by epoch, with a path sampler, `sampling.py`, through a
per-step callback, `supernet_training.py`) and the scoring of sub-networks with inherited
weights as trials; inheritance and `retrain` are `SupernetSearch`'s
(`keras_nas.tuners.supernet_search`).
"""

from __future__ import annotations

import json
import os
from typing import Any

import keras
import keras_tuner
import numpy as np

from keras_nas import oracles
from keras_nas.arguments import check_count, check_number
from keras_nas.files import write_json_atomically
from keras_nas.search_spaces.base import SearchSpace
from keras_nas.tuners.best_weights import write_weights
from keras_nas.tuners.checks import check_fit_arguments
from keras_nas.tuners.one_shot.sampling import RULES, PathSampler
from keras_nas.tuners.one_shot.supernet_training import SamplePaths
from keras_nas.tuners.supernet_search import (
    SupernetSearch,
    check_single_process,
    cosine_schedule,
    draw_calibration_batches,
    evaluate,
)

#: The supernet's progress (epochs trained), under the project directory.
SUPERNET_STATE_FILE = "supernet.json"
#: The learning rate schedules of the supernet's training (`OneShotSearch(supernet_schedule=)`).
SCHEDULES = ("constant", "cosine")


def _build_training_state(model: keras.Model, x: Any, y: Any) -> None:
    """Creates the optimizer's and the metrics' variables before `fit`, from one example.

    Keras's TensorFlow trainer otherwise creates them in the first training step, and
    TensorFlow then traces that step a second time. A supernet's step, with a switch per
    choice and a condition per variable, is slow to trace: the first epoch of a MacroSpace
    supernet on digits took 26.6 s with this, 48.6 s without (BENCHMARKS.md). With data
    other than NumPy arrays (a `tf.data.Dataset`, a generator) only the optimizer is built
    here, and the first step is still traced twice.
    """
    model.optimizer.build(model.trainable_variables)
    if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)) or not len(x):
        return
    model.compute_metrics(x[:1], y[:1], model(x[:1], training=False))
    model.reset_metrics()


class OneShotSearch(SupernetSearch):
    """One-shot architecture search: a supernet trained once, sub-networks scored in seconds.

    Single-path one-shot NAS (Guo et al. 2020, https://arxiv.org/abs/1904.00420) in three
    steps:

    1. `search` first trains the space's supernet (`SearchSpace.build_supernet`), which holds
       every operation; each training step runs one architecture, drawn uniformly at random
       (or, with `path_sampling="sandwich"`, the largest and the smallest in turn with
       random ones; with `"fair"`, groups of architectures that run every option of every
       choice once, their gradients added up into one update; with `"progressive"`, the
       largest kernels, depths and widths first, then each of them elastic in turn).
       Its weights go to the `SharedLayerRegistry` in `<project dir>/shared_weights/` after
       every epoch, and `supernet.json` records the epochs done: a resumed search continues
       the supernet's training where it stopped, and never trains it again once done.
    2. The oracle (regularized evolution unless another is given; any KerasTuner oracle
       works) then proposes sub-networks. A trial builds the plain sub-network
       (`build_model`), gives it the supernet's weights of its operations, re-estimates the
       BatchNormalization statistics on `calibration_batches` training batches and evaluates
       it on `validation_data`, with no training. Its objective is `val_<metric>`.
    3. `retrain(top_k, epochs)` trains the best sub-networks from scratch and reports both
       scores, the one-shot estimate and the stand-alone one.

    `get_best_models` returns plain Keras models with the inherited weights: they save and
    load as ordinary `.keras` files, without any supernet code.

    Example:
    >>> import tempfile
    >>> from keras_nas.datasets import load_digits
    >>> from keras_nas.search_spaces import MacroSpace
    >>> (x, y), validation = load_digits()
    >>> space = MacroSpace(input_shape=(8, 8, 1), num_classes=10, num_stages=1,
    ...                    block_types=("conv", "mbconv"), kernels=(3,), widths=(8, 16),
    ...                    depths=(1, 2), expansions=(3,))
    >>> tuner = OneShotSearch(space, max_trials=3, supernet_epochs=1, seed=0,
    ...                       directory=tempfile.mkdtemp())
    >>> tuner.search(x, y, validation_data=validation, batch_size=64, verbose=0)
    >>> len(tuner.oracle.trials)
    3
    >>> tuner.get_best_models(1)[0].output_shape
    (None, 10)

    Args:
        hypermodel: A keras-nas search space whose `supports_one_shot()` is True.
        oracle: The search strategy; `None` builds a `RegularizedEvolutionOracle` from
            `objective`, `max_trials` and `seed`.
        objective: What to maximise or minimise, a validation metric (`"val_accuracy"`).
            Used only when `oracle` is `None`.
        max_trials: How many sub-networks to evaluate; only when `oracle` is `None`.
        supernet_epochs: Epochs of supernet training. A supernet needs several times the
            epochs of one network, since each step trains one path of many.
        supernet_learning_rate: Learning rate of the supernet's optimizer (the space's
            optimizer); `None` takes the space's learning rate. Under the cosine schedule,
            its value in the first epoch.
        supernet_schedule: `"constant"` keeps the learning rate; `"cosine"` decays it epoch
            by epoch along a half cosine, towards 0 after the last of `supernet_epochs` (as
            NAS-Bench-201 trains its networks). The decay follows the epoch number, so a
            resumed supernet continues it where it stopped.
        calibration_batches: How many training batches of the search's `batch_size` go into
            re-estimating each sub-network's BatchNorm statistics (in one forward pass).
        path_sampling: Which architecture each supernet training step runs: `"uniform"`
            (one drawn at random), `"sandwich"` (the largest, the smallest, then two
            random ones, in turn) or `"fair"` (FairNAS's strict fairness: each group of
            steps runs every option of every choice equally often, and the optimizer
            updates once per group) or `"progressive"` (Once-for-All's progressive
            shrinking: `supernet_epochs` split into phases, the largest kernels, depths and
            widths first, then kernels, depths and widths drawn too, one dimension more per
            phase; for spaces with those dimensions, `MacroSpace` and `MobileNetSpace`); see
            `keras_nas.tuners.one_shot.PathSampler`.
        seed: Seeds the paths sampled while training the supernet, the calibration batches,
            (when `oracle` is `None`) the oracle, and each sub-network's training in
            `retrain`.
        **kwargs: The arguments of `NASTuner` and `keras_tuner.Tuner` (`directory`,
            `project_name`, `overwrite`, `distribution_strategy`, `deterministic`: also
            seeds the supernet's weights and training, `keras_nas.tuners.determinism`, ...).

    Raises:
        ValueError: If the space has no supernet, or an argument is out of range.
    """

    def __init__(
        self,
        hypermodel: SearchSpace,
        oracle: keras_tuner.Oracle | None = None,
        *,
        objective: Any = "val_accuracy",
        max_trials: int = 100,
        supernet_epochs: int = 30,
        supernet_learning_rate: float | None = None,
        supernet_schedule: str = "constant",
        calibration_batches: int = 10,
        path_sampling: str = "uniform",
        seed: int | None = None,
        **kwargs: Any,
    ):
        problem = (
            hypermodel.one_shot_problem()
            if isinstance(hypermodel, SearchSpace)
            else f"{hypermodel!r} is not a keras-nas search space"
        )
        if problem is not None:
            raise ValueError(
                "`hypermodel` must be a keras-nas search space with a one-shot supernet "
                f"(`space.supports_one_shot()`), such as NASBench201Space: {problem}. Search "
                "other spaces with EvolutionarySearch or ReinforceSearch and "
                "`weight_sharing=True`."
            )
        supernet_epochs = check_count("supernet_epochs", supernet_epochs)
        calibration_batches = check_count("calibration_batches", calibration_batches)
        check_number(
            "supernet_learning_rate",
            supernet_learning_rate,
            above=0,
            none_means="take the space's learning rate",
        )
        if path_sampling not in RULES:
            raise ValueError(
                f"`path_sampling` must be one of {RULES}. Received: "
                f"path_sampling={path_sampling!r}."
            )
        if path_sampling == "progressive":  # Does the space have dimensions to shrink?
            PathSampler(hypermodel, rule=path_sampling, epochs=supernet_epochs)
        if supernet_schedule not in SCHEDULES:
            raise ValueError(
                f"`supernet_schedule` must be one of {SCHEDULES}. Received: "
                f"supernet_schedule={supernet_schedule!r}."
            )
        check_single_process("OneShotSearch", kwargs)
        if oracle is None:
            oracle = oracles.RegularizedEvolutionOracle(
                objective=objective, max_trials=max_trials, seed=seed
            )
        self.supernet_epochs = supernet_epochs
        self.supernet_learning_rate = supernet_learning_rate
        self.supernet_schedule = supernet_schedule
        self.calibration_batches = calibration_batches
        self.path_sampling = path_sampling
        super().__init__(hypermodel, oracle, seed=seed, **kwargs)

    def search(
        self,
        x: Any = None,
        y: Any = None,
        *,
        validation_data: Any = None,
        batch_size: int = 32,
        epochs: int | None = None,
        callbacks: list | None = None,
        verbose: int = 1,
        max_time: float | None = None,
        max_trial_seconds: float | None = None,
        **fit_kwargs: Any,
    ) -> None:
        """Trains the supernet (unless done), then runs the trials; takes what `fit` takes.

        `x`, `y`, `batch_size`, `callbacks` and `**fit_kwargs` go to the supernet's `fit`;
        `epochs`, if given, replaces `supernet_epochs`. `validation_data` scores the
        sub-networks and is required. `max_time` bounds the whole search: the supernet's
        training stops after the last epoch that fits (at least one), and sub-networks are
        scored while time is left (at least one); `max_trial_seconds` as in
        `NASTuner.search`.
        """
        if validation_data is None:
            raise ValueError(
                "OneShotSearch scores each sub-network on `validation_data`, which is "
                "required. Pass validation_data=(x_val, y_val)."
            )
        verbose = check_fit_arguments({**fit_kwargs, "batch_size": batch_size}, verbose)
        check_count("epochs", epochs, none_means="train the supernet for `supernet_epochs`")
        self.check_inputs(x, y, validation_data=validation_data)
        budget = self.start_time_limits(max_time, max_trial_seconds)
        self.train_supernet(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs or self.supernet_epochs,
            callbacks=[*(callbacks or []), *budget],
            verbose=verbose,
            **fit_kwargs,
        )
        self._calibration = draw_calibration_batches(
            x, batch_size, self.calibration_batches, np.random.default_rng(self.seed)
        )
        self._fit_data = ((x, y), {"validation_data": validation_data, "batch_size": batch_size})
        super().search(
            x, y, validation_data=validation_data, batch_size=batch_size, verbose=verbose
        )

    def train_supernet(
        self,
        x: Any = None,
        y: Any = None,
        *,
        epochs: int | None = None,
        callbacks: list | None = None,
        verbose: int = 1,
        **fit_kwargs: Any,
    ) -> keras.callbacks.History | None:
        """Trains the supernet up to `epochs` in all (default `supernet_epochs`).

        Continues from the epochs recorded in `supernet.json`; returns `None` without
        training when they are already done.
        """
        epochs = check_count(
            "epochs", epochs, none_means="train the supernet for `supernet_epochs`"
        )
        epochs = epochs or self.supernet_epochs
        done = self.supernet_epochs_trained()
        if done >= epochs:
            if verbose:
                print(f"Supernet already trained for {done} epochs; not training it again.")
            return None
        sampler = PathSampler(
            self.hypermodel,
            rule=self.path_sampling,
            seed=self.seed,
            epochs=self._schedule_span(epochs),
        )
        self.seed_supernet(done)
        with self._scope():
            supernet = self.hypermodel.build_supernet(
                self.supernet_learning_rate, steps_per_update=sampler.steps_per_update
            )
            self.registry.restore(supernet)
            _build_training_state(supernet, x, y)
        history = supernet.fit(
            x,
            y,
            epochs=epochs,
            initial_epoch=done,
            callbacks=[
                SamplePaths(sampler),
                *self._schedule_callbacks(supernet, epochs),
                _SaveSupernet(self.registry, self._supernet_state_path()),
                *(callbacks or []),
            ],
            verbose=2 if verbose else 0,
            **fit_kwargs,
        )
        del supernet
        keras.backend.clear_session()
        return history

    def _schedule_callbacks(self, supernet: keras.Model, epochs: int) -> list:
        if self.supernet_schedule == "constant":
            return []
        peak = float(keras.ops.convert_to_numpy(supernet.optimizer.learning_rate))
        span = self._schedule_span(epochs)
        return [keras.callbacks.LearningRateScheduler(cosine_schedule(peak, span))]

    def _schedule_span(self, epochs: int) -> int:
        """The epochs that the learning rate's decay and the progressive phases span: the
        configured length, so that training stopped early (`epochs` below it) and resumed
        follows one schedule; a longer run stretches it."""
        return max(epochs, self.supernet_epochs)

    def supernet_epochs_trained(self) -> int:
        """How many epochs the supernet has been trained for (0 before any)."""
        path = self._supernet_state_path()
        if not os.path.exists(path):
            return 0
        with open(path) as file:
            return int(json.load(file)["epochs_trained"])

    def run_trial(self, trial, x=None, y=None, *, validation_data=None, batch_size=32, **kwargs):
        """Scores one sub-network with inherited weights on the validation data.

        Its timing (`keras_nas.timing`) counts making the sub-network (weights inherited,
        BatchNorm statistics re-estimated) as `build` and scoring it as `fit`.
        """
        with self._clock.part("build"):
            model = self.sub_network(trial.hyperparameters.values)
        with self._clock.part("fit"):
            results = evaluate(model, validation_data, batch_size)
        write_weights(self._weights_path(trial.trial_id), model.get_weights())
        return {f"val_{name}": value for name, value in results.items()}

    def _supernet_state_path(self) -> str:
        return os.path.join(self.project_dir, SUPERNET_STATE_FILE)


class _SaveSupernet(keras.callbacks.Callback):
    """After each epoch, stores the supernet's weights, then records the epoch as done."""

    def __init__(self, registry, state_path: str):
        super().__init__()
        self.registry, self.state_path = registry, state_path

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.registry.store(self.model)
        write_json_atomically(self.state_path, {"epochs_trained": epoch + 1})
