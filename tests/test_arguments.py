"""Public counts and numbers are refused before anything starts, with the package's message."""

import numpy as np
import pytest

from keras_nas.arguments import check_bool, check_count, check_number, check_seed
from tests.messages import raises_mentioning


def test_check_count_returns_a_python_int():
    assert check_count("epochs", np.int64(3)) == 3
    assert type(check_count("epochs", np.int64(3))) is int
    assert check_count("max_retries_per_trial", 0, minimum=0) == 0


@pytest.mark.parametrize(
    ("value", "received"),
    [
        (0, "max_trials=0"),
        (-2, "max_trials=-2"),
        ("6", "max_trials='6' (a str)"),
        (6.0, "max_trials=6.0"),
        (True, "max_trials=True"),
    ],
)
def test_check_count_refuses_what_is_not_a_positive_integer(value, received):
    with raises_mentioning(
        ValueError, "`max_trials`", "positive integer", f"Received: {received}."
    ):
        check_count("max_trials", value)


def test_check_count_says_what_none_does_when_it_is_accepted():
    assert check_count("max_trials", None, none_means="search without a limit") is None
    with raises_mentioning(ValueError, "None to search without a limit", "max_trials=0"):
        check_count("max_trials", 0, none_means="search without a limit")
    with raises_mentioning(ValueError, "`epochs`", "Received: epochs=None"):
        check_count("epochs", None)


def test_check_count_with_a_minimum_other_than_one():
    with raises_mentioning(ValueError, "`retries`", "at least 0", "Received: retries=-1"):
        check_count("retries", -1, minimum=0)


def test_check_number_bounds():
    assert check_number("split", 0, minimum=0, below=1) == 0.0
    with raises_mentioning(ValueError, "`split`", "at least 0", "below 1", "Received: split=1"):
        check_number("split", 1, minimum=0, below=1)
    with raises_mentioning(ValueError, "`rate`", "above 0", "Received: rate=nan"):
        check_number("rate", float("nan"), above=0)
    with raises_mentioning(ValueError, "`x`", "finite number", "Received: x=False"):
        check_number("x", False)
    assert check_number("rate", None, above=0, none_means="keep the default") is None


def test_check_bool_and_seed():
    assert check_bool("overwrite", False) is False
    with raises_mentioning(ValueError, "`overwrite`", "True or False", "Received: overwrite=1"):
        check_bool("overwrite", 1)
    assert check_seed(0) == 0
    with raises_mentioning(
        ValueError, "`seed`", "None to draw a random seed", "Received: seed='1'"
    ):
        check_seed("1")
