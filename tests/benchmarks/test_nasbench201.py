"""Tests of the NAS-Bench-201 table benchmark, on a generated table (not the real one)."""

import csv
import itertools
import json

import pytest

from benchmarks import nasbench201 as benchmark
from keras_nas.search_spaces import load_nasbench201_table
from keras_nas.search_spaces.nasbench201 import OPERATIONS, _format_ops
from keras_nas.search_spaces.nasbench201_table import DATASET_COLUMNS

KEYS = {"strategy", "dataset", "budget", "runs", "noise", "mean", "std", "seconds_per_query"}


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    """Every cell, with an accuracy that grows with its number of 3x3 convolutions."""
    path = tmp_path_factory.mktemp("table") / "table.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*DATASET_COLUMNS.values(), "ArchitectureString"])
        for ops in itertools.product(OPERATIONS, repeat=6):
            score = 80.0 + 2.0 * ops.count("nor_conv_3x3") + 0.1 * ops.count("skip_connect")
            writer.writerow([score, score - 20, score - 40, _format_ops(ops)])
    return str(path)


def test_load_table_reads_every_dataset(table_path):
    table = load_nasbench201_table(table_path)
    assert len(table) == 5**6
    best = _format_ops(["nor_conv_3x3"] * 6)
    assert table[best] == {"cifar10": 92.0, "cifar100": 72.0, "imagenet16-120": 52.0}


def test_load_table_names_missing_columns(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ArchitectureString,CIFAR10TestAccuracy200Epochs\n")
    with pytest.raises(ValueError, match="lacks the columns"):
        load_nasbench201_table(str(path))


@pytest.mark.parametrize("strategy", benchmark.STRATEGIES)
def test_evaluate_runs_the_real_oracles(strategy, table_path):
    table = load_nasbench201_table(table_path)
    result = benchmark.evaluate(
        strategy, table, dataset="cifar100", budget=12, runs=2, noise=0.0, seed=0
    )
    assert set(result) == KEYS
    assert result["strategy"] == strategy and result["runs"] == 2
    assert 60.0 <= result["mean"] <= 72.0
    again = benchmark.evaluate(
        strategy, table, dataset="cifar100", budget=12, runs=2, noise=0.0, seed=0
    )
    assert again["mean"] == result["mean"]


def test_noise_changes_rewards_but_not_the_reported_true_accuracy_scale(table_path):
    table = load_nasbench201_table(table_path)
    space = benchmark.make_space()
    accuracy = benchmark.run_once(
        "evolution", table, dataset="cifar10", budget=10, noise=5.0, seed=1, space=space
    )
    assert accuracy in {80.0 + 2.0 * i + 0.1 * j for i in range(7) for j in range(7)}


def test_main_prints_one_json_object_per_strategy(table_path, capsys):
    benchmark.main(
        [
            "--table",
            table_path,
            "--strategy",
            "random",
            "evolution",
            "--budget",
            "5",
            "--runs",
            "1",
            "--dataset",
            "cifar10",
            "--json",
        ]
    )
    lines = capsys.readouterr().out.strip().splitlines()
    results = [json.loads(line) for line in lines]
    assert [r["strategy"] for r in results] == ["random", "evolution"]
    assert all(set(r) == KEYS for r in results)
