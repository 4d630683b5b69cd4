"""Tests of the PNG plots: they decode, show their parts, and the Pareto front is exact."""

import io
import math

import numpy as np
import pytest
from matplotlib import colors
from matplotlib import image as mpimage

from keras_nas import plots
from keras_nas.objectives.pareto import pareto_front

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NB201_BEST = {
    "nodes": ["node 0", "node 1", "node 2", "node 3"],
    "edges": [
        [0, 1, "nor_conv_3x3"],
        [0, 2, "nor_conv_3x3"],
        [1, 2, "nor_conv_3x3"],
        [0, 3, "skip_connect"],
        [1, 3, "nor_conv_3x3"],
        [2, 3, "nor_conv_1x1"],
    ],
}


def decode(png):
    assert png[:8] == PNG_SIGNATURE
    pixels = mpimage.imread(io.BytesIO(png), format="png")
    assert pixels.shape[0] > 0 and pixels.shape[1] > 0
    return pixels[..., :3]


def count_color(pixels, color, tolerance=0.02):
    return int(np.all(np.abs(pixels - colors.to_rgb(color)) < tolerance, axis=-1).sum())


# ------------------------------------------------------- the Pareto front the plots highlight
def test_non_dominated_max_min():
    points = [(0.90, 5000), (0.95, 9000), (0.80, 6000), (0.85, 4000), (0.95, 12000)]
    assert pareto_front(points, ("max", "min")) == [0, 1, 3]


def test_non_dominated_follows_each_direction():
    points = [(1, 1), (2, 2), (1, 2), (2, 1)]
    assert pareto_front(points, ("max", "max")) == [1]
    assert pareto_front(points, ("min", "min")) == [0]
    assert pareto_front(points, ("max", "min")) == [3]
    assert pareto_front(points, ("min", "max")) == [2]


def test_non_dominated_tie_in_one_coordinate_is_dominated():
    # (1, 3) equals (1, 5) in x and is worse in y.
    assert pareto_front([(1, 3), (1, 5), (0, 9)], ("max", "max")) == [1, 2]


def test_non_dominated_keeps_every_duplicate_on_the_front():
    points = [(0.9, 100), (0.9, 100), (0.8, 200)]
    assert pareto_front(points, ("max", "min")) == [0, 1]


def test_non_dominated_leaves_out_missing_and_non_finite_points():
    points = [(None, 1.0), (math.nan, 0.0), (0.5, math.inf), (0.5, 2.0), (0.4, 3.0)]
    assert pareto_front(points, ("max", "min")) == [3]


def test_non_dominated_of_nothing_is_empty():
    assert pareto_front([], ("max", "min")) == []


def test_non_dominated_rejects_bad_directions_and_points():
    with pytest.raises(
        ValueError, match=r"`directions`.*Received: directions=\('max', 'maximum'\)"
    ):
        pareto_front([(1, 2)], ("max", "maximum"))
    with pytest.raises(ValueError, match="`directions`.*Received: directions='max'"):
        pareto_front([(1, 2)], "max")
    with pytest.raises(ValueError, match=r"points\[1\]=\(1, 2, 3\)"):
        pareto_front([(1, 2), (1, 2, 3)], ("max", "min"))


# ----------------------------------------------------------------------------------- progress
def test_progress_png_shows_trials_and_best_so_far():
    pixels = decode(plots.progress_png([0.5, 0.7, None, 0.65, 0.8], "max", "val_accuracy"))
    assert count_color(pixels, "tab:blue") > 50  # The dots.
    assert count_color(pixels, "tab:red") > 200  # The best-so-far line.


def test_progress_png_without_any_score_still_draws():
    pixels = decode(plots.progress_png([None, None], "min", "val_loss"))
    assert count_color(pixels, "tab:red") == 0
    assert decode(plots.progress_png([])).size > 0


def test_progress_png_rejects_an_unknown_direction():
    with pytest.raises(ValueError, match='`direction` must be "max" or "min"'):
        plots.progress_png([0.1], direction="up")


@pytest.fixture
def drawn(monkeypatch):
    """The figures that the plots draw, instead of their PNG bytes."""
    figures = []

    def keep(figure):
        figures.append(figure)
        return PNG_SIGNATURE

    monkeypatch.setattr(plots, "_png", keep)
    return figures


