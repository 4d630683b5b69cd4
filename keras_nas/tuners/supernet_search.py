"""`SupernetSearch`: what the searches that train one supernet share.

`OneShotSearch` (`keras_nas.tuners.one_shot`) and `DifferentiableSearch`
(`keras_nas.tuners.differentiable`) both train a network that holds every operation of a
space, keep its weights in the `SharedLayerRegistry` under the project directory, and turn
architectures into trials whose plain sub-networks inherit those weights. This base class
holds that common part: the inherited sub-network (`sub_network`), the trial's model
(`load_model`), retraining from scratch (`retrain`) and the functions both use to score a
sub-network and to schedule the learning rate.
"""

from __future__ import annotations

import contextlib
import math
import os
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import keras
import keras_tuner
import numpy as np

from keras_nas.arguments import check_seed
from keras_nas.distribute.chief import ORACLE_IP, role
from keras_nas.files import SUB_NETWORK_WEIGHTS, write_json_atomically
from keras_nas.search_spaces.base import SearchSpace, check_positive_int
from keras_nas.tuners.best_weights import build_optimizer, read_best_weights
from keras_nas.tuners.deadline import SupernetBudget
from keras_nas.tuners.determinism import enable_op_determinism, seed_everything, supernet_seed
from keras_nas.tuners.nas_tuner import NASTuner
from keras_nas.weight_sharing import recalibrate_batch_norm

#: The results of `retrain`, under the project directory.
RETRAIN_FILE = "retrain.json"
# Sub-networks are evaluated eagerly, in batches of at least this many examples, and more
# where they hold at most _EVALUATION_VALUES input values (4 MiB of float32): each eager
# operation costs a fixed overhead besides its work, so larger batches score a sub-network
# faster (2 to 3 times on 16x16 images, BENCHMARKS.md), while large inputs keep to small ones.
_EVALUATION_BATCH = 256
_EVALUATION_VALUES = 2**20
# Where keras-nas before commit 93b9f24 kept a trial's sub-network weights (a Keras weights
# file); still read.
_LEGACY_SUB_NETWORK_WEIGHTS = "sub_network.weights.h5"


def retrain_seed(seed: int, trial_id: str) -> int:
    """The seed of one candidate's training in `OneShotSearch.retrain`, the same in every process.

    Example:
    >>> retrain_seed(0, "3") == retrain_seed(0, "3") != retrain_seed(0, "4")
    True
    """
    return zlib.crc32(f"{seed}/{trial_id}".encode())


