"""Pareto tools: properties against brute force on random points, and hand-worked examples.

The brute-force references are written here from the definitions: a point dominates another
if it is at least as good in every objective and better in one; the hypervolume is the
volume of the union of boxes, summed over the cells of a grid through every coordinate.
"""

import itertools
import math

import keras_tuner
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras_tuner.src.engine import objective as objective_module

from keras_nas.objectives import (
    Objective,
    crowding_distance,
    hypervolume,
    non_dominated_sort,
    nsga2_rank,
    nsga2_select,
    pareto_front,
)
from tests.messages import raises_mentioning

INF = math.inf
NAN = math.nan


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    """Overrides the suite's fixture: nothing here uses Keras, so no session to clear.

    Clearing a session costs about 0.15 s (a garbage collection), more than most tests here.
    """
    yield


def raises(*facts):
    """`pytest.raises` of a ValueError whose message holds each of `facts`."""
    return raises_mentioning(ValueError, *facts)


# Brute-force references.


def sign(direction):
    return 1.0 if direction == "max" else -1.0


def is_finite(point):
    return all(value is not None and math.isfinite(value) for value in point)


def dominates(a, b, directions):
    if not (is_finite(a) and is_finite(b)):
        return False
    pairs = [(sign(d) * x, sign(d) * y) for x, y, d in zip(a, b, directions, strict=True)]
    return all(x >= y for x, y in pairs) and any(x > y for x, y in pairs)


def brute_front(points, directions):
    return [
        i
        for i, point in enumerate(points)
        if is_finite(point) and not any(dominates(other, point, directions) for other in points)
    ]


def grid_volume(points, directions, reference):
    """The union of the boxes, summed over the cells of the grid through every coordinate."""
    boxes = [
        [sign(d) * (x - r) for x, r, d in zip(point, reference, directions, strict=True)]
        for point in points
        if is_finite(point)
    ]
    boxes = [box for box in boxes if all(gain > 0 for gain in box)]
    axes = [sorted({0.0, *(box[axis] for box in boxes)}) for axis in range(len(directions))]
    volume = 0.0
    for cell in itertools.product(*(range(1, len(axis)) for axis in axes)):
        upper = [axes[axis][i] for axis, i in enumerate(cell)]
        if any(
            all(gain >= corner for gain, corner in zip(box, upper, strict=True)) for box in boxes
        ):
            volume += math.prod(axes[axis][i] - axes[axis][i - 1] for axis, i in enumerate(cell))
    return volume


# Strategies: few distinct values, so that ties and duplicates are common; some missing.

directions_lists = st.lists(st.sampled_from(["min", "max"]), min_size=1, max_size=4)
tied_values = st.integers(0, 4).map(float)
missing_values = st.sampled_from([None, NAN, INF, -INF])


@st.composite
def problems(draw, values=tied_values, max_points=12, directions=directions_lists):
    directions = draw(directions)
    value = values | missing_values if draw(st.booleans()) else values
    point = st.lists(value, min_size=len(directions), max_size=len(directions))
    return draw(st.lists(point, max_size=max_points)), directions


spread_values = st.floats(-10.0, 10.0) | tied_values


@st.composite
def volume_problems(draw, dimensions, max_points):
    """Points in [-10, 10] and a reference near the worst corner, which most points beat."""
    directions = draw(
        st.lists(st.sampled_from(["min", "max"]), min_size=dimensions, max_size=dimensions)
    )
    point = st.lists(spread_values, min_size=dimensions, max_size=dimensions)
    points = draw(st.lists(point | st.just([None] * dimensions), max_size=max_points))
    reference = [-sign(d) * draw(st.floats(8.0, 11.0)) for d in directions]
    return points, directions, reference


# Properties.


@settings(max_examples=60, deadline=None)
@given(problems())
def test_pareto_front_is_the_points_that_nothing_dominates(problem):
    points, directions = problem
    assert pareto_front(points, directions) == brute_front(points, directions)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_non_dominated_sort_peels_fronts(problem):
    points, directions = problem
    fronts = non_dominated_sort(points, directions)
    assert sorted(i for front in fronts for i in front) == list(range(len(points)))
    assert all(front == sorted(front) and front for front in fronts)
    missing = [i for i, point in enumerate(points) if not is_finite(point)]
    finite_fronts = fronts[:-1] if missing else fronts
    if missing:
        assert fronts[-1] == missing
    if finite_fronts:
        assert finite_fronts[0] == pareto_front(points, directions)
    for front in finite_fronts:
        assert not any(dominates(points[i], points[j], directions) for i in front for j in front)
    for better, worse in itertools.pairwise(finite_fronts):
        for j in worse:
            assert any(dominates(points[i], points[j], directions) for i in better)


