"""The README and the guides in docs/ stay true: their code runs as written, with a smaller
budget."""

import ast
import collections
import json
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


def _outside_code(text: str):
    """The lines of a markdown text, each with the language of the fenced block it opens
    (`""` for a block without one), or `None` outside code blocks; a block's content is left
    out."""
    fence = None
    for line in text.splitlines():
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
                yield line, fence
            else:
                fence = None
        elif fence is None:
            yield line, None


def _headings(text: str) -> list[str]:
    return [line.lstrip("#").strip() for line, _ in _outside_code(text) if re.match(r"#+ ", line)]


def _python_sections() -> list[tuple[str, str | None]]:
    """`(document, heading)` of every python block of the README and the guides: the heading
    (at any level) of the section that holds it, `None` above the first heading."""
    found = []
    for document in DOCUMENTS:
        heading = None
        for line, fence in _outside_code(document.read_text()):
            if re.match(r"#+ ", line):
                heading = line.lstrip("#").strip()
            elif fence == "python":
                found.append((document.name, heading))
    return found


def _headings_the_tests_run() -> set[str]:
    """The headings whose python block a test of this module runs: the first argument of
    each `_run_smaller` or `_python_block` call in a `test_` function, a string literal."""
    headings = set()
    for function in ast.parse(pathlib.Path(__file__).read_text()).body:
        if not (isinstance(function, ast.FunctionDef) and function.name.startswith("test_")):
            continue
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_run_smaller", "_python_block")
            ):
                heading = node.args[0]
                assert isinstance(heading, ast.Constant), (
                    f"{function.name} names its heading by a string literal, so that "
                    "test_every_python_block_runs sees it"
                )
                headings.add(heading.value.lstrip("# "))
    return headings


def _run_smaller(heading, replacements, directory, monkeypatch):
    """Runs the section's python block in `directory` with each `(written, smaller)` applied;
    each `written` must be in the block."""
    code = _python_block(heading)
    for written, smaller in replacements:
        assert written in code
        code = code.replace(written, smaller)
    monkeypatch.chdir(directory)
    exec(compile(code, heading, "exec"), {})


#: A `MacroSpace` of narrow one-block stages: its candidates train in a fraction of the time.
SMALL_MACRO_SPACE = ("num_classes=10)", "num_classes=10, widths=(16,), depths=(1,))")
#: The demo's space made as small: `digits_space()` with narrow one-block stages.
SMALL_MACRO_SPACE_DEMO = (
    "digits_space()",
    "digits_space().from_config({**digits_space().get_config(), 'widths': (16,), 'depths': (1,)})",
)


def test_tour_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "## A tour",
        [("max_trials=10", "max_trials=1"), ("epochs=5", "epochs=1"), SMALL_MACRO_SPACE],
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


#: NAS-Bench-201 cells of two operations: the relaxed supernet traces in seconds.
TWO_OPERATIONS = (
    "cells_per_stage=1, channels=8)",
    'cells_per_stage=1, channels=4, operations=("skip_connect", "nor_conv_1x1"))',
)


def test_gradient_search_guide_runs(tmp_path, monkeypatch, capsys):
    smaller = [
        TWO_OPERATIONS,
        ("epochs=20", "epochs=1"),
        ("epochs=15, seeds=[0, 1]", "epochs=1, seeds=[0]"),
    ]
    _run_smaller("## Search a cell by gradient", smaller, tmp_path, monkeypatch)
    assert "cell/edge_1/op" in capsys.readouterr().out
    assert (tmp_path / "gdas.keras").is_file()
    runs = {path.name for path in (tmp_path / "runs" / "gdas" / "tensorboard").iterdir()}
    assert {"architecture", "train", "validation"} <= runs


def test_hardware_aware_gradient_search_runs(tmp_path, monkeypatch, capsys):
    smaller = [
        ("epochs=20", "epochs=1"),
        ("depths=(1, 2)", "depths=(1,)"),
        ("expansions=(3, 6)", "expansions=(3,)"),
    ]
    _run_smaller("## Hardware-aware: a cost term", smaller, tmp_path, monkeypatch)
    summary, flops, cost = capsys.readouterr().out.strip().splitlines()[-3:]
    assert summary.startswith("w0.5 | k")
    assert int(flops) > 0 and 0.0 < float(cost) < 2.0


def test_early_stopping_section_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "## Early stopping of poor trials",
        [("max_trials=12", "max_trials=2"), ("epochs=6)", "epochs=1)"), ("epochs=30", "epochs=1")],
        tmp_path,
        monkeypatch,
    )
    loss, accuracy = ast.literal_eval(capsys.readouterr().out.strip().splitlines()[-1])
    assert loss > 0 and 0 <= accuracy <= 1
    project = tmp_path / "runs" / "pruned"
    assert sorted(path.name for path in project.glob("trial_*")) == ["trial_0", "trial_1"]


