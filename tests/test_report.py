"""Tests of `keras-nas report`: reading project folders, the table, JSON, plots and errors."""

import io
import json
import math
import os
import subprocess
import sys
import textwrap

import keras_tuner
import pytest
from keras_tuner.engine.trial import Trial
from matplotlib import image as mpimage

from keras_nas import cli, report
from tests.messages import assert_mentions

VALUES_A = {"num_layers": 2, "layer_1/units": 64, "layer_2/units": 32}
VALUES_B = {"num_layers": 1, "layer_1/units": 128}
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "keras_tuner/src/engine/base_tuner.py", line 274, in _try_run_and_update_trial\n'
    "ValueError: Negative dimension size caused by subtracting 3 from 2\n"
)
STOPPED = "Stopped early at epoch 2 by MedianStopping: val_accuracy 0.6000 < median 0.8100"
SEARCH = {
    "keras_nas_version": "0.1.0",
    "objective": [{"name": "val_accuracy", "direction": "max"}],
    "max_trials": 8,
    "oracle": "RegularizedEvolutionOracle",
    "space": "MLPSpace",
}
GRAPH = {
    "nodes": ["input", "dense128-batch-relu", "output"],
    "edges": [[0, 1, ""], [1, 2, ""]],
}


def trial_state(trial_id, values, metrics=None, *, score=None, status="COMPLETED", message=None):
    """A trial.json as KerasTuner 1.4 writes it; `metrics` maps a name to (direction, history)."""
    return {
        "trial_id": trial_id,
        "hyperparameters": {"space": [], "values": values},
        "metrics": {
            "metrics": {
                name: {
                    "direction": direction,
                    "observations": [
                        {"value": [value], "step": step} for step, value in enumerate(history)
                    ],
                }
                for name, (direction, history) in (metrics or {}).items()
            }
        },
        "score": score,
        "best_step": 0 if score is not None else None,
        "status": status,
        "message": message,
    }


def make_project(root, states, *, search=None, architectures=None, start_order=None):
    project = root / "runs" / "p"
    project.mkdir(parents=True)
    ids = [state["trial_id"] for state in states]
    oracle = {"ongoing_trials": {}, "start_order": ids if start_order is None else start_order}
    (project / "oracle.json").write_text(json.dumps(oracle))
    if search is not None:
        (project / "search.json").write_text(json.dumps(search))
    for state in states:
        folder = project / f"trial_{state['trial_id']}"
        folder.mkdir()
        (folder / "trial.json").write_text(json.dumps(state))
        if architectures and state["trial_id"] in architectures:
            (folder / "architecture.json").write_text(json.dumps(architectures[state["trial_id"]]))
    return str(project)


def description(summary, genotype, graph=None):
    record = {"space": "MLPSpace", "summary": summary, "genotype": genotype}
    return record if graph is None else {**record, "graph": graph}


def recorded_project(root):
    """Five trials of a keras-nas search: completed, failed, stopped early, best, running."""
    long_summary = "dense512-layer-swish-drop0.25 | dense256-batch-gelu-drop0.1 | dense64-tanh"
    states = [
        trial_state(
            "00",
            VALUES_A,
            {
                "val_accuracy": ("max", [0.81, 0.86]),
                "params": ("min", [12345.0]),
                "flops": ("min", [24690.0]),
                "seconds": ("min", [1.2, 2.5]),
                "build_seconds": ("min", [0.25]),
                "fit_seconds": ("min", [2.5]),
                "bookkeeping_seconds": ("min", [0.125]),
            },
            score=0.86,
        ),
        trial_state("01", VALUES_B, score=None, status="FAILED", message=TRACEBACK),
        trial_state(
            "02",
            VALUES_A,
            {
                "val_accuracy": ("max", [0.55, 0.6]),
                "params": ("min", [250000.0]),
                "flops": ("min", [500000.0]),
                "seconds": ("min", [0.9, 1.75]),
            },
            score=0.6,
            message=STOPPED,
        ),
        trial_state(
            "03",
            VALUES_B,
            {
                "val_accuracy": ("max", [0.9, 0.91]),
                "params": ("min", [8330.0]),
                "seconds": ("min", [3.25]),
                "build_seconds": ("min", [0.5]),
                "fit_seconds": ("min", [3.5]),
                "bookkeeping_seconds": ("min", [0.125]),
            },
            score=0.91,
        ),
        trial_state("04", VALUES_A, {"val_accuracy": ("max", [0.7])}, status="RUNNING"),
    ]
    architectures = {
        "00": description("dense64-batch-relu | dense32-batch-relu", {"num_layers": 2}),
        "02": description(long_summary, {"num_layers": 3}),
        "03": description(
            "dense128-batch-relu",
            {"num_layers": 1, "layer_1": {"units": 128, "activation": "relu"}},
            GRAPH,
        ),
    }
    return make_project(root, states, search=SEARCH, architectures=architectures)


