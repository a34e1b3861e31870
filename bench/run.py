"""Runs every bench/bench_*.py in turn, each in a process of its own (a benchmark changes settings
and warms caches the next one must not inherit). Each benchmark prints our figure beside a floor
measured in the same run (for example, the bare library call our code wraps), so figures from
different machines compare as ratios.

    python bench/run.py                        every benchmark
    python bench/run.py import import_memory   only bench_import.py and bench_import_memory.py
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    benches = sorted(HERE.glob("bench_*.py"))
    unknown = sorted(set(names) - {bench.stem.removeprefix("bench_") for bench in benches})
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)}")
        return 2
    failed = []
    for bench in benches:
        if names and bench.stem.removeprefix("bench_") not in names:
            continue
        print(f"== {bench.stem}", flush=True)
        if subprocess.run([sys.executable, str(bench)], cwd=HERE.parent, check=False).returncode:  # noqa: S603
            failed.append(bench.stem)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
