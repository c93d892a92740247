"""When did an event happen? The server's estimate from the kiosk's clock fields.

A Raspberry Pi has no RTC: its wall clock may say 1970 until NTP answers, and may jump by
days when it does. The monotonic clock of one boot never jumps, so an event of the same boot
as the upload is dated by `received_at - (sent.mono_ms - event.mono_ms)`. Otherwise a synced
wall clock is used, clamped so nothing happens after the server received it; failing both,
`received_at` is the honest upper bound. Nothing orders or dedupes by these times.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync import protocol as p


def estimate_occurred_at(
    clock: p.Clock, sent: p.Clock | None, received_at: datetime
) -> tuple[datetime, str]:
    if sent is not None and sent.boot_id == clock.boot_id and sent.mono_ms >= clock.mono_ms:
        return received_at - timedelta(milliseconds=sent.mono_ms - clock.mono_ms), "mono"
    if clock.clock_synced:
        if clock.wall_ms >= received_at.timestamp() * 1000:
            return received_at, "wall"  # from the future: clamped
        return datetime.fromtimestamp(clock.wall_ms / 1000, UTC), "wall"
    return received_at, "received"