def plain_project(root, **kwargs):
    """A KerasTuner search without keras-nas's records, minimising val_loss."""
    states = [
        trial_state(
            "0",
            {"units": 32, "activation": "relu"},
            {"val_loss": ("min", [0.5, 0.4]), "val_accuracy": ("max", [0.8, 0.85])},
            score=0.4,
        ),
        trial_state(
            "1",
            {"units": 64, "activation": "tanh"},
            {"val_loss": ("min", [0.3]), "val_accuracy": ("max", [0.9])},
            score=0.3,
        ),
    ]
    return make_project(root, states, **kwargs)


def run_report(capsys, *args):
    status = cli.main(["report", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ------------------------------------------------------------------------------- file format
def test_trial_files_of_these_tests_have_keras_tuner_format(tmp_path):
    hp = keras_tuner.HyperParameters()
    hp.Choice("units", [16, 32], default=32)
    trial = Trial(hp, trial_id="3", status="COMPLETED")
    trial.metrics.register("val_accuracy", direction="max")
    trial.metrics.update("val_accuracy", 0.5, step=0)
    trial.metrics.update("val_accuracy", 0.75, step=1)
    trial.score, trial.best_step = 0.75, 0
    trial.save(str(tmp_path / "trial.json"))
    saved = json.loads((tmp_path / "trial.json").read_text())
    saved["hyperparameters"]["space"] = []
    assert saved == trial_state(
        "3", {"units": 32}, {"val_accuracy": ("max", [0.5, 0.75])}, score=0.75
    )


# ------------------------------------------------------------------------------------- text
def test_text_report_of_a_keras_nas_search(tmp_path, capsys):
    project = recorded_project(tmp_path)
    status, out, err = run_report(capsys, project, "--no-plots")
    assert status == 0 and err == ""
    expected = f"""\
        Search: {project}
        RegularizedEvolutionOracle over MLPSpace, keras-nas 0.1.0
        Trials: 5 of 8 (2 completed, 1 failed, 1 stopped early, 1 running)
        Time in 2 trials: 7.0 s; build 0.8 s (11%), fit 6.0 s (86%), bookkeeping 0.2 s (3%)
        Objective: val_accuracy (max)

        trial  status         score   params  flops   seconds  build/fit/other  architecture
        -----  -------------  ------  ------  ------  -------  ---------------  ------------------------------------------------------------
        00     completed      0.8600  12345   24690   2.9      0.3/2.5/0.1      dense64-batch-relu | dense32-batch-relu
        01     failed         -       -       -       -        -                num_layers=1, layer_1/units=128
        02     stopped early  0.6000  250000  500000  1.8      -                dense512-layer-swish-drop0.25 | dense256-batch-gelu-drop0...
        03     completed      0.9100  8330    -       4.1      0.5/3.5/0.1      dense128-batch-relu
        04     running        -       -       -       -        -                num_layers=2, layer_1/units=64, layer_2/units=32

        Failed trials:
          01: ValueError: Negative dimension size caused by subtracting 3 from 2

        Best trial 03: 0.9100
        Summary: dense128-batch-relu
        Genotype:
          num_layers = 1
          layer_1/units = 128
          layer_1/activation = relu
        """  # noqa: E501
    assert out == textwrap.dedent(expected)


def test_text_report_without_keras_nas_records_infers_the_objective(tmp_path, capsys):
    project = plain_project(tmp_path)
    status, out, _ = run_report(capsys, project, "--no-plots")
    assert status == 0
    assert out == textwrap.dedent(
        f"""\
        Search: {project}
        Trials: 2 (2 completed)
        Objective: val_loss (min), inferred from the scores (no search.json)

        trial  status     score   params  flops  seconds  build/fit/other  architecture
        -----  ---------  ------  ------  -----  -------  ---------------  -------------------------
        0      completed  0.4000  -       -      -        -                units=32, activation=relu
        1      completed  0.3000  -       -      -        -                units=64, activation=tanh

        Best trial 1: 0.3000
        Values:
          units = 64
          activation = tanh
        """
    )


def test_a_trials_seconds_are_its_recorded_total_and_its_split_adds_up_to_them(tmp_path):
    # The trial: 18.5 s at its last epoch report, 0.2 + 19.2 + 0.1 s when it ended.
    ended = {
        "val_accuracy": ("max", [0.8, 0.9]),
        "seconds": ("min", [9.5, 18.5]),
        "build_seconds": ("min", [0.2]),
        "fit_seconds": ("min", [19.2]),
        "bookkeeping_seconds": ("min", [0.1]),
    }
    # Rounded one by one, 0.25/2.5/0.125 would read 0.2/2.5/0.1: 2.8 s against 2.875 s.
    rounded = {
        "val_accuracy": ("max", [0.85]),
        "build_seconds": ("min", [0.25]),
        "fit_seconds": ("min", [2.5]),
        "bookkeeping_seconds": ("min", [0.125]),
    }
    running = {"val_accuracy": ("max", [0.7]), "seconds": ("min", [4.3])}
    states = [
        trial_state("0", VALUES_B, ended, score=0.9),
        trial_state("1", VALUES_B, rounded, score=0.85),
        trial_state("2", VALUES_B, running, status="RUNNING"),
    ]
    loaded = report.load_report(make_project(tmp_path, states, search=SEARCH))
    assert [row.seconds for row in loaded.rows] == [pytest.approx(19.5), 2.875, 4.3]
    table = report.format_report(loaded).splitlines()
    assert (
        table[3]
        == "Time in 2 trials: 22.4 s; build 0.5 s (2%), fit 21.7 s (97%), bookkeeping 0.2 s (1%)"
    )
    assert [line.split()[5:7] for line in table[8:11]] == [
        ["19.5", "0.2/19.2/0.1"],
        ["2.9", "0.3/2.5/0.1"],
        ["4.3", "-"],  # Running: the seconds of its last epoch report, until it records its parts.
    ]
    assert [trial["seconds"] for trial in report.report_json(loaded)["trials"]] == [
        pytest.approx(19.5),
        2.875,
        4.3,
    ]


def test_objective_unknown_when_no_metric_matches_the_scores(tmp_path):
    states = [
        trial_state("0", {"units": 8}, {"accuracy": ("max", [0.5])}, score=0.2),
        trial_state("1", {"units": 16}, {"accuracy": ("max", [0.4])}, score=0.1),
    ]
    loaded = report.load_report(make_project(tmp_path, states))
    assert (loaded.objective, loaded.objective_source) == ([], "unknown")
    assert (loaded.score_name, loaded.direction, loaded.best.trial_id) == ("score", "max", "0")
    assert "Objective: unknown (no search.json" in report.format_report(loaded)


def test_inference_prefers_the_validation_metric_when_both_match(tmp_path):
    metrics = {"accuracy": ("max", [1.0]), "val_accuracy": ("max", [1.0])}
    states = [trial_state("0", {"units": 8}, metrics, score=1.0)]
    loaded = report.load_report(make_project(tmp_path, states))
    assert loaded.objective == [report.Objective("val_accuracy", "max")]


def test_trials_follow_the_start_order_of_the_oracle(tmp_path):
    states = [trial_state(str(i), {"units": i}, score=0.1 * i) for i in (2, 10, 1)]
    project = make_project(tmp_path / "a", states, start_order=["10", "1"])
    assert [row.trial_id for row in report.load_report(project).rows] == ["10", "1", "2"]
    project = make_project(tmp_path / "b", states, start_order=[])
    assert [row.trial_id for row in report.load_report(project).rows] == ["1", "2", "10"]


def test_multi_objective_report_has_a_column_per_objective(tmp_path):
    search = {
        **SEARCH,
        "objective": [
            {"name": "val_accuracy", "direction": "max"},
            {"name": "params", "direction": "min"},
        ],
    }
    states = [
        trial_state(
            "0",
            VALUES_B,
            {"val_accuracy": ("max", [0.8, 0.9]), "params": ("min", [1000.0])},
            score=-0.9 + 1000,
        ),
        trial_state(
            "1",
            VALUES_A,
            {"val_accuracy": ("max", [0.95]), "params": ("min", [5000.0])},
            score=-0.95 + 5000,
        ),
    ]
    loaded = report.load_report(make_project(tmp_path, states, search=search))
    assert (loaded.score_name, loaded.direction, loaded.best.trial_id) == (
        "multi_objective",
        "min",
        "0",
    )
    assert [row.objectives for row in loaded.rows] == [
        {"val_accuracy": 0.9, "params": 1000.0},
        {"val_accuracy": 0.95, "params": 5000.0},
    ]
    lines = report.format_report(loaded).splitlines()
    assert lines[3] == (
        "Objectives: val_accuracy (max), params (min); "
        "score: KerasTuner's multi_objective (lower is better)"
    )
    assert lines[5].split() == [
        "trial",
        "status",
        "score",
        "val_accuracy",
        "params",
        "flops",
        "seconds",
        "build/fit/other",
        "architecture",
    ]
    assert lines[7].split()[:5] == ["0", "completed", "999.1000", "0.9000", "1000"]


def test_zero_cost_scores_get_a_column_and_their_rank_correlation_with_the_score(tmp_path):
    # Proxy ranks 3 > 1 > 0 > 2 (trial 2 scored NaN: last); trained ranks 3 > 0 > 1 > 2.
    proxy_and_score = [(0.1, 0.92), (0.5, 0.9), (float("nan"), 0.6), (0.8, 0.95)]
    states = [
        trial_state(
            str(i),
            {"units": 8 * (i + 1)},
            {"val_accuracy": ("max", [score]), "zero_cost/naswot": ("max", [proxy])},
            score=score,
        )
        for i, (proxy, score) in enumerate(proxy_and_score)
    ]
    states.append(trial_state("4", {"units": 40}, {"val_accuracy": ("max", [0.5])}, score=0.5))
    loaded = report.load_report(make_project(tmp_path, states, search=SEARCH))
    assert loaded.rows[1].zero_cost == {"naswot": 0.5} and loaded.rows[4].zero_cost == {}
    assert math.isnan(loaded.rows[2].zero_cost["naswot"])
    text = report.format_report(loaded)
    header = next(line for line in text.splitlines() if line.startswith("trial"))
    assert header.split()[:4] == ["trial", "status", "score", "zero_cost/naswot"]
    # Spearman of ranks (1, 2, 0, 3) and (2, 1, 0, 3): 1 - 6 * 2 / (4 * 15).
    assert_mentions(text, "Zero-cost proxy naswot: rank correlation 0.80 with the score over 4")
    trials = report.report_json(loaded)["trials"]
    assert trials[2]["zero_cost"] == {"naswot": None} and trials[4]["zero_cost"] == {}


def test_unreadable_trial_files_are_skipped_and_listed(tmp_path, capsys):
    project = plain_project(tmp_path)
    os.makedirs(os.path.join(project, "trial_2"))
    with open(os.path.join(project, "trial_2", "trial.json"), "w") as file:
        file.write('{"trial_id": "2", "hyperpa')
    os.makedirs(os.path.join(project, "trial_3"))
    status, out, _ = run_report(capsys, project, "--no-plots")
    assert status == 0
    assert out.endswith(
        "Skipped:\n"
        f"  {os.path.join(project, 'trial_2', 'trial.json')}: not valid JSON (being written?)\n"
        f"  {os.path.join(project, 'trial_3')}: no trial.json\n"
    )


# ------------------------------------------------------------------------------------- JSON
def test_json_report_round_trip(tmp_path, capsys):
    project = plain_project(tmp_path)
    status, out, _ = run_report(capsys, project, "--json", "--no-plots")
    assert status == 0
    document = json.loads(out)
    space = document.pop("space")  # Two trials are too few to diagnose the space.
    assert space == {"distribution": None, "effects": [], "edges": [], "control": None}
    assert document.pop("time") is None  # Its oracle.json holds no time record.
    assert document == {
        "directory": project,
        "search": None,
        "objective": {
            "source": "inferred",
            "objectives": [{"name": "val_loss", "direction": "min"}],
            "score": "val_loss",
            "direction": "min",
        },
        "best_trial": "1",
        "best_architecture": None,
        "trials": [
            {
                "trial": "0",
                "status": "completed",
                "score": 0.4,
                "params": None,
                "flops": None,
                "seconds": None,
                "timing": None,
                "architecture": "units=32, activation=relu",
                "objectives": {"val_loss": 0.4},
                "values": {"units": 32, "activation": "relu"},
                "message": None,
                "zero_cost": {},
            },
            {
                "trial": "1",
                "status": "completed",
                "score": 0.3,
                "params": None,
                "flops": None,
                "seconds": None,
                "timing": None,
                "architecture": "units=64, activation=tanh",
                "objectives": {"val_loss": 0.3},
                "values": {"units": 64, "activation": "tanh"},
                "message": None,
                "zero_cost": {},
            },
        ],
        "skipped": [],
        "transfer": None,
        "plots": [],
    }


def test_json_report_of_a_keras_nas_search_keeps_full_fields(tmp_path, capsys):
    project = recorded_project(tmp_path)
    out_dir = str(tmp_path / "plots")
    status, out, _ = run_report(capsys, project, "--json", "--out", out_dir)
    document = json.loads(out)
    assert status == 0
    assert document["search"] == SEARCH
    assert document["best_trial"] == "03"
    assert document["best_architecture"]["graph"] == GRAPH
    stopped = document["trials"][2]
    assert (stopped["status"], stopped["message"]) == ("stopped early", STOPPED)
    assert stopped["architecture"].endswith("dense64-tanh")  # Not truncated.
    assert (stopped["params"], stopped["seconds"], stopped["timing"]) == (250000, 1.75, None)
    assert document["trials"][0]["timing"] == {"build": 0.25, "fit": 2.5, "bookkeeping": 0.125}
    assert document["trials"][0]["seconds"] == 2.875  # The three parts, not the last epoch's 2.5.
    assert document["trials"][1]["message"] == TRACEBACK
    assert document["plots"] == [
        os.path.join(out_dir, "progress.png"),
        os.path.join(out_dir, "architecture.png"),
    ]


def test_nan_scores_become_null_in_json(tmp_path):
    states = [trial_state("0", {"units": 8}, {"val_loss": ("min", [float("nan")])}, score=None)]
    states[0]["score"] = float("nan")
    document = report.report_json(report.load_report(make_project(tmp_path, states)))
    assert document["trials"][0]["score"] is None
    json.dumps(document, allow_nan=False)


# ------------------------------------------------------------------------------------ plots
def decode(path):
    with open(path, "rb") as file:
        png = file.read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpimage.imread(io.BytesIO(png), format="png")
    assert pixels.size > 0
    return pixels


def test_plots_of_a_keras_nas_search(tmp_path, capsys):
    project = recorded_project(tmp_path)
    status, out, _ = run_report(capsys, project)
    assert status == 0
    progress = os.path.join(project, "progress.png")
    architecture = os.path.join(project, "architecture.png")
    assert out.rstrip().endswith(f"Plots: {progress}, {architecture}")
    decode(progress)
    assert decode(architecture).shape[0] > 200  # Three boxes, top to bottom, and a title.
    assert not os.path.exists(os.path.join(project, "pareto.png"))


def test_progress_png_draws_each_trial_at_its_id_as_the_table_numbers_it(tmp_path, monkeypatch):
    from keras_nas import plots

    figures = []
    monkeypatch.setattr(plots, "_png", lambda figure: figures.append(figure) or b"")
    states = [
        trial_state("0", VALUES_B, {"val_accuracy": ("max", [0.8])}, score=0.8),
        trial_state("1", VALUES_B, score=None, status="FAILED", message=TRACEBACK),
        trial_state("2", VALUES_B, {"val_accuracy": ("max", [0.95])}, score=0.95),
        trial_state("3", VALUES_B, {"val_accuracy": ("max", [0.9])}, score=0.9),
    ]
    loaded = report.load_report(make_project(tmp_path, states, search=SEARCH))
    report.write_report(loaded, str(tmp_path / "out"))
    axes = figures[0].axes[0]
    dots = {float(x): float(y) for x, y in axes.collections[0].get_offsets()}
    assert loaded.best.trial_id == "2" and max(dots, key=dots.get) == 2.0
    assert dots == {0.0: 0.8, 2.0: 0.95, 3.0: 0.9}
    assert list(axes.lines[1].get_xdata()) == [1.0]  # The failed trial's cross.


def test_progress_png_numbers_trials_in_start_order_when_ids_are_not_numbers(tmp_path, monkeypatch):
    from keras_nas import plots

    figures = []
    monkeypatch.setattr(plots, "_png", lambda figure: figures.append(figure) or b"")
    states = [
        trial_state(trial_id, VALUES_B, {"val_accuracy": ("max", [score])}, score=score)
        for trial_id, score in [("b", 0.7), ("a", 0.9)]
    ]
    loaded = report.load_report(make_project(tmp_path, states, start_order=["b", "a"]))
    report.write_report(loaded, str(tmp_path / "out"))
    dots = [(float(x), float(y)) for x, y in figures[0].axes[0].collections[0].get_offsets()]
    assert dots == [(0.0, 0.7), (1.0, 0.9)]


def test_plots_of_a_multi_objective_search_include_the_pareto_front(tmp_path):
    search = {
        **SEARCH,
        "objective": [
            {"name": "val_accuracy", "direction": "max"},
            {"name": "params", "direction": "min"},
        ],
    }
    states = [
        trial_state(
            str(i),
            VALUES_B,
            {"val_accuracy": ("max", [accuracy]), "params": ("min", [params])},
            score=params - accuracy,
        )
        for i, (accuracy, params) in enumerate([(0.8, 1e3), (0.9, 5e3), (0.85, 9e3)])
    ]
    loaded = report.load_report(make_project(tmp_path, states, search=search))
    paths = report.write_report(loaded, str(tmp_path / "out"))
    assert [os.path.basename(path) for path in paths] == ["progress.png", "pareto.png"]
    for path in paths:
        decode(path)


def test_plots_of_a_search_without_trials(tmp_path):
    loaded = report.load_report(make_project(tmp_path, []))
    (path,) = report.write_report(loaded, str(tmp_path / "out"))
    decode(path)
    assert report.format_report(loaded).endswith(
        "No trials yet.\n\nNo completed trial with a score yet."
    )


# ----------------------------------------------------------------------------------- errors
def test_missing_directory_exits_2_with_the_reason(tmp_path, capsys):
    missing = str(tmp_path / "nowhere")
    status, out, err = run_report(capsys, missing)
    assert (status, out) == (2, "")
    assert err.startswith("keras-nas report: error: ")
    assert_mentions(
        err,
        "project folder",
        "oracle.json",
        "trial_<id>/trial.json",
        f"Received: {missing!r}",
        "does not exist",
    )
    assert "Traceback" not in err


def test_parent_of_a_project_is_rejected_with_the_project_to_pass(tmp_path, capsys):
    project = plain_project(tmp_path)
    parent = os.path.dirname(project)
    status, _, err = run_report(capsys, parent)
    assert status == 2
    assert_mentions(
        err, f"Received: {parent!r}", "no oracle.json (it holds p)", f"`keras-nas report {project}`"
    )


def test_a_file_or_an_empty_folder_is_rejected(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("x")
    status, _, err = run_report(capsys, str(path))
    assert status == 2 and err.count("not a folder") == 1
    assert_mentions(err, f"Received: {str(path)!r}", "a file")
    (tmp_path / "empty").mkdir()
    status, _, err = run_report(capsys, str(tmp_path / "empty"))
    assert status == 2
    assert_mentions(err, "no oracle.json (it is empty)")


def test_invalid_oracle_or_search_json_exits_2(tmp_path, capsys):
    project = plain_project(tmp_path)
    with open(os.path.join(project, "search.json"), "w") as file:
        json.dump({"objective": [{"name": "val_loss", "direction": "down"}]}, file)
    status, _, err = run_report(capsys, project)
    assert status == 2
    assert_mentions(err, "search.json", '"objective"', "'direction': 'down'")
    with open(os.path.join(project, "oracle.json"), "w") as file:
        file.write("{")
    status, _, err = run_report(capsys, project)
    assert status == 2
    assert_mentions(err, "oracle.json", "JSON", "does not parse")


def test_report_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    text = capsys.readouterr().out
    for option in ["DIR", "--out", "--json", "--no-plots", "progress.png", "pareto.png"]:
        assert option in text


# -------------------------------------------------------------------------------- processes
def test_report_imports_no_tensorflow(tmp_path):
    """`keras-nas report` reads JSON only: a new process running it loads no TensorFlow."""
    project = recorded_project(tmp_path)
    script = textwrap.dedent(
        f"""
        import sys
        from keras_nas import cli
        assert cli.main(["report", {project!r}]) == 0
        heavy = ("tensorflow", "keras", "keras_tuner")
        print(sorted(name for name in heavy if name in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_report_on_a_real_search(tmp_path, capsys):
    from keras_nas import EvolutionarySearch
    from keras_nas.datasets import load_digits
    from keras_nas.search_spaces import MLPSpace

    (x, y), (x_val, y_val) = load_digits()
    space = MLPSpace(input_shape=(64,), num_classes=10)
    tuner = EvolutionarySearch(
        space,
        objective="val_accuracy",
        max_trials=2,
        seed=0,
        directory=str(tmp_path),
        project_name="digits",
    )
    tuner.search(
        x.reshape(-1, 64), y, validation_data=(x_val.reshape(-1, 64), y_val), epochs=1, verbose=0
    )
    capsys.readouterr()
    status, out, err = run_report(capsys, tuner.project_dir)
    assert status == 0, err
    best = tuner.oracle.get_best_trials(1)[0]
    assert "val_accuracy (max)" in out
    assert f"Best trial {best.trial_id}: {best.score:.4f}" in out
    table = out.split("\n\n")[1].splitlines()
    assert [line.split()[1] for line in table[2:]] == ["completed", "completed"]
    decode(os.path.join(tuner.project_dir, "progress.png"))


def test_the_report_diagnoses_the_space_from_oracle_json(tmp_path, capsys):
    depths = [1, 2, 3, 3, 3, 2]
    states = [
        trial_state(str(i), {"depth": depth, "unused": 1}, score=0.2 * depth)
        for i, depth in enumerate(depths)
    ]
    project = make_project(tmp_path, states, search=SEARCH)
    with open(os.path.join(project, "oracle.json")) as file:
        oracle = json.load(file)
    depth = {"name": "depth", "min_value": 1, "max_value": 3, "step": 1, "sampling": "linear"}
    unused = {"name": "unused", "values": [1, 2], "ordered": True}
    oracle["hyperparameters"] = {
        "space": [
            {"class_name": "Int", "config": depth},
            {"class_name": "Choice", "config": unused},
        ],
        "values": {},
    }
    oracle["active_hyperparameters"] = {str(i): ["depth"] for i in range(len(depths))}
    with open(os.path.join(project, "oracle.json"), "w") as file:
        json.dump(oracle, file)
    status, out, _ = run_report(capsys, project)
    assert status == 0
    assert "    depth  1.00  1: 0.2000 (1), 2: 0.4000 (2), 3: 0.6000 (3)" in out
    assert "unused" not in out.split("Search space:")[1].split("Best trial")[0]
    assert "  Warning: The best trials sit at the edge of `depth`: 3 of the 3 best take 3" in out
    status, out, _ = run_report(capsys, project, "--json")
    space = json.loads(out)["space"]
    assert space["distribution"]["count"] == 6
    assert [edge["name"] for edge in space["edges"]] == ["depth"]


def test_a_malformed_graph_is_left_out_and_listed(tmp_path, capsys):
    states = [trial_state("0", VALUES_B, {"val_accuracy": ("max", [0.9])}, score=0.9)]
    architectures = {"0": description("dense128-batch-relu", {"num_layers": 1}, {"nodes": 3})}
    project = make_project(tmp_path, states, search=SEARCH, architectures=architectures)
    status, out, _ = run_report(capsys, project)
    assert status == 0
    assert f'{project}/trial_0/architecture.json: graph is not {{"nodes": [...]' in out
    assert not os.path.exists(os.path.join(project, "architecture.png"))


def test_an_out_dir_that_cannot_be_written_exits_1(tmp_path, capsys):
    project = plain_project(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    status, out, err = run_report(capsys, project, "--out", str(blocker))
    assert (status, out) == (1, "")
    assert err.startswith("keras-nas report: error: ")
    assert_mentions(err, "cannot write the plots", str(blocker))
