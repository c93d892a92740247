"""Our drivers vs. bare pyserial writing and reading the same bytes on the same pty.

Two paths the kiosk waits on: an unlock round trip (Kerong: unlock frame + its reply,
then a status query + reply, as KerongLocker.open confirms the door) and a card read
(PN532 InListPassiveTarget: ACK + target response). The bare baseline knows the reply
lengths in advance, so one `read(n)` returns exactly when the reply is complete, and
does nothing else; the ratio is the price of the driver (stale-input flush, decoders
that find frames and check them, locks, typed errors). Goal: <= 1.3x.

For transparency a third path does the same with raw os.write/select/os.read on the
port's descriptor, the floor under both: our drivers do their I/O on a local port that
way (see hardware.transport.Channel), so "ours / raw fd" is the price of the driver's
own logic alone, and "bare / raw fd" that of pyserial's read/write.

All paths use the same simulator on the same pty, all ports open side by side, and
each round runs them in a rotating order, so a busy machine slows all alike instead of
whichever ran last. Results: bench/hardware_results.md.

    python -m bench.hardware [--rounds N]
"""
from __future__ import annotations

import argparse
import os
import platform
import select
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import serial

from hardware.devices.card_reader import PN532Reader
from hardware.devices.locker import KerongLocker, LockAddress
from hardware.protocols import kerong, pn532
from hardware.sim.kerong import KerongBoardSim, KerongBus
from hardware.sim.pn532 import PN532Sim
from hardware.sim.pty import PtyHarness

RESULTS = Path(__file__).with_name("hardware_results.md")
UID = "DEADBEEF"
KERONG_REPLY_LEN = 9
CARD_REPLY_LEN = len(pn532.ACK) + len(pn532.encode_response(0x4A, bytes(10)))  # 4-byte UID
PATHS = ("ours", "bare", "raw")
HEADER = """# Hardware benchmark results

Written by `python -m bench.hardware`; goal: ours / bare pyserial <= 1.3x (medians).
The machine is shared, so absolute times vary run to run; the paths run interleaved
and the ratios are what to compare.

Before 2026-11-27 the drivers measured 1.56x (unlock) and 1.63x (card read) here, with
sequential rounds. A profile showed the extra per exchange: an in_waiting ioctl, then
read(1) and a second read for the rest of the reply (pyserial's read(n) must be told n),
a tcdrain after every write, a select pyserial adds after every write, a new Channel per
exchange, and many small calls per decoded frame. Now a local port is read with one
select + read(2) of whatever is waiting and written with one write(2), without tcdrain;
the Channel is kept per open port and the Kerong and PN532 decoders run one flat loop.
Kept, on purpose: the input flush before each request (stale replies), a deadline on
every read, checksum-checked frames, resync after garbage, no blind unlock re-send.
No logging or thread hand-off is on these paths.

"""


def timed_rounds(actions: dict[str, Callable[[], object]], rounds: int,
                 between: Callable[[], None]) -> dict[str, list[float]]:
    """Time every action `rounds` times, rotating which goes first each round."""
    names = list(actions)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for n in range(rounds):
        for name in names[n % len(names):] + names[:n % len(names)]:
            between()
            start = time.perf_counter()
            actions[name]()
            samples[name].append(time.perf_counter() - start)
    return samples


def read_exactly(fd: int, size: int, timeout: float = 1.0) -> bytes:
    """The raw-fd floor: select + os.read until `size` bytes (what pyserial's read does)."""
    data, deadline = b"", time.monotonic() + timeout
    while len(data) < size:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        data += os.read(fd, size - len(data))
    return data


def bare_unlock(port: serial.Serial) -> None:
    for request in (kerong.encode_unlock(0, 1), kerong.encode_status_query(0)):
        port.write(request)
        if len(port.read(KERONG_REPLY_LEN)) != KERONG_REPLY_LEN:
            raise RuntimeError("bare pyserial: short Kerong reply")


