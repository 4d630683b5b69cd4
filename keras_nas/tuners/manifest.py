"""The run manifest: what a search ran with, written when it starts and checked when it resumes.

`manifest.json` in the project directory records what decides a search's results besides
its code: the versions of Python, TensorFlow, Keras, KerasTuner, numpy and keras-nas; the
seed and whether the search is `deterministic`; the strategy and the space; the `model.fit`
settings that are plain values (`epochs`, `batch_size`, ...); a fingerprint of the training
and validation data (shape, dtype and a SHA-256 of up to 1,000 evenly spaced examples of each
array; the element spec and cardinality of a `tf.data.Dataset`); and the devices. A search
that resumes compares what it runs with now against the manifest, warns with each
difference (`manifest_changes`), and adds them to the manifest's `resumes`, so the record
keeps what its first trials ran with.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from keras_nas.files import MANIFEST_FILE, read_json_state, write_json_atomically

#: The distributions whose versions the manifest records.
PACKAGES = ("tensorflow", "keras", "keras-tuner", "numpy", "keras-nas")
#: How many examples of each array the fingerprint hashes, evenly spaced.
SAMPLED_EXAMPLES = 1000
#: The `model.fit` arguments that the manifest records, when their values are plain.
RECORDED_FIT_ARGUMENTS = (
    "epochs",
    "batch_size",
    "shuffle",
    "validation_split",
    "validation_freq",
    "steps_per_epoch",
    "validation_steps",
    "validation_batch_size",
    "initial_epoch",
    "class_weight",
)


def data_fingerprint(data: Any) -> Any:
    """A JSON description of `data` that changes when the data do: shape, dtype and a
    SHA-256 of up to `SAMPLED_EXAMPLES` evenly spaced examples of an array; the same for
    each part of a list, tuple or dict; the element spec and cardinality of a
    `tf.data.Dataset`; the type of anything else (a generator, a `PyDataset`, an input
    numpy cannot read).

    Example:
    >>> print(data_fingerprint(np.zeros((3, 2), "float32"))["shape"])
    [3, 2]
    >>> a, b = data_fingerprint(np.arange(5)), data_fingerprint(np.arange(1, 6))
    >>> a["sha256"] == b["sha256"]
    False
    """
    if data is None:
        return None
    if isinstance(data, Mapping):
        items = sorted(data.items(), key=lambda item: str(item[0]))
        return {str(key): data_fingerprint(value) for key, value in items}
    if isinstance(data, (list, tuple)):
        return [data_fingerprint(part) for part in data]
    if hasattr(data, "element_spec") and hasattr(data, "cardinality"):  # A tf.data.Dataset.
        return {
            "type": "tf.data.Dataset",
            "element_spec": str(data.element_spec),
            "cardinality": int(data.cardinality()),
        }
    try:
        if hasattr(data, "to_numpy"):  # pandas
            data = data.to_numpy()
        if hasattr(data, "shape") and hasattr(data, "dtype"):
            array = np.asarray(data)
            if array.ndim == len(data.shape):  # Not a sparse matrix's 0-d object array.
                return {
                    "shape": list(array.shape),
                    "dtype": str(array.dtype),
                    "sha256": _sample_hash(array),
                }
    except Exception:  # Ragged or sparse tensors: named by their type only.
        pass
    return {"type": type(data).__name__}


def _sample_hash(array: np.ndarray) -> str:
    """A SHA-256 of the shape and of up to `SAMPLED_EXAMPLES` evenly spaced examples, one at
    a time (objects, such as strings, by their `repr`)."""
    digest = hashlib.sha256(str(array.shape).encode())
    if not array.ndim:
        array = array.reshape(1)
    count = min(len(array), SAMPLED_EXAMPLES)  # Evenly spaced rows: distinct when count <= len.
    for row in np.linspace(0, len(array) - 1, count).astype(int):
        example = array[row]
        if array.dtype == object:
            digest.update(repr(np.asarray(example).tolist()).encode())
        else:
            digest.update(np.ascontiguousarray(example).tobytes())
    return digest.hexdigest()


def package_versions() -> dict[str, str | None]:
    """The Python version, and the installed version of each of `PACKAGES` (`None` where one
    is not installed as a distribution)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def fit_settings(fit_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The `RECORDED_FIT_ARGUMENTS` of `fit_kwargs` with plain values (class weights with
    their keys as strings), and the class names of the callbacks."""
    settings: dict[str, Any] = {}
    for name in RECORDED_FIT_ARGUMENTS:
        value = fit_kwargs.get(name)
        if isinstance(value, Mapping):
            value = {str(key): float(weight) for key, weight in value.items()}
        elif isinstance(value, (np.integer, np.floating, np.bool_)):
            value = value.item()
        if isinstance(value, (bool, int, float, str, dict)):  # Not None, nor an array.
            settings[name] = value
    callbacks = fit_kwargs.get("callbacks") or []
    settings["callbacks"] = [type(callback).__name__ for callback in callbacks]
    return settings


def devices() -> list[str]:
    """The logical devices TensorFlow sees, as `"type:name"`."""
    import tensorflow as tf

    return [f"{device.device_type}:{device.name}" for device in tf.config.list_logical_devices()]


#: The arguments of `search` (as of `model.fit`) that the manifest fingerprints.
DATA_ARGUMENTS = ("x", "y", "validation_data", "sample_weight")


def run_manifest(
    *,
    seed: int | None,
    deterministic: bool,
    strategy: Mapping[str, Any],
    space: Mapping[str, Any],
    training: Mapping[str, Any],
    fit_kwargs: Mapping[str, Any],
    record_devices: bool = True,
) -> dict[str, Any]:
    """The manifest of a search (see the module docstring).

    Args:
        seed, deterministic: The search's.
        strategy, space: JSON descriptions of the oracle and the search space.
        training: JSON values that decide how trials train (`objective`, `weight_sharing`,
            `executions_per_trial`).
        fit_kwargs: `search`'s arguments by name, the data among them (`DATA_ARGUMENTS`).
        record_devices: Whether to list TensorFlow's devices (which starts TensorFlow's
            runtime: not on a chief, which trains nothing).
    """
    return {
        "versions": package_versions(),
        "seed": seed,
        "deterministic": deterministic,
        "strategy": dict(strategy),
        "space": dict(space),
        **training,
        "fit": fit_settings(fit_kwargs),
        "data": {name: data_fingerprint(fit_kwargs.get(name)) for name in DATA_ARGUMENTS},
        "devices": devices() if record_devices else None,
    }


def search_manifest(
    tuner: Any, fit_kwargs: Mapping[str, Any], *, record_devices: bool = True
) -> dict[str, Any]:
    """The manifest of `tuner`'s search (a `NASTuner`), which `search` received
    `fit_kwargs` (by name)."""
    from keras_nas.oracles.base import NASOracle
    from keras_nas.search_spaces.base import SearchSpace
    from keras_nas.tuners.transfer import trained_objective

    strategy: dict[str, Any] = {"oracle": type(tuner.oracle).__name__}
    if isinstance(tuner.oracle, NASOracle):
        strategy["arguments"] = tuner.oracle.recorded_arguments()
    space: dict[str, Any] = {"class": type(tuner.full_hypermodel).__name__}
    if isinstance(tuner.full_hypermodel, SearchSpace):
        space["config"] = tuner.full_hypermodel.get_config()
    if tuner.estimation is not None:
        space["estimation"] = {"ProxyTask": tuner.estimation.get_config()}
    try:  # The objective a retraining compares: the first that training logs.
        objective = trained_objective(tuner)
        compared = {"name": objective.name, "direction": objective.direction}
    except ValueError:
        compared = None  # Every objective is a cost of the model.
    training = {
        "objective": compared,
        "weight_sharing": tuner.registry is not None,
        "executions_per_trial": tuner.executions_per_trial,
    }
    return run_manifest(
        seed=tuner.search_seed,
        deterministic=tuner.deterministic,
        strategy=strategy,
        space=space,
        training=training,
        fit_kwargs=fit_kwargs,
        record_devices=record_devices,
    )


def manifest_changes(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """One line for each difference between a recorded manifest and the current one.

    Example:
    >>> manifest_changes({"versions": {"keras": "3.10.0"}, "deterministic": True},
    ...                  {"versions": {"keras": "3.11.0"}, "deterministic": True})
    ['keras 3.10.0, now 3.11.0']
    """
    changes = []
    for name in sorted(set(recorded.get("versions", {})) | set(current.get("versions", {}))):
        before = recorded.get("versions", {}).get(name)
        now = current.get("versions", {}).get(name)
        if before != now:
            changes.append(f"{name} {before}, now {now}")
    for part in ("data", "fit"):
        before_part, now_part = recorded.get(part, {}), current.get(part, {})
        for name in sorted(set(before_part) | set(now_part)):
            before, now = before_part.get(name), now_part.get(name)
            if before != now:
                changes.append(_describe_change(part, name, before, now))
    # The strategy's arguments and seed are the oracle's to compare (it warns on resume).
    for name in ("space", "weight_sharing", "executions_per_trial", "devices"):
        if name in recorded and recorded.get(name) != current.get(name):
            changes.append(f"{name} {recorded.get(name)}, now {current.get(name)}")
    return changes


def _describe_change(part: str, name: str, before: Any, now: Any) -> str:
    if part == "fit":
        return f"model.fit {name}={before!r}, now {name}={now!r}"
    if isinstance(before, dict) and isinstance(now, dict) and "sha256" in before:
        if before.get("shape") != now.get("shape") or before.get("dtype") != now.get("dtype"):
            return (
                f"data {name}: {before.get('dtype')} {before.get('shape')}, "
                f"now {now.get('dtype')} {now.get('shape')}"
            )
        return f"data {name}: the same shape and dtype, other values (its sample hash changed)"
    return f"data {name}: {before}, now {now}"


def write_or_check_manifest(project_dir: str, manifest: dict[str, Any], *, resumed: bool) -> None:
    """Writes `manifest` as the project's `manifest.json`; when the search resumes with
    trials and a manifest exists, keeps it, warns with each change, and records them.

    Raises:
        ValueError: If the resumed search's `deterministic` differs from its trials'.

    Example:
    >>> import tempfile
    >>> directory = tempfile.mkdtemp()
    >>> write_or_check_manifest(directory, {"fit": {"epochs": 2}}, resumed=False)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     write_or_check_manifest(directory, {"fit": {"epochs": 3}}, resumed=True)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    The search in ... resumes with ...: model.fit epochs=2, now epochs=3. ...
    >>> read_json_state(os.path.join(directory, MANIFEST_FILE), "manifest")["fit"]
    {'epochs': 2}
    """
    manifest = json.loads(json.dumps(manifest))  # Tuples as lists, as the file holds them.
    path = os.path.join(project_dir, MANIFEST_FILE)
    if not (resumed and os.path.exists(path)):
        write_json_atomically(path, manifest)
        return
    recorded = read_json_state(path, "run manifest")
    if recorded.get("deterministic", False) != manifest.get("deterministic", False):
        raise ValueError(
            f"The search in {project_dir!r} ran its trials with "
            f"deterministic={recorded.get('deterministic', False)} ({path}) and is resumed "
            f"with deterministic={manifest.get('deterministic', False)}. Resume it as it "
            "started, or pass `overwrite=True` (or another `project_name`) to start anew."
        )
    changes = manifest_changes(recorded, manifest)
    if not changes:
        return
    warnings.warn(
        f"The search in {project_dir!r} resumes with what differs from its manifest "
        f"({path}): {'; '.join(changes)}. Its earlier trials ran as the manifest says; "
        "scores may not compare. Pass `overwrite=True` or another `project_name` to start "
        "a new search.",
        stacklevel=3,
    )
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    recorded.setdefault("resumes", []).append({"at": now, "changes": changes})
    write_json_atomically(path, recorded)
