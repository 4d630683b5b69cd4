"""`DerivedArchitectureOracle`: the trial of an architecture that a search derived itself.

Gradient-based search (`keras_nas.DifferentiableSearch`) finds its architecture by training,
not by proposing candidates. This oracle turns its result into an ordinary KerasTuner trial:
it proposes the architecture it is given, once, so that `get_best_hyperparameters`,
`get_best_models`, `keras-nas report` and the dashboards work on it as on any trial.
"""

from __future__ import annotations

from typing import Any

from keras_tuner.engine.trial import TrialStatus

from keras_nas.oracles.base import NASOracle


class DerivedArchitectureOracle(NASOracle):
    """Proposes `derived` (set before each search) unless a trial already holds it.

    A search that derives the same architecture again adds no trial; one that derives
    another (after more epochs, say) adds it as the next trial.

    Example:
    >>> oracle = DerivedArchitectureOracle(objective="val_accuracy")
    >>> oracle.populate_space("0")["status"]
    'STOPPED'
    >>> oracle.derived = {"units": 8}
    >>> oracle.populate_space("0")
    {'status': 'RUNNING', 'values': {'units': 8}}

    Args:
        objective: What the derived architecture's trial is scored by.
        **kwargs: The arguments of `NASOracle` and `keras_tuner.Oracle`.
    """

    def __init__(self, objective: Any = "val_accuracy", **kwargs: Any):
        kwargs.setdefault("max_trials", None)
        super().__init__(objective=objective, **kwargs)
        self.derived: dict[str, Any] | None = None

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """The derived architecture, or `STOPPED` when there is none or it has a trial."""
        if self.derived is None or self.already_tried(self.derived):
            return {"status": TrialStatus.STOPPED, "values": None}
        return {"status": TrialStatus.RUNNING, "values": dict(self.derived)}
