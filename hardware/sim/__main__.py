"""Run all device simulators until SIGTERM/SIGINT.

    python -m hardware.sim --boards 1 --control-port 0 --ports-file /tmp/sim-ports.json

The ports file appears (atomically) once every pty and the control API listen:
{"locker": "/dev/pts/5", "card_reader": "/dev/pts/6", "scanner": "/dev/pts/7",
 "control_url": "http://127.0.0.1:PORT"}. Point the kiosk config at those paths.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from hardware.sim.runner import SimulatorSet

SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hardware.sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--boards", type=int, default=1, help="Kerong boards on the bus (ids 0..N-1)")
    parser.add_argument("--locks", type=int, default=16, help="locks per board")
    parser.add_argument("--control-port", type=int, default=0,
                        help="TCP port of the control API on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--ports-file", help="write the device paths here as JSON")
    parser.add_argument("--link-dir", help="also create stable symlinks DIR/locker, ...")
    parser.add_argument("--hook-closed-bit", type=int, choices=(0, 1), default=1,
                        help="Kerong hook-bit polarity (unconfirmed on real boards)")
    parser.add_argument("--no-unlock-reply", action="store_true",
                        help="boards stay silent after an unlock command")
    parser.add_argument("--scanner-suffix", choices=sorted(SUFFIXES), default="cr")
    parser.add_argument("--aim-prefix", default="", help='AIM id the scanner sends, e.g. "]C1"')
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> SimulatorSet:
    return SimulatorSet(
        boards=args.boards, locks=args.locks, control_port=args.control_port,
        hook_closed_bit=args.hook_closed_bit, reply_to_unlock=not args.no_unlock_reply,
        scanner_suffix=SUFFIXES[args.scanner_suffix], aim_prefix=args.aim_prefix,
        link_dir=args.link_dir)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    sims = build(args).start()
    try:
        if args.ports_file:
            sims.write_ports_file(args.ports_file)
        print(json.dumps(sims.ports), flush=True)
        done.wait()
    finally:
        sims.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
