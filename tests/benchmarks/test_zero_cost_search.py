"""Tests of the zero-cost search benchmark on a generated table with a stored, perfect proxy."""

import csv
import itertools
import json

from benchmarks import zero_cost_search as benchmark
from keras_nas.search_spaces.nasbench201 import OPERATIONS, _format_ops
from keras_nas.search_spaces.nasbench201_table import DATASET_COLUMNS


def _accuracy(ops):
    return 80.0 + 2.0 * ops.count("nor_conv_3x3") + 0.1 * ops.count("skip_connect")


def test_a_perfect_proxy_is_read_from_the_scores_file_and_helps(tmp_path, capsys):
    table, scores = tmp_path / "table.csv", {}
    with open(table, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*DATASET_COLUMNS.values(), "ArchitectureString", "UniqueString"])
        for ops in itertools.product(OPERATIONS, repeat=6):
            arch = _format_ops(ops)
            writer.writerow([_accuracy(ops), 0.0, 0.0, arch, arch])
            scores[arch] = _accuracy(ops)  # The proxy ranks exactly as the table.
    path = tmp_path / "scores.json"
    path.write_text(json.dumps({"proxy": "synflow", "scores": scores}))
    arguments = ["--table", str(table), "--scores", str(path), "--budget", "12", "--runs", "2"]
    assert benchmark.main([*arguments, "--candidates", "5", "--noise", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "Spearman 1.000" in out and "over 15625 cells" in out
    plain, filtered = (line.split("|") for line in out.splitlines() if line.startswith("| evo"))
    assert filtered[2].strip() == plain[2].strip() == "12"  # Trained queries.
    assert float(filtered[3]) >= float(plain[3])
    assert filtered[5].strip() == "5.0"  # Five proposals scored for each trained query.
