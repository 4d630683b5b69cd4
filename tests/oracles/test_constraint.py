"""`NASOracle.constraint`: candidates that break it are never proposed, and a space with no
candidate left within it ends the search with a message."""

import pytest
from keras_tuner.engine.trial import TrialStatus

from keras_nas.oracles import RegularizedEvolutionOracle, ReinforceOracle
from tests.messages import assert_mentions
from tests.oracles.toy import flat_space, make_oracle, run


def _first_op_must_be_a(values):
    return None if values["op_0"] == "a" else f"op_0={values['op_0']}, not 'a'"


@pytest.mark.parametrize("oracle_class", [RegularizedEvolutionOracle, ReinforceOracle])
def test_no_proposed_candidate_breaks_the_constraint(tmp_path, oracle_class):
    oracle = make_oracle(tmp_path, "kept", oracle_class, max_trials=30, seed=0)
    oracle.constraint = _first_op_must_be_a
    proposed = run(oracle, 30)

    assert len(proposed) == 30
    assert {values["op_0"] for values in proposed} == {"a"}
    assert oracle.rejected and all("not 'a'" in reason for reason in oracle.rejected.values())
    assert all(t.status == TrialStatus.COMPLETED for t in oracle.trials.values())


def test_a_search_whose_constraint_leaves_too_few_candidates_stops_with_a_message(tmp_path, capsys):
    # 2 hyperparameters of 2 values: 4 architectures, of which 2 keep op_0 == "a".
    oracle = make_oracle(
        tmp_path,
        "exhausted",
        RegularizedEvolutionOracle,
        max_trials=4,
        seed=0,
        hyperparameters=flat_space(num_hps=2, num_values=2),
        population_size=2,
        sample_size=2,
    )
    oracle.constraint = _first_op_must_be_a
    proposed = run(oracle, 4)

    assert sorted(values["op_1"] for values in proposed) == ["a", "b"]
    assert oracle.create_trial("tuner0").status == TrialStatus.STOPPED
    assert_mentions(
        capsys.readouterr().err,
        "No untried candidate",
        "after 2 trials",
        "2 candidates were rejected",
        "op_0=b, not 'a'",
    )
