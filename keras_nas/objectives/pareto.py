"""Several objectives at once: Pareto dominance, NSGA-II selection and the hypervolume.

The functions take `points`, one sequence of objective values per candidate (e.g.
`(val_accuracy, latency_ms)` of each trial), and `directions`, one `"max"` or `"min"` per
objective. A point dominates another if it is at least as good in every objective and better
in one; equal points do not dominate each other. A point with a value that is `None`, NaN or
infinite (a failed trial, a missing measurement) dominates nothing and is dominated by nothing
but is never on the Pareto front: `non_dominated_sort` puts such points in a last front of
their own, and `hypervolume` leaves them out.

NSGA-II is Deb, Pratap, Agarwal and Meyarivan, "A fast and elitist multiobjective genetic
algorithm: NSGA-II", IEEE Transactions on Evolutionary Computation 6(2), 2002.

Size: about 420 lines, one idea (dominance), with NSGA-II's sort, crowding and selection and
the hypervolume built on the same checked array of gains.

The computations use numpy only, so the report and its plots use them without TensorFlow;
nothing here builds or runs a model.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

#: The directions of an objective: higher is better, or lower is.
DIRECTIONS = ("max", "min")


def non_dominated_sort(
    points: Sequence[Sequence[float | None]], directions: Sequence[str]
) -> list[list[int]]:
    """Sorts points into fronts: each front holds the points that only earlier fronts dominate.

    NSGA-II's fast non-dominated sort (Deb et al. 2002): the first front is the Pareto front,
    the second is the Pareto front of the rest, and so on. Equal points land in the same
    front. The points with a non-finite value (`None`, NaN, infinite) come last, all in one
    front of their own, after every front of finite points.

    Example:
    >>> points = [(0.9, 5.0), (0.95, 9.0), (0.8, 6.0), (0.95, 9.0), (None, 1.0)]
    >>> non_dominated_sort(points, ("max", "min"))
    [[0, 1, 3], [2], [4]]

    Args:
        points: One sequence of objective values per point, all of the same length.
        directions: `"min"` or `"max"`, one per objective.

    Returns:
        The fronts, best first, each a list of indices into `points` in increasing order.
        Every index is in exactly one front; no points give no fronts.

    Raises:
        ValueError: If `directions` is not a non-empty sequence of `"min"`/`"max"`, or a point
            does not hold one number (or `None`) per direction.
    """
    return _fronts(_gains(points, directions))


def pareto_front(points: Sequence[Sequence[float | None]], directions: Sequence[str]) -> list[int]:
    """The indices of the points that no other point dominates, in increasing order.

    Points with a non-finite value are never on the front, so when no point is finite the
    front is empty.

    Example:
    >>> pareto_front([(0.9, 5.0), (0.95, 9.0), (0.8, 6.0), (0.95, 9.0)], ("max", "min"))
    [0, 1, 3]

    Args:
        points: One sequence of objective values per point, all of the same length.
        directions: `"min"` or `"max"`, one per objective.

    Returns:
        The indices of the non-dominated finite points.

    Raises:
        ValueError: As `non_dominated_sort`.
    """
    gains = _gains(points, directions)
    finite = np.flatnonzero(np.isfinite(gains).all(axis=1))
    if not finite.size:
        return []
    dominated = _dominance(gains[finite]).any(axis=0)
    return [int(index) for index in finite[~dominated]]


def crowding_distance(
    points: Sequence[Sequence[float | None]], front: Sequence[int], directions: Sequence[str]
) -> dict[int, float]:
    """NSGA-II's crowding distance of each point of one front: how isolated it is.

    For each objective, the front is sorted by that objective's value (ties by index, so the
    directions do not matter); the first and last points get an infinite distance, and each
    other point adds the gap between its two neighbours divided by the objective's range over
    the front. An objective whose range is 0 adds nothing, to any point (as in pymoo). A
    front of one or two points is all boundary: every distance is infinite. Larger is better:
    selection prefers isolated points, which keeps the front spread out.

    Example:
    >>> points = [(0.0, 4.0), (1.0, 3.0), (4.0, 0.0), (3.0, 2.0)]
    >>> crowding_distance(points, [0, 1, 2, 3], ("min", "min"))
    {0: inf, 1: 1.25, 2: inf, 3: 1.5}

    Both ranges are 4. Point 1's neighbours are points 0 and 3 in the first objective and
    points 3 and 0 in the second: (3 - 0) / 4 + (4 - 2) / 4 = 1.25.

    Args:
        points: One sequence of objective values per point, all of the same length.
        front: Indices into `points` of the front's points, all finite and each once.
        directions: `"min"` or `"max"`, one per objective.

    Returns:
        The distance of each index of `front`, keyed by index, in the order of `front`.

    Raises:
        ValueError: As `non_dominated_sort`, or if `front` holds an index that is not one of
            `points`, holds one twice, or names a point with a non-finite value.
    """
    gains = _gains(points, directions)
    front = _check_front(front, len(gains))
    if not np.isfinite(gains[front]).all():
        bad = next(index for index in front if not np.isfinite(gains[index]).all())
        raise ValueError(
            "`crowding_distance` needs finite points: the distance of a point with a "
            "missing value is not defined. Pass a front of `non_dominated_sort` other than "
            f"the last one of non-finite points. Received: points[{bad}]={points[bad]!r}."
        )
    distances = _crowding(gains[front] * _signs(directions))
    return {index: float(distance) for index, distance in zip(front, distances, strict=True)}


def nsga2_rank(
    points: Sequence[Sequence[float | None]], directions: Sequence[str]
) -> list[tuple[int, float]]:
    """Each point's key for NSGA-II's crowded comparison: smaller is better.

    The key of a point is `(front, -distance)`: its front number in `non_dominated_sort`
    (0 is the Pareto front) and its crowding distance within that front, negated so that
    keys sort best first. Points of the last front of non-finite points have distance 0.
    For a binary tournament, the winner of `i` and `j` is `min(i, j, key=keys.__getitem__)`.

    Example:
    >>> points = [(0.0, 4.0), (1.0, 3.0), (4.0, 0.0), (3.0, 2.0), (3.0, 3.0)]
    >>> nsga2_rank(points, ("min", "min"))
    [(0, -inf), (0, -1.25), (0, -inf), (0, -1.5), (1, -inf)]

    Args:
        points: One sequence of objective values per point, all of the same length.
        directions: `"min"` or `"max"`, one per objective.

    Returns:
        One `(front, -distance)` key per point, in the order of `points`.

    Raises:
        ValueError: As `non_dominated_sort`.
    """
    gains = _gains(points, directions)
    keys: list[tuple[int, float]] = [(0, 0.0)] * len(gains)
    for number, front in enumerate(_fronts(gains)):
        front_gains = gains[front]
        if np.isfinite(front_gains).all():
            distances = _crowding(front_gains * _signs(directions))
        else:
            distances = np.zeros(len(front))
        for index, distance in zip(front, distances, strict=True):
            # `0.0 - d` rather than `-d`: no `-0.0` in the keys.
            keys[index] = (number, 0.0 - float(distance))
    return keys


def nsga2_select(
    points: Sequence[Sequence[float | None]], directions: Sequence[str], k: int
) -> list[int]:
    """The `k` points that NSGA-II's environmental selection keeps, best first.

    Whole fronts in rank order, then the front that does not fit whole cut by descending
    crowding distance (Deb et al. 2002). Ties are broken by the smaller index, so the
    selection is deterministic. This is sorting the points by their `nsga2_rank` key, then by
    index, and keeping the first `k`.

    Example:
    >>> points = [(0.0, 4.0), (1.0, 3.0), (4.0, 0.0), (3.0, 2.0), (3.0, 3.0)]
    >>> nsga2_select(points, ("min", "min"), 3)
    [0, 2, 3]

    The Pareto front is points 0 to 3; its boundary points 0 and 2 come first, then point 3,
    which is more isolated than point 1.

    Args:
        points: One sequence of objective values per point, all of the same length.
        directions: `"min"` or `"max"`, one per objective.
        k: How many points to keep, from 0 to `len(points)`.

    Returns:
        `k` indices into `points`, the best first.

    Raises:
        ValueError: As `non_dominated_sort`, or if `k` is not an integer from 0 to
            `len(points)`.
    """
    if not _is_integer(k) or not 0 <= k <= len(points):
        raise ValueError(
            "`k` must be an integer from 0 to the number of points. "
            f"Received: k={k!r} for {len(points)} points."
        )
    keys = nsga2_rank(points, directions)
    return sorted(range(len(points)), key=lambda index: (*keys[index], index))[:k]


def hypervolume(
    points: Sequence[Sequence[float | None]],
    directions: Sequence[str],
    reference: Sequence[float],
) -> float:
    """The volume of objective space that the points dominate, up to a reference point.

    The union, over the points, of the boxes between the reference point and each point.
    Larger is better: a search whose front moves towards better values, or spreads out,
    covers more. The result is exact: a sweep for two objectives, and for more the slicing
    of HSO (While, Hingston, Barone and Huband, "A faster algorithm for calculating
    hypervolume", IEEE Transactions on Evolutionary Computation 10(1), 2006), which is fast
    for tens of points. Points that are not strictly better than the reference in every
    objective, and points with a non-finite value, add nothing.

    Example:
    >>> points = [(0.75, 4.0), (0.5, 2.0)]  # (accuracy, latency_ms)
    >>> hypervolume(points, ("max", "min"), reference=(0.25, 6.0))
    1.5

    Point 0's box spans accuracy 0.25 to 0.75 and latency 4 to 6 (area 0.5 x 2 = 1), point
    1's spans 0.25 to 0.5 and 2 to 6 (0.25 x 4 = 1); they overlap in 0.25 to 0.5 and 4 to 6
    (0.25 x 2 = 0.5): 1 + 1 - 0.5 = 1.5.

    Args:
        points: One sequence of objective values per point, all of the same length.
        directions: `"min"` or `"max"`, one per objective.
        reference: One finite value per objective, worse than the points that count, e.g.
            the worst acceptable accuracy and latency.

    Returns:
        The hypervolume, 0.0 when no point improves on `reference` in every objective.

    Raises:
        ValueError: As `non_dominated_sort`, or if `reference` does not hold one finite
            number per direction.
    """
    gains = _gains(points, directions)
    origin = _row(reference, _signs(directions), "reference")
    if not np.isfinite(origin).all():
        raise ValueError(
            "`reference` must hold one finite number per objective. "
            f"Received: reference={reference!r}."
        )
    shifted = gains[np.isfinite(gains).all(axis=1)] - origin
    return float(_volume(shifted[(shifted > 0).all(axis=1)]))


def _gains(points: Any, directions: Any) -> np.ndarray:
    """The points as an `(n, objectives)` array, turned so that larger is better in each.

    Non-finite values become NaN.
    """
    signs = _signs(directions)
    gains = np.full((len(points), len(signs)), np.nan)
    for index, point in enumerate(points):
        gains[index] = _row(point, signs, f"points[{index}]")
    return gains


def _signs(directions: Any) -> np.ndarray:
    if (
        isinstance(directions, str)
        or not isinstance(directions, Sequence)
        or not directions
        or not all(direction in DIRECTIONS for direction in directions)
    ):
        raise ValueError(
            '`directions` must be a non-empty sequence of "min" or "max", one per objective, '
            f'e.g. ("max", "min"). Received: directions={directions!r}.'
        )
    return np.array([1.0 if direction == "max" else -1.0 for direction in directions])


def _row(point: Any, signs: np.ndarray, where: str) -> np.ndarray:
    """One point turned so that larger is better; NaN for each non-finite value."""
    what = "`reference`" if where == "reference" else "Each point"
    if isinstance(point, (str, bytes)) or not isinstance(point, (Sequence, np.ndarray)):
        raise ValueError(
            f"{what} must be a sequence of numbers, one per direction. Received: {where}={point!r}."
        )
    if len(point) != len(signs):
        raise ValueError(
            f"{what} must hold one value per direction, {len(signs)} here. "
            f"Received: {where}={point!r}."
        )
    values = np.array([_value(value, where) for value in point]) * signs
    values[~np.isfinite(values)] = np.nan
    return values


def _value(value: Any, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"Objective values must be numbers, or None for a missing value. "
            f"Received: {where} holds {value!r} of type {type(value).__name__}."
        )
    return float(value)


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _dominance(gains: np.ndarray) -> np.ndarray:
    """`matrix[i, j]` is whether point `i` dominates point `j` (all gains finite)."""
    at_least = (gains[:, None, :] >= gains[None, :, :]).all(axis=2)
    better = (gains[:, None, :] > gains[None, :, :]).any(axis=2)
    return at_least & better


def _fronts(gains: np.ndarray) -> list[list[int]]:
    """The fronts of `non_dominated_sort`: those of the finite rows, then the other rows."""
    finite = np.isfinite(gains).all(axis=1)
    rows = np.flatnonzero(finite)
    fronts = [[int(rows[i]) for i in front] for front in _sort(gains[rows])]
    if not finite.all():
        fronts.append([int(index) for index in np.flatnonzero(~finite)])
    return fronts


def _sort(gains: np.ndarray) -> list[list[int]]:
    """Deb's fast non-dominated sort of finite gains: fronts of row numbers."""
    dominates = _dominance(gains)
    dominated_by = dominates.sum(axis=0)
    front = [int(index) for index in np.flatnonzero(dominated_by == 0)]
    fronts = []
    while front:
        fronts.append(front)
        dominated_by = dominated_by - dominates[front].sum(axis=0)
        # Rows of the fronts so far are dominated by none left: mark them so they are not
        # found again.
        dominated_by[front] = -1
        front = [int(index) for index in np.flatnonzero(dominated_by == 0)]
    return fronts


def _crowding(values: np.ndarray) -> np.ndarray:
    """The crowding distance of each row of a front's finite values."""
    count = len(values)
    if count <= 2:
        return np.full(count, math.inf)
    distances = np.zeros(count)
    for column in values.T:
        span = column.max() - column.min()
        if span == 0:
            continue
        order = np.argsort(column, kind="stable")
        distances[order[0]] = distances[order[-1]] = math.inf
        ordered = column[order]
        distances[order[1:-1]] += (ordered[2:] - ordered[:-2]) / span
    return distances


def _volume(gains: np.ndarray) -> float:
    """The volume of the union of the boxes from the origin to each row (all positive)."""
    if not len(gains):
        return 0.0
    if gains.shape[1] == 1:
        return float(gains.max())
    if gains.shape[1] == 2:
        return _area(gains)
    gains = gains[np.argsort(-gains[:, -1], kind="stable")]
    volume = 0.0
    for count in range(1, len(gains) + 1):
        below = gains[count, -1] if count < len(gains) else 0.0
        depth = gains[count - 1, -1] - below
        if depth > 0:
            # Every point at least this high in the last objective covers this slice.
            volume += depth * _volume(_non_dominated(gains[:count, :-1]))
    return volume


def _area(gains: np.ndarray) -> float:
    """The area of the union of the rectangles from the origin to each row (2 columns)."""
    area = 0.0
    height = 0.0
    for x, y in gains[np.lexsort((-gains[:, 1], -gains[:, 0]))]:
        if y > height:
            area += x * (y - height)
            height = y
    return float(area)


def _non_dominated(gains: np.ndarray) -> np.ndarray:
    """The rows that no other row dominates, without duplicates (which add no volume)."""
    unique = np.unique(gains, axis=0)
    return unique[~_dominance(unique).any(axis=0)]


def _check_front(front: Any, count: int) -> list[int]:
    if isinstance(front, (str, bytes)) or not isinstance(front, (Sequence, np.ndarray)):
        raise ValueError(
            f"`front` must be a sequence of indices into `points`. Received: front={front!r}."
        )
    indices = list(front)
    if not all(_is_integer(index) and 0 <= index < count for index in indices):
        raise ValueError(
            f"`front` must hold indices into `points`, from 0 to {count - 1}. "
            f"Received: front={front!r}."
        )
    if len(set(indices)) != len(indices):
        raise ValueError(f"`front` must hold each index once. Received: front={front!r}.")
    return [int(index) for index in indices]
