"""Runs every bench/bench_*.py in turn. Each benchmark prints our figure beside a floor measured
in the same run (for example, the bare library call our code wraps), so figures from different
machines compare as ratios."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    sys.path.insert(0, str(HERE.parent))
    benches = sorted(HERE.glob("bench_*.py"))
    if not benches:
        print("no benchmarks yet: the speed targets arrive with the ICP-MS import and certificate issuing")
        return 0
    for bench in benches:
        print(f"== {bench.stem}")
        runpy.run_path(str(bench), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
