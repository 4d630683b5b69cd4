"""Tests of `keras-nas export` and `keras_nas.export`: a trial of a search as a `.keras` file."""

import json
import os
import shutil
import warnings

import keras
import pytest

from keras_nas import EvolutionarySearch, cli, export
from keras_nas.datasets import load_digits
from keras_nas.search_spaces import MLPSpace
from keras_nas.tuners.best_weights import BEST_WEIGHTS_FILE
from tests.messages import assert_mentions
from tests.one_shot_search import finished_one_shot_search


@pytest.fixture(scope="module")
def digits():
    (x, y), (x_val, y_val) = load_digits()
    return (x.reshape(-1, 64), y), (x_val.reshape(-1, 64), y_val)


@pytest.fixture(scope="module")
def search(digits, tmp_path_factory):
    """A finished search of two MLPs on digits, one epoch each."""
    (x, y), validation = digits
    tuner = EvolutionarySearch(
        MLPSpace(input_shape=(64,), num_classes=10),
        objective="val_accuracy",
        max_trials=2,
        seed=0,
        directory=str(tmp_path_factory.mktemp("runs")),
        project_name="digits",
    )
    tuner.search(x, y, validation_data=validation, epochs=1, verbose=0)
    return tuner


@pytest.fixture
def project(search, tmp_path):
    """A copy of the search's project folder, to spoil."""
    return shutil.copytree(search.project_dir, tmp_path / "digits")


def load_strictly(path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return keras.saving.load_model(path, safe_mode=True)


def test_exports_the_best_trial_with_its_weights(search, digits, tmp_path):
    path = str(tmp_path / "best.keras")
    plan = export.export_best_model(search.project_dir, path)
    best = search.oracle.get_best_trials(1)[0]
    assert plan.trial.score == best.score

    model = load_strictly(path)
    assert model.optimizer.built
    _, (x_val, y_val) = digits
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    assert accuracy == pytest.approx(best.score, abs=1e-6)


def test_command_exports_the_trial_asked_for(search, digits, tmp_path, capsys):
    trial = search.oracle.trials["1"]
    path = str(tmp_path / "trial_1.keras")
    assert cli.main(["export", search.project_dir, "--out", path, "--trial", "1"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    assert_mentions(out, "trial 1", f"val_accuracy {trial.score:.4f}", path)
    _, (x_val, y_val) = digits
    _, accuracy = load_strictly(path).evaluate(x_val, y_val, verbose=0)
    assert accuracy == pytest.approx(trial.score, abs=1e-6)


def test_the_search_record_names_the_space_and_its_config(search):
    with open(os.path.join(search.project_dir, "search.json")) as file:
        record = json.load(file)
    assert record["space_class"] == "keras_nas.search_spaces.mlp.MLPSpace"
    assert MLPSpace.from_config(record["space_config"]).get_config() == record["space_config"]


def edit_search_record(project, **changes):
    path = os.path.join(project, "search.json")
    with open(path) as file:
        record = json.load(file)
    record.update(changes)
    with open(path, "w") as file:
        json.dump({name: value for name, value in record.items() if value is not None}, file)


def run_export(capsys, *args):
    status = cli.main(["export", *map(str, args)])
    return status, capsys.readouterr().err


def test_a_search_of_another_hypermodel_is_refused_with_a_way_out(project, tmp_path, capsys):
    edit_search_record(project, space_class=None, space_config=None)
    status, err = run_export(capsys, project, "--out", tmp_path / "m.keras")
    assert status == 2
    assert_mentions(err, "keras-nas search spaces", "tuner.get_best_models(1)[0].save(path)")
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.parametrize(
    "space_class, reason",
    [
        ("keras_nas.no_such_module.Space", "cannot import"),
        ("json.JSONDecoder", "not one of keras-nas's"),
        ("keras_nas.files.StateFileError", "not a keras-nas search space"),
    ],
)
def test_a_space_that_cannot_be_rebuilt_exits_1(project, tmp_path, capsys, space_class, reason):
    edit_search_record(project, space_class=space_class)
    status, err = run_export(capsys, project, "--out", tmp_path / "m.keras")
    assert (status, err.startswith("keras-nas export: error: ")) == (1, True)
    assert_mentions(err, space_class, reason, "tuner.get_best_models(1)[0].save(path)")


def test_weights_of_another_architecture_exit_1(project, tmp_path, capsys):
    edit_search_record(project, space_config={"input_shape": [64], "num_classes": 3})
    status, err = run_export(capsys, project, "--out", tmp_path / "m.keras")
    assert status == 1
    assert_mentions(err, "do not fit", "keras_nas.search_spaces.mlp.MLPSpace")


def test_a_trial_without_weights_or_not_completed_is_refused(project, tmp_path, capsys):
    os.remove(os.path.join(project, "trial_1", BEST_WEIGHTS_FILE))
    status, err = run_export(capsys, project, "--out", tmp_path / "m.keras", "--trial", "1")
    assert status == 2 and "trial 1 kept no weights" in err

    state_path = os.path.join(project, "trial_0", "trial.json")
    with open(state_path) as file:
        state = json.load(file)
    state.update(status="FAILED", score=None)
    with open(state_path, "w") as file:
        json.dump(state, file)
    status, err = run_export(capsys, project, "--out", tmp_path / "m.keras", "--trial", "0")
    assert status == 2
    assert_mentions(err, "trial 0 is failed", "completed")


@pytest.mark.parametrize(
    "out, facts",
    [
        ("model.h5", ("--out", "end in .keras", "model.h5")),
        ("missing/model.keras", ("--out", "{tmp}/missing", "does not exist")),
        ("folder.keras", ("--out", "folder.keras", "is a folder")),
    ],
)
def test_a_wrong_out_path_is_refused(project, tmp_path, capsys, out, facts):
    (tmp_path / "folder.keras").mkdir()
    status, err = run_export(capsys, project, "--out", tmp_path / out)
    assert status == 2
    assert_mentions(err, *(fact.format(tmp=tmp_path) for fact in facts))


def test_a_folder_that_is_not_a_project_is_refused(tmp_path, capsys):
    status, err = run_export(capsys, tmp_path, "--out", tmp_path / "m.keras")
    assert status == 2 and "is not a project folder" in err


def test_export_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    text = capsys.readouterr().out
    for option in ["DIR", "--out", "FILE.keras", "--trial", ".keras"]:
        assert option in text


def test_exports_a_one_shot_trial_with_the_weights_it_was_scored_with(tmp_path):
    import numpy as np

    tuner, validation = finished_one_shot_search(tmp_path)
    path = str(tmp_path / "best.keras")
    assert cli.main(["export", tuner.project_dir, "--out", path]) == 0  # It said: no weights.

    expected = tuner.get_best_models(1)[0].predict(validation[0][:8], verbose=0)
    exported = load_strictly(path).predict(validation[0][:8], verbose=0)
    np.testing.assert_allclose(exported, expected, rtol=1e-6)
