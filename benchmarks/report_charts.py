"""The cost of the report's charts: `pcp report` to HTML with its charts against the same
report with `--charts none` (issue 12's goal: at most 2x), on the bundled samples.

    .venv/bin/python samples/make_samples.py --out /tmp/charts-samples
    .venv/bin/pcp ingest --store /tmp/charts-store /tmp/charts-samples
    .venv/bin/python benchmarks/report_charts.py --store /tmp/charts-store --runs 7

Runs are interleaved (charts, none, charts, none, …) so background load hits both; medians
are printed. `--charts all` is measured too (every KPI's trend and XmR chart). Nothing here
is a test assertion.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pcp", default=str(REPO / ".venv" / "bin" / "pcp"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/pcp-bench-report.html"))
    args = parser.parse_args(argv)
    base = [args.pcp, "report", "--store", str(args.store), "--force", "leicestershire"]
    base += ["--period", "Q2 2018/19", "-o", str(args.out)]
    variants = {"notable": [], "none": ["--charts", "none"], "all": ["--charts", "all"]}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(args.runs):
        for name, extra in variants.items():
            times[name].append(timed([*base, *extra]))
        print(
            f"run {i + 1}: " + ", ".join(f"{n} {t[-1]:.2f}s" for n, t in times.items()),
            file=sys.stderr,
        )
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, value in medians.items():
        print(f"--charts {name}: median {value:.2f} s ({value / medians['none']:.2f}x none)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
