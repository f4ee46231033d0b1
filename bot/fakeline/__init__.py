"""A fake LINE Messaging API for tests, benchmarks and the local demo.

Real HTTP on 127.0.0.1: every request is checked against LINE's OpenAPI spec and line-bot-sdk's
request models, recorded, and answered the way LINE answers (reply tokens, retry keys, quota).
See docs/fake-line.md.
"""

from bot.fakeline.app import DEFAULT_TOKEN, FakeLineApp, FakeLineConfig
from bot.fakeline.openapi import webhook_body_errors
from bot.fakeline.server import FakeLine, FakeLineClient
from bot.fakeline.state import FakeLineState, RecordedRequest

__all__ = [
    "DEFAULT_TOKEN",
    "FakeLine",
    "FakeLineApp",
    "FakeLineClient",
    "FakeLineConfig",
    "FakeLineState",
    "RecordedRequest",
    "webhook_body_errors",
]
