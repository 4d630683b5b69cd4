"""PNG plots of a search: its progress, its Pareto front, an architecture's graph and the
operation weights of a gradient-based search.

Each function draws on its own `matplotlib.figure.Figure` with the Agg renderer and returns the
PNG file's bytes; none touches pyplot's global state, so they are safe in scripts, servers and
threads, and need no display. `keras-nas report` writes them next to a search's files.

Size: about 550 lines, of which the architecture graph's layout (levels, box sizes, arcs)
is half: four figures that share the rendering helpers.
"""

from __future__ import annotations

import io
import math
import numbers
import textwrap
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

from keras_nas.objectives.pareto import DIRECTIONS, pareto_front

_DPI = 120
_BEST = "tab:red"
_TRIALS = "tab:blue"

# Architecture drawings, in inches (the axes of a drawing are scaled 1 unit : 1 inch).
_NODE_FONT = 9
_EDGE_FONT = 8
_WRAP = 36  # Characters per line of a node label; longer labels wrap between words.
_PAD_X, _PAD_Y = 0.12, 0.08  # Space between a label and its box.
_MIN_BOX_WIDTH = 0.7
_GAP_X = 0.4  # Between two boxes of one level.
_GAP_Y = 0.32  # Between two levels, plus the height of a label where edges have one.
_MARGIN = 0.2
_END_COLOR, _NODE_COLOR = "#e6e6e6", "#dbe9f6"


