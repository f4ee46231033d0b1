"""Fixtures shared by the fake LINE API's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.fakeline import FakeLine


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[FakeLine]:
    """One fake per test module, accepting the module's ``TOKEN``."""
    with FakeLine(token=request.module.TOKEN) as fake:
        yield fake


@pytest.fixture
def fake(server: FakeLine) -> FakeLine:
    """The module's fake, with nothing recorded and no fault or delay set."""
    server.reset()
    return server
