"""Shared fixtures for the intent-matcher tests."""

from __future__ import annotations

import pytest

from bot.nlu import IntentMatcher, get_matcher


@pytest.fixture(scope="session")
def matcher() -> IntentMatcher:
    """The process-wide matcher (built once: warm-up is the lexicon compile)."""
    return get_matcher()