def raw_unlock(fd: int) -> None:
    for request in (kerong.encode_unlock(0, 1), kerong.encode_status_query(0)):
        os.write(fd, request)
        if len(read_exactly(fd, KERONG_REPLY_LEN)) != KERONG_REPLY_LEN:
            raise RuntimeError("raw fd: short Kerong reply")


def bench_unlock(rounds: int) -> dict[str, list[float]]:
    bus = KerongBus([KerongBoardSim(0)])
    reset = lambda: bus.close_door(0, 1)  # noqa: E731 - a person shuts the door again
    with PtyHarness(bus) as pty, KerongLocker(pty.port) as locker, \
            serial.Serial(pty.port, 19200, timeout=1) as port, \
            serial.Serial(pty.port, 19200, timeout=1) as raw:
        return timed_rounds({"ours": lambda: locker.open(LockAddress(0, 1)),
                             "bare": lambda: bare_unlock(port),
                             "raw": lambda: raw_unlock(raw.fileno())}, rounds, reset)


def bare_card(port: serial.Serial) -> None:
    port.write(pn532.in_list_passive_target())
    if len(port.read(CARD_REPLY_LEN)) != CARD_REPLY_LEN:
        raise RuntimeError("bare pyserial: short PN532 reply")


def raw_card(fd: int) -> None:
    os.write(fd, pn532.in_list_passive_target())
    if len(read_exactly(fd, CARD_REPLY_LEN)) != CARD_REPLY_LEN:
        raise RuntimeError("raw fd: short PN532 reply")


def our_card(reader: PN532Reader) -> None:
    # _poll is one InListPassiveTarget exchange: what the listening thread repeats.
    if reader._poll(1.0) != UID:
        raise RuntimeError("driver: card not read")


def bench_card(rounds: int) -> dict[str, list[float]]:
    sim = PN532Sim(require_wakeup=False)
    sim.place_card(UID)
    with PtyHarness(sim) as pty:
        reader = PN532Reader(pty.port)
        reader._connect()  # the one-time wake-up and SAM configuration, not measured
        try:
            with serial.Serial(pty.port, 115200, timeout=1) as port, \
                    serial.Serial(pty.port, 115200, timeout=1) as raw:
                return timed_rounds({"ours": lambda: our_card(reader),
                                     "bare": lambda: bare_card(port),
                                     "raw": lambda: raw_card(raw.fileno())}, rounds, lambda: None)
        finally:
            reader.stop()


def row(name: str, samples: dict[str, list[float]]) -> str:
    median = {path: statistics.median(samples[path]) for path in PATHS}
    p90 = {path: sorted(samples[path])[int(len(samples[path]) * 0.9)] for path in PATHS}
    cells = [f"{median[p] * 1e6:.0f} / {p90[p] * 1e6:.0f}" for p in PATHS]
    return (f"| {name} | {' | '.join(cells)} | **{median['ours'] / median['bare']:.2f}x** | "
            f"{median['ours'] / median['raw']:.2f}x | {median['bare'] / median['raw']:.2f}x |")


def main(rounds: int = 1000) -> str:
    unlock, card = bench_unlock(rounds), bench_card(rounds)
    load = os.getloadavg()[0]
    report = "\n".join([
        f"## hardware ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, load {load:.1f}, Python {platform.python_version()}, {rounds} rounds, "
        "pty + in-process simulator, paths interleaved)",
        "",
        "| path | ours µs (median / p90) | bare pyserial µs | raw fd µs | ours / bare (goal <= 1.3x) "
        "| ours / raw fd | bare / raw fd |",
        "|---|---|---|---|---|---|---|",
        row("unlock round trip (Kerong unlock + status)", unlock),
        row("card read (PN532 InListPassiveTarget)", card),
        "",
    ])
    RESULTS.write_text(HEADER + report, encoding="utf-8")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1000)
    print(main(parser.parse_args().rounds))
