"""`DifferentiableSearch`: gradient-based architecture search (DARTS, GDAS) as a keras-nas
search whose result is an ordinary KerasTuner trial.

Size: about 590 lines, one class: the relaxed supernet's training (arguments, data pairing,
resumable epochs, state files), its discretization into a trial and that trial's scoring,
which share the supernet and its state. The supernet's training step, the schedules, the
cost term's prices and the TensorBoard callback are modules of their own
(`relaxed_supernet.py`, `schedules.py`, `operation_costs.py`,
`keras_nas.callbacks.ArchitectureTensorBoard`); inheritance and `retrain` are
`SupernetSearch`'s.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_nas import oracles
from keras_nas.arguments import check_bool, check_count, check_number
from keras_nas.files import write_json_atomically
from keras_nas.search_spaces.base import SearchSpace
from keras_nas.tuners.best_weights import read_best_weights, write_weights
from keras_nas.tuners.checks import check_fit_arguments
from keras_nas.tuners.differentiable.operation_costs import COSTS, operation_costs
from keras_nas.tuners.differentiable.relaxed_supernet import METHODS, RelaxedSupernet
from keras_nas.tuners.differentiable.schedules import EpochSchedules
from keras_nas.tuners.supernet_search import (
    SupernetSearch,
    check_single_process,
    draw_calibration_batches,
    evaluate,
)

#: The search's progress, under the project directory: the method, the epochs done, and per
#: epoch the validation logs, every operation's weight and the derived architecture (JSON).
SEARCH_STATE_FILE = "differentiable.json"
#: Everything a resumed search needs (the network's weights, the architecture parameters,
#: both optimizers, the temperature and noise state), as numpy arrays; no pickle.
SEARCH_WEIGHTS_FILE = "differentiable_state.npz"
#: The operation weights that derived a trial's architecture, in its trial directory.
ARCHITECTURE_WEIGHTS_FILE = "architecture_weights.json"


class DifferentiableSearch(SupernetSearch):
    """Gradient-based architecture search: DARTS or GDAS, at about the cost of training one
    network.

    Every choice of the space becomes a mixture of its operations (`MixedOperation`),
    weighted by the softmax of a vector of architecture parameters, one vector per choice,
    shared by every cell or layer that makes it (all NAS-Bench-201 cells share one per
    edge). The relaxable spaces: `NASBench201Space` (its edges), `NASNetCellSpace` (DARTS:
    every block reads every earlier node through a choice among `none` and the operations,
    and keeps its two strongest inputs) and `MobileNetSpace` (FBNet: every block position
    chooses among the MBConv blocks of every kernel and expansion, and a skip beyond the
    smallest depth). `search` trains the network's weights on the training data and the
    architecture parameters on `validation_data`, in alternating steps (first-order DARTS),
    then derives the architecture (`space.discretize`). The result is a
    KerasTuner trial in the project directory, with the derived values, the operation
    weights (`architecture_weights.json` in its folder) and the search's last validation
    scores as its metrics (its objective, `val_accuracy` by default), plus those of the
    plain sub-network with the supernet's weights (`inherited_val_accuracy`, ...). So
    `get_best_hyperparameters`, `get_best_models`, `keras-nas report` and `space.build_model`
    work on it as on an evolution trial. `retrain` then trains it from scratch.

    - `method="darts"` (Liu et al., ICLR 2019): every operation runs at every step.
    - `method="gdas"` (Dong and Yang, CVPR 2019): each step runs one operation per choice,
      drawn from the Gumbel-softmax of its parameters at a temperature annealed linearly
      from 10 to 0.1 (`temperature`), with the straight-through gradient: less computation
      per step on a large network (on a small one, tracing its switches costs as much as it
      saves; BENCHMARKS.md).
    - Collapse control (`collapse_control=True`, the default): beta-DARTS's regularisation
      (Ye et al., CVPR 2022) adds `collapse_weight * mean(logsumexp(alpha))` to the
      architecture loss, its weight rising linearly from 0 to `collapse_weight` over the
      epochs. Plain DARTS otherwise drifts towards parameter-free operations (on
      NAS-Bench-201, a cell of skip connections: 54.30% CIFAR-10 accuracy in the
      benchmark's paper); `benchmarks/differentiable.py` measures what it buys.
    - Hardware-aware search (`cost_weight > 0`, FBNet, ProxylessNAS): the architecture loss
      adds `cost_weight` times the expected cost of the architecture, each operation's
      `cost` (`"flops"`, `"params"` or `"latency_ms"` measured on this machine) weighted by
      its softmax weight, relative to its value with equal weights (so 1.0 at the start).
      Its value per epoch is the log `expected_cost`.

    Defaults follow the papers: the weights train with SGD (momentum 0.9, an L2 term of 3e-4
    as PyTorch's `weight_decay`, gradients clipped to a global norm of 5) and a cosine
    learning rate from
    0.025 to 0.001; the architecture parameters with Adam (3e-4, betas (0.5, 0.999)) and an
    L2 term of 1e-3. On small data, where an epoch is a few dozen steps, the architecture
    parameters move little at 3e-4: raise `architecture_learning_rate`.

    A killed search resumes from its last finished epoch (`differentiable_state.npz`):
    the weights, the architecture parameters, both optimizers, the temperature and the
    noise generator; the data order of the resumed epochs differs. Under
    `distribution_strategy=` the supernet trains data-parallel, with the architecture
    parameters mirrored, so every replica derives the same architecture.

    Example:
    >>> import tempfile
    >>> from keras_nas.datasets import load_digits
    >>> from keras_nas.search_spaces import NASBench201Space
    >>> (x, y), validation = load_digits()
    >>> space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1,
    ...                          channels=4, operations=("skip_connect", "nor_conv_3x3"))
    >>> tuner = DifferentiableSearch(space, method="darts", epochs=1, seed=0,
    ...                              directory=tempfile.mkdtemp())
    >>> tuner.search(x[:256], y[:256], validation_data=validation, verbose=0)
    >>> values = tuner.get_best_hyperparameters()[0].values
    >>> sorted(set(values.values()) - {"skip_connect", "nor_conv_3x3"})
    []

    Args:
        hypermodel: A keras-nas search space that can be relaxed (`relaxation_problem()`
            is `None`): `NASBench201Space`, `NASNetCellSpace` or `MobileNetSpace` (with one
            width multiplier).
        method: `"darts"` or `"gdas"`.
        objective: The trial's objective: a validation metric of the supernet at the end of
            the search (`"val_accuracy"`, `"val_loss"`).
        epochs: Epochs of the search; the schedules span them.
        learning_rate: The weights' learning rate at the first epoch.
        min_learning_rate: The weights' learning rate after the last epoch.
        architecture_learning_rate: Adam's learning rate for the architecture parameters.
        architecture_weight_decay: The L2 coefficient of the architecture parameters.
        temperature: GDAS's `(start, end)` temperature.
        collapse_control: Whether to add beta-DARTS's regularisation.
        collapse_weight: Its weight at the last epoch.
        cost_weight: The weight of the cost term in the architecture loss; 0 for none.
        cost: What the cost term counts: `"flops"` (multiply-adds), `"params"` or
            `"latency_ms"` (each operation's latency at batch 1, measured when the search
            builds its supernet).
        calibration_batches: Training batches that re-estimate the BatchNorm statistics of
            the derived sub-network before it is scored with inherited weights.
        seed: Seeds the architecture parameters, the Gumbel noise, the data order and
            `retrain`.
        **kwargs: The arguments of `NASTuner` and `keras_tuner.Tuner` (`directory`,
            `project_name`, `overwrite`, `distribution_strategy`, `deterministic`: also
            seeds the supernet's weights and training, `keras_nas.tuners.determinism`, ...).

    Raises:
        ValueError: If the space cannot be relaxed, or an argument is out of range.
    """

    search_score_name = "search"

    def __init__(
        self,
        hypermodel: SearchSpace,
        method: str = "darts",
        *,
        objective: Any = "val_accuracy",
        epochs: int = 50,
        learning_rate: float = 0.025,
        min_learning_rate: float = 0.001,
        architecture_learning_rate: float = 3e-4,
        architecture_weight_decay: float = 1e-3,
        temperature: tuple[float, float] = (10.0, 0.1),
        collapse_control: bool = True,
        collapse_weight: float = 1.0,
        cost_weight: float = 0.0,
        cost: str = "flops",
        calibration_batches: int = 10,
        seed: int | None = None,
        **kwargs: Any,
    ):
        problem = (
            hypermodel.relaxation_problem()
            if isinstance(hypermodel, SearchSpace)
            else f"{hypermodel!r} is not a keras-nas search space"
        )
        if problem is not None:
            raise ValueError(
                "`hypermodel` must be a keras-nas search space whose choices can be relaxed "
                f"into mixtures of operations: {problem}. Search other spaces with "
                "EvolutionarySearch, ReinforceSearch or OneShotSearch."
            )
        if method not in METHODS:
            raise ValueError(f"`method` must be one of {METHODS}. Received: method={method!r}.")
        name = getattr(objective, "name", objective)
        if not (isinstance(name, str) and name.startswith("val_")):
            raise ValueError(
                "DifferentiableSearch scores its trial by the supernet's validation metrics: "
                "`objective` must name one, such as 'val_accuracy' or 'val_loss'. Received: "
                f"objective={objective!r}."
            )
        self.method = method
        self.epochs = check_count("epochs", epochs)
        self.learning_rate = check_number("learning_rate", learning_rate, above=0)
        self.min_learning_rate = check_number(
            "min_learning_rate", min_learning_rate, minimum=0, below=learning_rate
        )
        self.architecture_learning_rate = check_number(
            "architecture_learning_rate", architecture_learning_rate, above=0
        )
        self.architecture_weight_decay = check_number(
            "architecture_weight_decay", architecture_weight_decay, minimum=0
        )
        self.temperature = _check_temperature(temperature)
        self.collapse_control = check_bool("collapse_control", collapse_control)
        self.collapse_weight = check_number("collapse_weight", collapse_weight, minimum=0)
        self.cost_weight = check_number("cost_weight", cost_weight, minimum=0)
        if self.cost_weight and hypermodel.cost_term_problem():
            raise ValueError(
                f"`cost_weight` must be 0 for this space: {hypermodel.cost_term_problem()}. "
                f"Received: cost_weight={cost_weight!r}."
            )
        if cost not in COSTS:
            raise ValueError(f"`cost` must be one of {list(COSTS)}. Received: cost={cost!r}.")
        self.cost = cost
        self.calibration_batches = check_count("calibration_batches", calibration_batches)
        check_single_process("DifferentiableSearch", kwargs)
        oracle = oracles.DerivedArchitectureOracle(objective=objective, seed=seed)
        self._search_logs: dict[str, float] = {}
        super().__init__(hypermodel, oracle, seed=seed, **kwargs)

    def search(
        self,
        x: Any = None,
        y: Any = None,
        *,
        validation_data: Any = None,
        batch_size: int = 64,
        epochs: int | None = None,
        callbacks: list | None = None,
        verbose: int = 1,
        max_time: float | None = None,
    ) -> None:
        """Trains the relaxed supernet (unless done), then records the derived architecture
        as a trial. With `max_time`, training stops after the last epoch that fits within it
        (at least one), and the derived architecture is recorded.

        Takes what `fit` takes: arrays `x`, `y` and `validation_data=(x_val, y_val)`, or
        `tf.data.Dataset`s of `(x, y)` batches for both. The network's weights learn from
        `x`, the architecture parameters from `validation_data` (required), a batch of each
        per step; an epoch is one pass over `x` (arrays: in whole batches, shuffled anew
        each epoch). `epochs`, if given, replaces the constructor's as the number of epochs
        to reach; the schedules (learning rate, temperature, collapse weight) span the
        larger of the two, so that a search stopped early and resumed follows one schedule.
        `callbacks` go to the supernet's `fit` (e.g. `keras.callbacks.TensorBoard`,
        `keras_nas.callbacks.ArchitectureTensorBoard`).

        Raises:
            ValueError: Before any training, if `validation_data` is missing, or the data do
                not fit the space.
        """
        if validation_data is None:
            raise ValueError(
                "DifferentiableSearch learns the architecture on `validation_data`, which is "
                "required (a split apart from the training data, as DARTS uses half of its "
                "training set). Pass validation_data=(x_val, y_val)."
            )
        verbose = check_fit_arguments({"batch_size": batch_size}, verbose)
        epochs = check_count("epochs", epochs, none_means="search for the constructor's `epochs`")
        _check_data(x, y, validation_data)
        self.check_inputs(x, y, validation_data=validation_data)
        budget = self.start_time_limits(max_time, None)
        self.train_supernet(
            x,
            y,
            validation_data=validation_data,
            batch_size=batch_size,
            epochs=epochs or self.epochs,
            callbacks=[*(callbacks or []), *budget],
            verbose=verbose,
        )
        state = self.search_state()
        last = state["history"][-1]
        self._search_logs = {k: v for k, v in last["logs"].items() if k.startswith("val_")}
        self.oracle.derived = self.hypermodel.discretize(_weights_by_value(state, -1))
        self._calibration = draw_calibration_batches(
            x, batch_size, self.calibration_batches, np.random.default_rng(self.seed)
        )
        self._fit_data = ((x, y), {"validation_data": validation_data, "batch_size": batch_size})
        super().search(
            x, y, validation_data=validation_data, batch_size=batch_size, verbose=verbose
        )

    def train_supernet(
        self,
        x: Any,
        y: Any = None,
        *,
        validation_data: Any,
        batch_size: int = 64,
        epochs: int | None = None,
        callbacks: list | None = None,
        verbose: int = 1,
    ) -> keras.callbacks.History | None:
        """Trains the relaxed supernet up to `epochs` in all, from the last saved epoch;
        returns `None` without training when they are already done."""
        epochs = epochs or self.epochs
        done = self.epochs_trained()
        if done >= epochs:
            if verbose:
                print(f"Architecture already searched for {done} epochs; not training again.")
            return None
        span = max(epochs, self.epochs)
        self.seed_supernet(done)
        with self._scope():
            supernet = self.build_relaxed_supernet()
            supernet.build_training_state(*_first_examples(x, y))
            if done:
                self._check_same_search(supernet)
                arrays = read_best_weights(self._path(SEARCH_WEIGHTS_FILE))
                supernet.set_state_arrays(arrays[:-1])
        history = supernet.fit(
            _paired_batches(x, y, validation_data, batch_size, self.seed),
            validation_data=validation_data,
            epochs=epochs,
            initial_epoch=done,
            callbacks=[
                EpochSchedules(
                    span,
                    learning_rate=self.learning_rate,
                    min_learning_rate=self.min_learning_rate,
                    temperature=self.temperature,
                    collapse_weight=self.collapse_weight if self.collapse_control else 0.0,
                ),
                _SaveSearchState(self, epochs, verbose=verbose),
                *(callbacks or []),
            ],
            shuffle=False,  # The pairs are shuffled already.
            verbose=0,
        )
        del supernet
        keras.backend.clear_session()
        return history

    def build_relaxed_supernet(self) -> RelaxedSupernet:
        """The space's relaxed supernet with fresh architecture parameters, compiled with
        this search's optimizers (both built), under the distribution strategy if any."""
        space = self.hypermodel
        network, choices = space.build_relaxed_supernet(sample=self.method == "gdas")
        supernet = RelaxedSupernet(
            network,
            choices,
            method=self.method,
            weight_decay=3e-4,
            architecture_weight_decay=self.architecture_weight_decay,
            seed=self.seed,
            costs=self._operation_costs(network, choices),
            cost_weight=self.cost_weight,
            describe=lambda weights: space.describe(space.discretize(weights))["summary"],
        )
        supernet.compile(
            optimizer=keras.optimizers.SGD(self.learning_rate, momentum=0.9, global_clipnorm=5.0),
            architecture_optimizer=keras.optimizers.Adam(
                self.architecture_learning_rate, beta_1=0.5, beta_2=0.999
            ),
            loss=space._loss(),
            metrics=space._metrics(),
        )
        supernet.build_optimizers()
        return supernet

    def layer_source(self, values: dict[str, Any]) -> Callable[[str], Any]:
        """The relaxed supernet's layers that the sub-network of `values` inherits
        (`space.relaxed_layer_source`)."""
        return self.hypermodel.relaxed_layer_source(values)

    def _check_same_search(self, supernet: RelaxedSupernet) -> None:
        """Refuses to resume a saved search of another method, other choices or another
        cost term."""
        saved = self.search_state()
        now = {"method": self.method, "choices": supernet.choices, "cost": self._cost_term()}
        if saved.get("cost"):  # The cost term's settings, without the costs measured.
            saved = {**saved, "cost": {k: saved["cost"][k] for k in ("cost", "weight")}}
        for name, value in now.items():
            if saved.get(name) != value:
                raise ValueError(
                    f"The search saved in {self.project_dir!r} has {name}="
                    f"{saved.get(name)!r}, not {value!r}. Pass the same arguments to resume it, "
                    "or `overwrite=True` or another `project_name` to start a new search."
                )

    def epochs_trained(self) -> int:
        """How many epochs of the search are done (0 before any)."""
        path = self._path(SEARCH_WEIGHTS_FILE)
        if not os.path.exists(path):
            return 0
        return int(read_best_weights(path)[-1])

    def search_state(self) -> dict[str, Any]:
        """The contents of `differentiable.json`: `method`, `epochs_trained`, `choices`
        (`{choice: values}`), `cost` (`None`, or the cost term's `cost`, `weight` and the
        `values` of every operation's relative cost, `{choice: costs}`) and `history`, one
        entry per epoch with its `logs`, the `weights` of every choice's operations (in
        `choices` order) and the `derived` architecture's summary.

        Raises:
            FileNotFoundError: If the search has not finished an epoch.
        """
        with open(self._path(SEARCH_STATE_FILE)) as file:
            return json.load(file)

    def run_trial(self, trial, x=None, y=None, *, validation_data=None, batch_size=64, **kwargs):
        """Records the derived architecture: its sub-network with the supernet's weights is
        scored on the validation data (`inherited_*`), the operation weights written beside
        the trial, and the search's last validation scores reported as the trial's."""
        with self._clock.part("build"):
            model = self.sub_network(trial.hyperparameters.values)
        with self._clock.part("fit"):
            inherited = evaluate(model, validation_data, batch_size)
        write_weights(self._weights_path(trial.trial_id), model.get_weights())
        state = self.search_state()
        write_json_atomically(
            os.path.join(self.get_trial_dir(trial.trial_id), ARCHITECTURE_WEIGHTS_FILE),
            {
                "method": state["method"],
                "epochs": state["epochs_trained"],
                "weights": _weights_by_value(state, -1, as_text=True),
            },
        )
        return {
            **self._search_logs,
            **{f"inherited_val_{name}": value for name, value in inherited.items()},
        }

    def _cost_term(self) -> dict[str, Any] | None:
        """The cost term's settings."""
        return {"cost": self.cost, "weight": self.cost_weight} if self.cost_weight else None

    def _operation_costs(self, network: keras.Model, choices: dict) -> dict | None:
        """The costs of the cost term: those the saved search measured, so that a resumed
        search keeps the same (latencies differ from one measurement to the next), or new
        ones; `None` without a cost term."""
        if not self.cost_weight:
            return None
        if os.path.exists(self._path(SEARCH_STATE_FILE)):
            saved = self.search_state().get("cost") or {}
            values = saved.get("values", {})
            if saved.get("cost") == self.cost and list(values) == list(choices):
                return {name: np.asarray(costs) for name, costs in values.items()}
        return operation_costs(network, self.cost)

    def _path(self, name: str) -> str:
        return os.path.join(self.project_dir, name)


class _SaveSearchState(keras.callbacks.Callback):
    """After each epoch: the supernet's weights to the registry, the epoch's record to
    `differentiable.json`, then the whole state to `differentiable_state.npz` (each written
    atomically; the `.npz` holds the epoch count, so it alone decides a resume)."""

    def __init__(self, search: DifferentiableSearch, epochs: int, *, verbose: int):
        super().__init__()
        self.search, self.epochs, self.verbose = search, epochs, verbose

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        supernet: RelaxedSupernet = self.model
        search = self.search
        probabilities = supernet.probabilities()
        logs = {name: float(value) for name, value in (logs or {}).items()}
        _check_finite(probabilities, logs, epoch)
        search.registry.store(supernet.network)
        path = search._path(SEARCH_STATE_FILE)
        state = {
            "method": search.method,
            "choices": supernet.choices,
            "cost": _cost_record(search, supernet),
            "history": [],
        }
        if os.path.exists(path) and epoch > 0:
            state = search.search_state()
        record = {
            "epoch": epoch + 1,
            "logs": logs,
            "weights": {name: list(options.values()) for name, options in probabilities.items()},
            "derived": supernet.derived_summary(),
        }
        # The record first: a kill between the two files leaves it one epoch ahead of the
        # state, and the resumed epoch replaces it.
        state["history"] = [*state["history"][:epoch], record]
        state["epochs_trained"] = epoch + 1
        write_json_atomically(path, state)
        write_weights(
            search._path(SEARCH_WEIGHTS_FILE),
            [*supernet.state_arrays(), np.array(epoch + 1)],
        )
        if self.verbose:
            score = ", ".join(
                f"{name} {value:.4f}"
                for name, value in record["logs"].items()
                if name.startswith("val_")
            )
            print(
                f"epoch {epoch + 1}/{self.epochs}: {score}; derived {record['derived']}",
                flush=True,
            )


def _cost_record(search: DifferentiableSearch, supernet: RelaxedSupernet) -> dict | None:
    """The cost term as the state file records it: its settings and each operation's cost."""
    if supernet.costs is None:
        return None
    costs = zip(supernet.choices, supernet.costs, strict=True)
    values = {name: [float(c) for c in choice_costs] for name, choice_costs in costs}
    return {**search._cost_term(), "values": values}


def _check_finite(probabilities: dict, logs: dict[str, float], epoch: int) -> None:
    """Stops a search whose architecture parameters or losses are no longer finite."""
    values = [w for options in probabilities.values() for w in options.values()]
    values += [logs[name] for name in ("loss", "architecture_loss") if name in logs]
    if not np.all(np.isfinite(values)):
        raise FloatingPointError(
            f"The search diverged in epoch {epoch + 1}: its losses or architecture weights "
            f"are not finite (logs: {logs}). Lower `learning_rate` or "
            "`architecture_learning_rate`; the last finished epoch is saved, so the search "
            "resumes from it with the new values."
        )


def _weights_by_value(
    state: dict[str, Any], index: int, *, as_text: bool = False
) -> dict[str, dict[Any, float]]:
    """`{hp_name: {value: weight}}` of the epoch `state["history"][index]`."""
    weights = state["history"][index]["weights"]
    return {
        name: {
            (str(value) if as_text else value): weight
            for value, weight in zip(values, weights[name], strict=True)
        }
        for name, values in state["choices"].items()
    }


def _paired_batches(x: Any, y: Any, validation_data: Any, batch_size: int, seed: int | None):
    """`((x, y), (x_val, y_val))` batch pairs: one pass over the training data, each paired
    with the next batch of the (repeated) validation data, both shuffled when arrays."""
    training = _batches(x if y is None else (x, y), batch_size, seed)
    validation = _batches(validation_data, batch_size, None if seed is None else seed + 1)
    return tf.data.Dataset.zip((training, validation.repeat())).prefetch(tf.data.AUTOTUNE)


def _batches(data: Any, batch_size: int, seed: int | None) -> tf.data.Dataset:
    """Shuffled whole batches of arrays: a last, smaller batch would make TensorFlow trace
    the training step again (seconds for a supernet), so its examples wait for another
    epoch's shuffle. Datasets are taken as they are."""
    if isinstance(data, tf.data.Dataset):
        return data
    x, y = data
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=len(x) >= batch_size)


