"""`Objective`: a named value of the trials and its direction, checked, for KerasTuner."""

from __future__ import annotations

import keras_tuner

from keras_nas.objectives.pareto import DIRECTIONS


class Objective(keras_tuner.Objective):
    """One objective of a search: the name of a logged value and whether to minimise it.

    A `keras_tuner.Objective` that checks its arguments, so it goes wherever KerasTuner takes
    an objective, alone or in a list with other objectives and metric names:
    `Oracle(objective=["val_accuracy", Objective("latency_ms", "min")])`. KerasTuner infers
    the direction of a known metric's name (`"val_accuracy"` is `"max"`); a cost such as
    `"latency_ms"` or `"params"` needs an explicit direction.

    Example:
    >>> objective = Objective("latency_ms", "min")
    >>> objective.better_than(2.5, 3.0)
    True
    >>> Objective.from_config(objective.get_config()) == objective
    True

    Args:
        name: The name of the value in the trial's metrics, e.g. `"latency_ms"`.
        direction: `"min"` if a lower value is better, `"max"` if a higher one is.

    Raises:
        ValueError: If `name` is not a non-empty string or `direction` is not `"min"` or
            `"max"`.
    """

    def __init__(self, name: str, direction: str):
        if not isinstance(name, str) or not name:
            raise ValueError(
                "`name` must be a non-empty string: the name of a value that trials report, "
                f'e.g. "latency_ms". Received: name={name!r}.'
            )
        if direction not in DIRECTIONS:
            raise ValueError(
                '`direction` must be "min" (lower is better) or "max" (higher is better). '
                f"Received: direction={direction!r} for the objective {name!r}."
            )
        super().__init__(name=name, direction=direction)

    def get_config(self) -> dict[str, str]:
        return {"name": self.name, "direction": self.direction}

    @classmethod
    def from_config(cls, config: dict[str, str]) -> Objective:
        return cls(**config)
