"""MnasNet's reward: one score from an accuracy and a cost, with a soft limit on the cost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keras_nas.arguments import check_number
from keras_nas.objectives.objective import Objective


def mnasnet_reward(
    accuracy: float,
    latency: float,
    target: float,
    *,
    alpha: float = -0.07,
    beta: float = -0.07,
) -> float:
    """The MnasNet reward `accuracy * (latency / target) ** w`, `w = alpha` or `beta`.

    `w` is `alpha` if `latency <= target` and `beta` if it is over (Tan et al., "MnasNet:
    Platform-aware neural architecture search for mobile", CVPR 2019, equation 2). The
    paper's soft constraint is `alpha = beta = -0.07`, the defaults: twice the target costs
    about 5% of the reward, half of it earns about 5%. Its hard constraint is `alpha=0,
    beta=-1`: no gain below the target, and a reward that falls in proportion above it.

    Nothing here is specific to latency: any positive cost works with a target in the same
    unit, e.g. `latency_ms` and a target of 20 ms, or FLOPs, or parameters.

    Example:
    >>> mnasnet_reward(0.75, latency=80.0, target=80.0)
    0.75
    >>> round(mnasnet_reward(0.75, latency=160.0, target=80.0), 6)  # 0.75 * 2 ** -0.07
    0.714478
    >>> mnasnet_reward(0.75, latency=160.0, target=80.0, alpha=0.0, beta=-1.0)
    0.375

    Args:
        accuracy: A score at least 0 where higher is better, e.g. the validation accuracy.
            (For a negative score the factor would pull it towards 0, the wrong way.)
        latency: The candidate's cost, a positive finite number.
        target: The cost aimed at, a positive finite number in the unit of `latency`.
        alpha: The exponent when `latency <= target`, at most 0 in the paper.
        beta: The exponent when `latency > target`, at most 0 in the paper.

    Returns:
        The reward, a float.

    Raises:
        ValueError: If `accuracy` is not a finite number at least 0, `latency` or `target`
            is not a positive finite number, or `alpha` or `beta` is not a finite number.
    """
    accuracy = check_number("accuracy", accuracy, minimum=0)
    latency = check_number("latency", latency, above=0)
    target = check_number("target", target, above=0)
    alpha, beta = check_number("alpha", alpha), check_number("beta", beta)
    exponent = alpha if latency <= target else beta
    return float(accuracy) * (float(latency) / float(target)) ** float(exponent)


class MnasNetReward(Objective):
    """The objective `mnasnet_reward(metrics[accuracy], metrics[cost], target)`, maximised.

    A keras-nas tuner computes it at every epoch from the epoch's `accuracy` metric and the
    candidate's `cost` metric (measured once per candidate, on the device that runs the
    trial), and records it as the metric `name`. Pass it as the search's objective:
    `EvolutionarySearch(space, objective=MnasNetReward(target=2.0), ...)`.

    Example:
    >>> reward = MnasNetReward("val_accuracy", "latency_ms", target=2.0)
    >>> reward.name, reward.direction, reward.inputs
    ('mnasnet_reward', 'max', ('val_accuracy', 'latency_ms'))
    >>> round(reward.compute({"val_accuracy": 0.9, "latency_ms": 4.0}), 6)  # 0.9 * 2 ** -0.07
    0.857374

    Args:
        accuracy: The metric to reward, e.g. `"val_accuracy"` (at least 0, higher is better).
        cost: The cost metric, e.g. `"latency_ms"`, `"flops"` or `"params"`.
        target: The cost aimed at, in the unit of `cost`.
        alpha: The exponent at or below the target (see `mnasnet_reward`).
        beta: The exponent above the target.
        name: The metric name of the reward.

    Raises:
        ValueError: If an argument is invalid, as `mnasnet_reward` says.
    """

    def __init__(
        self,
        accuracy: str = "val_accuracy",
        cost: str = "latency_ms",
        *,
        target: float,
        alpha: float = -0.07,
        beta: float = -0.07,
        name: str = "mnasnet_reward",
    ):
        for argument, value in (("accuracy", accuracy), ("cost", cost)):
            if not isinstance(value, str) or not value:
                raise ValueError(
                    f"`{argument}` must be the name of a metric, e.g. "
                    f"{'val_accuracy' if argument == 'accuracy' else 'latency_ms'!r}. "
                    f"Received: {argument}={value!r}."
                )
        mnasnet_reward(0.0, 1.0, target, alpha=alpha, beta=beta)  # Checks the numbers now.
        super().__init__(name, "max")
        self.accuracy, self.cost = accuracy, cost
        self.target, self.alpha, self.beta = float(target), float(alpha), float(beta)

    @property
    def inputs(self) -> tuple[str, str]:
        """The metrics the reward is computed from: `(accuracy, cost)`."""
        return (self.accuracy, self.cost)

    def compute(self, metrics: Mapping[str, float]) -> float:
        """The reward for `metrics`, which must hold both inputs."""
        return mnasnet_reward(
            metrics[self.accuracy],
            metrics[self.cost],
            self.target,
            alpha=self.alpha,
            beta=self.beta,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "cost": self.cost,
            "target": self.target,
            "alpha": self.alpha,
            "beta": self.beta,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MnasNetReward:
        return cls(**config)
