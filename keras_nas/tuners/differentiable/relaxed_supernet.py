"""`RelaxedSupernet`: a space's relaxed supernet with its architecture parameters, trained
by alternating steps (DARTS's first-order bilevel optimisation).

Each training step takes one batch of the training data and one of the validation data:

1. the architecture step: the validation loss (plus the collapse penalty and the L2 term
   of the architecture parameters) is differentiated with respect to the architecture
   parameters only, which the architecture optimizer (Adam) updates;
2. the weights step: the training loss is differentiated with respect to the network's
   weights only, which the model's optimizer (SGD) updates.

The architecture parameters are non-trainable variables of this model, so `fit`'s
generic machinery, `trainable_variables` and the weights' optimizer never see them; only the
architecture step reads their gradient. Created under a `tf.distribute` strategy's scope,
they are mirrored, and since both optimizers aggregate their gradients across replicas,
every replica holds the same parameters after every step, and derives the same architecture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_nas.tuners.differentiable.operation_costs import expected_cost

#: The relaxations: DARTS's softmax mixture and GDAS's Gumbel-softmax sample of one operation.
METHODS = ("darts", "gdas")

# Uniform draws are kept inside (0, 1), so that -log(-log(u)) is finite.
_EPSILON = 1e-6


class RelaxedSupernet(keras.Model):
    """A relaxed supernet (`SearchSpace.build_relaxed_supernet`) and its architecture
    parameters, one vector per relaxed choice, trained on `((x, y), (x_val, y_val))` pairs.

    Example:
    >>> from keras_nas.search_spaces import NASBench201Space
    >>> space = NASBench201Space(input_shape=(8, 8, 1), num_classes=10, cells_per_stage=1,
    ...                          channels=4, operations=("skip_connect", "nor_conv_3x3"))
    >>> supernet = RelaxedSupernet(*space.build_relaxed_supernet(), method="darts", seed=0)
    >>> sorted(supernet.probabilities()["cell/edge_1/op"])
    ['nor_conv_3x3', 'skip_connect']
    >>> tuple(supernet(np.zeros((2, 8, 8, 1), "float32")).shape)
    (2, 10)

    The collapse penalty's weight (`beta_penalty`) and GDAS's temperature are the variables
    `collapse_weight` and `temperature`, which `DifferentiableSearch` sets per epoch.

    Args:
        network: The relaxed network: inputs `[images, *weights]`, one weights input per
            choice of `choices`, in that order.
        choices: `{hp_name: values}`, the relaxed choices.
        method: `"darts"` (every operation runs, weighted by the softmax of its parameters)
            or `"gdas"` (one operation per choice and step, drawn from the Gumbel-softmax at
            `temperature`; out of training, the strongest operation).
        weight_decay: The coefficient `c` of the L2 term `c/2 * sum(w**2)` over the network's
            weights in the weights step's loss (PyTorch's SGD `weight_decay`, as DARTS and
            GDAS used it: added to the gradient before momentum and clipping).
        architecture_weight_decay: The same for the architecture parameters in the
            architecture step's loss (PyTorch's Adam `weight_decay`).
        seed: Seeds the initial architecture parameters and the Gumbel noise.
        costs: `{hp_name: costs}` of each choice's operations (`operation_costs`), for the
            cost term; `None` without one.
        cost_weight: The weight of the cost term in the architecture loss:
            `cost_weight * expected_cost` of the operations' softmax weights.
        describe: Summarises the architecture that `probabilities()` derive, for
            `derived_summary` (by default, each choice's strongest operation).
    """

    def __init__(
        self,
        network: keras.Model,
        choices: dict[str, list],
        *,
        method: str = "darts",
        weight_decay: float = 3e-4,
        architecture_weight_decay: float = 1e-3,
        seed: int | None = None,
        costs: dict[str, Sequence[float]] | None = None,
        cost_weight: float = 0.0,
        describe: Callable[[dict[str, dict[Any, float]]], str] | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if method not in METHODS:
            raise ValueError(f"`method` must be one of {METHODS}. Received: method={method!r}.")
        self.network = network
        self.choices = {name: list(values) for name, values in choices.items()}
        self.method = method
        self.weight_decay = float(weight_decay)
        self.architecture_weight_decay = float(architecture_weight_decay)
        self.describe = describe or _strongest_operations
        self.cost_weight = float(cost_weight)
        self.costs = None
        if costs is not None:
            self.costs = [np.asarray(costs[name], "float32") for name in self.choices]
        # DARTS initialises the architecture parameters at 1e-3 times a standard normal draw.
        self.alphas = [
            self.add_weight(
                shape=(len(values),),
                initializer=keras.initializers.RandomNormal(
                    stddev=1e-3, seed=None if seed is None else seed + index
                ),
                trainable=False,
                name=f"alpha_{index}",
            )
            for index, values in enumerate(self.choices.values())
        ]
        self.temperature = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(1.0), trainable=False, name="tau"
        )
        self.collapse_weight = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="collapse_weight"
        )
        self.noise = keras.random.SeedGenerator(seed)
        self.architecture_loss = keras.metrics.Mean(name="architecture_loss")
        # The relative expected cost of the architecture (with a cost term), per epoch.
        self.expected_cost = keras.metrics.Mean(name="expected_cost") if self.costs else None
        self.architecture_optimizer: keras.optimizers.Optimizer | None = None

    def compile(self, *, architecture_optimizer: keras.optimizers.Optimizer, **kwargs: Any):
        """`keras.Model.compile` (the weights' optimizer, loss, metrics), with the optimizer
        of the architecture parameters."""
        super().compile(**kwargs)
        self.architecture_optimizer = architecture_optimizer

    def build_optimizers(self) -> None:
        """Creates both optimizers' variables (before a restore, or the first step)."""
        self.optimizer.build(self.network.trainable_variables)
        self.architecture_optimizer.build(self.alphas)

    def build_training_state(self, x: Any, y: Any) -> None:
        """Builds the network, the loss and the metrics from one batch, before `fit`: under
        a `tf.distribute` strategy Keras would otherwise build them by calling the model on
        the first element of the data, here a pair of batches."""
        y_pred = self(x, training=False)
        self.compute_loss(x=x, y=y, y_pred=y_pred)
        self.compute_metrics(x, y, y_pred)
        self.reset_metrics()

    def choice_weights(self, training: bool = False) -> list:
        """The weights of every choice's operations for one step, in `choices` order."""
        if self.method == "darts":
            return [keras.ops.softmax(alpha) for alpha in self.alphas]
        if not training:
            return [
                keras.ops.one_hot(keras.ops.argmax(alpha), alpha.shape[0], dtype=alpha.dtype)
                for alpha in self.alphas
            ]
        return [self._gumbel_straight_through(alpha) for alpha in self.alphas]

    def _gumbel_straight_through(self, alpha: Any) -> Any:
        """GDAS's weights: a one-hot sample from the Gumbel-softmax of `alpha` at the
        temperature, whose gradient is that of the soft sample (straight through)."""
        uniform = keras.random.uniform(alpha.shape, _EPSILON, 1 - _EPSILON, seed=self.noise)
        gumbel = -keras.ops.log(-keras.ops.log(uniform))
        soft = keras.ops.softmax((keras.ops.log_softmax(alpha) + gumbel) / self.temperature)
        hard = keras.ops.one_hot(keras.ops.argmax(soft), alpha.shape[0], dtype=soft.dtype)
        return hard - keras.ops.stop_gradient(soft) + soft

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        # One row of weights for the whole batch (a replica's batch may even be empty).
        weights = [keras.ops.expand_dims(w, 0) for w in self.choice_weights(bool(training))]
        return self.network([inputs, *weights], training=training)

    def train_step(self, data: Any) -> dict[str, Any]:
        """One architecture step on the validation batch, then one weights step on the
        training batch; `data` is `((x, y), (x_val, y_val))`."""
        (x, y), (x_val, y_val) = data
        self.architecture_step(x_val, y_val)
        return self.weights_step(x, y)

    def architecture_step(self, x: Any, y: Any) -> None:
        """Updates the architecture parameters on a validation batch; no weight changes."""
        alphas = [alpha.value for alpha in self.alphas]  # The backend's variables.
        with tf.GradientTape() as tape:
            tape.watch(alphas)
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
            penalty = self.collapse_weight * beta_penalty(self.alphas)
            penalty += (
                0.5
                * self.architecture_weight_decay
                * keras.ops.sum([keras.ops.sum(keras.ops.square(alpha)) for alpha in self.alphas])
            )
            if self.costs:
                cost = expected_cost([keras.ops.softmax(a) for a in alphas], self.costs)
                penalty += self.cost_weight * cost
            # Gradients are summed across replicas: each replica adds its share.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            total = loss + penalty / replicas
        self.architecture_optimizer.apply(tape.gradient(total, alphas), self.alphas)
        self.architecture_loss.update_state(loss * replicas)
        if self.costs:
            self.expected_cost.update_state(cost)

    def weights_step(self, x: Any, y: Any) -> dict[str, Any]:
        """Updates the network's weights on a training batch; the architecture parameters
        stay as they are. Returns the metrics, as `train_step` does."""
        variables = self.network.trainable_variables
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            total = loss + _l2(self.weight_decay, variables) / replicas
            scaled = self.optimizer.scale_loss(total)
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss * replicas)
            elif metric not in (self.architecture_loss, self.expected_cost):
                metric.update_state(y, y_pred)
        return self.get_metrics_result()

    def test_step(self, data: Any) -> dict[str, Any]:
        """Keras's evaluation (DARTS: the mixture; GDAS: the strongest operations), without
        the architecture loss, which only training steps measure."""
        logs = super().test_step(data)
        logs.pop(self.architecture_loss.name, None)
        logs.pop("expected_cost", None)
        return logs

    def probabilities(self) -> dict[str, dict[Any, float]]:
        """`{hp_name: {value: softmax weight}}`: the current weight of every operation."""
        result = {}
        for (name, values), alpha in zip(self.choices.items(), self.alphas, strict=True):
            weights = keras.ops.convert_to_numpy(keras.ops.softmax(alpha))
            result[name] = {value: float(w) for value, w in zip(values, weights, strict=True)}
        return result

    def derived_summary(self) -> str:
        """The architecture that the current weights derive, in one line."""
        return self.describe(self.probabilities())

    def state_arrays(self) -> list[np.ndarray]:
        """Every variable of the search, to save: the network's weights, the architecture
        parameters, the temperature and noise state, and both optimizers'."""
        return [keras.ops.convert_to_numpy(v) for v in self._state_variables()]

    def set_state_arrays(self, arrays: list[np.ndarray]) -> None:
        """Restores what `state_arrays` returned, into a supernet built the same way.

        Raises:
            ValueError: If the arrays do not match this supernet's variables.
        """
        variables = self._state_variables()
        shapes = [tuple(v.shape) for v in variables]
        if [tuple(np.shape(a)) for a in arrays] != shapes:
            raise ValueError(
                f"The saved search state holds {len(arrays)} arrays that do not match this "
                f"search's {len(variables)} variables: the space or the method changed since "
                "it was saved. Pass `overwrite=True` or another `project_name` to start anew."
            )
        for variable, array in zip(variables, arrays, strict=True):
            variable.assign(array)

    def _state_variables(self) -> list:
        return [
            *self.variables,
            *self.optimizer.variables,
            *self.architecture_optimizer.variables,
        ]


def _l2(coefficient: float, variables: list) -> Any:
    """`coefficient / 2 * sum(v**2)`: PyTorch's `weight_decay` as a loss term."""
    return (
        0.5 * coefficient * keras.ops.sum([keras.ops.sum(keras.ops.square(v)) for v in variables])
    )


def _strongest_operations(weights: dict[str, dict[Any, float]]) -> str:
    return ", ".join(f"{name}={max(options, key=options.get)}" for name, options in weights.items())


def beta_penalty(alphas: list) -> Any:
    """Beta-DARTS's regularisation of the architecture parameters (Ye et al., CVPR 2022):
    the mean over choices of `logsumexp(alpha)`.

    Its gradient is the softmax of each choice's parameters (over the number of choices), so
    it pulls the strongest operation down the most and keeps the parameters from running
    away with the operations that train fastest (parameter-free ones: skip connections,
    pooling), which is how DARTS collapses.

    Example:
    >>> round(float(beta_penalty([keras.ops.zeros(4), keras.ops.zeros(2)])), 4)  # log(8) / 2
    1.0397
    """
    return keras.ops.mean(keras.ops.stack([keras.ops.logsumexp(a) for a in alphas]))
