"""Reproducible searches: `deterministic=True` and the run manifest."""

import json
import warnings

import numpy as np
import pytest

from keras_nas import EvolutionarySearch, OneShotSearch, cli
from keras_nas.datasets import load_digits
from keras_nas.search_spaces import MLPSpace, NASBench201Space
from keras_nas.tuners import manifest
from tests.messages import assert_mentions, raises_mentioning


def _digits():
    (x, y), (x_val, y_val) = load_digits()
    return x.reshape(-1, 64), y, x_val.reshape(-1, 64), y_val


def _search(directory, name, *, seed=0, x=None, **kwargs):
    x_train, y, x_val, y_val = _digits()
    tuner = EvolutionarySearch(
        MLPSpace(input_shape=(64,), num_classes=10),
        objective="val_accuracy",
        max_trials=kwargs.pop("max_trials", 3),
        seed=seed,
        directory=str(directory),
        project_name=name,
        **kwargs,
    )
    tuner.search(
        x_train if x is None else x,
        y,
        validation_data=(x_val, y_val),
        epochs=2,
        batch_size=64,
        verbose=0,
    )
    return tuner


def _trials(tuner):
    return [
        (trial_id, trial.hyperparameters.values, trial.score)
        for trial_id, trial in sorted(tuner.oracle.trials.items())
    ]


def test_two_deterministic_runs_give_the_same_trials_and_scores(tmp_path):
    # The seeds are the tuner's, whatever the strategy: evolution stands for all of them.
    first = _trials(_search(tmp_path, "first", deterministic=True))
    second = _trials(_search(tmp_path, "second", deterministic=True))
    assert first == second  # Exact: the same values, the same float scores.
    assert len({json.dumps(values, sort_keys=True) for _, values, _ in first}) == 3
    other_seed = _trials(_search(tmp_path, "other", seed=1, deterministic=True))
    assert other_seed != first


def test_deterministic_is_a_bool():
    with raises_mentioning(ValueError, "`deterministic` must be True or False", "'yes'"):
        EvolutionarySearch(MLPSpace(input_shape=(64,), num_classes=10), deterministic="yes")


def test_a_parallel_search_refuses_deterministic(tmp_path, monkeypatch):
    # A chief: refused in `search`, before it serves anything.
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "8000")
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "chief")
    with raises_mentioning(ValueError, "deterministic=True", "parallel search", "keras-nas launch"):
        _search(tmp_path, "parallel", deterministic=True)


def test_a_search_resumed_with_another_deterministic_is_refused(tmp_path):
    _search(tmp_path, "switch", max_trials=1)
    with raises_mentioning(ValueError, "deterministic=False", "resumed with deterministic=True"):
        _search(tmp_path, "switch", max_trials=2, deterministic=True)


def _supernet_search(search_class, directory, name, **kwargs):
    (x, y), (x_val, y_val) = load_digits()
    space = NASBench201Space(
        input_shape=(8, 8, 1),
        num_classes=10,
        cells_per_stage=1,
        channels=4,
        operations=("skip_connect", "nor_conv_1x1"),
    )
    tuner = search_class(
        space, directory=str(directory), project_name=name, deterministic=True, **kwargs
    )
    tuner.search(x[:128], y[:128], validation_data=(x_val[:64], y_val[:64]), verbose=0)
    return tuner


def test_two_deterministic_supernet_searches_give_the_same_trials_and_scores(tmp_path):
    # OneShotSearch stands for DifferentiableSearch too: both seed their supernet through
    # `SupernetSearch.seed_supernet` before they build it (35 s more to run both here).
    first = _supernet_search(OneShotSearch, tmp_path, "first", max_trials=2, supernet_epochs=1)
    seed = first.seed  # The oracle's, since none was given.
    second = _supernet_search(
        OneShotSearch, tmp_path, "second", max_trials=2, supernet_epochs=1, seed=seed
    )
    assert _trials(first) == _trials(second)  # Exact, as in a multi-trial search.
    trial = sorted(first.oracle.trials)[0]
    assert all(
        np.array_equal(a, b)  # The supernets trained to the same weights, bit for bit.
        for a, b in zip(
            first.load_model(first.oracle.trials[trial]).get_weights(),
            second.load_model(second.oracle.trials[trial]).get_weights(),
            strict=True,
        )
    )


