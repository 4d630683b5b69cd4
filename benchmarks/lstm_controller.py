"""`LSTMReinforceOracle`: the autoregressive LSTM controller of ENAS, a benchmark baseline.

The product's `ReinforceOracle` learns a factorised policy. This module holds the controller
that it is measured against on the NAS-Bench-201 table: `--strategy reinforce-lstm` in
`python -m benchmarks.nasbench201`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import keras_tuner
import numpy as np
import tensorflow as tf
from keras_tuner.engine import hyperparameters as hp_module

from keras_nas.arguments import check_count, check_number
from keras_nas.oracles.reinforce import ReinforceOracle, _choices, _is_active, _softmax

# ENAS draws every controller weight from U(-0.1, 0.1).
_INIT_RANGE = 0.1


class LSTMReinforceOracle(ReinforceOracle):
    """`ReinforceOracle` with an autoregressive LSTM controller written in Keras.

    The controller of Zoph & Le 2017 (https://arxiv.org/abs/1611.01578) in the form of ENAS
    (Pham et al. 2018, https://arxiv.org/abs/1802.03268): one `keras.layers.LSTMCell` steps
    through the active `Choice` and `Boolean` decisions in the order of the space; at each
    step a softmax head (a `Dense` layer of the decision) gives the logits of its values, which
    are squashed to `tanh_constant * tanh(logits / temperature)`; the input of the next step
    is the embedding (an `Embedding` table of the decision) of the value drawn, and a learned
    start vector is the input of the first step. Every weight is drawn from U(-0.1, 0.1) with
    seeds derived from the oracle's `seed`, so a seeded search is reproducible.

    Everything else is the base class's, so that the two differ only in the policy: the
    reward, moving-average baseline, advantage normalised by the running reward spread and
    entropy bonus of `ReinforceOracle`, one update per completed trial (a Keras `Adam` step on
    `advantage * log p(decisions) + entropy_weight * entropy`, compiled by `tf.function`), the
    skipping of inactive hyperparameters, random `Int` and `Float` values, and the redraw of
    tried architectures from a softened policy. The controller is built from the space at the
    first draw; a `Choice` or `Boolean` declared after that is an error. Sampling evaluates the
    same cell in numpy on a copy of the weights taken after each update, because a Keras call
    per decision costs milliseconds and a redraw may need many draws.

    Deviations from the papers: one LSTM layer (Zoph & Le stack two) and heads with a bias;
    and, as in `ReinforceOracle`, one update per trial instead of per batch of sampled
    architectures and an advantage normalised by the running spread of the rewards.

    A benchmark baseline, not a product: the controller's weights and optimizer state are
    not saved. The oracle state holds the update count, baseline and reward variance as the
    base class's does, but no policy file is written, and reloading a state with updates
    raises `NotImplementedError`. `probabilities` raises too: an autoregressive policy has no
    distribution per hyperparameter, only one per decision given the values drawn before it.

    Example:
    >>> import tempfile
    >>> import keras_tuner
    >>> from keras_tuner.engine.trial import TrialStatus
    >>> hp = keras_tuner.HyperParameters()
    >>> for i in range(4):
    ...     _ = hp.Choice(f"edge_{i}/op", ["conv", "pool", "skip"])
    >>> oracle = LSTMReinforceOracle(
    ...     objective=keras_tuner.Objective("score", "max"),
    ...     max_trials=30,
    ...     hyperparameters=hp,
    ...     seed=1,
    ... )
    >>> oracle.verbose = 0
    >>> from keras_nas.compat import set_project_directory
    >>> set_project_directory(oracle, tempfile.mkdtemp(), "doctest")
    >>> for _ in range(30):
    ...     trial = oracle.create_trial("tuner0")
    ...     score = sum(op == "conv" for op in trial.hyperparameters.values.values())
    ...     _ = oracle.update_trial(trial.trial_id, {"score": score})
    ...     trial.status = TrialStatus.COMPLETED
    ...     oracle.end_trial(trial)
    >>> oracle.get_best_trials(1)[0].hyperparameters.values
    {'edge_0/op': 'conv', 'edge_1/op': 'conv', 'edge_2/op': 'conv', 'edge_3/op': 'conv'}

    Args:
        objective: See `ReinforceOracle`.
        max_trials: See `ReinforceOracle`.
        learning_rate: Step size of the controller's Keras `Adam` optimizer; positive.
        units: Size of the LSTM's state and of the embeddings; a positive integer.
        temperature: Divides the heads' logits before the `tanh`; positive (ENAS: 5).
        tanh_constant: Bound of the squashed logits; positive, or `None` for the logits
            divided by `temperature` without a `tanh` (ENAS: 2.5).
        entropy_weight: See `ReinforceOracle`.
        baseline_decay: See `ReinforceOracle`.
        seed: Seed of the oracle's generator and of the controller's initial weights; `None`
            draws one.
        canonical_key: See `ReinforceOracle`.
        hyperparameters: See `ReinforceOracle`.
        allow_new_entries: See `ReinforceOracle`.
        tune_new_entries: See `ReinforceOracle`.
        max_retries_per_trial: See `ReinforceOracle`.
        max_consecutive_failed_trials: See `ReinforceOracle`.

    Raises:
        ValueError: If `units` is not a positive integer, `temperature` is not positive,
            `tanh_constant` is neither positive nor `None`, or an argument of
            `ReinforceOracle` is invalid.
    """

    def __init__(
        self,
        *,
        objective: Any = None,
        max_trials: int | None = None,
        learning_rate: float = 0.01,
        units: int = 64,
        temperature: float = 5.0,
        tanh_constant: float | None = 2.5,
        entropy_weight: float = 0.01,
        baseline_decay: float = 0.7,
        seed: int | None = None,
        canonical_key: Callable[[dict[str, Any]], str] | None = None,
        hyperparameters: keras_tuner.HyperParameters | None = None,
        allow_new_entries: bool = True,
        tune_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
    ):
        units = check_count("units", units)
        temperature = check_number("temperature", temperature, above=0)
        tanh_constant = check_number(
            "tanh_constant", tanh_constant, above=0, none_means="divide the logits by temperature"
        )
        super().__init__(
            objective=objective,
            max_trials=max_trials,
            learning_rate=learning_rate,
            entropy_weight=entropy_weight,
            baseline_decay=baseline_decay,
            seed=seed,
            canonical_key=canonical_key,
            hyperparameters=hyperparameters,
            allow_new_entries=allow_new_entries,
            tune_new_entries=tune_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        self.units = int(units)
        self.temperature = float(temperature)
        self.tanh_constant = None if tanh_constant is None else float(tanh_constant)
        self._controller: _Controller | None = None

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["policy_file"] = None
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        if state["policy_step"] > 0:
            raise NotImplementedError(
                f"`LSTMReinforceOracle` does not save its controller's weights, so a search "
                f"with policy updates cannot be reloaded. Received: a state after "
                f"{state['policy_step']} updates. Start a new project (`overwrite=True`), or use "
                "`ReinforceOracle`, which saves its policy."
            )
        super().set_state(state)
        self._controller = None

    def probabilities(self, name: str) -> list[float]:
        """Not available: each decision's distribution depends on the values drawn before it.

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError(
            "`LSTMReinforceOracle` has no probabilities per hyperparameter: its controller "
            f"draws {name!r} given the values drawn before it. `ReinforceOracle` has them."
        )

    def _sample(self, temperature: float = 1.0) -> dict[str, Any]:
        controller = self._get_controller()
        values: dict[str, Any] = {}
        inputs, state = controller.start_inputs, controller.zero_state
        for hp in self.hyperparameters.space:
            if hp.name in values or not _is_active(hp, values):
                continue
            choices = _choices(hp)
            if choices is None:
                values[hp.name] = hp.random_sample(self.next_seed())
                continue
            decision = controller.decision(hp)
            logits, state = controller.step(decision, inputs, state)
            index = int(self._rng.choice(len(choices), p=_softmax(logits / temperature)))
            values[hp.name] = choices[index]
            inputs = controller.embedding(decision, index)
        return values

    def _update(self, values: dict[str, Any], reward: float, read: set[str] | None = None) -> None:
        controller = self._get_controller()
        advantage = self._advantage(reward)
        decisions = self._decisions(values, read)
        if decisions:
            controller.ascend(
                tuple(controller.decision(hp) for hp, _ in decisions),
                [index for _, index in decisions],
                advantage,
            )
        self._step += 1

    def _write_policy(self) -> None:
        # Nothing is written: the controller is not saved (see the class docstring).
        self._written_step = self._step

    def _get_controller(self) -> _Controller:
        if self._controller is None:
            self._controller = _Controller(
                self.hyperparameters.space,
                units=self.units,
                temperature=self.temperature,
                tanh_constant=self.tanh_constant,
                learning_rate=self.learning_rate,
                entropy_weight=self.entropy_weight,
                seed=self.seed,
            )
        return self._controller


class _Controller:
    """The LSTM cell, the embeddings, heads and start vector, and their optimizer."""

    def __init__(
        self,
        space: Sequence[hp_module.HyperParameter],
        *,
        units: int,
        temperature: float,
        tanh_constant: float | None,
        learning_rate: float,
        entropy_weight: float,
        seed: int,
    ):
        self.temperature, self.tanh_constant = temperature, tanh_constant
        self.entropy_weight = entropy_weight
        self._sizes: dict[str, int] = {}
        for hp in space:
            choices = _choices(hp)
            if choices is not None:
                self._sizes.setdefault(hp.name, len(choices))
        self._ids = {name: i for i, name in enumerate(self._sizes)}
        seeds = np.random.default_rng(seed)

        def initializer() -> keras.initializers.Initializer:
            return keras.initializers.RandomUniform(
                -_INIT_RANGE, _INIT_RANGE, seed=int(seeds.integers(2**31))
            )

        self.cell = keras.layers.LSTMCell(
            units, kernel_initializer=initializer(), recurrent_initializer=initializer()
        )
        self.cell.build((None, units))
        self.heads, self.embeddings = [], []
        for size in self._sizes.values():
            head = keras.layers.Dense(size, kernel_initializer=initializer())
            head.build((None, units))
            embedding = keras.layers.Embedding(size, units, embeddings_initializer=initializer())
            embedding.build()
            self.heads.append(head)
            self.embeddings.append(embedding)
        self.start = keras.Variable(initializer()((1, units)), name="start")
        self.variables = [
            *self.cell.trainable_variables,
            *(v for head in self.heads for v in head.trainable_variables),
            *(v for embedding in self.embeddings for v in embedding.trainable_variables),
            self.start,
        ]
        self.optimizer = keras.optimizers.Adam(learning_rate)
        self.optimizer.build(self.variables)
        self.zero_state = (np.zeros(units), np.zeros(units))
        # One trace per sequence of decisions: one for a space without conditions.
        self._train_step = tf.function(self._ascend, reduce_retracing=True)
        self._snapshot()

    def decision(self, hp: hp_module.HyperParameter) -> int:
        """The index of `hp`'s head and embedding."""
        size = self._sizes.get(hp.name)
        if size is None:
            raise ValueError(
                f"The hyperparameter {hp.name!r} was declared after the controller was built "
                "from the space, at the first draw. Declare every `Choice` and `Boolean` of the "
                "space before the search starts."
            )
        if size != len(_choices(hp)):
            raise ValueError(
                f"The hyperparameter {hp.name!r} is declared with {len(_choices(hp))} values, "
                f"but the controller has {size} values under that name. Give hyperparameters "
                "with different values different names."
            )
        return self._ids[hp.name]

    def step(
        self, decision: int, inputs: np.ndarray, state: tuple[np.ndarray, np.ndarray]
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """One LSTM step in numpy: the squashed logits of `decision` and the next state.

        The arithmetic of `keras.layers.LSTMCell` (gates i, f, c, o; sigmoid gates) on the
        weights copied after the latest update.
        """
        kernel, recurrent_kernel, bias = self._cell_weights
        hidden, carry = state
        z = inputs @ kernel + hidden @ recurrent_kernel + bias
        input_gate, forget_gate, candidate, output_gate = np.split(z, 4)
        carry = _sigmoid(forget_gate) * carry + _sigmoid(input_gate) * np.tanh(candidate)
        hidden = _sigmoid(output_gate) * np.tanh(carry)
        head_kernel, head_bias = self._head_weights[decision]
        logits = (hidden @ head_kernel + head_bias) / self.temperature
        if self.tanh_constant is not None:
            logits = self.tanh_constant * np.tanh(logits)
        return logits, (hidden, carry)

    def embedding(self, decision: int, index: int) -> np.ndarray:
        """The input of the step after `decision` drew its value number `index`."""
        return self._embedding_weights[decision][index]

    def ascend(self, decisions: tuple[int, ...], indices: list[int], advantage: float) -> None:
        """One Adam step up `advantage * log p(indices) + entropy_weight * entropy`."""
        self._train_step(
            decisions,
            tf.constant(indices, dtype=tf.int32),
            tf.constant(advantage, dtype=tf.float32),
        )
        self._snapshot()

    def log_prob_and_entropy(
        self, decisions: tuple[int, ...], indices: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """The Keras forward pass: log p of the values drawn, and the sum of the entropies."""
        inputs = self.start
        state = [tf.zeros((1, self.cell.units)), tf.zeros((1, self.cell.units))]
        log_prob, entropy = tf.constant(0.0), tf.constant(0.0)
        for position, decision in enumerate(decisions):
            output, state = self.cell(inputs, state)
            logits = self.heads[decision](output)[0] / self.temperature
            if self.tanh_constant is not None:
                logits = self.tanh_constant * tf.tanh(logits)
            log_probabilities = tf.nn.log_softmax(logits)
            log_prob += log_probabilities[indices[position]]
            entropy -= tf.reduce_sum(tf.exp(log_probabilities) * log_probabilities)
            inputs = self.embeddings[decision](indices[position : position + 1])
        return log_prob, entropy

    def _ascend(self, decisions: tuple[int, ...], indices: tf.Tensor, advantage: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            log_prob, entropy = self.log_prob_and_entropy(decisions, indices)
            loss = -(advantage * log_prob + self.entropy_weight * entropy)
        gradients = tape.gradient(loss, self.variables)
        # The embeddings of the last decision and of the inactive ones feed no step.
        self.optimizer.apply_gradients(
            [(g, v) for g, v in zip(gradients, self.variables, strict=True) if g is not None]
        )

    def _snapshot(self) -> None:
        self._cell_weights = [_array(v) for v in self.cell.weights]
        self._head_weights = [[_array(v) for v in head.weights] for head in self.heads]
        self._embedding_weights = [_array(embedding.embeddings) for embedding in self.embeddings]
        self.start_inputs = _array(self.start)[0]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # The tanh form does not overflow for large negative inputs, as exp(-x) would.
    return 0.5 * (1 + np.tanh(0.5 * x))


def _array(variable: keras.Variable) -> np.ndarray:
    return np.asarray(variable.numpy(), dtype=np.float64)
