"""Our drivers vs. bare pyserial writing and reading the same bytes on the same pty.

Two paths the kiosk waits on: an unlock round trip (Kerong: unlock frame + its reply,
then a status query + reply, as KerongLocker.open confirms the door) and a card read
(PN532 InListPassiveTarget: ACK + target response). The bare baseline knows the reply
lengths in advance, so one `read(n)` returns exactly when the reply is complete, and
does nothing else; the ratio is the price of the driver (stale-input flush, decoders
that find frames and check them, locks, typed errors). Goal: <= 1.3x.

Both paths use the same simulator on the same pty, both ports open side by side, and
the rounds alternate (ours, bare, bare, ours, ...), so a busy machine slows both
alike instead of whichever ran second. Results: bench/hardware_results.md.

    python -m bench.hardware [--rounds N]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import serial

from hardware.devices.card_reader import PN532Reader
from hardware.devices.locker import KerongLocker, LockAddress
from hardware.protocols import kerong, pn532
from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pn532 import PN532Sim
from hardware.sim.pty import PtyHarness

RESULTS = Path(__file__).with_name("hardware_results.md")
UID = "DEADBEEF"
CARD_REPLY_LEN = len(pn532.ACK) + len(pn532.encode_response(0x4A, bytes(10)))  # 4-byte UID


def timed_pairs(ours: Callable[[], object], bare: Callable[[], object], rounds: int,
                between: Callable[[], None]) -> tuple[list[float], list[float]]:
    """Time both paths `rounds` times each, alternating which goes first."""
    samples: dict[Callable[[], object], list[float]] = {ours: [], bare: []}
    for n in range(rounds):
        for action in ((ours, bare) if n % 2 else (bare, ours)):
            between()
            start = time.perf_counter()
            action()
            samples[action].append(time.perf_counter() - start)
    return samples[ours], samples[bare]


def bare_unlock(port: serial.Serial) -> None:
    for request in (kerong.encode_unlock(0, 1), kerong.encode_status_query(0)):
        port.write(request)
        if len(port.read(9)) != 9:
            raise RuntimeError("bare pyserial: short Kerong reply")


def bench_unlock(rounds: int) -> tuple[list[float], list[float]]:
    bus = KerongBus([KerongBoardSim(0)])
    reset = lambda: bus.close_door(0, 1)  # noqa: E731 - a person shuts the door again
    with PtyHarness(bus) as pty, KerongLocker(pty.port) as locker, \
            serial.Serial(pty.port, 19200, timeout=1) as port:
        return timed_pairs(lambda: locker.open(LockAddress(0, 1)), lambda: bare_unlock(port),
                           rounds, reset)


def bare_card(port: serial.Serial) -> None:
    port.write(pn532.in_list_passive_target())
    if len(port.read(CARD_REPLY_LEN)) != CARD_REPLY_LEN:
        raise RuntimeError("bare pyserial: short PN532 reply")


def bench_card(rounds: int) -> tuple[list[float], list[float]]:
    sim = PN532Sim(require_wakeup=False)
    sim.place_card(UID)
    with PtyHarness(sim) as pty:
        reader = PN532Reader(pty.port)
        reader._connect()  # the one-time wake-up and SAM configuration, not measured
        try:
            with serial.Serial(pty.port, 115200, timeout=1) as port:
                # _poll is one InListPassiveTarget exchange: what the listening thread repeats.
                return timed_pairs(lambda: _read_card(reader), lambda: bare_card(port),
                                   rounds, lambda: None)
        finally:
            reader.stop()


def _read_card(reader: PN532Reader) -> None:
    if reader._poll(1.0) != UID:
        raise RuntimeError("driver: card not read")


def row(name: str, ours: list[float], bare: list[float]) -> str:
    med_ours, med_bare = statistics.median(ours), statistics.median(bare)
    p90 = lambda s: sorted(s)[int(len(s) * 0.9)] * 1e6  # noqa: E731
    return (f"| {name} | {med_ours * 1e6:.0f} | {p90(ours):.0f} | {med_bare * 1e6:.0f} | "
            f"{p90(bare):.0f} | {med_ours / med_bare:.2f}x |")


def main(rounds: int = 1000) -> str:
    unlock, card = bench_unlock(rounds), bench_card(rounds)
    report = "\n".join([
        f"## hardware ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"Python {platform.python_version()}, {rounds} rounds, pty + in-process simulator, rounds interleaved)",
        "",
        "| path | ours median µs | ours p90 µs | bare pyserial median µs | bare p90 µs | ratio (median) |",
        "|---|---|---|---|---|---|",
        row("unlock round trip (Kerong unlock + status)", *unlock),
        row("card read (PN532 InListPassiveTarget)", *card),
        "",
    ])
    RESULTS.write_text("# Hardware benchmark results\n\nWritten by `python -m bench.hardware`; goal ratio <= 1.3x.\n\n"
                       + report, encoding="utf-8")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1000)
    print(main(parser.parse_args().rounds))
