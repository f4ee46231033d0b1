"""`python -m bot.fakeline --port 8090 --token TOKEN`: run the fake LINE API in the foreground."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.fakeline.app import FakeLineApp, FakeLineConfig
from bot.fakeline.openapi import messaging_api
from bot.fakeline.server import DEFAULT_HOST, serve
from bot.fakeline.state import DEFAULT_MAX_RECORDS, DEFAULT_REPLY_TOKEN_TTL, FakeLineState, Quota, Settings


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.fakeline",
        description="A fake LINE Messaging API on loopback, with a control API under /__fake__.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=8090, help="port (0: a free one; default %(default)s)")
    parser.add_argument(
        "--token",
        default=os.environ.get("LINE_CHANNEL_ACCESS_TOKEN"),
        help="channel access token to accept (default: $LINE_CHANNEL_ACCESS_TOKEN; neither: any bearer token)",
    )
    parser.add_argument("--any-reply-token", action="store_true",
                        help="accept unregistered reply tokens (each still once)")
    parser.add_argument("--reply-token-ttl", type=float, default=DEFAULT_REPLY_TOKEN_TTL,
                        help="seconds a registered reply token stays valid (default %(default)s)")
    parser.add_argument("--quota", type=int, default=None, help="monthly message quota (default: unlimited)")
    parser.add_argument("--no-sdk-check", action="store_true",
                        help="skip parsing bodies with line-bot-sdk models (spec checks still apply)")
    parser.add_argument("--max-records", type=int, default=DEFAULT_MAX_RECORDS,
                        help="recorded requests kept in memory, oldest dropped first (default %(default)s)")
    parser.add_argument("--log-requests", action="store_true", help="print an access log line per request")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted."""
    args = parse_args(argv)
    messaging_api()  # compile the validators before the first request, not during it
    state = FakeLineState(Settings(
        reply_token_ttl=args.reply_token_ttl,
        accept_any_reply_token=args.any_reply_token,
        quota=Quota(limit=args.quota),
    ), max_records=args.max_records)
    app = FakeLineApp(state, FakeLineConfig(token=args.token or None, sdk_models=not args.no_sdk_check))
    server = serve(app, args.host, args.port, log_requests=args.log_requests)
    token_note = "the configured token" if args.token else "any bearer token"
    print(f"fake LINE API on http://{args.host}:{server.server_port} accepting {token_note}; "
          f"control API under /__fake__", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
