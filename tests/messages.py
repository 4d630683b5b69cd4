"""Checks of what a message says, not of how it says it.

A message's meaning is a few facts: the parameter it names, the value it received, the fix it
asks for. The tests check each fact as a short piece of text, so that rewording a sentence
does not break them, while a message that drops a fact still fails.
"""

import contextlib

import pytest


def assert_mentions(text, *facts):
    """Asserts that `text` holds every one of `facts`, each a short piece of text."""
    missing = [fact for fact in facts if fact not in text]
    assert not missing, f"{missing} not in {text!r}"


@contextlib.contextmanager
def raises_mentioning(exception, *facts):
    """`pytest.raises(exception)` whose message holds every one of `facts`."""
    with pytest.raises(exception) as info:
        yield info
    assert_mentions(str(info.value), *facts)
