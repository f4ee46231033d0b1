"""The simulator's webhook event ids are ULIDs, as LINE's are."""

from __future__ import annotations

import time

from bot import linesim


def test_event_ids_are_ulids_in_time_order() -> None:
    assert linesim.event_id(1469918176385).startswith("01ARYZ6S41")  # the ULID spec's example timestamp
    assert linesim.event_id(0).startswith("0000000000")
    assert linesim.event_id((1 << 48) - 1).startswith("7ZZZZZZZZZ")  # the largest timestamp a ULID holds
    earlier = linesim.event_id()
    time.sleep(0.002)
    later = linesim.event_id()
    assert len(earlier) == len(later) == 26
    assert set(earlier + later) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert earlier < later
    assert len({linesim.event_id(1) for _ in range(1_000)}) == 1_000  # 80 random bits after the time
