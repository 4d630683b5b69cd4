"""Resuming a search from its project directory: what a tuner reads when it is made, and the
errors it raises there, before any training."""

import json
import os

import keras_tuner
from keras_tuner.engine.trial import TrialStatus

import keras_nas
from keras_nas.files import StateFileError
from keras_nas.search_spaces import MLPSpace
from tests.messages import raises_mentioning


def _tuner(directory, **kwargs):
    space = MLPSpace(input_shape=(64,), num_classes=10, max_layers=1)
    return keras_nas.EvolutionarySearch(
        space, objective="val_accuracy", max_trials=5, seed=0, directory=str(directory), **kwargs
    )


def _start_one_trial(directory):
    """A search that created its first trial (which writes no state file)."""
    tuner = _tuner(directory)
    trial = tuner.oracle.create_trial(tuner.tuner_id)
    return tuner, trial


def test_a_directory_that_cannot_be_written_is_an_error_before_any_training(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    folder = os.path.join(str(blocker / "runs"), "digits")
    with raises_mentioning(
        ValueError,
        "`directory`",
        f"directory={str(blocker / 'runs')!r}, project_name='digits'",
        repr(folder),
        "NotADirectoryError",
        "writable",
    ):
        _tuner(blocker / "runs", project_name="digits")


def test_a_crash_before_the_tuners_first_save_still_resumes(tmp_path):
    tuner, trial = _start_one_trial(tmp_path)
    tuner.oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5})
    trial.status = TrialStatus.COMPLETED
    tuner.oracle.end_trial(trial)  # Writes oracle.json; the crash comes before tuner0.json.
    project = tmp_path / "untitled_project"
    assert (project / "oracle.json").exists() and not (project / "tuner0.json").exists()

    resumed = _tuner(tmp_path)
    assert list(resumed.oracle.trials) == [trial.trial_id]
    assert resumed.oracle.trials[trial.trial_id].status == TrialStatus.COMPLETED
    assert resumed.oracle.create_trial(resumed.tuner_id).trial_id != trial.trial_id


def test_a_crash_during_the_first_trial_starts_it_again(tmp_path):
    _, trial = _start_one_trial(tmp_path)
    assert not (tmp_path / "untitled_project" / "oracle.json").exists()  # Nothing recorded.

    resumed = _tuner(tmp_path)
    assert list(resumed.oracle.trials) == []
    again = resumed.oracle.create_trial(resumed.tuner_id)
    assert again.trial_id == trial.trial_id
    assert again.hyperparameters.values == trial.hyperparameters.values


def test_a_corrupt_tuner_file_is_a_clear_error_and_is_left_as_it_is(tmp_path):
    tuner, _ = _start_one_trial(tmp_path)
    tuner.save()
    path = tmp_path / "untitled_project" / "tuner0.json"
    path.write_text("{")
    with raises_mentioning(StateFileError, "tuner state file", repr(str(path)), "corrupt"):
        _tuner(tmp_path)
    assert path.read_text() == "{"


def test_state_files_are_replaced_whole(tmp_path):
    tuner, trial = _start_one_trial(tmp_path)
    tuner.oracle.update_trial(trial.trial_id, {"val_accuracy": 0.5})
    trial.status = TrialStatus.COMPLETED
    tuner.oracle.end_trial(trial)
    tuner.save()
    project = tmp_path / "untitled_project"
    # No temporary file is left behind, and every state file is complete JSON.
    names = sorted(str(path.relative_to(project)) for path in project.rglob("*"))
    assert [name for name in names if os.path.basename(name).startswith(".")] == []
    for name in ("oracle.json", "tuner0.json", os.path.join("trial_0", "trial.json")):
        with open(project / name) as file:
            json.load(file)
    saved = keras_tuner.engine.trial.Trial.load(str(project / "trial_0" / "trial.json"))
    assert (saved.status, saved.score) == (TrialStatus.COMPLETED, 0.5)
