"""The oracle's state files: atomic, repaired after a crash, and clear errors when they cannot
be read (corrupt, truncated, another version), which leave the file as it was."""

import json
import os

import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.files import StateFileError
from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from keras_nas.oracles.state_files import STATE_FORMAT
from tests.messages import assert_mentions, raises_mentioning
from tests.oracles.toy import finish, make_oracle, run


def _saved(tmp_path, oracle_class=RegularizedEvolutionOracle, trials=3, **kwargs):
    kwargs.setdefault("seed", 1)
    oracle = make_oracle(tmp_path, "project", oracle_class, max_trials=10, **kwargs)
    run(oracle, trials)
    oracle.save()
    return oracle, os.path.join(str(tmp_path), "project")


def _edit_state(project, edit):
    """Rewrites the project's `oracle.json` with `edit(state)` applied."""
    path = os.path.join(project, "oracle.json")
    with open(path) as file:
        state = json.load(file)
    edit(state)
    with open(path, "w") as file:
        json.dump(state, file)
    return path


def _reloaded(tmp_path, oracle_class=RegularizedEvolutionOracle, **kwargs):
    kwargs.setdefault("seed", 1)
    oracle = make_oracle(tmp_path, "project", oracle_class, max_trials=10, **kwargs)
    oracle.reload()
    return oracle


@pytest.mark.parametrize("content", ["", '{"ongoing_trials": {', "\x00\xff\xfe"])
def test_a_corrupt_oracle_file_is_a_clear_error_and_is_left_as_it_is(tmp_path, content):
    _, project = _saved(tmp_path)
    path = os.path.join(project, "oracle.json")
    with open(path, "w", encoding="latin-1") as file:
        file.write(content)

    with raises_mentioning(
        StateFileError,
        "oracle state file",
        repr(path),
        "corrupt",
        "left it as it is",
        "overwrite=True",
    ):
        _reloaded(tmp_path)
    with open(path, encoding="latin-1") as file:
        assert file.read() == content


def test_a_truncated_trial_file_names_that_file(tmp_path):
    _, project = _saved(tmp_path)
    path = os.path.join(project, "trial_01", "trial.json")
    with open(path) as file:
        text = file.read()
    with open(path, "w") as file:
        file.write(text[: len(text) // 2])

    with raises_mentioning(StateFileError, "trial file", repr(path), "corrupt"):
        _reloaded(tmp_path)


def test_a_state_from_a_newer_keras_nas_says_to_upgrade(tmp_path):
    _, project = _saved(tmp_path)
    _edit_state(
        project,
        lambda state: state.update(
            keras_nas={"version": "9.0.0", "state_format": STATE_FORMAT + 1}
        ),
    )

    with raises_mentioning(
        StateFileError,
        repr(project),
        "keras-nas 9.0.0",
        f"({STATE_FORMAT + 1})",
        "keras-nas 0.1.0",
        f"({STATE_FORMAT})",
        "pip install --upgrade keras-nas",
        "`overwrite=True`",
    ):
        _reloaded(tmp_path)


def test_an_older_state_without_a_needed_entry_names_the_entry_and_version(tmp_path):
    _, project = _saved(tmp_path)
    # As written before keras-nas recorded either.
    path = _edit_state(project, lambda state: _drop(state, "keras_nas", "rng_state"))

    with raises_mentioning(
        StateFileError,
        repr(path),
        "did not record its version",
        "'rng_state'",
        "keras-nas 0.1.0",
        "left it as it is",
        "the keras-nas that started it",
        "`overwrite=True`",
    ):
        _reloaded(tmp_path)


def test_an_older_state_with_every_needed_entry_loads(tmp_path):
    oracle, project = _saved(tmp_path)
    _edit_state(
        project, lambda state: _drop(state, "keras_nas", "arguments", "requeued", "stopped_early")
    )

    reloaded = _reloaded(tmp_path)
    assert reloaded.end_order == oracle.end_order
    assert reloaded.populate_space("x") == oracle.populate_space("x")


def test_a_changed_argument_warns_and_says_which_value_wins(tmp_path):
    _saved(tmp_path, population_size=4, sample_size=2, seed=1)
    with pytest.warns(UserWarning) as warned:
        reloaded = _reloaded(tmp_path, population_size=6, sample_size=2, seed=2)
    messages = [str(w.message) for w in warned]
    assert len(messages) == 2
    [population] = [message for message in messages if "`population_size`" in message]
    assert_mentions(population, "is 6 now", "was 4", "constructor's value (6)")
    [seed] = [message for message in messages if "`seed`" in message]
    assert_mentions(
        seed, "is 2 now", "was 1", "saved random state wins", "`overwrite=True`", "seed=2"
    )
    assert reloaded.population_size == 6
    assert reloaded.seed == 1


def test_unchanged_or_unset_arguments_do_not_warn(tmp_path, recwarn):
    _saved(tmp_path, ReinforceOracle, learning_rate=0.1, seed=4)
    _reloaded(tmp_path, ReinforceOracle, learning_rate=0.1, seed=None)
    assert [str(w.message) for w in recwarn.list if w.category is UserWarning] == []


def test_a_trial_created_but_not_recorded_is_forgotten_and_proposed_again(tmp_path):
    oracle, project = _saved(tmp_path)
    path = os.path.join(project, "oracle.json")
    with open(path) as file:
        before = file.read()
    created = oracle.create_trial("tuner0")
    # The crash came between the new trial's trial.json and oracle.json.
    with open(path, "w") as file:
        file.write(before)

    reloaded = _reloaded(tmp_path)
    assert created.trial_id not in reloaded.trials
    again = reloaded.create_trial("tuner0")
    assert again.trial_id == created.trial_id
    assert again.hyperparameters.values == created.hyperparameters.values


def test_a_running_trial_runs_again_from_scratch_and_an_ended_one_does_not(tmp_path):
    oracle, _ = _saved(tmp_path)
    running = oracle.create_trial("tuner0")
    oracle.update_trial(running.trial_id, {"score": 5.0}, step=0)
    oracle.save()

    reloaded = _reloaded(tmp_path)
    again = reloaded.create_trial("tuner0")
    assert again.trial_id == running.trial_id
    assert again.status == TrialStatus.RUNNING
    assert not again.metrics.exists("score") and again.score is None
    finish(reloaded, again, 1.0)
    # `Oracle.end_trial` saves while the trial is still listed as running: reloaded then,
    # the trial has ended and is not run again.
    after_end = _reloaded(tmp_path)
    assert after_end.end_order.count(running.trial_id) == 1
    assert after_end.trials[running.trial_id].score == 1.0
    assert after_end.create_trial("tuner0").trial_id != running.trial_id


def _drop(state, *names):
    for name in names:
        del state[name]
