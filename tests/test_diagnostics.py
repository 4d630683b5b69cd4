"""Search-space diagnostics: the scores' distribution, marginal effects, edge warnings."""

import json

import pytest

from keras_nas.diagnostics import ScoredTrial, diagnose, diagnostics_json, format_diagnostics

INT_DEPTH = {"class_name": "Int", "config": {"name": "depth", "min_value": 1, "max_value": 4}}
WIDTH = {
    "class_name": "Choice",
    "config": {"name": "width", "values": [8, 16, 32], "ordered": True},
}
OP = {
    "class_name": "Choice",
    "config": {"name": "op", "values": ["conv", "pool"], "ordered": False},
}
RATE = {"class_name": "Float", "config": {"name": "rate", "min_value": 0.0, "max_value": 0.5}}


def trials(rows):
    return [ScoredTrial(str(i), score, values) for i, (values, score) in enumerate(rows)]


def test_distribution_and_effects_are_exact():
    found = diagnose(
        trials(
            [
                ({"op": "conv", "rate": 0.1}, 0.9),
                ({"op": "conv", "rate": 0.2}, 0.7),
                ({"op": "pool", "rate": 0.3}, 0.5),
                ({"op": "pool", "rate": 0.4}, 0.3),
            ]
        ),
        [OP, RATE],
        "max",
    )
    distribution = found.distribution
    assert (distribution.count, distribution.minimum, distribution.maximum) == (4, 0.3, 0.9)
    assert distribution.mean == pytest.approx(0.6)
    assert distribution.std == pytest.approx(0.05**0.5)
    assert (distribution.lower_quartile, distribution.median) == pytest.approx((0.45, 0.6))
    # Means 0.8 and 0.4 around 0.6: between 4 * 0.04 = 0.16 of a total 0.20; within
    # 0.04 over 4 - 2 degrees of freedom, 0.02. Epsilon squared: (0.16 - 0.02) / 0.20.
    [effect] = found.effects  # A Float has no values to group by.
    assert effect.name == "op"
    assert {value: (round(mean, 6), n) for value, (mean, n) in effect.means.items()} == {
        "conv": (0.8, 2),
        "pool": (0.4, 2),
    }
    assert effect.importance == pytest.approx(0.7)
    assert found.edges == []  # Unordered options have no edge.


def test_only_trials_that_read_a_choice_count_for_it():
    rows = [({"depth": 1, "width": 8}, 0.5), ({"depth": 1, "width": 32}, 0.5)]
    rows += [({"depth": 2, "width": 8}, 0.9), ({"depth": 2, "width": 32}, 0.7)]
    rows += [({"depth": 2, "width": 8}, 0.8)]
    active = {str(i): ["depth", "width"] for i in range(2, 5)}
    found = diagnose(
        trials(rows), [INT_DEPTH, WIDTH], "max", {"0": ["depth"], "1": ["depth"], **active}
    )
    width = next(effect for effect in found.effects if effect.name == "width")
    assert {value: (round(mean, 6), n) for value, (mean, n) in width.means.items()} == {
        8: (0.85, 2),
        32: (0.7, 1),
    }


def test_the_edge_warning_fires_at_the_largest_value_and_names_the_fix():
    rows = [({"depth": depth}, 0.2 * depth) for depth in (1, 2, 3, 4, 4, 4, 2, 3)]
    [edge] = diagnose(trials(rows), [INT_DEPTH], "max").edges
    assert (edge.name, edge.value, edge.edge, edge.at_edge, edge.top) == (
        "depth",
        4,
        "largest",
        3,
        3,
    )
    assert edge.message == (
        "The best trials sit at the edge of `depth`: 3 of the 3 best take 4, its largest value. "
        "The best networks may lie beyond it: widen the range of `depth` above 4."
    )


def test_the_edge_warning_fires_at_the_smallest_value_of_a_loss():
    rows = [({"width": width}, width / 8) for width in (8, 8, 8, 16, 32, 16, 32)]
    [edge] = diagnose(trials(rows), [WIDTH], "min").edges
    assert (edge.value, edge.edge) == (8, "smallest")
    assert edge.message.endswith("widen the range of `width` below 8.")


def test_the_edge_warning_stays_quiet_when_the_best_sit_inside_the_range():
    rows = [({"depth": depth}, 1 - abs(depth - 2.5)) for depth in (1, 2, 3, 4) * 5]
    assert diagnose(trials(rows), [INT_DEPTH], "max").edges == []
    # Two of the three best at an edge warn (two thirds), when its trials clearly beat the
    # next value's; one of three does not.
    edge = [({"depth": 4}, score) for score in (0.9, 0.86, 0.85)]
    inside = [({"depth": 3}, score) for score in (0.88, 0.6, 0.61, 0.6, 0.62)]
    assert len(diagnose(trials(edge + inside), [INT_DEPTH], "max").edges) == 1
    rows = [({"depth": 4}, 0.9), ({"depth": 3}, 0.88), ({"depth": 3}, 0.87), ({"depth": 4}, 0.5)]
    assert diagnose(trials(rows), [INT_DEPTH], "max").edges == []


