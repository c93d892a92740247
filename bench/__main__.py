"""Run the benchmark modules in bench/ (each has `main() -> str`) and print their reports:
all of them, or those named (`python -m bench pickup`)."""
from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> None:
    available = sorted(info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)])
                       if not info.name.startswith("_"))
    unknown = sorted(set(names) - set(available))
    if unknown:
        sys.exit(f"no benchmark named {', '.join(unknown)}; there are: {', '.join(available)}")
    for name in names or available:
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(module.main())


if __name__ == "__main__":
    main(sys.argv[1:])