def test_zero_cost_section_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "## Zero-cost proxies: rank candidates before training",
        [("range(20)", "range(3)"), ("epochs=10", "epochs=1")],
        tmp_path,
        monkeypatch,
    )
    arch, scores = capsys.readouterr().out.strip().splitlines()[-1].split(" ", 1)
    assert arch.startswith("|") and arch.endswith("|")
    assert sorted(ast.literal_eval(scores)) == ["naswot", "synflow"]


def test_zero_cost_search_section_runs(tmp_path, monkeypatch, capsys):
    smaller = [
        ("max_trials=20", "max_trials=2"),
        ("epochs=5", "epochs=1"),
        ("candidates=10, warm_start=100", "candidates=2, warm_start=3"),
        ("population_size=10, sample_size=5", "population_size=2, sample_size=2"),
        ("channels=8)", "channels=4)"),
    ]
    _run_smaller(
        "## Zero-cost proxies in a search: pre-filter and warm start",
        smaller,
        tmp_path,
        monkeypatch,
    )
    proxy, score = map(float, capsys.readouterr().out.strip().splitlines()[-1].split())
    assert proxy > 0 and 0 <= score <= 1
    pool = json.loads((tmp_path / "runs" / "zero_cost" / "zero_cost_pool.json").read_text())
    assert len(pool["pool"]) == 3


def test_proxy_task_section_runs(tmp_path, monkeypatch, capsys):
    smaller = [
        ("max_trials=20", "max_trials=2"),
        ("epochs=3)", "epochs=1)"),
        ("top_k=5, epochs=10", "top_k=2, epochs=1"),
        SMALL_MACRO_SPACE,
    ]
    _run_smaller(
        "## Proxy tasks: search on a cheaper setting, then transfer", smaller, tmp_path, monkeypatch
    )
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith("stem32 | ")
    record = json.loads((tmp_path / "runs" / "proxy" / "transfer.json").read_text())
    assert len(record["architectures"]) == 2


def test_weight_sharing_section_runs(tmp_path, monkeypatch, capsys):
    smaller = [
        ("max_trials=20", "max_trials=2"),
        ("epochs=2)", "epochs=1)"),
        ("max_trials=100", "max_trials=2"),
        ("supernet_epochs=10", "supernet_epochs=1"),
        ("top_k=3, epochs=10", "top_k=1, epochs=1"),
        ("cells_per_stage=1)", 'cells_per_stage=1, operations=("skip_connect", "nor_conv_3x3"))'),
    ]
    _run_smaller("## Weight sharing and one-shot search", smaller, tmp_path, monkeypatch)
    assert "'stand_alone':" in capsys.readouterr().out
    assert (tmp_path / "one_shot.keras").is_file()
    assert any((tmp_path / "runs" / "inherit" / "shared_weights").iterdir())


def test_tensorboard_section_runs(tmp_path, monkeypatch):
    _run_smaller(
        "# TensorBoard: a run per trial and one for the whole search",
        [("max_trials=12", "max_trials=2"), ("epochs=6", "epochs=1"), SMALL_MACRO_SPACE],
        tmp_path,
        monkeypatch,
    )
    logs = tmp_path / "runs" / "watched" / "tensorboard"
    assert sorted(path.name for path in logs.iterdir()) == ["0", "1", "search"]
    assert (tmp_path / "runs" / "watched" / "search.json").is_file()
    assert (tmp_path / "runs" / "watched" / "trial_0" / "architecture.json").is_file()


def test_distributed_section_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "# Distributed search: several devices, processes and hosts",
        [("max_trials=20", "max_trials=1"), ("epochs=5", "epochs=1"), SMALL_MACRO_SPACE],
        tmp_path,
        monkeypatch,
    )
    assert "[ 1/1] trial 0" in capsys.readouterr().out


def test_reliability_section_runs(tmp_path, monkeypatch):
    smaller = [("max_trials=20", "max_trials=2"), ("epochs=3", "epochs=1")]
    for _ in range(2):  # The same script again resumes: the 2 trials are kept, none is added.
        _run_smaller(
            "# Reliability: crash-safe resume, failed trials, lost workers, bad input",
            smaller,
            tmp_path,
            monkeypatch,
        )
    project = tmp_path / "runs" / "long"
    assert sorted(path.name for path in project.glob("trial_*")) == ["trial_0", "trial_1"]


