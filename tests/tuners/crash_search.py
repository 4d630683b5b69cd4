"""A small search that `test_crash_resume.py` runs in a subprocess and kills.

Usage: python crash_search.py DIRECTORY evolution|reinforce

The same command resumes the search (`overwrite=False`). With `KILL_AT=<point>:<n>` the
process sends itself SIGKILL at the n-th time it reaches one of these points:
- `replace`: a state file is written to its temporary name and not yet renamed over the old
  file (a crash during a save);
- `oracle_json`: `oracle.json` is about to be written at a trial's end, with the trial's
  `trial.json` (status COMPLETED) already written (a crash between the two records);
- `best_weights`: a trial's best weights have been written, and its end is not recorded
  yet (a crash at the end of training).
"""

import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import keras_nas  # noqa: E402
from keras_nas import files  # noqa: E402
from keras_nas.datasets import load_digits  # noqa: E402
from keras_nas.oracles import state_files  # noqa: E402
from keras_nas.search_spaces import MLPSpace  # noqa: E402
from keras_nas.tuners.best_weights import KeepBestWeights  # noqa: E402

MAX_TRIALS = 5


def kill_at(point: str, count: int) -> None:
    """Makes the process SIGKILL itself at the `count`-th time it reaches `point`."""
    reached = [0]

    def reach() -> None:
        reached[0] += 1
        if reached[0] == count:
            os.kill(os.getpid(), signal.SIGKILL)

    if point == "replace":
        replace = os.replace

        def killing_replace(source, target):
            reach()
            replace(source, target)

        files.os.replace = killing_replace
    elif point == "oracle_json":
        write = state_files.write_json_atomically

        def killing_write(path, state):
            if os.path.basename(path) == "oracle.json":
                reach()
            write(path, state)

        state_files.write_json_atomically = killing_write
    elif point == "best_weights":
        keep = KeepBestWeights.write

        def killing_keep(self, model, filepath):
            written = keep(self, model, filepath)
            reach()
            return written

        KeepBestWeights.write = killing_keep
    else:
        raise ValueError(f"Unknown kill point {point!r}.")


def main(directory: str, strategy: str) -> None:
    if "KILL_AT" in os.environ:
        point, count = os.environ["KILL_AT"].split(":")
        kill_at(point, int(count))
    keras.utils.set_random_seed(0)
    (x, y), (x_val, y_val) = load_digits()
    x, x_val = x.reshape(-1, 64)[:600], x_val.reshape(-1, 64)
    space = MLPSpace(input_shape=(64,), num_classes=10, max_layers=2, units=(16, 32, 64))
    search = {"evolution": keras_nas.EvolutionarySearch, "reinforce": keras_nas.ReinforceSearch}
    # Evolution shares weights among candidates: the shared weights must follow the trials.
    extra = (
        {"population_size": 3, "sample_size": 2, "weight_sharing": True}
        if strategy == "evolution"
        else {}
    )
    tuner = search[strategy](
        space,
        objective="val_accuracy",
        max_trials=MAX_TRIALS,
        seed=1,
        directory=directory,
        project_name="crash",
        **extra,
    )
    tuner.search(x, y[:600], validation_data=(x_val, y_val), epochs=2, verbose=0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