def progress_png(
    scores: Sequence[float | None],
    direction: str = "max",
    objective: str = "score",
    trial_ids: Sequence[int] | None = None,
) -> bytes:
    """Plots each trial's score and the best score so far against the trial's id.

    The x axis is KerasTuner's trial id, which counts from 0 and is what `keras-nas report`'s
    table and TensorBoard's `search` run show: score `i` is drawn at `trial_ids[i]`, by
    default at `i`. The best so far follows the ids in increasing order. A trial whose score
    is `None` (failed, or still running) has no dot; it is marked by a grey cross on the x
    axis.

    Example:
    >>> png = progress_png([0.81, None, 0.86, 0.84], direction="max", objective="val_accuracy")
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True

    Args:
        scores: The score of each trial, or `None` for a trial without one.
        direction: `"max"` if a higher score is better, `"min"` if lower is.
        objective: The score's name, for the title and the y axis.
        trial_ids: The id of each trial, as an integer; `0, 1, ...` by default.

    Returns:
        The PNG file's bytes.

    Raises:
        ValueError: if `direction` is not `"max"` or `"min"`, or `trial_ids` does not hold
            one distinct integer per score.
    """
    _check_direction(direction)
    ids = _check_trial_ids(trial_ids, len(scores))
    trials = sorted(zip(ids, scores, strict=True), key=lambda trial: trial[0])
    figure = Figure(figsize=(6.4, 4.0), dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    scored = [(trial, float(score)) for trial, score in trials if _finite(score) is not None]
    missing = [trial for trial, score in trials if _finite(score) is None]
    if scored:
        xs, values = zip(*scored, strict=True)
        best = list(_running_best(values, direction))
        axes.scatter(xs, values, color=_TRIALS, s=24, zorder=3, label=f"{objective} of a trial")
        axes.step(
            [*xs, trials[-1][0]],
            [*best, best[-1]],
            where="post",
            color=_BEST,
            linewidth=1.8,
            label="best so far",
        )
    else:
        axes.text(0.5, 0.5, "no trial has a score yet", transform=axes.transAxes, ha="center")
    if missing:
        axes.plot(
            missing,
            [0.0] * len(missing),
            linestyle="none",
            marker="x",
            color="grey",
            clip_on=False,
            transform=axes.get_xaxis_transform(),
            label="no score (failed or running)",
        )
    axes.set_xlim(min(ids, default=0) - 0.5, max(ids, default=0) + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("trial")
    axes.set_ylabel(objective)
    axes.set_title(f"Search progress: {objective} ({_better(direction)} is better)")
    axes.grid(alpha=0.3)
    if scored or missing:
        axes.legend(loc="best")
    return _png(figure)


def pareto_png(
    points: Sequence[tuple[float, float]],
    directions: tuple[str, str],
    names: tuple[str, str],
) -> bytes:
    """Plots two objectives of every trial and highlights the non-dominated trials.

    All points are grey dots; those on the Pareto front (`keras_nas.objectives.pareto_front`:
    no other point is at least as good in both and better in one) are red and joined by a step
    line, the boundary of the region that they dominate. An axis whose values are all
    positive and span more than two decades (parameters, FLOPs) is logarithmic.

    Example:
    >>> png = pareto_png([(0.9, 5e3), (0.95, 9e3), (0.8, 6e3)], ("max", "min"),
    ...                  ("val_accuracy", "params"))
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True

    Args:
        points: `(x, y)` values of each trial; points with a missing or non-finite value are
            left out.
        directions: The direction of each objective, `"max"` or `"min"`.
        names: The name of each objective, for the axes.

    Returns:
        The PNG file's bytes.

    Raises:
        ValueError: if `directions` is not a pair of `"max"`/`"min"` or a point is not a pair.
    """
    if isinstance(directions, str) or len(directions) != 2:
        raise ValueError(
            '`directions` must be a pair of "max" or "min", one per axis, e.g. ("max", "min"). '
            f"Received: directions={directions!r}."
        )
    front = pareto_front(points, directions)
    x_name, y_name = names
    finite = [point for point in points if None not in (_finite(point[0]), _finite(point[1]))]
    figure = Figure(figsize=(6.4, 4.4), dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    if finite:
        xs, ys = zip(*finite, strict=True)
        axes.scatter(xs, ys, color="#9a9a9a", s=22, zorder=2, label="trial")
        best = sorted((points[index] for index in front), key=lambda point: point[0])
        best_x, best_y = zip(*best, strict=True)
        # The boundary at x is the best y among front points that are at least as good in x.
        where = "post" if directions[0] == "min" else "pre"
        axes.step(best_x, best_y, where=where, color=_BEST, linewidth=1.4, zorder=3)
        axes.scatter(
            best_x, best_y, color=_BEST, s=34, zorder=4, label=f"non-dominated ({len(front)})"
        )
        _log_scale_if_wide(axes.set_xscale, xs)
        _log_scale_if_wide(axes.set_yscale, ys)
        axes.legend(loc="best")
    else:
        axes.text(0.5, 0.5, "no trial has both values yet", transform=axes.transAxes, ha="center")
    axes.set_xlabel(f"{x_name} ({_better(directions[0])} is better)")
    axes.set_ylabel(f"{y_name} ({_better(directions[1])} is better)")
    axes.set_title(f"Pareto front: {len(front)} of {len(finite)} trials")
    axes.grid(alpha=0.3)
    return _png(figure)


def architecture_png(graph: dict[str, Any], title: str = "") -> bytes:
    """Draws an architecture graph: labelled boxes, top to bottom by depth, and arrows.

    The graph is the dict of `SearchSpace.architecture_graph`. A node's depth is the length
    of the longest path that reaches it; the nodes of one depth share a row. Arrows between
    neighbouring rows are straight; an arrow that skips rows bends around the boxes between,
    alternately to the left and to the right. Edge labels sit at the middle of their arrow,
    and node labels wrap between words after about 36 characters. The picture grows with the
    graph (a chain of 20 nodes is about 12 inches tall).

    Example:
    >>> graph = {"nodes": ["node 0", "node 1", "node 2"],
    ...          "edges": [[0, 1, "nor_conv_3x3"], [1, 2, "skip_connect"], [0, 2, "avg_pool_3x3"]]}
    >>> architecture_png(graph, title="cell")[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True

    Args:
        graph: `{"nodes": [label, ...], "edges": [[source, target, label], ...]}` where
            `source` and `target` are indices into `nodes`, and the edges form no cycle.
        title: A line above the drawing, e.g. the trial and its score.

    Returns:
        The PNG file's bytes.

    Raises:
        ValueError: if `graph` does not have that form or has a cycle.
    """
    nodes, edges = _check_graph(graph)
    depths = _depths(len(nodes), edges)
    labels = [textwrap.fill(label, _WRAP, break_long_words=False) or " " for label in nodes]
    node_sizes = _text_sizes(labels, _NODE_FONT)
    edge_sizes = _text_sizes([label for _, _, label in edges], _EDGE_FONT)
    boxes = [(width + 2 * _PAD_X, height + 2 * _PAD_Y) for width, height in node_sizes]
    boxes = [(max(width, _MIN_BOX_WIDTH), height) for width, height in boxes]
    centers = _layout(depths, boxes, max((h for _, h in edge_sizes), default=0.0))
    arcs = _arcs(edges, depths, centers, boxes, edge_sizes)

    extents = [
        (x - w / 2, x + w / 2, y - h / 2, y + h / 2)
        for (x, y), (w, h) in zip(centers, boxes, strict=True)
    ]
    extents += [
        (x - w / 2, x + w / 2, y - h / 2, y + h / 2)
        for (_, (x, y)), (w, h) in zip(arcs, edge_sizes, strict=True)
    ]
    left = min(extent[0] for extent in extents) - _MARGIN
    right = max(extent[1] for extent in extents) + _MARGIN
    bottom = min(extent[2] for extent in extents) - _MARGIN
    top = max(extent[3] for extent in extents) + _MARGIN
    if title:
        title_width, title_height = _text_sizes([title], _NODE_FONT + 2)[0]
        widen = max(0.0, title_width + 2 * _MARGIN - (right - left)) / 2
        left, right = left - widen, right + widen
        top += title_height + _MARGIN
    figure = Figure(figsize=(right - left, top - bottom), dpi=_DPI)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(left, right)
    axes.set_ylim(bottom, top)
    axes.axis("off")
    if title:
        axes.text(
            (left + right) / 2,
            top - _MARGIN,
            title,
            ha="center",
            va="top",
            fontsize=_NODE_FONT + 2,
            fontweight="bold",
        )

    has_input = {target for _, target, _ in edges}
    has_output = {source for source, _, _ in edges}
    patches = []
    for index, ((x, y), (width, height)) in enumerate(zip(centers, boxes, strict=True)):
        inner = index in has_input and index in has_output
        patch = FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.06",
            facecolor=_NODE_COLOR if inner else _END_COLOR,
            edgecolor="#4d4d4d",
            linewidth=1.0,
            zorder=2,
        )
        axes.add_patch(patch)
        patches.append(patch)
        axes.text(x, y, labels[index], ha="center", va="center", fontsize=_NODE_FONT, zorder=3)
    for (source, target, label), (rad, (x, y)) in zip(edges, arcs, strict=True):
        axes.add_patch(
            FancyArrowPatch(
                centers[source],
                centers[target],
                connectionstyle=f"arc3,rad={rad}",
                arrowstyle="-|>",
                mutation_scale=12,
                patchA=patches[source],
                patchB=patches[target],
                color="#333333",
                linewidth=1.0,
                zorder=1,
            )
        )
        if label:
            axes.text(
                x,
                y,
                label,
                ha="center",
                va="center",
                fontsize=_EDGE_FONT,
                color="#1f3f6f",
                zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            )
    return _png(figure)


def weights_heatmap_png(weights: dict[str, dict[Any, float]], title: str = "") -> bytes:
    """Draws the operation weights of every choice as a heatmap: choices by operations.

    A cell is an operation's weight (its share of the choice, 0 to 1), printed in it; the
    strongest operation of each choice is framed. Operations that a choice lacks are blank.

    Example:
    >>> png = weights_heatmap_png({"cell/edge_1/op": {"none": 0.1, "skip_connect": 0.9},
    ...                            "cell/edge_2/op": {"none": 0.6, "skip_connect": 0.4}})
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True

    Args:
        weights: `{choice: {operation: weight}}`, e.g. `RelaxedSupernet.probabilities()`.
        title: The figure's title.

    Returns:
        The PNG file's bytes.
    """
    operations = list(dict.fromkeys(str(op) for options in weights.values() for op in options))
    grid = [
        [next((w for op, w in options.items() if str(op) == name), math.nan) for name in operations]
        for options in weights.values()
    ]
    figure = Figure(
        figsize=(1.2 + 1.1 * len(operations), 1.0 + 0.4 * len(weights)),
        dpi=_DPI,
        layout="constrained",
    )
    axes = figure.add_subplot()
    image = axes.imshow(grid, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    for row, values in enumerate(grid):
        finite = [w for w in values if not math.isnan(w)]
        for column, value in enumerate(values):
            if math.isnan(value):
                continue
            color = "black" if value > 0.6 else "white"
            axes.text(column, row, f"{value:.2f}", ha="center", va="center", color=color, size=8)
            if finite and value == max(finite):
                axes.add_patch(
                    FancyBboxPatch(
                        (column - 0.45, row - 0.4),
                        0.9,
                        0.8,
                        boxstyle="square,pad=0",
                        fill=False,
                        edgecolor=_BEST,
                        linewidth=1.5,
                    )
                )
    axes.set_xticks(range(len(operations)), operations, rotation=30, ha="right", size=8)
    axes.set_yticks(range(len(weights)), list(weights), size=8)
    figure.colorbar(image, ax=axes, shrink=0.8)
    if title:
        axes.set_title(title)
    return _png(figure)


# ------------------------------------------------------------------------------------ helpers
def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _check_trial_ids(trial_ids: Sequence[int] | None, count: int) -> list[int]:
    if trial_ids is None:
        return list(range(count))
    ids = list(trial_ids)
    integers = all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in ids)
    if len(ids) != count or not integers or len(set(ids)) != count:
        raise ValueError(
            "`trial_ids` must hold one distinct integer per score, the trials' ids. "
            f"Received: trial_ids={ids!r} for {count} scores."
        )
    return ids


def _check_direction(direction: Any) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f'`direction` must be "max" or "min". Received: direction={direction!r}.')


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _running_best(values: Sequence[float], direction: str):
    best = None
    for value in values:
        if best is None or (value > best if direction == "max" else value < best):
            best = value
        yield best


def _better(direction: str) -> str:
    return "higher" if direction == "max" else "lower"


def _log_scale_if_wide(set_scale, values: Sequence[float]) -> None:
    if min(values) > 0 and max(values) / min(values) > 100:
        set_scale("log")


def _check_graph(graph: Any) -> tuple[list[str], list[tuple[int, int, str]]]:
    problem = None
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        problem = "it is not a dict with a list of `nodes`"
    elif not graph["nodes"]:
        problem = "it has no node"
    elif not isinstance(graph.get("edges", []), list):
        problem = "its `edges` are not a list"
    if problem is None:
        nodes = [str(label) for label in graph["nodes"]]
        edges = []
        for edge in graph.get("edges", []):
            if (
                not isinstance(edge, (list, tuple))
                or len(edge) != 3
                or not all(
                    isinstance(end, int) and not isinstance(end, bool) and 0 <= end < len(nodes)
                    for end in edge[:2]
                )
                or edge[0] == edge[1]
            ):
                problem = f"the edge {edge!r} is not [source, target, label] with two node indices"
                break
            edges.append((edge[0], edge[1], str(edge[2])))
    if problem is not None:
        raise ValueError(
            'An architecture graph must be {"nodes": [label, ...], "edges": [[source, target, '
            f"label], ...]}}, as `SearchSpace.architecture_graph` returns; {problem}. "
            f"Received: graph={graph!r}."
        )
    return nodes, edges


def _depths(num_nodes: int, edges: Sequence[tuple[int, int, str]]) -> list[int]:
    """The length of the longest path to each node (Kahn's topological order)."""
    inputs = [0] * num_nodes
    outputs: list[list[int]] = [[] for _ in range(num_nodes)]
    for source, target, _ in edges:
        inputs[target] += 1
        outputs[source].append(target)
    depths = [0] * num_nodes
    ready = [node for node in range(num_nodes) if inputs[node] == 0]
    visited = 0
    while ready:
        node = ready.pop()
        visited += 1
        for target in outputs[node]:
            depths[target] = max(depths[target], depths[node] + 1)
            inputs[target] -= 1
            if inputs[target] == 0:
                ready.append(target)
    if visited < num_nodes:
        raise ValueError(
            "An architecture graph must not have a cycle; the nodes "
            f"{[node for node in range(num_nodes) if inputs[node] > 0]} are on one or after one."
        )
    return depths


def _text_sizes(texts: Sequence[str], fontsize: float) -> list[tuple[float, float]]:
    """The width and height in inches of each text as drawn at `fontsize`."""
    figure = Figure(dpi=_DPI)
    renderer = FigureCanvasAgg(figure).get_renderer()
    sizes = []
    for text in texts:
        if not text:
            sizes.append((0.0, 0.0))
            continue
        box = figure.text(0, 0, text, fontsize=fontsize).get_window_extent(renderer)
        sizes.append((box.width / _DPI, box.height / _DPI))
    return sizes


def _layout(
    depths: Sequence[int], boxes: Sequence[tuple[float, float]], label_height: float
) -> list[tuple[float, float]]:
    """Box centres: one row per depth, top to bottom, each row centred on x = 0."""
    rows: list[list[int]] = [[] for _ in range(max(depths) + 1)]
    for node, depth in enumerate(depths):
        rows[depth].append(node)
    gap = _GAP_Y + (label_height + 0.1 if label_height else 0.0)
    centers: list[tuple[float, float]] = [(0.0, 0.0)] * len(depths)
    y = 0.0
    for row_index, row in enumerate(rows):
        height = max((boxes[node][1] for node in row), default=0.0)
        if row_index:
            y -= height / 2
        x = -(sum(boxes[node][0] for node in row) + _GAP_X * (len(row) - 1)) / 2
        for node in row:
            centers[node] = (x + boxes[node][0] / 2, y)
            x += boxes[node][0] + _GAP_X
        y -= height / 2 + gap
    return centers


def _arcs(
    edges: Sequence[tuple[int, int, str]],
    depths: Sequence[int],
    centers: Sequence[tuple[float, float]],
    boxes: Sequence[tuple[float, float]],
    label_sizes: Sequence[tuple[float, float]],
) -> list[tuple[float, tuple[float, float]]]:
    """For each edge, the `arc3` bend and the middle point of its arrow (where its label goes).

    An edge that skips rows bends sideways far enough for its middle, with its label, to
    clear the boxes of the rows between and the bends already placed on that side.
    """
    arcs: list[tuple[float, tuple[float, float]]] = [(0.0, (0.0, 0.0))] * len(edges)
    placed: dict[int, list[tuple[float, float, float]]] = {-1: [], 1: []}  # y range, reach
    order = sorted(
        range(len(edges)),
        key=lambda i: (depths[edges[i][1]] - depths[edges[i][0]], edges[i][0], edges[i][1]),
    )
    next_side = -1
    for index in order:
        source, target, _ = edges[index]
        (x1, y1), (x2, y2) = centers[source], centers[target]
        middle = ((x1 + x2) / 2, (y1 + y2) / 2)
        if depths[target] - depths[source] <= 1:
            arcs[index] = (0.0, middle)
            continue
        # An edge off the centre line bends outwards; centred ones take turns.
        if abs(middle[0]) > 0.05:
            side = 1 if middle[0] > 0 else -1
        else:
            side, next_side = next_side, -next_side
        low, high = sorted((y1, y2))
        half_label = label_sizes[index][0] / 2
        reach = max(  # How far the boxes of the rows between reach out on that side.
            (
                side * (x - middle[0]) + boxes[node][0] / 2
                for node, (x, y) in enumerate(centers)
                if low < y < high
            ),
            default=0.0,
        )
        reach = max(reach, 0.0) + half_label + 0.2
        for other_low, other_high, other_reach in placed[side]:
            if other_low < high and low < other_high:
                reach = max(reach, other_reach + half_label + 0.15)
        placed[side].append((low, high, reach + half_label))
        length = math.hypot(x2 - x1, y2 - y1)
        # arc3 puts the curve's middle at the chord's middle + rad / 2 * (dy, -dx).
        rad = 2 * reach / length * (-side if y2 < y1 else side)
        arcs[index] = (
            rad,
            (middle[0] + rad / 2 * (y2 - y1), middle[1] - rad / 2 * (x2 - x1)),
        )
    return arcs
