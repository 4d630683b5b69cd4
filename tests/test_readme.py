"""The README and the guides in docs/ stay true: their code runs as written, with a smaller
budget."""

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: The README and the guides in docs/, whose code must run as written.
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def _python_block(heading: str) -> str:
    # The first python block after the heading (at any level, in the README or a guide),
    # within its section.
    title = heading.lstrip("# ")
    for document in DOCUMENTS:
        parts = re.split(rf"^#+ {re.escape(title)}\n", document.read_text(), flags=re.M)
        if len(parts) > 1:
            section = re.split(r"^##+ ", parts[1], flags=re.M)[0]
            match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
            assert match, f"{document.name} has no python block under {heading!r}"
            return match.group(1)
    raise AssertionError(f"No document has the heading {title!r}")


def _run_smaller(heading, replacements, directory, monkeypatch):
    """Runs the section's python block in `directory` with each `(written, smaller)` applied;
    each `written` must be in the block."""
    code = _python_block(heading)
    for written, smaller in replacements:
        assert written in code
        code = code.replace(written, smaller)
    monkeypatch.chdir(directory)
    exec(compile(code, heading, "exec"), {})


def test_tour_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "## A tour",
        [("max_trials=10", "max_trials=1"), ("epochs=5", "epochs=1")],
        tmp_path,
        monkeypatch,
    )
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("stem32 | ")
    assert (tmp_path / "best.keras").is_file()
    assert (tmp_path / "runs" / "digits" / "tensorboard").is_dir()


def test_quickstart_has_exactly_the_two_commands():
    quickstart = README.read_text().split("## Quickstart")[1].split("\n## ")[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quickstart, re.DOTALL)
    assert commands == ["pip install . && keras-nas demo", 'pip install ".[test]" && pytest']


def test_weight_sharing_section_runs(tmp_path, monkeypatch, capsys):
    smaller = [
        ("max_trials=20", "max_trials=2"),
        ("epochs=2)", "epochs=1)"),
        ("max_trials=100", "max_trials=2"),
        ("supernet_epochs=10", "supernet_epochs=1"),
        ("top_k=3, epochs=10", "top_k=1, epochs=1"),
        ("cells_per_stage=1)", 'cells_per_stage=1, operations=("skip_connect", "nor_conv_3x3"))'),
    ]
    _run_smaller("### Weight sharing and one-shot search", smaller, tmp_path, monkeypatch)
    assert "'stand_alone':" in capsys.readouterr().out
    assert (tmp_path / "one_shot.keras").is_file()
    assert any((tmp_path / "runs" / "inherit" / "shared_weights").iterdir())


def test_watching_section_runs(tmp_path, monkeypatch):
    _run_smaller(
        "### Watching a search: TensorBoard, early stopping, reports",
        [("max_trials=12", "max_trials=2"), ("epochs=6", "epochs=2")],
        tmp_path,
        monkeypatch,
    )
    logs = tmp_path / "runs" / "watched" / "tensorboard"
    assert sorted(path.name for path in logs.iterdir()) == ["0", "1", "search"]
    assert (tmp_path / "runs" / "watched" / "search.json").is_file()
    assert (tmp_path / "runs" / "watched" / "trial_0" / "architecture.json").is_file()


def test_scaling_out_section_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "### Scaling out: several devices, processes and hosts",
        [("max_trials=20", "max_trials=1"), ("epochs=5", "epochs=1")],
        tmp_path,
        monkeypatch,
    )
    assert "[ 1/1] trial 0" in capsys.readouterr().out


def test_long_searches_section_runs(tmp_path, monkeypatch):
    heading = "### Long searches: resuming, failed candidates, bad input"
    smaller = [("max_trials=20", "max_trials=2"), ("epochs=3", "epochs=1")]
    _run_smaller(heading, smaller, tmp_path, monkeypatch)
    # The same script again resumes: the 2 trials are kept, none is added.
    _run_smaller(heading, smaller, tmp_path, monkeypatch)
    project = tmp_path / "runs" / "long"
    assert sorted(path.name for path in project.glob("trial_*")) == ["trial_0", "trial_1"]


def test_hardware_aware_section_runs(tmp_path, monkeypatch, capsys):
    smaller = [
        ("max_trials=30", "max_trials=2"),
        ("max_trials=10", "max_trials=1"),
        ("epochs=3)", "epochs=1)"),
    ]
    _run_smaller(
        "### Hardware-aware search: costs as objectives and limits, Pareto fronts, compound "
        "scaling",
        smaller,
        tmp_path,
        monkeypatch,
    )
    front = [
        line.split()
        for line in capsys.readouterr().out.splitlines()
        if re.fullmatch(r"\d+ [0-9.]+ [0-9.e-]+", line)
    ]
    assert front and all(0 < float(latency) <= 5 for _, _, latency in front)
    assert (tmp_path / "runs" / "mnas" / "oracle.json").exists()


def test_own_pipeline_section_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "### Bring your own pipeline and build function",
        [
            ("max_trials=10, seed=0,\n", "max_trials=2, seed=0,\n"),
            ("max_trials=10, seed=0)", "max_trials=2, seed=0)"),
            ("epochs=3)", "epochs=1)"),
        ],
        tmp_path,
        monkeypatch,
    )
    best = ast.literal_eval(capsys.readouterr().out.strip().splitlines()[-1])  # Plain tuner's.
    assert {"conv_layers", "conv_0/filters", "conv_0/kernel", "lr"} <= set(best)
    assert sorted(p.name for p in (tmp_path / "runs" / "own_build").glob("trial_*")) == [
        "trial_0",
        "trial_1",
    ]
    assert sorted(p.name for p in (tmp_path / "runs" / "plain_tuner").glob("trial_*")) == [
        "trial_0",
        "trial_1",
    ]


def test_benchmark_command_names_no_path_of_this_repository():
    assert not [doc.name for doc in DOCUMENTS if "../shared" in doc.read_text()]


def test_the_readme_links_every_guide():
    guides = {path.name for path in DOCUMENTS[1:]}
    assert guides and guides == set(re.findall(r"\(docs/([\w-]+\.md)\)", README.read_text()))
