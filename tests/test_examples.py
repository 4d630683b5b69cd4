"""The examples run: their code paths are exercised on the bundled digits."""

import importlib.util
import pathlib

import pytest

from keras_nas.search_spaces import NASBench201Space

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_digits(tmp_path, capsys):
    model = _load("quickstart_digits").main(max_trials=1, epochs=1, directory=str(tmp_path))
    assert model.output_shape == (None, 10)
    assert "Best val_accuracy" in capsys.readouterr().out
    assert (tmp_path / "quickstart_digits" / "best_model.keras").is_file()


def test_cifar10_code_path_on_digits(tmp_path, capsys):
    tuner = _load("cifar10").main(
        dataset="digits", max_trials=1, epochs=1, batch_size=64, directory=str(tmp_path)
    )
    assert len(tuner.oracle.trials) == 1
    assert "val_accuracy" in capsys.readouterr().out


def test_cifar10_rejects_unknown_dataset():
    with pytest.raises(ValueError, match="`dataset` must be 'cifar10' or 'digits'"):
        _load("cifar10").load_data("mnist")


def test_one_shot_digits(tmp_path, capsys, monkeypatch):
    example = _load("one_shot_digits")
    full_space = example.make_space("nasbench201")
    assert full_space.supports_one_shot()
    assert full_space.build_supernet().output_shape == (None, 10)
    # The run itself on two of the five operations: tracing the full supernet's training
    # step takes most of a minute and tests nothing more of the example.
    monkeypatch.setattr(
        example,
        "make_space",
        lambda name: NASBench201Space(
            input_shape=(8, 8, 1),
            num_classes=10,
            cells_per_stage=1,
            channels=4,
            operations=("skip_connect", "nor_conv_3x3"),
        ),
    )
    tuner = example.main(
        space="nasbench201",
        supernet_epochs=1,
        max_trials=2,
        retrain_epochs=1,
        retrain_top_k=1,
        path_sampling="fair",
        supernet_schedule="cosine",
        directory=str(tmp_path),
    )
    assert (tuner.path_sampling, tuner.supernet_schedule) == ("fair", "cosine")
    assert len(tuner.oracle.trials) == 2
    assert capsys.readouterr().out.count("'stand_alone':") == 1
    assert (tmp_path / "one_shot_digits_nasbench201" / "best_one_shot.keras").is_file()


def test_one_shot_digits_macro_space_builds_its_supernet():
    # The example's whole run with `--space macro` differs only by this space; running it in
    # full takes over a minute (tracing the supernet), and MacroSpace one-shot search is
    # tested end to end in tests/weight_sharing/test_elastic_width.py.
    space = _load("one_shot_digits").make_space("macro")
    assert space.supports_one_shot()
    assert space.build_supernet().output_shape == (None, 10)


def test_parallel_search_runs_alone_as_one_process(tmp_path, capsys):
    _load("parallel_search").main(
        ["--trials", "1", "--epochs", "1", "--directory", str(tmp_path), "--json"]
    )
    out = capsys.readouterr().out
    assert "trials: 1, best " in out and "stem32 | " in out
    assert out.count('"status": "COMPLETED"') == 1


def test_compound_scaling_digits(tmp_path, capsys):
    family = _load("compound_scaling_digits").main(max_trials=2, epochs=1, directory=str(tmp_path))
    assert [member["phi"] for member in family] == [0, 1, 2, 3]
    flops = [member["flops"] for member in family]
    assert flops == sorted(flops) and flops[3] > 3 * flops[0]  # Each step about doubles.
    assert "Best coefficients: alpha=" in capsys.readouterr().out


def test_gradient_search_digits(tmp_path, capsys, monkeypatch):
    example = _load("gradient_search_digits")
    assert all(example.make_space(name).relaxation_problem() is None for name in example.SPACES)
    # Two operations keep the relaxed supernet quick to trace; the full one is the same code.
    monkeypatch.setattr(
        example,
        "make_space",
        lambda name: NASBench201Space(
            input_shape=(8, 8, 1),
            num_classes=10,
            cells_per_stage=1,
            channels=4,
            operations=("skip_connect", "nor_conv_1x1"),
        ),
    )
    table = tmp_path / "table.csv"
    rows = [
        "|"
        + "|+|".join(
            "|".join(f"{op}~{source}" for source, op in enumerate(ops))
            for ops in ((a,), (b, c), (d, e, f))
        )
        + "|"
        for a in ("skip_connect", "nor_conv_1x1")
        for b in ("skip_connect", "nor_conv_1x1")
        for c in ("skip_connect", "nor_conv_1x1")
        for d in ("skip_connect", "nor_conv_1x1")
        for e in ("skip_connect", "nor_conv_1x1")
        for f in ("skip_connect", "nor_conv_1x1")
    ]
    table.write_text(
        "ArchitectureString,CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,"
        "ImageNetTestAccuracy200Epochs\n" + "".join(f"{row},90.5,70.0,40.0\n" for row in rows)
    )
    tuner = example.main(
        method="darts", epochs=1, retrain_epochs=1, table=str(table), directory=str(tmp_path)
    )
    out = capsys.readouterr().out
    assert "derived: |" in out and "in NAS-Bench-201: 90.50" in out
    assert out.count("'stand_alone':") == 1 and "'seeds': [0, 1]" in out
    assert len(tuner.oracle.trials) == 1
    assert (tmp_path / "gradient_search_nasbench201_darts" / "derived.keras").is_file()
