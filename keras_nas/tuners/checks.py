"""Checks of a search's data and objective against its space, made before any training.

A search that fails at its first trial, or worse, records every trial as failed, because the
images have the wrong shape or the objective names a metric that is never logged, wastes the
user's time; these checks say what is wrong, what was received and how to fix it, when
`search` is called. They look only at what can be known without training: array shapes, the
range of integer labels, and the names the compiled models will log.
"""

from __future__ import annotations

import inspect
import os
import tempfile
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from keras_nas.arguments import check_bool, check_count, check_number
from keras_nas.objectives.constraints import Constraints
from keras_nas.oracles.base import NASOracle
from keras_nas.tuners.costs import COST_METRICS as CANDIDATE_COSTS

#: Metrics that keras-nas tuners report for every trial besides the compiled ones.
COST_METRICS = (*CANDIDATE_COSTS, "seconds")


def check_fit_arguments(fit_kwargs: dict[str, Any], verbose: Any) -> int:
    """Refuses, before any training, the counts of `search(...)` that `model.fit` would
    misread or reject only in the first trial (`epochs=0` trains nothing).

    Returns:
        `verbose` as 0, 1 or 2: `"auto"`, `model.fit`'s default, is 1.

    Raises:
        ValueError: If `epochs`, `batch_size`, `validation_split` or `verbose` is out of
            range or not a number.
    """
    if "epochs" in fit_kwargs:
        check_count("epochs", fit_kwargs["epochs"])
    if "batch_size" in fit_kwargs:
        check_count("batch_size", fit_kwargs["batch_size"], none_means="use Keras's default of 32")
    if "validation_split" in fit_kwargs:
        check_number("validation_split", fit_kwargs["validation_split"], minimum=0, below=1)
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(
            "`verbose` must be 0 (silent), 1 or 'auto' (a line per trial) or 2 (KerasTuner's "
            f"display and a line per epoch). Received: verbose={verbose!r}."
        )
    return verbose


