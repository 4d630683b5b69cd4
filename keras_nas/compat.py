"""The one place where keras-nas uses KerasTuner's private API.

keras-nas builds on KerasTuner's public names (`keras_tuner.Oracle`, `Tuner`,
`synchronized`, `errors`, `engine.trial`, `engine.hyperparameters`). A few things it needs
have no public name: the files KerasTuner writes, its retry queue and duplicate check, its
hypermodel build and callback copies, and its gRPC chief. They are reached here and nowhere
else, for the KerasTuner versions in `SUPPORTED_VERSIONS`; importing this module with
another version raises, naming the version to install, rather than failing later inside a
search.

keras-nas also overrides these private hooks (each override says why, where it is):
`Oracle._save_trial` and `Oracle._check_consecutive_failures` (`NASOracle`),
`Tuner._try_build`, `BaseTuner._populate_initial_space` and
`Tuner._configure_tensorboard_dir` (`NASTuner`). `PRIVATE_MEMBERS` lists every private
member used or overridden, so a test checks them all against the installed KerasTuner.
"""

from __future__ import annotations

import re
from typing import Any

import keras_tuner

#: The KerasTuner versions keras-nas supports: at least the first, below the second.
SUPPORTED_VERSIONS = ("1.4.7", "1.5")

#: The private members of KerasTuner's classes that keras-nas calls or overrides.
PRIVATE_MEMBERS = {
    keras_tuner.Oracle: (
        "_check_consecutive_failures",
        "_duplicate",
        "_get_oracle_fname",
        "_get_trial_dir",
        "_save_trial",
        "_set_project_dir",
    ),
    keras_tuner.Tuner: (
        "_build_hypermodel",
        "_configure_tensorboard_dir",
        "_deepcopy_callbacks",
        "_get_build_config_fname",
        "_get_tuner_fname",
        "_populate_initial_space",
        "_try_build",
    ),
}
#: The private attributes of a `keras_tuner.Oracle` instance that keras-nas reads.
PRIVATE_ORACLE_ATTRIBUTES = ("_retry_queue",)


def check_version(version: str) -> None:
    """Raises unless `version` of KerasTuner is one keras-nas supports.

    Example:
    >>> check_version("1.4.8")
    >>> check_version("1.5.0")
    Traceback (most recent call last):
    ...
    ImportError: keras-nas needs keras-tuner >=1.4.7,<1.5 ...

    Raises:
        ImportError: Naming the installed version and the `pip install` that fixes it.
    """
    lowest, above = (_release(bound) for bound in SUPPORTED_VERSIONS)
    if not lowest <= _release(version) < above:
        raise ImportError(
            f"keras-nas needs keras-tuner >={SUPPORTED_VERSIONS[0]},<{SUPPORTED_VERSIONS[1]} "
            f"(it uses private parts of KerasTuner that change between versions). Received: "
            f"keras-tuner {version}. Install a supported one: "
            f"pip install 'keras-tuner>={SUPPORTED_VERSIONS[0]},<{SUPPORTED_VERSIONS[1]}'."
        )


def _release(version: str) -> tuple[int, ...]:
    """`"1.4.8"` -> `(1, 4, 8)`; a pre-release or local suffix is ignored."""
    numbers = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(part) for part in numbers.group(0).split(".")) if numbers else (0,)


check_version(keras_tuner.__version__)


# Oracles.


def oracle_file(oracle: keras_tuner.Oracle) -> str:
    """The path of the oracle's `oracle.json`."""
    return oracle._get_oracle_fname()


def trial_directory(oracle: keras_tuner.Oracle, trial_id: str) -> str:
    """The trial's directory under the project directory, created if missing."""
    return oracle._get_trial_dir(trial_id)


def project_directory(oracle: keras_tuner.Oracle) -> str:
    """The oracle's project directory (set by its tuner)."""
    return oracle._project_dir


def set_project_directory(oracle: keras_tuner.Oracle, directory: str, project_name: str) -> None:
    """Gives an oracle used without a tuner a project directory to save to."""
    oracle._set_project_dir(directory, project_name)


def is_duplicate(oracle: keras_tuner.Oracle, values: dict[str, Any]) -> bool:
    """Whether KerasTuner's own check finds `values` among the trials it created: the check
    that `Oracle.create_trial` applies, so both views of "tried" stay in step."""
    return oracle._duplicate(values)


def retry_queue(oracle: keras_tuner.Oracle) -> list[str]:
    """KerasTuner's queue of trials to run again (its retries of failed trials)."""
    return oracle._retry_queue


def is_multi_objective(objective: Any) -> bool:
    """Whether `objective` is KerasTuner's `MultiObjective` (not public): one that holds
    several objectives."""
    return getattr(objective, "objectives", None) is not None


def objectives_of(objective: Any) -> list[Any]:
    """The objectives an oracle's `objective` holds: itself, or the several of a
    `MultiObjective`."""
    return list(objective.objectives) if is_multi_objective(objective) else [objective]


# Tuners.


def tuner_file(tuner: keras_tuner.Tuner) -> str:
    """The path of the tuner's state file (`<tuner_id>.json`)."""
    return tuner._get_tuner_fname()


def build_config_file(tuner: keras_tuner.Tuner, trial_id: str) -> str:
    """The path where the trial's model build config is kept."""
    return tuner._get_build_config_fname(trial_id)


def build_hypermodel(tuner: keras_tuner.Tuner, hp: keras_tuner.HyperParameters) -> Any:
    """The model that the tuner's hypermodel builds for `hp`, in KerasTuner's build scope."""
    return tuner._build_hypermodel(hp)


def copy_callbacks(tuner: keras_tuner.Tuner, callbacks: list) -> list:
    """Fresh copies of the user's callbacks for one execution of a trial, as KerasTuner
    makes them."""
    return tuner._deepcopy_callbacks(callbacks)


# The chief of a distributed search.


def oracle_service() -> tuple[Any, Any]:
    """KerasTuner's gRPC service for an oracle: `(oracle_chief module, protos module)`."""
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief

    return oracle_chief, protos
