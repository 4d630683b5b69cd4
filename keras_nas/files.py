"""Atomic writes: a state file is either its old or its new content, never a torn mix."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from typing import IO

import numpy as np


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