def progress_data(figure):
    """The x of each dot, the best-so-far line, the x of each cross and the x limits."""
    axes = figure.axes[0]
    (dots,) = axes.collections
    best, *crosses = axes.lines
    return {
        "dots": [float(x) for x, _ in dots.get_offsets()],
        "best": [(float(x), float(y)) for x, y in best.get_xydata()],
        "crosses": [float(x) for x in crosses[0].get_xdata()] if crosses else [],
        "xlim": tuple(float(x) for x in axes.get_xlim()),
    }


def test_progress_png_numbers_trials_from_0_like_keras_tuner_ids(drawn):
    plots.progress_png([0.5, 0.7, None, 0.65, 0.8], "max", "val_accuracy")
    assert progress_data(drawn[0]) == {
        "dots": [0.0, 1.0, 3.0, 4.0],
        "best": [(0.0, 0.5), (1.0, 0.7), (3.0, 0.7), (4.0, 0.8), (4.0, 0.8)],
        "crosses": [2.0],
        "xlim": (-0.5, 4.5),
    }


def test_progress_png_draws_each_trial_at_its_id_in_id_order(drawn):
    plots.progress_png([0.3, None, 0.2, 0.4], "min", "val_loss", trial_ids=[7, 9, 3, 5])
    assert progress_data(drawn[0]) == {
        "dots": [3.0, 5.0, 7.0],
        "best": [(3.0, 0.2), (5.0, 0.2), (7.0, 0.2), (9.0, 0.2)],
        "crosses": [9.0],
        "xlim": (2.5, 9.5),
    }


@pytest.mark.parametrize("trial_ids", [[0, 1], [0, 1, "2"], [0, 1, True], [0, 1, 1]])
def test_progress_png_rejects_trial_ids_that_do_not_name_each_score(trial_ids):
    with pytest.raises(ValueError, match=r"`trial_ids` must hold one distinct integer per score"):
        plots.progress_png([0.1, 0.2, 0.3], trial_ids=trial_ids)


# ------------------------------------------------------------------------------------- pareto
def test_pareto_png_highlights_the_front():
    points = [(0.90, 5e3), (0.95, 9e4), (0.80, 6e3), (0.85, 4e3), (0.70, 1e6)]
    pixels = decode(plots.pareto_png(points, ("max", "min"), ("val_accuracy", "params")))
    assert count_color(pixels, "tab:red") > 100
    assert count_color(pixels, "#9a9a9a") > 50  # The other trials.


def test_pareto_png_without_points_still_draws():
    decode(plots.pareto_png([(None, 1.0)], ("max", "min"), ("val_accuracy", "params")))


# ------------------------------------------------------------------------------- architecture
def test_architecture_png_of_a_cell_draws_boxes_and_arrows():
    pixels = decode(plots.architecture_png(NB201_BEST, title="best cell"))
    assert count_color(pixels, "#dbe9f6") > 500  # Nodes 1 and 2, with inputs and outputs.
    assert count_color(pixels, "#e6e6e6") > 500  # Nodes 0 and 3.
    assert count_color(pixels, "#333333", tolerance=0.1) > 100  # Arrows.


def test_architecture_png_of_a_long_chain_is_tall_and_narrow():
    nodes = ["input", *[f"mbconv5-64-e6-se x2 stage {i}" for i in range(18)], "output"]
    graph = {"nodes": nodes, "edges": [[i, i + 1, ""] for i in range(len(nodes) - 1)]}
    pixels = decode(plots.architecture_png(graph))
    height, width = pixels.shape[:2]
    assert height > 4 * width
    assert width < 600  # Labels are not drawn on one very wide row.


def test_architecture_png_wraps_long_labels():
    label = " ".join(["[sep_conv_3x3(1)+identity(0)]"] * 6)
    pixels = decode(plots.architecture_png({"nodes": ["input", label], "edges": [[0, 1, ""]]}))
    assert pixels.shape[1] < 500


def test_architecture_png_draws_a_graph_without_edges():
    decode(plots.architecture_png({"nodes": ["node 0", "node 1"], "edges": []}))


@pytest.mark.parametrize(
    "graph, match",
    [
        ({"edges": []}, "not a dict with a list of `nodes`"),
        ({"nodes": [], "edges": []}, "it has no node"),
        ({"nodes": ["a"], "edges": [[0, 1, ""]]}, r"the edge \[0, 1, ''\]"),
        ({"nodes": ["a", "b"], "edges": [[0, 0, "x"]]}, "two node indices"),
        ({"nodes": ["a", "b"], "edges": [[0, 1, "x"], [1, 0, "y"]]}, "must not have a cycle"),
    ],
)
def test_architecture_png_rejects_malformed_graphs(graph, match):
    with pytest.raises(ValueError, match=match):
        plots.architecture_png(graph)
