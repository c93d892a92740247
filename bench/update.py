"""What an update costs a kiosk on a village 3G link: the size of each package in dist/deb
(`make deb` first) and its download time at 500 kbit/s, for a release that changes only our
code (the servicepunkt-kiosk package) and for one that changes the lock too (plus a runtime).
Results: bench/update_results.md."""
from __future__ import annotations

from pathlib import Path

DEBS = Path(__file__).resolve().parents[1] / "dist" / "deb"
LINK_BITS_PER_S = 500_000


def download_s(size_bytes: int) -> float:
    return size_bytes * 8 / LINK_BITS_PER_S


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def main() -> str:
    packages = sorted(DEBS.glob("*.deb"))
    if not packages:
        return "bench/update: no packages in dist/deb (run `make deb` first)"
    lines = ["bench/update: package sizes and download time at 500 kbit/s",
             f"{'package':60} {'size':>9} {'download':>9}"]
    for path in packages:
        size = path.stat().st_size
        lines.append(f"{path.name:60} {size / 1e6:7.2f} MB {minutes(download_s(size)):>9}")
    code = next((p for p in packages if p.name.startswith("servicepunkt-kiosk_")), None)
    runtime = next((p for p in packages
                    if p.name.startswith("servicepunkt-kiosk-runtime-") and "arm64" in p.name), None)
    if code and runtime:
        both = code.stat().st_size + runtime.stat().st_size
        lines.append(f"a Pi, code-only release: {minutes(download_s(code.stat().st_size))}; "
                     f"release with a new lock: {minutes(download_s(both))}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
