"""The records a keras-nas tuner writes beside KerasTuner's: `search.json` for the search and
`architecture.json` for each trial, which `keras-nas report` and `keras-nas export` read."""

from __future__ import annotations

import os
import warnings
from typing import Any

from keras_nas import compat
from keras_nas.files import ARCHITECTURE_FILE, SEARCH_FILE, write_json_atomically
from keras_nas.search_spaces.base import SearchSpace
from keras_nas.version import __version__


def write_search_record(
    project_dir: str, hypermodel: Any, oracle: Any, oracle_name: str, estimation: Any = None
) -> None:
    """Writes `search.json`: the objectives, budget, oracle and space of the search, for a
    keras-nas space its class and config, from which `keras-nas export` rebuilds it (the
    trials' space: a proxy task's reduced one), and the proxy task's config, if any."""
    record = {
        "keras_nas_version": __version__,
        "objective": [
            {"name": one.name, "direction": one.direction}
            for one in compat.objectives_of(oracle.objective)
        ],
        "max_trials": oracle.max_trials,
        "oracle": oracle_name,
        "space": type(hypermodel).__name__,
    }
    if isinstance(hypermodel, SearchSpace):
        space = type(hypermodel)
        record["space_class"] = f"{space.__module__}.{space.__qualname__}"
        record["space_config"] = hypermodel.get_config()
    if estimation is not None:
        record["estimation"] = {"ProxyTask": estimation.get_config()}
    write_json_atomically(os.path.join(project_dir, SEARCH_FILE), record)


def write_architecture(hypermodel: Any, trial: Any, trial_dir: str) -> None:
    """Writes the trial's `architecture.json` (`describe` and `architecture_graph` of the
    hypermodel), where the hypermodel has them; a failure only warns, since a record must
    never fail a finished trial."""
    describe = getattr(hypermodel, "describe", None)
    values = trial.hyperparameters.values
    if describe is None or not values:
        return
    try:
        record = describe(values)
        graph = getattr(hypermodel, "architecture_graph", None)
        if graph is not None:
            record["graph"] = graph(values)
    except Exception as error:
        warnings.warn(f"Could not describe trial {trial.trial_id}: {error}", stacklevel=3)
        return
    write_json_atomically(os.path.join(trial_dir, ARCHITECTURE_FILE), record)