def test_the_edge_warning_stays_quiet_when_the_next_value_does_as_well():
    # Two of the three best take 4, but depth 3 scores as high within the noise.
    edge = [({"depth": 4}, score) for score in (0.9, 0.85, 0.8)]
    inside = [({"depth": 3}, score) for score in (0.88, 0.84, 0.79)]
    low = [({"depth": 1}, score) for score in (0.3, 0.32)]
    assert diagnose(trials(edge + inside + low), [INT_DEPTH], "max").edges == []
    steps = [({"depth": 3}, 0.6), ({"depth": 3}, 0.62)]  # Clearly below: the warning fires.
    assert len(diagnose(trials(edge + steps + low), [INT_DEPTH], "max").edges) == 1


def test_nothing_to_say_without_scored_trials_and_the_json_round_trips():
    rows = [({"depth": 4}, 0.9), ({"depth": 4}, 0.8), ({"depth": 4}, 0.7)]
    empty = diagnose(trials(rows), [INT_DEPTH], "max")  # Three are too few.
    assert (empty.distribution, empty.effects, empty.edges) == (None, [], [])
    assert format_diagnostics(empty) == []
    rows = [({"depth": depth}, 0.2 * depth) for depth in (1, 2, 3, 3, 4, 4, 4)]
    found = diagnose(trials(rows), [INT_DEPTH], "max")
    record = json.loads(json.dumps(diagnostics_json(found)))
    assert record["effects"][0]["means"][0] == [1, pytest.approx(0.2), 1]
    assert record["edges"][0]["value"] == 4
    lines = format_diagnostics(found)
    assert lines[0] == "Search space:"
    assert lines[-1].startswith("  Warning: The best trials sit at the edge of `depth`")


def test_the_random_control_gives_the_relative_improvement_at_equal_trials():
    rows = [({"depth": 1}, 0.5), ({"depth": 2}, 0.9), ({"depth": 3}, 0.95), ({"depth": 2}, 1.0)]
    found = diagnose(trials(rows), [INT_DEPTH], "max", control=["0", "3"])
    compared = found.control
    assert (compared.strategy_trials, compared.strategy_best) == (2, 0.95)
    assert (compared.control_trials, compared.control_best) == (2, 1.0)
    # The best of 2 draws from {0.5, 1.0}: 0.5 with probability 1/4.
    assert compared.expected_random_best == pytest.approx(0.875)
    assert compared.relative_improvement == pytest.approx(100 * (0.95 - 0.875) / 0.875)
    lines = format_diagnostics(found)
    assert "  Random control: 2 trials, best 1.0000; the strategy: 2 trials, best 0.9500" in lines
    assert lines[-1] == (
        "  Random sampling's expected best in 2 trials: 0.8750; relative improvement of the "
        "strategy: +8.57%"
    )
    loss = diagnose(trials(rows), [INT_DEPTH], "min", control=["0", "3"]).control
    # Lower is better: the best of 2 draws from {0.5, 1.0} is 1.0 with probability 1/4.
    assert loss.expected_random_best == pytest.approx(0.625)
    assert loss.relative_improvement == pytest.approx(100 * (0.625 - 0.9) / 0.625)
    assert diagnose(trials(rows), [INT_DEPTH], "max").control is None
    # An initial architecture is not the strategy's find: left out of the comparison.
    mixed = diagnose(trials(rows), [INT_DEPTH], "max", control=["0", "3"], initial=["2"]).control
    assert (mixed.strategy_trials, mixed.strategy_best) == (1, 0.9)


def test_a_choice_of_two_values_never_warns_nor_does_the_value_sampled_most():
    two = {"class_name": "Choice", "config": {"name": "kernel", "values": [3, 5], "ordered": True}}
    rows = [({"kernel": 5}, 0.9), ({"kernel": 5}, 0.8), ({"kernel": 3}, 0.7), ({"kernel": 5}, 0.6)]
    assert diagnose(trials(rows), [two], "max").edges == []
    # The best three all at depth 4, but so are all the trials: nothing to widen towards.
    rows = [({"depth": 4}, score) for score in (0.9, 0.8, 0.7, 0.6, 0.5)]
    assert diagnose(trials(rows), [INT_DEPTH], "max").edges == []


def test_a_wide_int_range_is_grouped_by_the_values_taken():
    wide = {"class_name": "Int", "config": {"name": "units", "min_value": 1, "max_value": 2**40}}
    rows = [({"units": units}, units / 100) for units in (10, 10, 20, 20, 2**40)]
    found = diagnose(trials(rows), [wide], "max")
    assert list(found.effects[0].means) == [10, 20, 2**40]
