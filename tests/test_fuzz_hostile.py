"""Fuzzing what pcp reads (hypothesis, bounded): the store's manifest and journal, forces
and KPI files, and an extract of every kind. Each gives a result or a PcpError with its
documented exit code: never another exception, and never a file touched outside the store.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcp_cli.config import resolve_settings
from pcp_cli.datasets import DATASETS
from pcp_cli.errors import ConfigError, PcpError, StoreError
from pcp_cli.forces import check_forces, load_forces
from pcp_cli.ingest.readers import ReadOptions, Source, parse
from pcp_cli.kpis import check_catalogue
from pcp_cli.store import JOURNAL, Store
from tests.conftest import run_pcp, write_street

FORCES = load_forces(resolve_settings().forces_path)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["../victim.txt", "/etc/passwd", "data/x.parquet", "agg/street/p.parquet"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz-base")
    write_street(d / "in" / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 2})
    (d / "in" / "c.csv").write_text("force,month,measure,value\nLeicestershire,2018-07,calls,3\n")
    assert run_pcp(["ingest", "--store", str(d / "store"), str(d / "in")]).exit_code == 0
    return d / "store"


def _fresh(base: Path, where: Path) -> tuple[Path, Path]:
    """A copy of the base store and a victim file beside it."""
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    store = where / "store"
    shutil.copytree(base, store)
    victim = where / "victim.txt"
    victim.write_text("precious")
    return store, victim


def _mutate(doc: Any, path: list[int], value: Any) -> Any:
    """Replace the node ``path`` leads to (indices taken modulo each container's size)."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    if isinstance(doc, dict):
        key = sorted(doc)[path[0] % len(doc)]
        doc[key] = _mutate(doc[key], path[1:], value)
    else:
        i = path[0] % len(doc)
        doc[i] = _mutate(doc[i], path[1:], value)
    return doc


def _use_store(store: Path) -> None:
    """Read everything a command reads, then write (recover, merge, commit)."""
    with Store(store).reading(wait=1) as reader:
        for dataset in reader.manifest.datasets:
            reader.aggregate(dataset).collect()
            for key in reader.manifest.partitions(dataset):
                reader.read_partition(dataset, key)
    with Store(store).writing(wait=1) as tx:
        tx.commit()


@FUZZ
@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=6), value=JSON)
def test_fuzz_manifest(base_store: Path, tmp_path: Path, path: list[int], value: Any) -> None:
    store, victim = _fresh(base_store, tmp_path / "m")
    manifest = store / "manifest.json"
    manifest.write_text(json.dumps(_mutate(json.loads(manifest.read_text()), path, value)))
    code = 0
    try:
        _use_store(store)
    except PcpError as exc:
        code = exc.exit_code
    assert code in (0, 5, 6)
    assert victim.read_text() == "precious"


JOURNAL_FILES = st.lists(
    st.one_of(
        st.sampled_from(["../victim.txt", "data/../../victim.txt", "data/street", "agg", ""]),
        st.text(max_size=20),
        SCALARS,
    ),
    max_size=4,
)


@FUZZ
@given(
    txid=st.one_of(st.just("SAME"), SCALARS),
    new_files=JOURNAL_FILES,
    old_files=JOURNAL_FILES,
    extra=st.one_of(st.none(), JSON),
)
def test_fuzz_journal(
    base_store: Path, tmp_path: Path, txid: Any, new_files: Any, old_files: Any, extra: Any
) -> None:
    store, victim = _fresh(base_store, tmp_path / "j")
    absolute = [str(victim) if f == "" else f for f in new_files]
    current = json.loads((store / "manifest.json").read_text())["txid"]
    doc: Any = {
        "txid": current if txid == "SAME" else txid,
        "new_files": absolute,
        "old_files": old_files,
    }
    if extra is not None:
        doc = extra if not isinstance(extra, dict) else {**doc, **extra}
    (store / JOURNAL).write_text(json.dumps(doc))
    try:
        with Store(store).writing(wait=1):
            pass
    except StoreError:
        pass
    assert victim.read_text() == "precious"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value).replace("inf", "inf").replace("nan", "nan")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    return json.dumps(str(value))


