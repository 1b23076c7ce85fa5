"""Benchmark pcp against bare polars and DuckDB on national-scale data.police.uk files.

Usage::

    .venv/bin/pip install duckdb            # only for this benchmark, not a pcp dependency
    .venv/bin/python benchmarks/run.py                        # 3 national years (≈ 18M rows)
    .venv/bin/python benchmarks/run.py --scale 0.25 --runs 3  # a quicker, smaller run
    .venv/bin/python benchmarks/run.py --only startup

Everything is written under --work (default /tmp/pcp-bench), never in the repository:
the generated CSV files (≈ 1.3 GB per national year), the stores and the baseline
Parquet files. Every measurement is a fresh process, timed from the outside, with its
peak resident memory from os.wait4; each step is run --runs times, interleaved with its
baselines so that background load hits both alike, and the medians are reported.

1. ingest: `pcp ingest` of one national year (the last 12 months) into a new store,
   against `pl.scan_csv(files).sink_parquet(one_file)` on the same files.
2. queries, on a store holding all the years: `pcp compare --kpi all --period 12m` and
   `pcp rank --kpi all --period 12m` (for the home force, PCP_FORCE), against a DuckDB
   and a polars group-by (force, month, crime type, outcome: what those KPIs need) over
   the same rows in one Parquet file. Start-up is included everywhere.
3. start-up: `pcp --help` and `pcp --version`.
4. many small files: 2,064 files (43 forces × 48 months at 2% of national volume,
   ≈ 250 rows a file) through `pcp ingest` and the polars baseline, to show the cost per
   file is small next to the cost per row.

Results go to stdout as a markdown table and to <work>/results.json.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
PCP = [PYTHON, "-m", "pcp_cli"]
HOME_FORCE = "leicestershire"

GOALS = {
    "ingest_ratio": 1.3,  # x the polars baseline
    "ingest_rss_mib": 512,
    "query_ratio": 0.5,  # x the faster of DuckDB and polars
    "query_seconds": 1.0,
    "startup_seconds": 0.3,
}

BASELINE_INGEST = """
import sys, polars as pl
files = open(sys.argv[1]).read().split("\\n")
pl.scan_csv(files).sink_parquet(sys.argv[2])
"""
POLARS_QUERY = """
import sys, polars as pl
keys = ["Falls within", "Month", "Crime type", "Last outcome category"]
out = pl.scan_parquet(sys.argv[1]).group_by(keys).agg(pl.len()).collect()
print(out.height)
"""
DUCKDB_QUERY = """
import sys, duckdb
rows = duckdb.sql(
    "SELECT \\"Falls within\\", \\"Month\\", \\"Crime type\\", \\"Last outcome category\\", "
    f"count(*) FROM read_parquet('{sys.argv[1]}') GROUP BY ALL"
).fetchall()
print(len(rows))
"""


@dataclass
class Measure:
    seconds: float
    peak_rss_mib: float
    exit_code: int


@dataclass
class Series:
    name: str
    runs: list[Measure] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(m.seconds for m in self.runs)

    @property
    def peak_rss(self) -> float:
        return max(m.peak_rss_mib for m in self.runs)

    @property
    def ok(self) -> bool:
        return all(m.exit_code == 0 for m in self.runs)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Measure:
    """Wall time and peak RSS (this child only, via wait4) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        cwd=REPO,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if code != 0:
        print(f"  ! exit {code}: {' '.join(cmd)[:120]}\n    {err.strip()[-400:]}", file=sys.stderr)
    return Measure(seconds, usage.ru_maxrss / 1024, code)


def run_series(
    names_cmds: list[tuple[str, list[str] | None]],
    runs: int,
    env: dict[str, str],
    before: dict[str, object] | None = None,
) -> dict[str, Series]:
    """Run each command `runs` times, interleaved; `before[name]()` is called before each run."""
    out = {name: Series(name) for name, cmd in names_cmds if cmd is not None}
    for i in range(runs):
        for name, cmd in names_cmds:
            if cmd is None:
                continue
            prepare = (before or {}).get(name)
            if callable(prepare):
                prepare()
            m = measure(cmd, env)
            out[name].runs.append(m)
            print(
                f"  run {i + 1}/{runs} {name}: {m.seconds:.2f}s, {m.peak_rss_mib:.0f} MiB",
                file=sys.stderr,
            )
    return out