def _first_examples(x: Any, y: Any) -> tuple[Any, Any]:
    """One example of the training data, as a batch `(x, y)`."""
    if isinstance(x, tf.data.Dataset):
        x, y = next(iter(x.take(1)))[:2]
    return x[:1], y[:1]


def _check_data(x: Any, y: Any, validation_data: Any) -> None:
    """Refuses, before any training, data that `_paired_batches` cannot pair."""
    arrays = isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
    datasets = isinstance(x, tf.data.Dataset) and y is None and _is_pair(x)
    if not (arrays or datasets):
        raise ValueError(
            "DifferentiableSearch takes NumPy arrays `x, y` or a `tf.data.Dataset` of "
            "`(x, y)` batches as `x` (without sample weights). Received: x of type "
            f"{type(x).__name__}, y of type {type(y).__name__}."
        )
    pair = isinstance(validation_data, (tuple, list)) and len(validation_data) == 2
    if not (pair or (isinstance(validation_data, tf.data.Dataset) and _is_pair(validation_data))):
        raise ValueError(
            "`validation_data` must be a pair `(x_val, y_val)` or a `tf.data.Dataset` of "
            f"`(x, y)` batches (without sample weights). Received: "
            f"{type(validation_data).__name__}."
        )


def _is_pair(dataset: tf.data.Dataset) -> bool:
    spec = dataset.element_spec
    return isinstance(spec, tuple) and len(spec) == 2


def _check_temperature(temperature: Any) -> tuple[float, float]:
    pair = isinstance(temperature, (tuple, list)) and len(temperature) == 2
    if pair:
        start = check_number("temperature[0]", temperature[0], above=0)
        end = check_number("temperature[1]", temperature[1], above=0)
        if end <= start:
            return float(start), float(end)
    raise ValueError(
        "`temperature` must be a pair (start, end) of numbers above 0 with end at most start, "
        f"e.g. GDAS's (10.0, 0.1). Received: temperature={temperature!r}."
    )
