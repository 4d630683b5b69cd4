"""Architectures as flat dicts of hyperparameter values, and their nested, readable form.

An architecture is `trial.hyperparameters.values`: a flat dict whose keys are hierarchical
names such as `"stage_2/block_1/kernel"`. `nest` turns it into the tree a person reads
(`{"stage_2": {"block_1": {"kernel": 5}}}`) and `flatten` turns the tree back.
"""

from __future__ import annotations

import re
from typing import Any

import keras_tuner
from keras_tuner.engine import hyperparameters as hp_types


def active_values(hp: keras_tuner.HyperParameters) -> dict[str, Any]:
    """Returns the values of the active hyperparameters of `hp`, in declaration order."""
    return {h.name: hp.values[h.name] for h in hp.space if hp.is_active(h)}


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """Turns `{"a/b": 1}` into `{"a": {"b": 1}}`.

    Example:
    >>> nest({"stage_1/kernel": 3, "stage_1/width": 32, "dropout": 0.1})
    {'stage_1': {'kernel': 3, 'width': 32}, 'dropout': 0.1}
    """
    tree: dict[str, Any] = {}
    for name, value in values.items():
        *parents, leaf = name.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Inverse of `nest`: turns `{"a": {"b": 1}}` into `{"a/b": 1}`.

    Example:
    >>> flatten({"stage_1": {"kernel": 3}, "dropout": 0.1})
    {'stage_1/kernel': 3, 'dropout': 0.1}
    """
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def check_values(values: dict[str, Any], declared: keras_tuner.HyperParameters, space: str) -> None:
    """Raises `ValueError` if a name is not declared or a value is not one of its options."""
    unknown = sorted(set(values) - {h.name for h in declared.space})
    if unknown:
        raise ValueError(
            f"{space} has no choice named {unknown}. Its choices are: "
            f"{[h.name for h in declared.space]}."
        )
    for h in declared.space:
        if h.name not in values:
            continue
        value = values[h.name]
        options = _options(h)
        if options is not None and not any(_same(value, option) for option in options):
            raise ValueError(
                f"{value!r} is not an option of `{h.name}` in {space}. Options: {options}."
            )


def snake_case(name: str) -> str:
    """`"NASBench201Space"` -> `"nas_bench201_space"`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _options(h: hp_types.HyperParameter) -> list | None:
    if isinstance(h, hp_types.Choice):
        return list(h.values)
    if isinstance(h, hp_types.Boolean):
        return [False, True]
    if isinstance(h, hp_types.Fixed):
        return [h.value]
    return None


def _same(value: Any, option: Any) -> bool:
    return value == option and isinstance(value, bool) == isinstance(option, bool)