def fit_keywords(args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """`model.fit`'s arguments, positional ones included, by name.

    Example:
    >>> sorted(fit_keywords((1, 2), {"epochs": 3}))
    ['epochs', 'x', 'y']
    """
    names = [name for name in inspect.signature(keras.Model.fit).parameters if name != "self"]
    return {**dict(zip(names, args, strict=False)), **kwargs}


def check_search_inputs(
    space: Any,
    objectives: Sequence[Any],
    x: Any = None,
    y: Any = None,
    validation_data: Any = None,
    validation_split: float = 0.0,
    cost_metrics: Sequence[str] = COST_METRICS,
) -> None:
    """Raises a `ValueError` naming the problem if the data or objective cannot work.

    `space` is a keras-nas search space (other hypermodels are not checked); `objectives`
    are `keras_tuner.Objective`s; an objective computed from other metrics (with `inputs`,
    such as `keras_nas.objectives.MnasNetReward`) is checked by its inputs. `cost_metrics`
    are the metrics the tuner adds to the compiled ones. Arrays are checked (a
    `tf.data.Dataset` by its element spec); other inputs (generators, dicts) are left to
    Keras.

    Example:
    >>> import keras_tuner
    >>> from keras_nas.search_spaces import MLPSpace
    >>> space = MLPSpace(input_shape=(64,), num_classes=10)
    >>> objective = keras_tuner.Objective("accuracy", "max")
    >>> try:
    ...     check_search_inputs(space, [objective], np.zeros((4, 8, 8)), np.zeros(4))
    ... except ValueError as error:
    ...     print(str(error).split(". ")[1])
    Received: x of shape (4, 8, 8)
    """
    if not hasattr(space, "input_shape") or not hasattr(space, "num_classes"):
        return
    validates = validation_data is not None or validation_split > 0
    _check_objectives(space, objectives, validates, cost_metrics)
    _check_pair(space, x, y, "x", "y", "training")
    if isinstance(validation_data, (tuple, list)) and len(validation_data) >= 2:
        _check_pair(space, validation_data[0], validation_data[1], "x_val", "y_val", "validation")


def _check_objectives(
    space: Any, objectives: Sequence[Any], validates: bool, cost_metrics: Sequence[str]
) -> None:
    names = _metric_names(space)
    if names is None:
        return  # Metric objects of unknown names: Keras will say.
    available = ["loss", *names]
    if validates:
        available += [f"val_{name}" for name in ["loss", *names]]
    available += list(cost_metrics)
    needed = []  # An objective computed from other metrics needs those.
    for objective in objectives:
        needed.extend(getattr(objective, "inputs", None) or [objective.name])
    for name in needed:
        if name in available:
            continue
        if name.startswith("val_") and not validates and name[4:] in ["loss", *names]:
            raise ValueError(
                f"The objective {name!r} is measured on validation data, and none was given. "
                "Pass validation_data=(x_val, y_val) (or validation_split=0.2) to search(), "
                f"or use the objective {name[4:]!r}."
            )
        raise ValueError(
            f"The objective {name!r} is not a metric that the trials log. Available: "
            f"{', '.join(repr(one) for one in available)}. Pick one of them, or add the metric "
            f"to the space (metrics=[...])."
        )


def _metric_names(space: Any) -> list[str] | None:
    metrics = space.metrics
    if metrics is None:
        return ["accuracy"] if space.num_classes is not None else ["mae"]
    names = []
    for metric in metrics if isinstance(metrics, (list, tuple)) else [metrics]:
        if not isinstance(metric, str):
            return None
        names.append(metric)
    return names


def _check_pair(space: Any, x: Any, y: Any, x_name: str, y_name: str, role: str) -> None:
    array_shape = _shape_of(x)
    x_shape = array_shape or _dataset_input_shape(x)
    if x_shape is None:
        return
    expected = tuple(space.input_shape)
    received = tuple(x_shape[1:])
    if not _matches_with_unknown(received, expected):
        hint = (
            "Reshape the data (e.g. `x.reshape(len(x), -1)`)"
            if len(expected) == 1
            else f"Reshape the data (e.g. `x.reshape(-1, {', '.join(map(str, expected))})`)"
        )
        raise ValueError(
            f"The {role} inputs `{x_name}` must have the shape of one example that the space "
            f"takes, {expected} ({type(space).__name__}'s `input_shape`), after the batch "
            f"dimension. Received: {x_name} of shape {tuple(x_shape)}. {hint} or build the "
            f"space with input_shape={received}."
        )
    y_shape = _shape_of(y) if array_shape is not None else None
    if y_shape is None:
        return
    if y_shape[0] != x_shape[0]:
        raise ValueError(
            f"The {role} data must have one label per example. Received: {x_name} with "
            f"{x_shape[0]} examples and {y_name} with {y_shape[0]}."
        )
    if space.num_classes is not None and space.loss is None:
        _check_class_labels(space.num_classes, np.asarray(y), y_name)


def _check_class_labels(num_classes: int, labels: np.ndarray, name: str) -> None:
    """The default loss (sparse categorical cross-entropy) takes integer class indices."""
    if labels.ndim == 2 and labels.shape[1] == num_classes and labels.shape[1] > 1:
        raise ValueError(
            f"The labels `{name}` look one-hot (shape {labels.shape}); the space's loss, "
            "sparse categorical cross-entropy, takes class indices. Pass "
            f"`{name}.argmax(-1)`, or build the space with loss='categorical_crossentropy'."
        )
    if labels.ndim > 2 or (labels.ndim == 2 and labels.shape[1] != 1):
        raise ValueError(
            f"The labels `{name}` must be class indices, one per example: shape (n,) or "
            f"(n, 1). Received: shape {labels.shape}."
        )
    if labels.size == 0:
        return
    if not np.issubdtype(labels.dtype, np.number) or not np.all(np.mod(labels, 1) == 0):
        raise ValueError(
            f"The labels `{name}` must be integer class indices from 0 to {num_classes - 1}. "
            f"Received values such as {labels.ravel()[0]!r} (dtype {labels.dtype})."
        )
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"The labels `{name}` must be class indices from 0 to {num_classes - 1} (the "
            f"space's `num_classes` is {num_classes}). Received labels from {low} to {high}. "
            f"Build the space with num_classes={high + 1} or map the labels to 0.."
            f"{num_classes - 1}."
        )


def _shape_of(data: Any) -> tuple | None:
    shape = getattr(data, "shape", None)
    if shape is None or isinstance(data, dict):
        return None
    try:
        return tuple(None if dim is None else int(dim) for dim in shape)
    except TypeError:
        return None