class SupernetSearch(NASTuner):
    """Base of the searches that train one supernet and score its sub-networks.

    Subclasses train the supernet into `self.registry` and implement `run_trial`; this
    class gives every trial's sub-network its inherited weights, loads trials' models and
    retrains the best architectures from scratch.

    Args:
        hypermodel: A keras-nas search space.
        oracle: The search strategy.
        seed: Seeds the calibration batches and each sub-network's training in `retrain`
            (with `deterministic=True`, the search's seed when not given).
        **kwargs: The arguments of `NASTuner` and `keras_tuner.Tuner`.
    """

    #: The name, in `retrain`'s results, of a trial's score in the search.
    search_score_name = "one_shot"

    def __init__(
        self,
        hypermodel: SearchSpace,
        oracle: keras_tuner.Oracle,
        *,
        seed: int | None = None,
        **kwargs: Any,
    ):
        if kwargs.get("estimation") is not None:
            raise ValueError(
                f"{type(self).__name__} trains one supernet rather than one network per "
                "trial, so a proxy task (`estimation=`) does not apply to it. Received: "
                f"estimation={kwargs['estimation']!r}. Pass a smaller dataset or fewer epochs "
                "to `search` instead, or use a multi-trial search (`EvolutionarySearch`)."
            )
        self.seed = seed
        self._calibration: list[np.ndarray] = []
        self._fit_data: tuple[tuple, dict] | None = None
        super().__init__(hypermodel, oracle, weight_sharing=True, **kwargs)
        if self.deterministic and self.seed is None:
            self.seed = self.search_seed  # Seeds everything below, as `seed=` would.

    def start_time_limits(self, max_time: Any, max_trial_seconds: Any) -> list:
        """Gives the oracle `search`'s limits (`NASTuner.search`) and starts the search's
        clock; returns the callbacks that keep the supernet's training within `max_time`.
        The first sub-network is scored whatever the time left."""
        self._set_time_limits(max_time, max_trial_seconds)
        limits = getattr(self.oracle, "time_limits", None)
        if limits is None or limits.max_time is None:
            return []  # Nothing to keep within: no callback, no file written each epoch.
        limits.first_trial_always = True
        return [SupernetBudget(limits, self._progress.say, self.project_dir)]

    def seed_supernet(self, epochs_done: int) -> None:
        """With `deterministic=True`, makes TensorFlow's ops deterministic and seeds the
        supernet about to be built and trained from epoch `epochs_done`
        (`keras_nas.tuners.determinism`); otherwise does nothing."""
        if self.deterministic:
            enable_op_determinism()
            seed_everything(supernet_seed(self.seed, epochs_done))

    def sub_network(
        self, values: dict[str, Any], calibration: list[np.ndarray] | None = None
    ) -> keras.Model:
        """The plain, compiled model of `values` with the supernet's weights.

        Its BatchNorm statistics are re-estimated on `calibration` (a list of input batches;
        by default those drawn from the training data of the last `search`).

        Raises:
            RuntimeError: If the supernet has not been trained yet.
        """
        with self._scope():
            model = self.hypermodel.build_model(values)
        keys = self.registry.keys_of(model)
        restored = self.registry.restore(model, sliced=True, source_name=self.layer_source(values))
        if len(restored) != len(keys):
            missing = sorted(set(keys) - set(restored))[:3]
            raise RuntimeError(
                f"The supernet holds no weights for {len(keys) - len(restored)} layers of "
                f"this sub-network (e.g. {missing}). Train the supernet first: call "
                "`search(...)` or `train_supernet(...)`."
            )
        recalibrate_batch_norm(model, self._calibration if calibration is None else calibration)
        return model

    def layer_source(self, values: dict[str, Any]) -> Callable[[str], Any]:
        """Where the sub-network of `values` finds each layer's weights in the supernet (see
        `SharedLayerRegistry.restore`'s `source_name`)."""
        return self.hypermodel.supernet_layer_name

    def load_model(self, trial) -> keras.Model:
        """The trial's sub-network with the weights it was scored with (plain Keras)."""
        with self._scope():
            model = self.hypermodel.build_model(trial.hyperparameters.values)
            path = self._weights_path(trial.trial_id)
            legacy = os.path.join(os.path.dirname(path), _LEGACY_SUB_NETWORK_WEIGHTS)
            # Built first, so that the model saves and loads without warnings, and so that an
            # earlier keras-nas's weights file, which holds the optimizer's, loads whole.
            build_optimizer(model)
            if not os.path.exists(path) and os.path.exists(legacy):
                model.load_weights(legacy)  # A trial scored by an earlier keras-nas.
            else:
                model.set_weights(read_best_weights(path))
            return model

    def retrain(
        self,
        top_k: int = 3,
        epochs: int = 10,
        x: Any = None,
        y: Any = None,
        *,
        validation_data: Any = None,
        batch_size: int | None = None,
        seeds: Sequence[int] | None = None,
        verbose: int = 1,
        **fit_kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Trains the `top_k` best sub-networks from scratch, for `epochs` epochs each.

        The data default to those of the last `search`. The results are also written to
        `retrain.json` in the project directory.

        Each training is seeded by `retrain_seed(seed, trial_id)` through
        `keras.utils.set_random_seed` (which also reseeds Python's, NumPy's and
        TensorFlow's global generators), with the search's `seed`, or once with each of
        `seeds`: retraining a candidate again on the same data and machine gives the same
        figures, whichever `top_k` it is retrained in. Without a seed, each training starts
        from fresh random weights, and on small data two retrainings of one cell can differ
        by several points; `seeds=[0, 1, 2]` averages three.

        Returns:
            One dict per sub-network, best search score first: `trial_id`, `architecture`
            (the space's summary), its score in the search (`one_shot` for `OneShotSearch`,
            `search` for `DifferentiableSearch`) and `stand_alone` (the best validation
            objective of its own training; with `seeds`, the mean over them, each in
            `stand_alone_runs`).

        Raises:
            ValueError: If `top_k` or `epochs` is not a positive integer, `seeds` is empty,
                or there is no training data.
        """
        top_k = check_positive_int("top_k", top_k)
        epochs = check_positive_int("epochs", epochs)
        if seeds is not None:
            seeds = [check_seed(seed) for seed in seeds] or _no_seeds()
        if x is None:
            if self._fit_data is None:
                raise ValueError(
                    "`retrain` needs training data: pass x, y and validation_data, or call "
                    "`search(...)` first."
                )
            (x, y), defaults = self._fit_data
            validation_data = validation_data or defaults["validation_data"]
            batch_size = batch_size or defaults["batch_size"]
        fit = dict(fit_kwargs, validation_data=validation_data, batch_size=batch_size or 32)
        results = []
        for trial in self.oracle.get_best_trials(top_k):
            runs = [
                self._train_from_scratch(trial, seed, x, y, epochs, fit)
                for seed in (seeds if seeds is not None else [self.seed])
            ]
            values = trial.hyperparameters.values
            result = {
                "trial_id": trial.trial_id,
                "architecture": self.hypermodel.describe(values)["summary"],
                self.search_score_name: trial.score,
                "stand_alone": float(np.mean(runs)),
            }
            if seeds is not None:
                result.update(seeds=seeds, stand_alone_runs=runs)
            results.append(result)
            if verbose:
                label = self.search_score_name.replace("_", "-")
                print(
                    f"retrained trial {trial.trial_id}: {label} {trial.score:.4f}, "
                    f"stand-alone {result['stand_alone']:.4f}  {result['architecture']}",
                    flush=True,
                )
        write_json_atomically(os.path.join(self.project_dir, RETRAIN_FILE), results)
        return results

    def _train_from_scratch(self, trial, seed, x, y, epochs: int, fit: dict) -> float:
        """The best validation objective of one training of the trial's sub-network."""
        keras.backend.clear_session()
        if seed is not None:
            keras.utils.set_random_seed(retrain_seed(seed, trial.trial_id))
        with self._scope():
            model = self.hypermodel.build_model(trial.hyperparameters.values)
        history = model.fit(x, y, epochs=epochs, verbose=0, **fit).history
        objective = self.oracle.objective
        scores = history[objective.name]
        return float(max(scores) if objective.direction == "max" else min(scores))

    def _scope(self):
        strategy = self.distribution_strategy
        return strategy.scope() if strategy is not None else contextlib.nullcontext()

    def _weights_path(self, trial_id: str) -> str:
        directory = self.get_trial_dir(trial_id)
        os.makedirs(directory, exist_ok=True)
        return os.path.join(directory, SUB_NETWORK_WEIGHTS)


def check_single_process(search: str, kwargs: dict[str, Any]) -> None:
    """Refuses what a supernet search cannot do: run as a chief or worker of a parallel
    search (each worker would train a supernet of its own) or take `weight_sharing`.

    Raises:
        ValueError: In chief/worker mode, or if `kwargs` holds `weight_sharing`.
    """
    if role() != "single":
        raise ValueError(
            f"{search} runs in one process: it trains one supernet, and its trials score "
            "sub-networks in seconds, without training, so parallel workers would only train "
            f"one supernet each. Received: {ORACLE_IP}={os.environ.get(ORACLE_IP)!r} "
            "(chief/worker mode, e.g. from keras-nas launch). Run it as a single process; to "
            "train the supernet on several devices, pass distribution_strategy=."
        )
    if "weight_sharing" in kwargs:
        raise ValueError(
            f"{search} always shares weights through its supernet; do not pass "
            f"`weight_sharing`. Received: weight_sharing={kwargs['weight_sharing']!r}."
        )


def _no_seeds() -> list:
    raise ValueError(
        "`seeds` must hold at least one seed, e.g. seeds=[0, 1, 2]; pass None to train "
        "once with the search's seed. Received: seeds=[]."
    )


def cosine_schedule(peak: float, epochs: int) -> Callable[[int, float | None], float]:
    """The learning rate of each epoch (from 0) under a half-cosine decay from `peak` at
    epoch 0 towards 0 after `epochs` epochs, for `keras.callbacks.LearningRateScheduler`.

    Example:
    >>> schedule = cosine_schedule(0.01, 4)
    >>> [round(schedule(epoch, None), 5) for epoch in range(4)]
    [0.01, 0.00854, 0.005, 0.00146]
    """

    def learning_rate(epoch: int, current: float | None) -> float:
        return peak * 0.5 * (1 + math.cos(math.pi * epoch / epochs))

    return learning_rate


def evaluate(model: keras.Model, validation_data: Any, batch_size: int) -> dict[str, float]:
    """`model.evaluate`, run eagerly: a new sub-network per trial is not worth tracing.

    Arrays are scored in batches of `_evaluation_batch_size`; a dataset in its own batches.
    """
    model.reset_metrics()
    if isinstance(validation_data, (tuple, list)):
        arrays = validation_data
        batch_size = _evaluation_batch_size(arrays[0], batch_size)
        for start in range(0, len(arrays[0]), batch_size):
            model.test_step(tuple(array[start : start + batch_size] for array in arrays))
    else:  # A tf.data.Dataset of (x, y) or (x, y, sample_weight) batches.
        for batch in validation_data:
            model.test_step(batch)
    return {name: float(value) for name, value in model.get_metrics_result().items()}


def _evaluation_batch_size(inputs: Any, batch_size: int) -> int:
    """The evaluation batch size for `inputs` (an array of examples) and the training
    `batch_size`: at least both `batch_size` and `_EVALUATION_BATCH`, and as many examples
    as hold `_EVALUATION_VALUES` input values where that is more.

    Example:
    >>> _evaluation_batch_size(np.zeros((2000, 16, 16, 1)), 32)  # 4,096 examples of 256 values
    4096
    >>> _evaluation_batch_size(np.zeros((100, 224, 224, 3)), 32)
    256
    """
    values_per_example = max(1, math.prod(np.shape(inputs)[1:]))
    return max(batch_size, _EVALUATION_BATCH, _EVALUATION_VALUES // values_per_example)


def draw_calibration_batches(x: Any, batch_size: int, count: int, rng) -> list:
    """`count * batch_size` random training inputs as one batch, for BatchNorm statistics."""
    if isinstance(x, np.ndarray):
        return [x[np.sort(rng.permutation(len(x))[: count * batch_size])]]
    batches = []
    for batch in x.take(count):  # A tf.data.Dataset of (x, y) or (x, y, weights) batches.
        batches.append(batch[0] if isinstance(batch, tuple) else batch)
    return batches