def test_reproducible_searches_section_runs(tmp_path, monkeypatch, capsys):
    smaller = [("max_trials=4", "max_trials=2"), ("epochs=2", "epochs=1")]
    _run_smaller("## Reproducible searches", smaller, tmp_path, monkeypatch)
    first, second = capsys.readouterr().out.strip().splitlines()
    assert first == second and len(ast.literal_eval(first)) == 2
    assert (tmp_path / "runs" / "first" / "manifest.json").is_file()


def test_hardware_aware_section_runs(tmp_path, monkeypatch, capsys):
    smaller = [
        ("max_trials=30", "max_trials=2"),
        ("max_trials=10", "max_trials=1"),
        ("epochs=3)", "epochs=1)"),
        SMALL_MACRO_SPACE,
    ]
    _run_smaller(
        "# Hardware-aware search: costs as objectives and limits, Pareto fronts, compound scaling",
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
    *_, best, read = capsys.readouterr().out.strip().splitlines()  # The plain tuner's.
    best = ast.literal_eval(best)
    assert {"conv_layers", "conv_0/filters", "conv_0/kernel", "lr"} <= set(best)
    layers = best["conv_layers"]
    expected = [f"conv_{i}/{name}" for i in range(layers) for name in ("filters", "kernel")]
    assert ast.literal_eval(read) == sorted(["conv_layers", "lr", *expected])
    assert sorted(p.name for p in (tmp_path / "runs" / "own_build").glob("trial_*")) == [
        "trial_0",
        "trial_1",
    ]
    assert sorted(p.name for p in (tmp_path / "runs" / "plain_tuner").glob("trial_*")) == [
        "trial_0",
        "trial_1",
    ]


def test_choosing_a_search_space_section_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "## Choosing a search space, and checking it",
        [
            ("max_trials=16", "max_trials=4"),
            ("epochs=3", "epochs=1"),
            ("tuner.search(x, y,", "tuner.search(x[:400], y[:400],"),
            SMALL_MACRO_SPACE_DEMO,
        ],
        tmp_path,
        monkeypatch,
    )
    out = capsys.readouterr().out
    assert "Search space:\n  Scores of 4 trials: mean" in out
    assert "  Random control: 2 trials, best " in out
    assert "the strategy: 2 trials, best" in out


def test_published_architectures_section_runs(tmp_path, monkeypatch, capsys):
    _run_smaller(
        "## Published architectures",
        [
            (  # The paper's network takes 5 s to build; the section's test builds a small one.
                'paper = NASNetCellSpace.paper_space("darts_v2")',
                "paper = NASNetCellSpace(input_shape=(8, 8, 1), num_blocks=4)",
            )
        ],
        tmp_path,
        monkeypatch,
    )
    out = capsys.readouterr().out
    assert "DARTS-V2 (Liu, Simonyan and Yang, DARTS, ICLR 2019" in out
    assert "trainable parameters" in out
    assert "normal: [sep_conv_3x3(0)+sep_conv_3x3(1)]" in out


def test_benchmark_command_names_no_path_of_this_repository():
    assert not [doc.name for doc in DOCUMENTS if "../shared" in doc.read_text()]


def test_every_python_block_runs():
    # Each python block is the only one of its section, under a heading that no other
    # document has, and a test above runs it; a fragment that cannot run alone is ```text.
    sections = _python_sections()
    assert None not in {heading for _, heading in sections}, "a python block above any heading"
    assert not [s for s, n in collections.Counter(sections).items() if n > 1], (
        "a section with several python blocks: only its first would run"
    )
    documents_by_heading = collections.defaultdict(set)
    for document, heading in sections:
        documents_by_heading[heading].add(document)
    assert not {h: d for h, d in documents_by_heading.items() if len(d) > 1}
    run = _headings_the_tests_run()
    assert not [section for section in sections if section[1] not in run], "not run by a test"
    assert run <= set(documents_by_heading), "a test runs a heading without a python block"


def test_the_readme_links_every_guide():
    guides = {path.name for path in DOCUMENTS[1:]}
    linked = set(re.findall(r"\(docs/([\w-]+\.md)(?:#[\w-]+)?\)", README.read_text()))
    assert guides and guides == linked


def _anchor(heading: str) -> str:
    # GitHub's: lower case, punctuation other than "-" dropped, spaces to "-".
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_every_link_between_the_documents_leads_somewhere():
    broken = []
    for document in DOCUMENTS:
        text = "\n".join(line for line, fence in _outside_code(document.read_text()) if not fence)
        for link in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", link):
                continue  # A URL.
            path, _, anchor = link.partition("#")
            target = (document.parent / path).resolve() if path else document
            if not target.exists():
                broken.append((document.name, link))
            elif anchor and anchor not in {_anchor(h) for h in _headings(target.read_text())}:
                broken.append((document.name, link))
    assert not broken
