"""Atomic writes: a state file is either its old or its new content, never a torn mix."""

from __future__ import annotations

import os
import tempfile

import numpy as np


def write_npz_atomically(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Writes `arrays` to the `.npz` file `path` (numpy format, no pickle), atomically.

    The arrays go to a temporary file in the same directory, which is flushed to disk and
    then renamed over `path`, so a reader (or a process started after a crash) sees either
    the previous file or the complete new one.

    Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "weights.npz")
    >>> write_npz_atomically(path, {"kernel": np.ones((2, 3))})
    >>> with np.load(path, allow_pickle=False) as arrays:
    ...     arrays["kernel"].shape
    (2, 3)
    """
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
