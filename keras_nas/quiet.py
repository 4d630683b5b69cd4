"""`quiet_tensorflow`: import TensorFlow without its start-up logs, unless the user asks for them.

TensorFlow 2.21 logs from C++ through Abseil, and applies `TF_CPP_MIN_LOG_LEVEL` from a
static constructor of its shared library (`logging_initializer.cc`). Constructors of the same
library that run before that one log at once (`port.cc`: "oneDNN custom operations are on",
`cudart_stub.cc`: "Could not find cuda drivers"), and Abseil writes every message to standard
error until `absl::InitializeLog()` is called, which TensorFlow never calls (hence its
"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR").
So no variable hides these lines. They come twice because two libraries that `import
tensorflow` loads each link their own copy of that code: `libtensorflow_framework.so.2` and
the profiler plugin `_pywrap_profiler_plugin.so`.

`quiet_tensorflow` therefore sets the level (unless the user has set it), and imports
TensorFlow while its standard error goes through a filter that applies the level to those
early lines; what TensorFlow logs afterwards obeys the variable itself. This module imports
nothing heavy.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

#: The variable that sets the lowest severity that TensorFlow's C++ code logs: 0 (info),
#: 1 (warning), 2 (error), 3 (fatal only).
LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
#: The level when the user has set none. It hides errors too, since TensorFlow reports some
#: that are not ("failed call to cuInit" on a machine without a GPU); a real failure still
#: raises a Python exception.
DEFAULT_LEVEL = 3

_SEVERITIES = "IWEF"  # Abseil's prefix letter of each level, from 0.
# "I0000 00:00:1796521778.043620    3423 port.cc:153] ...": before `absl::InitializeLog()`
# the date is zeros and the time is seconds since 1970.
_ABSL_LINE = re.compile(rb"([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^ \]]+:\d+\] ")
_NOT_INITIALIZED = b"WARNING: All log messages before absl::InitializeLog() is called"


def quiet_tensorflow() -> None:
    """Imports TensorFlow, showing only the start-up logs that `TF_CPP_MIN_LOG_LEVEL` allows.

    Sets `TF_CPP_MIN_LOG_LEVEL` to `DEFAULT_LEVEL` unless it is set (a user's own setting
    wins: `TF_CPP_MIN_LOG_LEVEL=0` shows every line). Does nothing more when TensorFlow is
    already imported. Call it before anything that imports TensorFlow (keras, keras_tuner,
    keras-nas's tuners and spaces).

    Example:
    >>> quiet_tensorflow()
    >>> import os
    >>> os.environ["TF_CPP_MIN_LOG_LEVEL"] in ("0", "1", "2", "3")
    True
    """
    os.environ.setdefault(LEVEL_VARIABLE, str(DEFAULT_LEVEL))
    if "tensorflow" in sys.modules:
        return
    with _stderr_filtered(log_level()):
        import tensorflow  # noqa: F401


def log_level() -> int:
    """The level of `TF_CPP_MIN_LOG_LEVEL` as TensorFlow reads it: `DEFAULT_LEVEL` when
    unset, 0 when it is not an integer."""
    text = os.environ.get(LEVEL_VARIABLE)
    if text is None:
        return DEFAULT_LEVEL
    try:
        return int(text)
    except ValueError:
        return 0


def hidden(line: str | bytes, level: int) -> bool:
    """Whether `level` hides `line` of TensorFlow's start-up output: an Abseil log line below
    the level, or, at any level above 0, Abseil's note that precedes those lines."""
    data = line.encode() if isinstance(line, str) else line
    if data.startswith(_NOT_INITIALIZED):
        return level > 0
    match = _ABSL_LINE.match(data)
    return match is not None and _SEVERITIES.index(match.group(1).decode()) < level


@contextlib.contextmanager
def _stderr_filtered(level: int) -> Iterator[None]:
    """Collects what is written to file descriptor 2 meanwhile (C++ writes there, not to
    `sys.stderr`), then writes back the lines that `level` does not hide."""
    if level <= 0:
        yield
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # No standard error: nothing to filter.
        yield
        return
    # A file, not a pipe: a pipe read by a thread could fill up while `import` holds the GIL.
    with tempfile.TemporaryFile() as collected:
        os.dup2(collected.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            collected.seek(0)
            lines = collected.read().splitlines(True)
            kept = b"".join(line for line in lines if not hidden(line, level))
            while kept:
                kept = kept[os.write(2, kept) :]
