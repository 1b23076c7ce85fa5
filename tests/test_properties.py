"""Property-based tests (hypothesis): parsers never crash, round trips hold.

* Periods: any text gives a Period or a UsageError; every period's label parses back to it.
* KPI files: any TOML-ish document gives a valid Catalogue or a ConfigError.
* CSV readers: any bytes give a clean parse or a DataError/UsageError, never anything else;
  a clean parse of a street file keeps every row.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pcp_cli.config import resolve_settings
from pcp_cli.datasets import DATASETS, KPI_DATASETS
from pcp_cli.errors import ConfigError, DataError, UsageError
from pcp_cli.forces import load_forces
from pcp_cli.ingest import readers
from pcp_cli.ingest.readers import ReadOptions, Source, parse, peek_file
from pcp_cli.ingest.rows import read_csv
from pcp_cli.kpis import Catalogue, load_catalogue
from pcp_cli.periods import (
    Period,
    _kind_of,
    financial_year_start,
    month_index,
    month_text,
    parse_period,
)
from tests.conftest import STREET_HEADER, street_row

FORCES = load_forces(resolve_settings().forces_path)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- periods -------------------------------------------------------------------------
FRAGMENTS = [
    "Q1", "Q2", "Q3", "Q4", "Q5", "Q0", "q2", "2018/19", "2018-19", "18/19", "FY", "FY2018/19",
    "2018/2019", "2018/20", "FYTD", "fytd", "to", "12m", "0m", "999m", "rolling-12", "rolling",
    "2018-07", "2018-7", "2018-13", "2018-00", "0000-01", "9999-12", "..", "...", " ", "\t",
    "\n", "-", "/", "m", "9" * 30, "٣", "²", "Ⅻ", "\x00", "🙂",
]  # fmt: skip


@SETTINGS
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(" ".join),
        st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join),
    ),
    latest=st.one_of(st.none(), st.integers(min_value=0, max_value=9999 * 12 + 11)),
)
def test_any_text_is_a_period_or_a_usage_error(text: str, latest: int | None) -> None:
    try:
        period = parse_period(text, latest=latest)
    except UsageError as exc:
        message = exc.message
        assert message  # a message for the user, never empty
        return
    assert isinstance(period, Period)
    assert period.start <= period.end
    assert period.length >= 1


months = st.integers(min_value=month_index(1990, 1), max_value=month_index(2100, 12))


@SETTINGS
@given(a=months, length=st.integers(min_value=1, max_value=60))
def test_fixed_periods_round_trip_through_their_label(a: int, length: int) -> None:
    start, end = a, a + length - 1
    period = Period(start, end, _kind_of(start, end))
    assert parse_period(period.label) == period
    # Any "latest" month leaves a fixed period alone.
    assert parse_period(period.label, latest=a + 7) == period


@SETTINGS
@given(end=months, n=st.integers(min_value=1, max_value=120), latest=months)
def test_relative_periods_round_trip(end: int, n: int, latest: int) -> None:
    rolling = Period(end - n + 1, end, "rolling")
    assert parse_period(rolling.label) == rolling
    assert parse_period(rolling.label, latest=latest) == rolling
    fytd = Period(month_index(financial_year_start(end), 4), end, "fytd")
    assert parse_period(fytd.label) == fytd
    # The relative forms anchor on the latest month.
    assert parse_period(f"{n}m", latest=latest) == Period(latest - n + 1, latest, "rolling")
    assert parse_period("FYTD", latest=latest).end == latest


@SETTINGS
@given(month=months)
def test_month_text_round_trip(month: int) -> None:
    assert parse_period(month_text(month)) == Period(month, month, "month")


# -- KPI files -----------------------------------------------------------------------
KPI_KEYS = [
    "label", "section", "polarity", "kind", "unit", "description", "count", "numerator",
    "denominator", "scale", "population", "colour", "lable",
]  # fmt: skip
COLUMNS = sorted({d for ds in DATASETS.values() for d in ds.dimensions} | {"force", "Crime type"})
IDS = ["a", "b", "c", "all-crime", "x-y"]

scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["count", "ratio", "proportion", "lower-is-better", "higher-is-better", "neutral",
         "Crime", "Burglary", "a", "b", "c", "calls_999", "positive-outcomes"]
    ),
    st.integers(min_value=-5, max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
)  # fmt: skip
conditions = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(
        st.sampled_from(["in", "not_in", "equals", "in_list", "not_in_list", "like"]),
        st.one_of(scalars, st.lists(scalars, max_size=3)),
        max_size=2,
    ),
)
count_tables = st.dictionaries(
    st.sampled_from([*KPI_DATASETS, "population", "nope"]),
    st.one_of(st.dictionaries(st.sampled_from(COLUMNS), conditions, max_size=3), scalars),
    max_size=3,
)
kpi_bodies = st.one_of(
    scalars,
    st.fixed_dictionaries(
        {},
        optional={
            **{k: scalars for k in KPI_KEYS if k != "count"},
            "count": st.one_of(count_tables, scalars),
        },
    ),
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "schema": scalars,
        "sections": st.one_of(
            scalars, st.lists(st.one_of(st.sampled_from(["Crime", "Calls"]), scalars), max_size=3)
        ),
        "lists": st.one_of(
            scalars,
            st.dictionaries(
                st.sampled_from(["positive-outcomes", "x"]),
                st.lists(scalars, max_size=3),
                max_size=2,
            ),
        ),
        "kpi": st.one_of(scalars, st.dictionaries(st.sampled_from(IDS), kpi_bodies, max_size=4)),
        "extra": scalars,
    },
)  # fmt: skip


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "nan"
    if isinstance(value, str):
        escaped = "".join(
            ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}"
            for ch in value
            if ord(ch) < 0x10000 and not 0xD800 <= ord(ch) <= 0xDFFF
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + "}"


def toml_document(doc: dict[str, Any]) -> str:
    """A TOML text for the document: top-level scalars, then [kpi.<id>] tables."""
    lines = []
    tables = []
    for key, value in doc.items():
        if key == "kpi" and isinstance(value, dict):
            tables.append(value)
        else:
            lines.append(f'"{key}" = {toml_value(value)}')
    for kpis in tables:
        for kid, body in kpis.items():
            if not isinstance(body, dict):
                lines.append(f'kpi."{kid}" = {toml_value(body)}')
                continue
            lines.append(f'[kpi."{kid}"]')
            for key, value in body.items():
                lines.append(f'"{key}" = {toml_value(value)}')
    return "\n".join(lines) + "\n"


def _check_file(text: str | bytes) -> Catalogue | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kpis.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        try:
            catalogue = load_catalogue(path)
        except ConfigError as exc:
            message = exc.message
            assert message
            return None
    return catalogue


def _valid(catalogue: Catalogue) -> None:
    assert catalogue.kpis
    for kpi in catalogue.kpis.values():
        assert kpi.polarity in ("lower-is-better", "higher-is-better", "neutral")
        if kpi.kind == "ratio":
            assert kpi.numerator in catalogue.kpis and kpi.denominator in catalogue.kpis
        else:
            assert kpi.rules
            for rule in kpi.rules:
                spec = DATASETS[rule.dataset]
                assert all(c.column in spec.filterable for c in rule.conditions)
                assert all(
                    c.values and all(isinstance(v, str) for v in c.values) for c in rule.conditions
                )


@SETTINGS
@given(doc=documents)
def test_any_kpi_document_is_valid_or_a_config_error(doc: dict[str, Any]) -> None:
    catalogue = _check_file(toml_document(doc))
    if catalogue is not None:
        _valid(catalogue)


@SETTINGS
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_any_text_as_a_kpi_file_is_valid_or_a_config_error(text: str | bytes) -> None:
    catalogue = _check_file(text)
    if catalogue is not None:
        _valid(catalogue)


def test_a_valid_generated_document_is_accepted() -> None:
    """The generator can produce valid files, so the property above is not vacuous."""
    doc = {
        "sections": ["Crime"],
        "kpi": {
            "a": {
                "label": "A",
                "section": "Crime",
                "polarity": "lower-is-better",
                "count": {"street": {"crime_type": {"in": ["Burglary"]}}},
            },
            "b": {
                "label": "B",
                "section": "Crime",
                "polarity": "neutral",
                "kind": "ratio",
                "numerator": "a",
                "denominator": "a",
            },
        },
    }
    catalogue = _check_file(toml_document(doc))
    assert catalogue is not None and sorted(catalogue.kpis) == ["a", "b"]


# -- CSV readers ---------------------------------------------------------------------
def _parse(data: bytes, name: str, **options: Any) -> pl.DataFrame | None:
    try:
        parsed = parse(Source(name, data), FORCES, ReadOptions(**options))
    except (DataError, UsageError) as exc:
        message = exc.message
        assert message and len(message) < 2000
        return None
    assert parsed.kind in DATASETS
    frame = parsed.frame
    assert "force" in frame.columns
    assert frame.get_column("force").null_count() == 0
    return frame


kinds = st.sampled_from([None, *DATASETS])
modes = st.sampled_from(["fail", "skip"])


@SETTINGS
@given(data=st.binary(max_size=400), kind=kinds, mode=modes)
def test_any_bytes_parse_or_fail_cleanly(data: bytes, kind: str | None, mode: str) -> None:
    _parse(data, "2018-07-leicestershire-stop-and-search.csv", kind=kind, on_bad_rows=mode)


HEADERS = [
    STREET_HEADER,
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Outcome type",
    "force,month,measure,value",
    "force,period,measure,value",
    "force,period,measure,respondents,positive",
    "force,year,population",
    "year,Leicestershire,Essex",
    "Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,"
    "Offence Subgroup,Offence Code,Number of Offences",
]
FIELDS = st.one_of(
    st.sampled_from(
        ["", " ", "\t", "Leicestershire Police", "essex", "2018-07", "2018/19 Q2", "2018/19",
         "2017/18", "1", "0", "-1", "-00 ", " 1,204 ", "1e400", "nan", "inf", "Burglary",
         '"a,b"', '"x\ny"', '""', "x", "2018-13", "Q5", "99999999999999999999", "£"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8),
)  # fmt: skip


@SETTINGS
@given(
    header=st.sampled_from(HEADERS),
    rows=st.lists(st.lists(FIELDS, min_size=0, max_size=13), max_size=6),
    mode=modes,
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_structured_extracts_parse_or_fail_cleanly(
    header: str, rows: list[list[str]], mode: str, newline: str
) -> None:
    text = newline.join([header, *(",".join(r) for r in rows)]) + newline
    _parse(text.encode("utf-8"), "2018-07-leicestershire-stop-and-search.csv", on_bad_rows=mode)


@SETTINGS
@given(
    counts=st.dictionaries(
        st.sampled_from(["Burglary", "Robbery", "Anti-social behaviour", "Drugs"]),
        st.integers(min_value=1, max_value=20),
        min_size=1,
    ),
    locations=st.lists(
        st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20),
        min_size=1,
        max_size=5,
    ),
)
def test_clean_street_files_keep_every_row_and_value(
    counts: dict[str, int], locations: list[str]
) -> None:
    lines = [STREET_HEADER]
    expected: list[tuple[str, str]] = []
    i = 0
    for crime_type, n in counts.items():
        for _ in range(n):
            location = locations[i % len(locations)]
            assume(location.strip(" \t") == location and location)
            quoted = '"' + location.replace('"', '""') + '"'
            row = street_row("2018-07", crime_type, crime_id=f"id{i}")
            lines.append(row.replace("On or near High Street", quoted))
            expected.append((crime_type, location))
            i += 1
    frame = _parse(("\r\n".join(lines) + "\r\n").encode(), "x.csv")
    assert frame is not None
    assert frame.height == len(expected)
    assert list(zip(frame["crime_type"], frame["location"], strict=True)) == expected
    assert set(frame["force"]) == {"leicestershire"}


@pytest.mark.parametrize("mode", ["fail", "skip"])
def test_fast_and_careful_paths_agree(mode: str) -> None:
    """A street file with one bad row goes the careful way; its good rows match the fast way."""
    good = [street_row("2018-07", "Burglary", crime_id=f"g{i}") for i in range(5)]
    bad = street_row("2018-07", "Robbery", crime_id="b").replace("-1.13", "west")
    fast = _parse(("\n".join([STREET_HEADER, *good]) + "\n").encode(), "f.csv", on_bad_rows=mode)
    careful = _parse(
        ("\n".join([STREET_HEADER, *good, bad]) + "\n").encode(), "c.csv", on_bad_rows="skip"
    )
    assert fast is not None and careful is not None
    assert fast.schema == careful.schema
    assert fast.rows() == careful.rows()


_CELLS = st.one_of(
    st.sampled_from(["", " ", "\t", " x", "\tx", "x ", "0", "-1.5", " 1.5", "west", "\x01a", "!"]),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=6
    ),
)


@SETTINGS
@given(cells=st.lists(st.tuples(_CELLS, _CELLS, _CELLS), min_size=1, max_size=6))
def test_fast_path_gives_what_the_careful_path_gives(
    monkeypatch_module: pytest.MonkeyPatch, cells: list[tuple[str, str, str]]
) -> None:
    """Any values in the text and number columns of a street file: the one-pass way either
    declines or stores exactly what the careful, row-by-row way stores."""
    fast, careful = _both_ways(monkeypatch_module, cells)
    if fast is None:
        return  # declined: the careful way decides (it may reject or blank a value)
    assert careful is not None and careful.height == len(cells)
    assert fast.schema == careful.schema
    assert fast.rows() == careful.rows()


def test_fast_path_takes_clean_values_and_declines_blank_or_bad_ones(
    monkeypatch_module: pytest.MonkeyPatch,
) -> None:
    clean = [("On or near A Road", "Blaby 002A", "-1.13"), ("x ", "!", "0")]
    fast, careful = _both_ways(monkeypatch_module, clean)
    assert fast is not None and careful is not None and fast.rows() == careful.rows()
    assert fast["location"].to_list() == ["On or near A Road", "x "]
    for bad in [("", "a", "1"), ("a", " ", "1"), ("a", "\tb", "1"), ("a", "b", "west")]:
        assert _both_ways(monkeypatch_module, [clean[0], bad])[0] is None, bad


def _both_ways(
    patcher: pytest.MonkeyPatch, cells: list[tuple[str, str, str]]
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    lines = [STREET_HEADER]
    for i, (location, lsoa_name, longitude) in enumerate(cells):
        row = street_row("2018-07", "Burglary", crime_id=f"id{i}").split(",")
        for column, value in ((4, longitude), (6, location), (8, lsoa_name)):
            row[column] = '"' + value.replace('"', '""') + '"'
        lines.append(",".join(row))
    data = ("\n".join(lines) + "\n").encode()
    text = read_csv(Source("f.csv", data), data)
    fast = readers._fast_police_uk(text, DATASETS["street"], FORCES)
    with patcher.context() as patch:
        patch.setattr(readers, "_fast_police_uk", lambda *args, **kwargs: None)
        careful = _parse(data, "f.csv", on_bad_rows="skip")
    return fast, careful


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# -- hashing a file in chunks -----------------------------------------------------------------
_PIECES = st.sampled_from(
    [b"", b" ", b"\t", b"\r\n", b"\n", b"a", b"Crime ID,Month", b"\xef\xbb\xbf", b"\n\n  "]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=12), st.integers(1, 9))
def test_peek_file_sees_what_the_whole_bytes_show(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[bytes], chunk: int
) -> None:
    """Hashing in chunks gives the hash, size, head and 'has rows after the header' that
    the file's whole bytes give, whatever the chunk boundaries cut."""
    data = b"".join(pieces)
    path = tmp_path_factory.mktemp("peek") / "x.csv"
    path.write_bytes(data)
    peek = peek_file(str(path), chunk=chunk)
    whole = Source(str(path), data)
    assert (peek.sha256, peek.size, peek.head, peek.has_body) == (
        whole.sha256,
        whole.size,
        whole.head,
        whole.has_body,
    )
    # has_body means: something other than white space after the first line break.
    newline = data.find(b"\n")
    assert whole.has_body == (newline >= 0 and bool(data[newline:].strip()))


def test_peek_file_keeps_only_the_head_of_a_large_file(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfCrime ID,Month\r\n" + b"x" * 200_000 + b"\n"
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    peek = peek_file(str(path), chunk=4096)
    assert peek.head == data[: 64 * 1024 + 3]
    assert (peek.size, peek.has_body) == (len(data), True)
    header_only = tmp_path / "header.csv"
    header_only.write_bytes(b"Crime ID,Month\r\n" + b" \r\n" * 50_000)
    assert not peek_file(str(header_only), chunk=4096).has_body