@settings(max_examples=40, deadline=None)
@given(volume_problems(dimensions=2, max_points=12))
def test_hypervolume_in_two_dimensions_is_the_union_of_rectangles(problem):
    points, directions, reference = problem
    assert hypervolume(points, directions, reference) == pytest.approx(
        grid_volume(points, directions, reference), rel=1e-9, abs=1e-9
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 4).flatmap(lambda dimensions: volume_problems(dimensions, max_points=5)))
def test_hypervolume_in_more_dimensions_is_the_union_of_boxes(problem):
    points, directions, reference = problem
    assert hypervolume(points, directions, reference) == pytest.approx(
        grid_volume(points, directions, reference), rel=1e-9, abs=1e-9
    )


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 3).flatmap(lambda dimensions: volume_problems(dimensions, max_points=6)),
    st.data(),
)
def test_adding_a_point_never_decreases_the_hypervolume(problem, data):
    points, directions, reference = problem
    extra = data.draw(st.lists(spread_values, min_size=len(directions), max_size=len(directions)))
    before = hypervolume(points, directions, reference)
    after = hypervolume([*points, extra], directions, reference)
    assert after >= before - 1e-9 * max(1.0, before)


@settings(max_examples=30, deadline=None)
@given(volume_problems(dimensions=3, max_points=1))
def test_the_hypervolume_of_one_point_is_the_product_of_its_gains(problem):
    points, directions, reference = problem
    gains = [
        [sign(d) * (x - r) for x, r, d in zip(point, reference, directions, strict=True)]
        for point in points
        if is_finite(point)
    ]
    expected = math.prod(gains[0]) if gains and all(g > 0 for g in gains[0]) else 0.0
    assert hypervolume(points, directions, reference) == pytest.approx(expected, rel=1e-12)


# Hand examples.


def test_non_dominated_sort_by_hand():
    points = [(3.0, 3.0), (1.0, 1.0), (2.0, 2.0), (1.0, 3.0), (None, 0.0), (1.0, 1.0)]
    assert non_dominated_sort(points, ("min", "min")) == [[1, 5], [2, 3], [0], [4]]
    assert non_dominated_sort(points, ("max", "max")) == [[0], [2, 3], [1, 5], [4]]
    assert non_dominated_sort(points, ("max", "min")) == [[0, 1, 2, 5], [3], [4]]
    assert non_dominated_sort([], ("min",)) == []
    assert non_dominated_sort([(NAN,), (None,)], ("min",)) == [[0, 1]]
    assert pareto_front([(NAN,), (None,)], ("min",)) == []


def test_crowding_distance_by_hand():
    points = [(0.0, 4.0), (1.0, 3.0), (4.0, 0.0), (3.0, 2.0)]
    expected = {0: INF, 1: 1.25, 2: INF, 3: 1.5}
    assert crowding_distance(points, [0, 1, 2, 3], ("min", "min")) == expected
    assert crowding_distance(points, [3, 2, 1, 0], ("min", "min")) == expected
    assert list(crowding_distance(points, [3, 2, 1, 0], ("min", "min"))) == [3, 2, 1, 0]
    # The distance does not depend on the directions.
    assert crowding_distance(points, [0, 1, 2, 3], ("max", "min")) == expected


def test_crowding_distance_of_small_fronts_and_flat_objectives():
    points = [(1.0, 5.0), (2.0, 5.0), (4.0, 5.0), (1.0, 5.0)]
    assert crowding_distance(points, [0], ("min", "min")) == {0: INF}
    assert crowding_distance(points, [0, 3], ("min", "min")) == {0: INF, 3: INF}
    # The second objective is flat and adds nothing; ties in the first break by index.
    assert crowding_distance(points, [0, 1, 2, 3], ("min", "min")) == {
        0: INF,
        1: (4.0 - 1.0) / 3,
        2: INF,
        3: (2.0 - 1.0) / 3,
    }
    # Sorted by value, ties by index, whatever the directions.
    assert crowding_distance(points, [0, 3, 1], ("min", "min")) == {0: INF, 3: 1.0, 1: INF}
    assert crowding_distance(points, [0, 3, 1], ("max", "max")) == {0: INF, 3: 1.0, 1: INF}
    assert crowding_distance([(1.0,)] * 3, [0, 1, 2], ("min",)) == {0: 0.0, 1: 0.0, 2: 0.0}


def test_nsga2_rank_and_select_by_hand():
    # Front 0: points 0 to 3 (as in the crowding example); front 1: points 4 and 5; point 6
    # has no value.
    points = [(0, 4), (1, 3), (4, 0), (3, 2), (3, 3), (4, 2.5), (None, 1)]
    keys = nsga2_rank(points, ("min", "min"))
    assert keys == [(0, -INF), (0, -1.25), (0, -INF), (0, -1.5), (1, -INF), (1, -INF), (2, 0.0)]
    assert nsga2_select(points, ("min", "min"), 0) == []
    assert nsga2_select(points, ("min", "min"), 2) == [0, 2]
    assert nsga2_select(points, ("min", "min"), 3) == [0, 2, 3]
    assert nsga2_select(points, ("min", "min"), 5) == [0, 2, 3, 1, 4]
    assert nsga2_select(points, ("min", "min"), 7) == [0, 2, 3, 1, 4, 5, 6]
    # A binary tournament: the better front wins, then the larger distance.
    assert min(1, 4, key=keys.__getitem__) == 1
    assert min(1, 3, key=keys.__getitem__) == 3


