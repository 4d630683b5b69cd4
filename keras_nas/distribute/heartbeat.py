"""`Heartbeat`: a worker's sign of life to the chief while it trains a trial."""

from __future__ import annotations

import threading
from typing import Any

#: Seconds between two signs of life.
HEARTBEAT_SECONDS = 10.0


class Heartbeat:
    """Asks the chief for a trial's record every `seconds` until stopped, from a thread.

    A keras-nas oracle counts any call about a trial as a sign of life of the worker that
    runs it (`NASOracle.trial_timeout`), so a worker whose epochs take longer than the
    timeout keeps its trial. Errors (a chief that has just exited) end the heartbeat quietly.

    Example:
    >>> class Oracle:
    ...     calls = 0
    ...     def get_trial(self, trial_id):
    ...         Oracle.calls += 1
    >>> beat = Heartbeat(Oracle(), "03", seconds=0.01)
    >>> beat.start(); import time; time.sleep(0.1); beat.stop()
    >>> Oracle.calls > 1
    True
    """

    def __init__(self, oracle: Any, trial_id: str, seconds: float = HEARTBEAT_SECONDS):
        self.oracle, self.trial_id, self.seconds = oracle, trial_id, seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="keras-nas-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.seconds + 5)

    def _run(self) -> None:
        while not self._stopped.wait(self.seconds):
            try:
                self.oracle.get_trial(self.trial_id)
            except Exception:  # The chief may be gone; the trial's own calls will say so.
                return
