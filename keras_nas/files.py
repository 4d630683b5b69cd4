"""The files of a search: their names, and atomic writes, so that a state file is either its
old or its new content, never a torn mix (ARCHITECTURE.md describes every file)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from typing import IO

import numpy as np

#: The oracle's state, under the project directory (KerasTuner's name): the commit point.
ORACLE_FILE = "oracle.json"
#: Each trial's record, under its trial directory (KerasTuner's name).
TRIAL_FILE = "trial.json"
#: The search's own record, under the project directory: objectives, oracle, space, version.
SEARCH_FILE = "search.json"
#: Each trial's architecture (`describe` and `architecture_graph`), under its trial directory.
ARCHITECTURE_FILE = "architecture.json"
#: KerasTuner's build configuration of a model that `build` left unbuilt, in a trial's folder.
BUILD_CONFIG_FILE = "build_config.json"
#: The weights a `NASTuner` trial keeps in its folder: those of its best epoch.
BEST_WEIGHTS_FILE = "best_weights.npz"
#: The weights a `OneShotSearch` trial keeps in its folder: the sub-network's it was scored
#: with.
SUB_NETWORK_WEIGHTS = "sub_network.npz"
#: `NASTuner.transfer`'s record, under the project directory: its settings, and each
#: transferred architecture's proxy and full scores.
TRANSFER_FILE = "transfer.json"
#: The run manifest, under the project directory: package versions, seed, strategy, space,
#: `fit` settings, a fingerprint of the data and the devices (`keras_nas.tuners.manifest`).
MANIFEST_FILE = "manifest.json"
#: Every name a trial's weights have, as `keras-nas export` looks for them.
TRIAL_WEIGHTS_FILES = (BEST_WEIGHTS_FILE, SUB_NETWORK_WEIGHTS)


@contextlib.contextmanager
def atomic_file(path: str, mode: str = "w") -> Iterator[IO]:
    """Opens a temporary file that replaces `path` once the block ends without an error.

    The file is in the same directory as `path`; it is flushed to disk and then renamed over
    `path`, so a reader (or a process started after a crash) sees either the previous file
    or the complete new one. On an error the temporary file is removed and `path` is left
    as it was.

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> with atomic_file(path) as file:
    ...     _ = file.write("done")
    >>> open(path).read()
    'done'
    """
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def write_npz_atomically(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Writes `arrays` to the `.npz` file `path` (numpy format, no pickle), atomically.

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
    >>> write_npz_atomically(path, {"kernel": np.ones((2, 3))})
    >>> with np.load(path, allow_pickle=False) as arrays:
    ...     arrays["kernel"].shape
    (2, 3)
    """
    with atomic_file(path, "wb") as file:
        np.savez(file, **arrays)


def write_json_atomically(path: str, data: object) -> None:
    """Writes `data` as JSON to `path`, atomically.

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "state.json")
    >>> write_json_atomically(path, {"epochs": 3})
    >>> with open(path) as file:
    ...     json.load(file)
    {'epochs': 3}
    """
    with atomic_file(path) as file:
        json.dump(data, file, indent=2)


class StateFileError(ValueError):
    """A search state file that cannot be read: corrupt, truncated, or from another version.

    keras-nas never writes over such a file: the error names it, so that it can be restored
    or moved away.
    """


def read_json_state(path: str, what: str) -> object:
    """Reads the JSON state file `path`; `what` names it in the error ("oracle state").

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "oracle.json")
    >>> _ = open(path, "w").write('{"ongoing_trials": {')
    >>> read_json_state(path, "oracle state")
    Traceback (most recent call last):
    ...
    keras_nas.files.StateFileError: The oracle state file '...oracle.json' is corrupt ...

    Raises:
        StateFileError: If the file is not valid JSON (empty, cut off, not text).
    """
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise StateFileError(
            f"The {what} file {path!r} is corrupt or truncated ({type(error).__name__}: "
            f"{error}). keras-nas left it as it is. To resume the search, restore the file "
            "from a backup; to start the project anew, move the file away, or pass "
            "`overwrite=True` (which deletes the whole project directory) or another "
            "`project_name`."
        ) from None
