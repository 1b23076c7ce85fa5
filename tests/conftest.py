"""Shared test helpers: running the CLI in-process, small extract fixtures, real data paths."""

from __future__ import annotations

import os
import sys

if os.environ.get("PCP_TEST_NO_FCNTL"):
    # CI's Windows guard: as on Windows, pcp may not import fcntl. The locking library is
    # loaded first (on Windows it has its own platform module), then fcntl is made
    # unimportable for everything after it, pcp included.
    import portalocker  # noqa: F401

    sys.modules["fcntl"] = None  # type: ignore[assignment]
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from pcp_cli.cli.main import main
from pcp_cli.store import Store

REPO = Path(__file__).resolve().parent.parent
# The real extracts: $PCP_REAL_DATA, else ../shared/data/real beside the repo.
REAL = Path(os.environ.get("PCP_REAL_DATA") or REPO.parent / "shared" / "data" / "real")

STREET_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def run_pcp(
    args: list[str],
    *,
    stdin: bytes | str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Result:
    """Run `pcp ARGS` in-process through main(), so exit codes and messages are real."""
    runner = CliRunner()
    old = Path.cwd()
    base_env = {
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "PCP_STORE": "",
        "PCP_KPIS": "",
        "PCP_FORCES": "",
        "PCP_FORCE": "",
    }
    try:
        if cwd is not None:
            os.chdir(cwd)
        with runner.isolation(input=stdin, env={**base_env, **(env or {})}) as streams:
            out, err = streams[0], streams[1]
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
            return Result(
                code,
                out.getvalue().decode("utf-8", "replace"),
                err.getvalue().decode("utf-8", "replace"),
                out.getvalue(),
            )
    finally:
        os.chdir(old)


@pytest.fixture
def pcp() -> Callable[..., Result]:
    return run_pcp


def real(*parts: str) -> Path:
    """A path under ../shared/data/real, skipping the test when the real data is absent."""
    path = REAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"real data not available: {path} (expected ../shared/data/real beside the repo)"
        )
    return path


def street_row(
    month: str,
    crime_type: str,
    *,
    crime_id: str | None = None,
    force: str = "Leicestershire Police",
    outcome: str = "Under investigation",
) -> str:
    cid = "" if crime_type == "Anti-social behaviour" else (crime_id or f"id-{month}-{crime_type}")
    last = "" if crime_type == "Anti-social behaviour" else outcome
    return (
        f"{cid},{month},{force},{force},-1.13,52.63,On or near High Street,E01025631,"
        f"Blaby 002A,{crime_type},{last},"
    )


def write_street(
    path: Path,
    month: str,
    counts: dict[str, int],
    force: str = "Leicestershire Police",
    newline: str = "\r\n",
) -> Path:
    """A data.police.uk street file with the given number of rows per crime type."""
    lines = [STREET_HEADER]
    for crime_type, n in counts.items():
        lines += [
            street_row(month, crime_type, crime_id=f"{month}-{crime_type}-{i}", force=force)
            for i in range(n)
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def write_two_forces(d: Path, months: tuple[str, ...]) -> list[Path]:
    """Street files for Leicestershire and Essex in each month, counts differing by file."""
    files = []
    pairs = [(m, f) for m in months for f in ("Leicestershire Police", "Essex Police")]
    for i, (month, force) in enumerate(pairs):
        slug = "leicestershire" if force.startswith("Leic") else "essex"
        files.append(
            write_street(
                d / month / f"{month}-{slug}-street.csv",
                month,
                {"Burglary": 1 + i, "Anti-social behaviour": 2, "Drugs": i % 2},
                force=force,
            )
        )
    return files


def load_sample_generator():  # type: ignore[no-untyped-def]
    """Import samples/make_samples.py (not a package) as a module."""
    import importlib.util
    import sys

    path = REPO / "samples" / "make_samples.py"
    spec = importlib.util.spec_from_file_location("pcp_make_samples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled samples, generated and ingested once per test session."""
    base = tmp_path_factory.mktemp("samples")
    load_sample_generator().generate(base / "data")
    store = base / "store"
    result = run_pcp(["ingest", "--store", str(store), str(base / "data")])
    assert result.exit_code == 0, result.stderr
    return store


@pytest.fixture(scope="session")
def sample_store_with_areas(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample store and a lookup of Leicestershire's sample LSOAs to their districts,
    each LSOA with a made-up population (for ``--by area`` with ranks per 1,000)."""
    import shutil

    base = tmp_path_factory.mktemp("samples-areas")
    store = base / "store"
    shutil.copytree(sample_store, store)
    files = sorted((sample_store.parent / "data").rglob("*-leicestershire-street.csv"))
    lsoas = (
        pl.concat([pl.read_csv(f, columns=["LSOA code", "LSOA name"]) for f in files])
        .drop_nulls()
        .unique()
        .sort("LSOA code")
    )
    lines = ["lsoa_code,area,population"] + [
        f"{code},{name.rsplit(' ', 1)[0]},{1400 + 37 * i}"
        for i, (code, name) in enumerate(lsoas.iter_rows())
    ]
    lookup = base / "districts.csv"
    lookup.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(lookup)])
    assert result.exit_code == 0, result.stderr
    return store


def snapshot(store: Path) -> dict[str, bytes]:
    """Every file of the store (lock files aside) and its bytes."""
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and p.name not in (".lock", ".write.lock")
    }


def logical(store: Path) -> dict[str, object]:
    """What the store says, independent of file names: partitions, rows, sources, aggregates."""
    manifest = Store(store).load_manifest()
    out: dict[str, object] = {}
    for dataset in sorted(manifest.datasets):
        parts = manifest.partitions(dataset)
        out[dataset] = {
            key: (
                part["rows"],
                tuple(manifest.sources[s]["path"] for s in part["sources"]),
                pl.read_parquet(store / part["file"])
                .drop("source_sha256", strict=False)
                .sort(pl.all())
                .rows(),
            )
            for key, part in sorted(parts.items())
        }
        agg = manifest.aggregate_file(dataset)
        assert agg is not None
        out[f"{dataset}/agg"] = pl.read_parquet(store / agg).sort(pl.all()).rows()
    # Nothing on disk that the manifest does not name.
    on_disk = {
        str(p.relative_to(store)) for p in store.rglob("*.parquet") if ".staging" not in p.parts
    }
    assert on_disk == manifest.files()
    return out