def test_the_manifest_records_versions_seed_settings_data_and_devices(tmp_path):
    tuner = _search(tmp_path, "recorded", max_trials=1)
    record = json.loads((tmp_path / "recorded" / "manifest.json").read_text())
    assert set(record["versions"]) == {"python", *manifest.PACKAGES}
    assert record["versions"]["tensorflow"].startswith("2.")
    assert record["seed"] == 0 and record["deterministic"] is False
    assert record["strategy"]["oracle"] == "RegularizedEvolutionOracle"
    assert record["strategy"]["arguments"]["seed"] == 0
    assert record["space"] == {"class": "MLPSpace", "config": tuner.hypermodel.get_config()}
    assert record["fit"] == {"epochs": 2, "batch_size": 64, "callbacks": []}
    assert record["objective"] == {"name": "val_accuracy", "direction": "max"}
    assert (record["weight_sharing"], record["executions_per_trial"]) == (False, 1)
    assert record["data"]["sample_weight"] is None
    x, y, x_val, _ = _digits()
    assert record["data"]["x"]["shape"] == list(x.shape)
    assert record["data"]["x"]["dtype"] == str(x.dtype)
    assert record["data"]["y"]["sha256"] == manifest.data_fingerprint(y)["sha256"]
    assert record["data"]["validation_data"][0]["shape"] == list(x_val.shape)
    assert any(device.startswith("CPU:") for device in record["devices"])


def test_a_resumed_search_with_the_same_inputs_is_silent(tmp_path):
    _search(tmp_path, "same", max_trials=1)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*differs from its manifest.*")
        _search(tmp_path, "same", max_trials=2)
    assert "resumes" not in json.loads((tmp_path / "same" / "manifest.json").read_text())


def test_a_resumed_search_on_other_data_or_versions_says_what_changed(tmp_path, monkeypatch):
    _search(tmp_path, "changed", max_trials=1)
    path = tmp_path / "changed" / "manifest.json"
    recorded = json.loads(path.read_text())
    versions = dict(recorded["versions"], keras="9.9.9")
    monkeypatch.setattr(manifest, "package_versions", lambda: versions)
    x = _digits()[0].copy()
    x[0, 0] += 1.0  # One value of the first example: in the hashed sample.
    with pytest.warns(UserWarning, match="differs from its manifest") as caught:
        _search(tmp_path, "changed", max_trials=2, x=x)
    message = next(str(w.message) for w in caught if "manifest" in str(w.message))
    assert f"keras {recorded['versions']['keras']}, now 9.9.9" in message
    assert "data x: the same shape and dtype, other values" in message
    after = json.loads(path.read_text())
    assert after["versions"] == recorded["versions"]  # What the first trial ran with.
    assert after["resumes"][0]["changes"] == [
        f"keras {recorded['versions']['keras']}, now 9.9.9",
        "data x: the same shape and dtype, other values (its sample hash changed)",
    ]


def test_fingerprints_of_shapes_datasets_and_other_inputs():
    import tensorflow as tf

    array = np.arange(12, dtype="float32").reshape(6, 2)
    assert manifest.data_fingerprint(array)["shape"] == [6, 2]
    assert manifest.data_fingerprint(array) != manifest.data_fingerprint(array.reshape(3, 4))
    dataset = tf.data.Dataset.from_tensor_slices(array).batch(2)
    assert manifest.data_fingerprint(dataset) == {
        "type": "tf.data.Dataset",
        "element_spec": str(dataset.element_spec),
        "cardinality": 3,
    }
    assert manifest.data_fingerprint(iter([1])) == {"type": "list_iterator"}
    assert manifest.data_fingerprint({"b": array, "a": None}) == {
        "a": None,
        "b": manifest.data_fingerprint(array),
    }


def digits_flat():
    """`--data` for `keras-nas reproduce`: the digits as the searches here train on them."""
    x, y, x_val, y_val = _digits()
    return (x, y), (x_val, y_val)


@pytest.fixture(scope="module")
def deterministic_search(tmp_path_factory):
    return _search(tmp_path_factory.mktemp("reproduce"), "det", deterministic=True, max_trials=2)