def _dataset_input_shape(data: Any) -> tuple | None:
    spec = getattr(data, "element_spec", None)
    if isinstance(spec, (tuple, list)) and spec:
        spec = spec[0]
    shape = getattr(spec, "shape", None)
    if shape is None or shape.rank is None:
        return None
    return tuple(shape.as_list())


def _matches_with_unknown(received: tuple, expected: tuple) -> bool:
    """Whether shapes agree where both are known (a dataset may leave dimensions open)."""
    return len(received) == len(expected) and all(
        one is None or other is None or one == other
        for one, other in zip(received, expected, strict=True)
    )


def check_writable_directory(directory: Any, project_name: Any = None) -> None:
    """Raises a `ValueError` if the project directory cannot be created or written.

    Checked when a tuner is made, so that a search never trains a first candidate it cannot
    record. Creates the directory (as KerasTuner would) and a temporary file in it.

    Example:
    >>> import os, tempfile
    >>> blocker = os.path.join(tempfile.mkdtemp(), "a_file")
    >>> _ = open(blocker, "w").write("not a folder")
    >>> try:
    ...     check_writable_directory(blocker, "digits")
    ... except ValueError as error:
    ...     print(str(error)[:62])
    `directory` must be a folder where keras-nas can write its sea
    """
    folder = os.path.join(str(directory or "."), str(project_name or "untitled_project"))
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise ValueError(
            "`directory` must be a folder where keras-nas can write its search state. "
            f"Received: directory={directory!r}, project_name={project_name!r}; writing to "
            f"{folder!r} failed ({type(error).__name__}: {error.strerror or error}). Pass a "
            "writable `directory`."
        ) from None


def check_tuner_arguments(kwargs: dict[str, Any], oracle: Any) -> None:
    """Refuses the counts and flags of `keras_tuner.Tuner` that it would misread, and the
    `max_trials` of any oracle (KerasTuner's own oracles search forever with 0)."""
    check_count(
        "max_trials",
        getattr(oracle, "max_trials", None),
        none_means="search until the oracle finds no untried candidate",
    )
    if "executions_per_trial" in kwargs:
        check_count("executions_per_trial", kwargs["executions_per_trial"])
    if "max_model_size" in kwargs:
        check_count(
            "max_model_size", kwargs["max_model_size"], none_means="accept models of any size"
        )
    if "overwrite" in kwargs:
        check_bool("overwrite", kwargs["overwrite"])
    for name in ("directory", "project_name"):
        if kwargs.get(name) is not None and not isinstance(kwargs[name], (str, os.PathLike)):
            raise ValueError(
                f"`{name}` must be a folder name (a string or path). Received: "
                f"{name}={kwargs[name]!r}."
            )


def declaration_failed_message(error: Exception) -> str:
    """What to say when the hypermodel's `build(hp)` raises while the tuner is made."""
    return (
        "Declaring the search space failed: when a tuner is made, KerasTuner calls the "
        "hypermodel's build(hp) once (more with conditional hyperparameters), with each "
        "hyperparameter at its default value, to find the hyperparameters it declares, and "
        f"that build raised {type(error).__name__}: {error}\n"
        "Fix build(hp) so that it builds a model with the default values (calling it with "
        "keras_tuner.HyperParameters() reproduces the error). Once the search runs, a "
        "candidate whose build fails is a failed trial and the search goes on."
    )


def search_constraints(constraints: Constraints | None, oracle: Any) -> Constraints | None:
    """The search's constraints: the tuner's argument or the oracle's, not two different."""
    own = getattr(oracle, "constraints", None)
    if constraints is not None and own is not None and constraints != own:
        raise ValueError(
            "Pass `constraints` to the tuner or to the oracle, not two different ones. "
            f"Received: constraints={constraints!r} and the oracle's {own!r}."
        )
    if constraints is not None and not isinstance(oracle, NASOracle):
        raise ValueError(
            "`constraints` need a keras-nas oracle, which rejects a candidate before it "
            f"becomes a trial. Received: an oracle of class {type(oracle).__name__}. Use "
            "RegularizedEvolutionOracle or ReinforceOracle, or `max_model_size`."
        )
    return constraints if constraints is not None else own