def ensure_data(work: Path, years: int, scale: float) -> Path:
    data = work / f"data-y{years}-s{scale:g}"
    marker = data / ".complete"
    if marker.exists():
        return data
    shutil.rmtree(data, ignore_errors=True)
    print(f"generating {years} year(s) at scale {scale:g} into {data} …", file=sys.stderr)
    # In a child process: a generator grown in this one would be counted in the peak memory
    # of every command started after it (a forked child starts with its parent's pages).
    t = time.perf_counter()
    options = ["--out", str(data), "--years", str(years), "--scale", str(scale)]
    subprocess.run([PYTHON, str(HERE / "make_national.py"), *options], check=True)
    files = sum(1 for _ in data.rglob("*-street.csv"))
    print(f"  {files} files in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    marker.write_text(json.dumps({"files": files}))
    return data


def month_dirs(data: Path) -> list[Path]:
    return sorted(p for p in data.iterdir() if p.is_dir())


def csv_files(dirs: list[Path]) -> list[Path]:
    return sorted(f for d in dirs for f in d.glob("*.csv"))


def fmt_ratio(value: float, goal: float) -> str:
    return f"{value:.2f}× ({'met' if value <= goal else 'missed'}; goal ≤ {goal:g}×)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/pcp-bench"))
    parser.add_argument("--years", type=int, default=3, help="years in the query store")
    parser.add_argument("--scale", type=float, default=1.0, help="row multiplier (1 = national)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--only", choices=["ingest", "query", "startup", "files"], action="append", default=None
    )
    args = parser.parse_args(argv)
    work: Path = args.work.resolve()
    if work.is_relative_to(REPO):
        print("refusing to work inside the repository", file=sys.stderr)
        return 2
    work.mkdir(parents=True, exist_ok=True)
    steps = args.only or ["ingest", "query", "startup", "files"]
    env = {"PCP_FORCE": HOME_FORCE, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    # pip compiles a package's bytecode when it installs it, and Python caches it on first
    # import; an editable install under PYTHONDONTWRITEBYTECODE=1 would compile every
    # module on every run (≈ 50 ms for `pcp rank`), which no installed pcp pays.
    compileall.compile_dir(REPO / "pcp_cli", quiet=1)
    results: dict[str, object] = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_before": os.getloadavg(),
        },
        "scale": args.scale,
        "runs": args.runs,
        "goals": GOALS,
    }
    rows: list[tuple[str, str]] = []
    needs_data = any(step in steps for step in ("ingest", "query"))
    data = ensure_data(work, args.years, args.scale) if needs_data else None

    if "ingest" in steps and data is not None:
        year = month_dirs(data)[-12:]
        files = csv_files(year)
        listing = work / "year-files.txt"
        listing.write_text("\n".join(map(str, files)))
        size = sum(f.stat().st_size for f in files)
        n_rows = sum(1 for f in files for _ in f.open("rb")) - len(files)
        store = work / "store-year"
        base_out = work / "baseline-year.parquet"
        print(f"ingest: {len(files)} files, {n_rows:,} rows, {size / 1e9:.2f} GB", file=sys.stderr)
        series = run_series(
            [
                (
                    "polars scan_csv→sink_parquet",
                    [PYTHON, "-c", BASELINE_INGEST, str(listing), str(base_out)],
                ),
                ("pcp ingest", [*PCP, "ingest", "-q", "--store", str(store), *map(str, year)]),
            ],
            args.runs,
            env,
            before={"pcp ingest": lambda: shutil.rmtree(store, ignore_errors=True)},
        )
        base, pcp = series["polars scan_csv→sink_parquet"], series["pcp ingest"]
        ratio = pcp.median / base.median
        rss_goal = "met" if pcp.peak_rss <= GOALS["ingest_rss_mib"] else "missed"
        results["ingest"] = {
            "files": len(files),
            "rows": n_rows,
            "bytes": size,
            "baseline": asdict(base) | {"median": base.median, "peak_rss": base.peak_rss},
            "pcp": asdict(pcp) | {"median": pcp.median, "peak_rss": pcp.peak_rss},
            "ratio": ratio,
            "pcp_ok": pcp.ok,
        }
        rows += [
            (f"ingest 1 year: {len(files)} files, {n_rows:,} rows, {size / 1e9:.2f} GB", ""),
            (
                "  polars scan_csv → sink_parquet (median)",
                f"{base.median:.2f} s, peak {base.peak_rss:.0f} MiB",
            ),
            ("  pcp ingest (median)", f"{pcp.median:.2f} s, peak {pcp.peak_rss:.0f} MiB"),
            ("  ratio", fmt_ratio(ratio, GOALS["ingest_ratio"])),
            ("  peak memory", f"{pcp.peak_rss:.0f} MiB ({rss_goal}; goal ≤ 512 MiB)"),
        ]

    if "query" in steps and data is not None:
        dirs = month_dirs(data)
        files = csv_files(dirs)
        store = work / f"store-all-y{args.years}"
        raw = work / f"all-y{args.years}.parquet"
        if not (store / "manifest.json").exists():
            print(f"building the {len(dirs)}-month store …", file=sys.stderr)
            inputs = [*map(str, dirs), str(data / "population.csv")]
            build = measure([*PCP, "ingest", "-q", "--store", str(store), *inputs], env)
            results["store_build"] = asdict(build)
            rows.append(
                (
                    f"ingest {len(dirs)} months, {len(files)} files (one run)",
                    f"{build.seconds:.1f} s, peak {build.peak_rss_mib:.0f} MiB",
                )
            )
        if not raw.exists():
            listing = work / "all-files.txt"
            listing.write_text("\n".join(map(str, files)))
            measure([PYTHON, "-c", BASELINE_INGEST, str(listing), str(raw)], env)
        rank_ok = (
            subprocess.run(
                [*PCP, "rank", "--help"],
                capture_output=True,
                env={**os.environ, **env},
                check=False,
            ).returncode
            == 0
        )
        query = ["--kpi", "all", "--period", "12m", "--format", "csv", "--store", str(store)]
        series = run_series(
            [
                ("duckdb group-by", [PYTHON, "-c", DUCKDB_QUERY, str(raw)]),
                ("polars group-by", [PYTHON, "-c", POLARS_QUERY, str(raw)]),
                ("pcp compare --kpi all --period 12m", [*PCP, "compare", *query]),
                ("pcp rank --kpi all --period 12m", [*PCP, "rank", *query] if rank_ok else None),
            ],
            args.runs,
            env,
        )
        baselines = [series[n] for n in ("duckdb group-by", "polars group-by") if series[n].ok]
        if not baselines:
            print("no baseline query ran (is duckdb installed?)", file=sys.stderr)
            return 1
        fastest = min(b.median for b in baselines)
        results["query"] = {name: asdict(s) | {"median": s.median} for name, s in series.items()}
        results["query"]["fastest_baseline"] = fastest  # type: ignore[index]
        rows.append((f"queries on {len(dirs)} months ({len(files)} files)", ""))
        for name, s in series.items():
            text = f"{s.median:.2f} s, peak {s.peak_rss:.0f} MiB"
            if name.startswith("pcp"):
                ratio = s.median / fastest
                goal = "met" if ratio <= GOALS["query_ratio"] and s.median < 1 else "missed"
                text += f"; {ratio:.2f}× the faster baseline ({goal}; goal ≤ 0.5× and < 1 s)"
            if not s.ok:
                text += " — FAILED, see stderr"
            rows.append((f"  {name} (median)", text))
        if not rank_ok:
            rows.append(("  pcp rank", "skipped: `pcp rank --help` failed (not built yet)"))

    if "startup" in steps:
        series = run_series(
            [("pcp --help", [*PCP, "--help"]), ("pcp --version", [*PCP, "--version"])],
            max(args.runs, 7),
            env,
        )
        results["startup"] = {name: asdict(s) | {"median": s.median} for name, s in series.items()}
        for name, s in series.items():
            goal = "met" if s.median <= GOALS["startup_seconds"] else "missed"
            rows.append((f"{name} (median)", f"{s.median:.3f} s ({goal}; goal ≤ 0.3 s)"))

    if "files" in steps:
        small = ensure_data(work, 4, 0.02)
        dirs = month_dirs(small)
        files = csv_files(dirs)
        n_rows = sum(1 for f in files for _ in f.open("rb")) - len(files)
        listing = work / "small-files.txt"
        listing.write_text("\n".join(map(str, files)))
        store = work / "store-small"
        series = run_series(
            [
                (
                    "polars",
                    [PYTHON, "-c", BASELINE_INGEST, str(listing), str(work / "small.parquet")],
                ),
                ("pcp ingest", [*PCP, "ingest", "-q", "--store", str(store), *map(str, dirs)]),
            ],
            args.runs,
            env,
            before={"pcp ingest": lambda: shutil.rmtree(store, ignore_errors=True)},
        )
        base, pcp = series["polars"], series["pcp ingest"]
        results["small_files"] = {
            "files": len(files),
            "rows": n_rows,
            "baseline_median": base.median,
            "pcp_median": pcp.median,
            "pcp_peak_rss": pcp.peak_rss,
        }
        per_file_ms = (pcp.median - base.median) / len(files) * 1000
        rows += [
            (f"ingest {len(files)} small files, {n_rows:,} rows", ""),
            ("  polars scan_csv → sink_parquet (median)", f"{base.median:.2f} s"),
            ("  pcp ingest (median)", f"{pcp.median:.2f} s, peak {pcp.peak_rss:.0f} MiB"),
            ("  pcp's extra time per file", f"{per_file_ms:.1f} ms"),
        ]

    results["machine"]["load_after"] = os.getloadavg()  # type: ignore[index]
    (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    print("| step | result |\n| --- | --- |")
    for step, value in rows:
        print(f"| {step} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
