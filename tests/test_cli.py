"""Tests of the `keras-nas` command line."""

import subprocess
import sys

import pytest

from keras_nas import cli
from tests.messages import assert_mentions


def test_help_lists_the_demo(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    assert "demo" in capsys.readouterr().out


def test_demo_help_explains_every_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    text = capsys.readouterr().out
    for option in ["--trials", "--epochs", "--directory", "--seed", "--resume"]:
        assert option in text


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: keras-nas" in capsys.readouterr().out


def test_invalid_trials_is_rejected_before_any_work(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--trials", "0"])
    assert exit_info.value.code == 2
    assert_mentions(capsys.readouterr().err, "--trials", "positive integer", "'0'")


def test_demo_command_runs_a_search(tmp_path, capsys):
    status = cli.main(["demo", "--trials", "1", "--epochs", "1", "--directory", str(tmp_path)])
    assert status == 0
    assert "[ 1/1] trial 0" in capsys.readouterr().out
    assert (tmp_path / "digits" / "best_model.keras").is_file()


def test_version_from_a_new_process():
    result = subprocess.run(
        [sys.executable, "-m", "keras_nas.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"keras-nas {cli.__version__}"


def test_help_lists_the_report(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "report" in capsys.readouterr().out


def test_help_lists_the_export(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "export" in capsys.readouterr().out
