"""``make bench``: every benchmark of the project, in one run, printed as ratios against same-run baselines."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "bench.consensus",
    "bench.dependence",
    "bench.signatures",
    "bench.blocks",
    "bench.federation",
    "bench.pages",
    "bench.scale",
)


def main() -> int:
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        print(f"== {name}", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
