"""Trial messages as people read them: a failed trial's reason without its traceback.

Free of TensorFlow, so that `keras-nas report` can use it.
"""

from __future__ import annotations


def failure_reason(message: str | None) -> str:
    r"""The last line of a failed trial's message: the error, without its traceback.

    Example:
    >>> failure_reason("Traceback (most recent call last):\n  ...\nValueError: bad shape\n")
    'ValueError: bad shape'
    >>> failure_reason("...\nkeras_tuner.src.errors.FailedTrialError: The loss became nan.")
    'The loss became nan.'
    """
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    if not lines:
        return "no reason recorded"
    # A reason that keras-nas gave (`keras_nas.tuners.failures`) reads best without its class.
    return lines[-1].split("FailedTrialError: ", 1)[-1]