def test_nsga2_select_breaks_ties_by_index():
    points = [(2.0, 2.0), (1.0, 1.0), (1.0, 1.0), (2.0, 2.0), (1.0, 1.0)]
    assert nsga2_rank(points, ("min", "min")) == [
        (1, -INF),
        (0, 0.0),
        (0, 0.0),
        (1, -INF),
        (0, 0.0),
    ]
    assert nsga2_select(points, ("min", "min"), 2) == [1, 2]
    assert nsga2_select(points, ("min", "min"), 4) == [1, 2, 4, 0]


def test_hypervolume_by_hand():
    # (accuracy, latency_ms) against the reference (0.25, 6.0): boxes 0.5 x 2 and 0.25 x 4,
    # which overlap in 0.25 x 2.
    points = [(0.75, 4.0), (0.5, 2.0)]
    assert hypervolume(points, ("max", "min"), (0.25, 6.0)) == 0.5 * 2 + 0.25 * 4 - 0.25 * 2
    # A point no better than the reference in one objective, or missing, adds nothing.
    assert hypervolume([*points, (0.9, 6.0), (None, 1.0)], ("max", "min"), (0.25, 6.0)) == 1.5
    assert hypervolume([(0.9, 7.0)], ("max", "min"), (0.25, 6.0)) == 0.0
    assert hypervolume([], ("max", "min"), (0.25, 6.0)) == 0.0
    assert hypervolume([(3.0,), (5.0,)], ("max",), (1.0,)) == 4.0
    # Three objectives: two unit-overlapping boxes 2 x 2 x 1 and 1 x 1 x 3.
    assert hypervolume([(2, 2, 1), (1, 1, 3)], ("max",) * 3, (0, 0, 0)) == 4 + 3 - 1


def test_objective_behaves_as_a_keras_tuner_objective():
    latency = Objective("latency_ms", "min")
    assert isinstance(latency, keras_tuner.Objective)
    assert latency.better_than(2.0, 3.0) and not latency.better_than(3.0, 2.0)
    assert Objective("val_accuracy", "max").better_than(0.9, 0.8)
    assert Objective.from_config(latency.get_config()) == latency
    assert latency.get_config() == {"name": "latency_ms", "direction": "min"}
    assert objective_module.create_objective(latency) is latency

    oracle = keras_tuner.Oracle(objective=["val_accuracy", latency], max_trials=1)
    assert oracle.objective.name_to_direction == {"val_accuracy": "max", "latency_ms": "min"}
    assert oracle.objective.objectives[1] is latency


def test_objective_errors():
    with raises("`name`", "non-empty string", "Received: name=''"):
        Objective("", "min")
    with raises("`name`", "non-empty string", "Received: name=3"):
        Objective(3, "min")
    with raises("`direction`", '"min"', '"max"', "direction='minimize'", "'latency_ms'"):
        Objective("latency_ms", "minimize")


def test_point_and_direction_errors():
    with raises("`directions`", '"min" or "max"', "Received: directions='max'"):
        pareto_front([(1.0,)], "max")
    with raises("`directions`", "non-empty", "Received: directions=()"):
        non_dominated_sort([], ())
    with raises("`directions`", '"min" or "max"', "Received: directions=('max', 'lower')"):
        hypervolume([], ("max", "lower"), (0.0, 0.0))
    with raises("one value per direction, 2 here", "Received: points[1]=(1.0,)"):
        pareto_front([(1.0, 2.0), (1.0,)], ("max", "min"))
    with raises("sequence of numbers", "Received: points[0]='ab'"):
        pareto_front(["ab"], ("max", "min"))
    with raises("must be numbers", "None for a missing value", "points[0] holds True", "bool"):
        nsga2_rank([(True, 1.0)], ("max", "min"))
    with raises("`reference`", "finite number", "Received: reference=(0.0, nan)"):
        hypervolume([(1.0, 2.0)], ("max", "min"), (0.0, NAN))
    with raises("`reference`", "one value per direction, 2 here", "reference=(0.0,)"):
        hypervolume([(1.0, 2.0)], ("max", "min"), (0.0,))


def test_front_and_k_errors():
    points = [(1.0, 2.0), (2.0, 1.0), (None, 1.0)]
    with raises("`front`", "from 0 to 2", "Received: front=[0, 3]"):
        crowding_distance(points, [0, 3], ("min", "min"))
    with raises("`front`", "each index once", "Received: front=[1, 1]"):
        crowding_distance(points, [1, 1], ("min", "min"))
    with raises("`front`", "sequence of indices", "Received: front=0"):
        crowding_distance(points, 0, ("min", "min"))
    with raises(
        "`crowding_distance`", "finite points", "`non_dominated_sort`", "points[2]=(None, 1.0)"
    ):
        crowding_distance(points, [0, 2], ("min", "min"))
    with raises("`k`", "integer from 0 to the number of points", "k=4 for 3 points"):
        nsga2_select(points, ("min", "min"), 4)
    with raises("`k`", "integer", "Received: k=1.0"):
        nsga2_select(points, ("min", "min"), 1.0)