def _toml(tables: dict[str, dict[str, Any]], top: dict[str, Any] | None = None) -> str:
    lines = [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in (top or {}).items()]
    for name, body in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


TOML_SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
FORCE_IDS = st.one_of(
    st.sampled_from(["leicestershire", "../../x", "a/b", "UP", "ok-1", "-"]), st.text(max_size=10)
)
FORCE_KEYS = st.sampled_from(["name", "aliases", "territorial", "country", "region", "msg", "x"])


@FUZZ
@given(
    forces=st.dictionaries(
        FORCE_IDS, st.dictionaries(FORCE_KEYS, TOML_VALUES, max_size=5), max_size=4
    )
)
def test_fuzz_forces_file(tmp_path: Path, forces: dict[str, dict[str, Any]]) -> None:
    path = tmp_path / "forces.toml"
    path.write_text(_toml({f"force.{json.dumps(fid)}": body for fid, body in forces.items()}))
    try:
        registry, problems = check_forces(path)
    except ConfigError:
        return  # a file that is not TOML
    if registry is not None:
        assert not problems
        assert all(fid.replace("-", "").isalnum() and fid == fid.lower() for fid in registry.forces)


KPI_KEYS = st.sampled_from(
    ["label", "section", "polarity", "kind", "count", "numerator", "denominator", "scale", "unit"]
)


@FUZZ
@given(
    kpis=st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.dictionaries(KPI_KEYS, TOML_VALUES, max_size=6),
        max_size=4,
    ),
    sections=TOML_VALUES,
)
def test_fuzz_kpi_file(tmp_path: Path, kpis: dict[str, dict[str, Any]], sections: Any) -> None:
    path = tmp_path / "kpis.toml"
    path.write_text(
        _toml({f"kpi.{json.dumps(k)}": body for k, body in kpis.items()}, {"sections": sections})
    )
    try:
        catalogue, problems = check_catalogue(path)
    except ConfigError:
        return
    assert (catalogue is None) == bool(problems)


CELLS = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        [
            "2018-07",
            "0000-01",
            "9999-12",
            "2018/19",
            "2018/19 Q2",
            "Leicestershire",
            "nan",
            "inf",
            "-1",
            "9223372036854775808",
            "4611686018427387904",
            "1e308",
            "=cmd|calc!A1",
            "Burglary",
            "1",
            "",
            " ",
            "Leicestershire Police",
        ]
    ),
)


@FUZZ
@given(
    kind=st.sampled_from(sorted(DATASETS)),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=16), min_size=1, max_size=6),
    skip=st.booleans(),
    tail=st.sampled_from(["", "\n", "\n\n", "\r\n \r\n"]),
)
def test_fuzz_every_extract_kind(kind: str, rows: list[list[str]], skip: bool, tail: str) -> None:
    header = [c.source for c in DATASETS[kind].columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    data = (out.getvalue() + tail).encode("utf-8")
    options = ReadOptions(kind=kind, on_bad_rows="skip" if skip else "fail", force="leicestershire")
    try:
        parsed = parse(Source("fuzz.csv", data), FORCES, options)
    except PcpError as exc:
        code = exc.exit_code
        assert code in (2, 4)
        return
    frame = parsed.frame
    if "month" in frame.columns and frame.height:
        years = frame["month"].str.slice(0, 4).cast(int)
        assert years.min() >= 1900 and years.max() <= 2099  # type: ignore[operator]
    for column in ("value", "number_of_offences", "respondents", "positive", "population"):
        if column in frame.columns and frame.height:
            assert frame[column].abs().max() <= 1_000_000_000  # type: ignore[operator]
