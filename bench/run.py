"""Runs every bench/bench_*.py in turn, each in a process of its own (a benchmark changes settings
and warms caches the next one must not inherit). Each benchmark prints our figure beside a floor
measured in the same run (for example, the bare library call our code wraps), so figures from
different machines compare as ratios."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for bench in sorted(HERE.glob("bench_*.py")):
        print(f"== {bench.stem}", flush=True)
        if subprocess.run([sys.executable, str(bench)], cwd=HERE.parent, check=False).returncode:  # noqa: S603
            failed.append(bench.stem)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