def test_a_deterministic_trial_reproduces_exactly(deterministic_search):
    x, y, x_val, y_val = _digits()
    result = deterministic_search.reproduce("1", x, y, validation_data=(x_val, y_val))
    recorded = deterministic_search.oracle.trials["1"].metrics.get_best_value("val_accuracy")
    assert (result.trial_id, result.objective, result.epochs) == ("1", "val_accuracy", 2)
    assert result.recorded == recorded and result.reproduced == recorded
    assert result.identical and result.deterministic
    assert str(result).endswith("(identical), 2 epochs")


def test_keras_nas_reproduce_retrains_a_trial_from_the_files(deterministic_search, capsys):
    directory = deterministic_search.project_dir
    data = "tests.tuners.test_reproducibility:digits_flat"
    assert cli.main(["reproduce", directory, "--trial", "0", "--data", data]) == 0
    assert capsys.readouterr().out.strip().endswith("(identical), 2 epochs")


def test_keras_nas_reproduce_names_what_is_wrong(deterministic_search, capsys):
    directory = deterministic_search.project_dir
    data = "tests.tuners.test_reproducibility:digits_flat"
    assert cli.main(["reproduce", directory, "--trial", "7", "--data", data]) == 2
    assert_mentions(capsys.readouterr().err, "no trial '7'", "['0', '1']")
    assert cli.main(["reproduce", directory, "--trial", "0", "--data", "nowhere:load"]) == 2
    assert_mentions(capsys.readouterr().err, "--data nowhere:load", "cannot import", "MODULE")
    assert cli.main(["reproduce", directory, "--trial", "0", "--data", "keras_nas:__doc__"]) == 2
    assert_mentions(capsys.readouterr().err, "is not a function")


def test_reproducing_with_other_data_is_refused_before_training(deterministic_search):
    x, y, x_val, y_val = _digits()
    with raises_mentioning(ValueError, "differ from those the search trained on", "data y"):
        deterministic_search.reproduce("0", x, (y + 1) % 10, validation_data=(x_val, y_val))


def test_a_search_that_was_not_deterministic_says_so(tmp_path):
    tuner = _search(tmp_path, "plain", max_trials=1)
    x, y, x_val, y_val = _digits()
    result = tuner.reproduce("0", x, y, validation_data=(x_val, y_val))
    assert not result.deterministic
    assert str(result).endswith("; the search was not deterministic=True")


def test_the_retraining_takes_the_recorded_settings_and_warns_of_missing_callbacks(tmp_path):
    import keras

    x, y, x_val, y_val = _digits()
    tuner = EvolutionarySearch(
        MLPSpace(input_shape=(64,), num_classes=10),
        objective="val_accuracy",
        max_trials=1,
        seed=0,
        deterministic=True,
        directory=str(tmp_path),
        project_name="weighted",
    )
    weights = {k: 1.0 + k for k in range(10)}
    fit = dict(validation_data=(x_val, y_val), epochs=2, class_weight=weights, verbose=0)
    tuner.search(x, y, callbacks=[keras.callbacks.TerminateOnNaN()], **fit)
    record = json.loads((tmp_path / "weighted" / "manifest.json").read_text())
    assert record["fit"]["class_weight"] == {str(k): w for k, w in weights.items()}
    with pytest.warns(UserWarning, match=r"callbacks \['TerminateOnNaN'\]"):
        result = tuner.reproduce("0", x, y, validation_data=(x_val, y_val))
    assert result.identical  # The class weights came back with integer keys.


def test_trials_that_cannot_be_retrained_alone_are_refused(tmp_path):
    x, y, x_val, y_val = _digits()
    shared = _search(tmp_path, "shared", max_trials=1, weight_sharing=True)
    with raises_mentioning(ValueError, "weight sharing", "cannot be retrained on its own"):
        shared.reproduce("0", x, y, validation_data=(x_val, y_val))
    twice = _search(tmp_path, "twice", max_trials=1, executions_per_trial=2)
    with raises_mentioning(ValueError, "2 times", "executions_per_trial=1"):
        twice.reproduce("0", x, y, validation_data=(x_val, y_val))
    old = _search(tmp_path, "old", max_trials=1)
    (tmp_path / "old" / "manifest.json").unlink()
    with raises_mentioning(ValueError, "manifest.json does not exist", "without run manifests"):
        old.reproduce("0", x, y, validation_data=(x_val, y_val))
