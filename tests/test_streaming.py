"""The streaming ingest of clean data.police.uk files: the same store as the eager ways,
and every file that is not clean handed over to them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pcp_cli.ingest import pipeline, readers, streaming
from tests.conftest import (
    STREET_HEADER,
    logical,
    real,
    run_pcp,
    snapshot,
    street_row,
    write_street,
    write_two_forces,
)


def _awkward_extracts(d: Path) -> list[Path]:
    files = write_two_forces(d, ("2018-07", "2018-08"))
    # BOM, LF endings, a quoted newline and a quoted comma in Location, an empty Longitude.
    row = (
        'x1,2018-09,Essex Police,Essex Police,,51.7,"On or near\nA Road, East",E01,Essex 001A,'
        "Robbery,Under investigation,"
    )
    odd = d / "2018-09" / "2018-09-essex-street.csv"
    odd.parent.mkdir(parents=True)
    odd.write_bytes(b"\xef\xbb\xbf" + "\n".join([STREET_HEADER, row, row]).encode() + b"\n")
    # Two months in one file: split into two partitions.
    two = d / "mixed" / "2018-09-leicestershire-street.csv"
    two.parent.mkdir()
    rows = [street_row("2018-09", "Burglary", crime_id="a"), street_row("2018-10", "Drugs")]
    two.write_text("\n".join([STREET_HEADER, *rows]) + "\n")
    # A value with a leading space (kept as it is) and one of only spaces (missing).
    spaced = d / "2018-10" / "2018-10-essex-street.csv"
    spaced.parent.mkdir()
    rows = [
        street_row("2018-10", "Robbery", force="Essex Police").replace(
            "On or near High Street", " On or near"
        ),
        street_row("2018-10", "Drugs", force="Essex Police").replace("Blaby 002A", "   "),
    ]
    spaced.write_text("\n".join([STREET_HEADER, *rows]) + "\n")
    return [*files, odd, two, spaced]


def _count_streamed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the streaming way takes, from now on."""
    names: list[str] = []
    real_stream = pipeline.stream_batch

    def counting(*args: Any, **kwargs: Any) -> Any:
        result = real_stream(*args, **kwargs)
        if result is not None:
            names.extend(f.name for f in result[1])
        return result

    monkeypatch.setattr(pipeline, "stream_batch", counting)
    return names


def test_streaming_gives_the_store_the_eager_ways_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _awkward_extracts(tmp_path / "in")
    streamed_names = _count_streamed(monkeypatch)
    # A file alone in its batch: one that is not clean sends only itself the eager way.
    monkeypatch.setattr(pipeline, "BATCH_FILES", 1)
    assert (
        run_pcp(["ingest", "--store", str(tmp_path / "streamed"), *map(str, files)]).exit_code == 0
    )
    # The clean files went the streaming way (the two-month one split by month); the file
    # with blank-looking values did not.
    assert sorted(streamed_names) == sorted(map(str, files[:6]))

    monkeypatch.setattr(pipeline, "BATCH_FILES", 64)
    together = tmp_path / "together"  # one batch: the unclean files send it the eager way
    assert run_pcp(["ingest", "--store", str(together), *map(str, files)]).exit_code == 0
    assert len(streamed_names) == 6
    monkeypatch.setattr(pipeline, "stream_batch", lambda *args, **kwargs: None)
    assert run_pcp(["ingest", "--store", str(tmp_path / "eager"), *map(str, files)]).exit_code == 0
    monkeypatch.setattr(pipeline, "fast_batch", lambda *args, **kwargs: None)
    monkeypatch.setattr(readers, "_fast_police_uk", lambda *args, **kwargs: None)
    careful = tmp_path / "careful"
    assert run_pcp(["ingest", "--store", str(careful), *map(str, files)]).exit_code == 0

    streamed = logical(tmp_path / "streamed")
    assert streamed == logical(together) == logical(tmp_path / "eager") == logical(careful)
    street = streamed["street"]
    assert isinstance(street, dict)
    assert street["essex/2018-09"][0] == 2 and street["leicestershire/2018-10"][0] == 1
    # Row order within a partition is the file's (the comparison above sorts rows).
    leics = tmp_path / "streamed" / "data" / "street" / "force=leicestershire"
    first = pl.read_parquet(next((leics / "month=2018-07").glob("*.parquet")))
    assert first["crime_type"].to_list() == ["Burglary", *["Anti-social behaviour"] * 2]


def test_relative_store_path(tmp_path: Path) -> None:
    path = write_street(tmp_path / "2018-07-leicestershire-street.csv", "2018-07", {"Drugs": 2})
    result = run_pcp(["ingest", "--store", "rel-store", str(path)], cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "rel-store" / "data").rglob("*.parquet"))) == 1


def test_unknown_force_after_the_first_rows_is_named_by_the_careful_way(tmp_path: Path) -> None:
    """The streaming query only knows the forces of a file's first rows: a later spelling
    fails it, and the file is read again the way that names the line."""
    rows = [street_row("2018-07", "Burglary", crime_id=f"c{i}") for i in range(400)]
    rows.append(street_row("2018-07", "Drugs", force="Nowhere Police"))
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_text("\n".join([STREET_HEADER, *rows]) + "\n")
    assert path.stat().st_size > 2 * streaming._HEAD_ROWS_BYTES
    store = tmp_path / "store"
    result = run_pcp(["ingest", "--store", str(store), str(path)])
    assert result.exit_code == 4
    assert "line 402, column 'Falls within': unknown force 'Nowhere Police'" in result.stderr
    assert snapshot(store) == {}
    assert not [p for p in store.rglob("*") if p.is_dir() and p.name.startswith("force=")]


def test_disk_full_in_the_streaming_sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    first = write_street(tmp_path / "a" / "2018-07-leicestershire-street.csv", "2018-07", {"X": 1})
    assert run_pcp(["ingest", "--store", str(store), str(first)]).exit_code == 0
    before = snapshot(store)
    folders = sorted(p for p in store.rglob("*") if p.is_dir())

    def full(*args: Any, **kwargs: Any) -> None:
        raise pl.exceptions.ComputeError("underlying IO error: No space left (os error 28)")

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", full)
    new = [
        write_street(tmp_path / "b" / f"2018-0{m}-essex-street.csv", f"2018-0{m}", {"Y": 2})
        for m in (8, 9)
    ]
    result = run_pcp(["ingest", "--store", str(store), *map(str, new)])
    assert result.exit_code == 6
    assert "the disk is full" in result.stderr and "the store is unchanged" in result.stderr
    assert snapshot(store) == before
    # Nor is any partition folder made for the failed run left behind.
    assert sorted(p for p in store.rglob("*") if p.is_dir()) == folders


def test_folders_of_a_killed_writer_are_removed_by_the_next(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = write_street(tmp_path / "2018-07-leicestershire-street.csv", "2018-07", {"X": 1})
    assert run_pcp(["ingest", "--store", str(store), str(first)]).exit_code == 0
    # What a writer killed before its commit leaves: staging, and empty partition folders.
    (store / ".staging" / "dead" / "tmp").mkdir(parents=True)
    orphan = store / "data" / "street" / "force=essex" / "month=2018-08"
    orphan.mkdir(parents=True)
    assert run_pcp(["ingest", "--store", str(store), str(first)]).exit_code == 0
    assert not orphan.parent.exists() and not (store / ".staging").exists()
    assert (store / "data" / "street" / "force=leicestershire" / "month=2018-07").is_dir()


def test_a_month_folder_of_three_kinds_streams_by_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data.police.uk's download puts street, outcomes and stop and search files side by
    side: each kind streams on its own; stop and search goes the careful way."""
    month = tmp_path / "in" / "2018-07"
    street = write_street(month / "2018-07-leicestershire-street.csv", "2018-07", {"Drugs": 3})
    outcomes = month / "2018-07-leicestershire-outcomes.csv"
    outcomes.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
        "Outcome type\n"
        "a1,2018-07,Leicestershire Police,Leicestershire Police,,,No location,,,Local resolution\n"
    )
    searches = month / "2018-07-leicestershire-stop-and-search.csv"
    searches.write_text(
        "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
        "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
        "Outcome,Outcome linked to object of search,Removal of more than just outer clothing\n"
        "Person search,2018-07-01T01:48:53+00:00,False,,52.6,-1.1,Male,18-24,,,"
        "Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,True,False\n"
    )
    streamed = _count_streamed(monkeypatch)
    assert run_pcp(["ingest", "--store", str(tmp_path / "s"), str(month)]).exit_code == 0
    assert sorted(streamed) == sorted([str(street), str(outcomes)])
    monkeypatch.setattr(pipeline, "stream_batch", lambda *args, **kwargs: None)
    assert run_pcp(["ingest", "--store", str(tmp_path / "e"), str(month)]).exit_code == 0
    both = logical(tmp_path / "s")
    assert both == logical(tmp_path / "e")
    kinds = ("street", "outcomes", "stop-search")
    assert set(both) == {*kinds, *(f"{kind}/agg" for kind in kinds)}


def test_a_large_file_is_counted_first_and_written_after_with_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files over 64 MiB take two passes (count and check, then write) to bound memory:
    every file here counts as large, and the store is the one the eager way gives."""
    files = _awkward_extracts(tmp_path / "in")
    monkeypatch.setattr(pipeline, "BATCH_FILES", 1)
    monkeypatch.setattr(pipeline, "stream_batch", lambda *args, **kwargs: None)
    eager = tmp_path / "eager"
    assert run_pcp(["ingest", "--store", str(eager), *map(str, files)]).exit_code == 0
    monkeypatch.undo()

    monkeypatch.setattr(pipeline, "BATCH_FILES", 1)
    monkeypatch.setattr(streaming, "_LARGE_BYTES", 0)
    two_pass: list[str] = []
    by_file: list[str] = []
    by_part: list[tuple[str, str, str]] = []
    real_two, real_by_file, real_by_part = (
        streaming._count_then_write,
        streaming._sink_by_file,
        streaming._sink_by_part,
    )

    def counted(sources: Any, *args: Any) -> Any:
        two_pass.extend(s.name for s in sources)
        return real_two(sources, *args)

    def sink_by_file(rows: Any, staged: Any, written: Any) -> Any:
        by_file.extend(staged)
        return real_by_file(rows, staged, written)

    def sink_by_part(rows: Any, staged: Any, written: Any) -> Any:
        by_part.extend(staged)
        return real_by_part(rows, staged, written)

    monkeypatch.setattr(streaming, "_count_then_write", counted)
    monkeypatch.setattr(streaming, "_sink_by_file", sink_by_file)
    monkeypatch.setattr(streaming, "_sink_by_part", sink_by_part)
    streamed_names = _count_streamed(monkeypatch)
    large = tmp_path / "large"
    assert run_pcp(["ingest", "--store", str(large), *map(str, files)]).exit_code == 0
    # The file of two months streams too (split by month); the one with a blank-looking
    # value is found by the first pass and never written.
    assert sorted(streamed_names) == sorted(map(str, files[:6]))
    assert sorted(two_pass) == sorted(map(str, files))
    assert sorted(by_file) == sorted(map(str, files[:5]))
    two_months = str(files[5])
    assert sorted(by_part) == [
        (two_months, "leicestershire", "2018-09"),
        (two_months, "leicestershire", "2018-10"),
    ]
    assert logical(large) == logical(eager)


def _months_and_forces(path: Path, *, interleaved: bool = False) -> Path:
    """One CSV of several files pasted together: two forces, three months across a year's
    end, counts differing by force and month; ``interleaved`` mixes the rows up."""
    rows = []
    for m, month in enumerate(("2018-11", "2018-12", "2019-01")):
        for f, force in enumerate(("Leicestershire Police", "Essex Police")):
            for kind, n in (
                ("Burglary", 1 + m + 2 * f),
                ("Anti-social behaviour", 2),
                ("Drugs", m),
            ):
                rows += [
                    street_row(
                        month, kind, crime_id=f"{month}-{force[:5]}-{kind[:4]}-{i}", force=force
                    )
                    for i in range(n)
                ]
    if interleaved:
        rows = rows[::2] + rows[1::2]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([STREET_HEADER, *rows]) + "\n")
    return path


def _stream_and_eager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[Path], *, large: bool = True
) -> tuple[Path, Path, list[str]]:
    """The files ingested the eager way and the streaming way (as large files, counted
    before they are written, unless not ``large``)."""
    with monkeypatch.context() as eager_only:
        eager_only.setattr(pipeline, "stream_batch", lambda *args, **kwargs: None)
        eager = tmp_path / "eager"
        assert run_pcp(["ingest", "--store", str(eager), *map(str, files)]).exit_code == 0
    if large:
        monkeypatch.setattr(streaming, "_LARGE_BYTES", 0)
    streamed_names = _count_streamed(monkeypatch)
    streamed = tmp_path / "streamed"
    result = run_pcp(["ingest", "--store", str(streamed), *map(str, files)])
    assert result.exit_code == 0, result.stderr
    return streamed, eager, streamed_names


def _streamed_as_eager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Path
) -> dict[str, object]:
    """``path`` streamed (as a large file) gives the eager way's store; that store."""
    streamed, eager, streamed_names = _stream_and_eager(tmp_path, monkeypatch, [path])
    assert streamed_names == [str(path)]
    store = logical(streamed)
    assert store == logical(eager)
    return store


@pytest.mark.parametrize("parts_per_pass", [24, 4, 1])
@pytest.mark.parametrize("interleaved", [False, True])
def test_a_large_file_of_several_months_and_forces_streams_to_the_eager_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts_per_pass: int, interleaved: bool
) -> None:
    """Six force-months in one file are written by force and month (in one pass, in two
    passes of 4 and 2, or one pass each), rows in the file's order, and the store is the
    eager way's to the byte of every row: partitions, rows, sources, aggregates."""
    path = _months_and_forces(tmp_path / "in" / "year.csv", interleaved=interleaved)
    monkeypatch.setattr(streaming, "_PARTS_PER_PASS", parts_per_pass)
    store = _streamed_as_eager(tmp_path, monkeypatch, path)
    streamed, eager = tmp_path / "streamed", tmp_path / "eager"
    street = store["street"]
    assert isinstance(street, dict)
    assert sorted(street) == [
        f"{force}/{month}"
        for force in ("essex", "leicestershire")
        for month in ("2018-11", "2018-12", "2019-01")
    ]
    assert street["essex/2019-01"][0] == 5 + 2 + 2 and street["leicestershire/2018-11"][0] == 3
    manifest = json.loads((streamed / "manifest.json").read_text())
    (source,) = manifest["sources"].values()
    assert source["rows"] == 3 + 5 + 5 + 7 + 7 + 9 and source["forces"] == [
        "essex",
        "leicestershire",
    ]
    # Rows within a partition keep the file's order, as the eager way's do.
    for key in street:
        force, month = key.split("/")
        part = f"data/street/force={force}/month={month}"
        assert pl.read_parquet(next((streamed / part).glob("*.parquet"))).equals(
            pl.read_parquet(next((eager / part).glob("*.parquet")))
        )
    assert not (streamed / ".staging").exists()


def test_a_small_file_of_several_forces_is_written_again_by_force_and_month(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file under the large size is written in one pass as one partition; when it holds
    several force-months (here a second force well after the first rows, whose spelling
    the one pass does not know), it is counted and written again by force and month, next
    to a clean file of the same batch, with nothing left of the first write."""
    rows = [street_row("2018-11", "Drugs", crime_id=f"a{i}") for i in range(200)]
    rows += [
        street_row("2018-12", "Burglary", force="Essex Police", crime_id=f"b{i}") for i in range(3)
    ]
    mixed = tmp_path / "in" / "two-forces.csv"
    mixed.parent.mkdir()
    mixed.write_text("\n".join([STREET_HEADER, *rows]) + "\n")
    assert mixed.stat().st_size > 2 * streaming._HEAD_ROWS_BYTES
    clean = write_street(
        tmp_path / "in" / "2018-10-essex-street.csv", "2018-10", {"Drugs": 2}, force="Essex Police"
    )
    one_pass: list[int] = []
    real_one_pass = streaming._write_and_count

    def counted(sources: Any, *args: Any) -> Any:
        one_pass.append(len(sources))
        return real_one_pass(sources, *args)

    monkeypatch.setattr(streaming, "_write_and_count", counted)
    files = [clean, mixed]
    streamed, eager, streamed_names = _stream_and_eager(tmp_path, monkeypatch, files, large=False)
    assert one_pass == [2]  # one batch, one pass first
    assert sorted(streamed_names) == sorted(map(str, files))
    store = logical(streamed)
    assert store == logical(eager)
    street = store["street"]
    assert isinstance(street, dict)
    assert {k: v[0] for k, v in street.items()} == {
        "essex/2018-10": 2,
        "essex/2018-12": 3,
        "leicestershire/2018-11": 200,
    }
    assert not (streamed / ".staging").exists()


def test_a_file_of_more_force_months_than_the_passes_allow_goes_the_eager_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each pass reads the whole file: past the last pass allowed the eager way is quicker,
    and gives the same store."""
    path = _months_and_forces(tmp_path / "in" / "year.csv")
    monkeypatch.setattr(streaming, "_PARTS_PER_PASS", 2)
    monkeypatch.setattr(streaming, "_MAX_PASSES", 2)  # 4 of the 6 force-months
    streamed, eager, streamed_names = _stream_and_eager(tmp_path, monkeypatch, [path])
    assert streamed_names == []
    assert logical(streamed) == logical(eager)
    monkeypatch.setattr(streaming, "_MAX_PASSES", 3)
    assert run_pcp(["ingest", "--store", str(tmp_path / "three"), str(path)]).exit_code == 0
    assert streamed_names == [str(path)]
    assert logical(tmp_path / "three") == logical(eager)


def test_a_force_month_the_count_did_not_see_sends_the_file_the_eager_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows of a force-month the counting pass did not see (the file changed between the
    passes) are written to a file of their own, found, and everything staged is removed:
    the eager way then reads the file (and here gives the same store)."""
    path = _months_and_forces(tmp_path / "in" / "year.csv")
    real_counts = streaming._counts_by_force

    def forgetful(counts: pl.DataFrame, forces: Any) -> Any:
        mapped = real_counts(counts, forces)
        assert mapped is not None
        return mapped[0].filter(pl.col("month") != "2018-12"), mapped[1]

    monkeypatch.setattr(streaming, "_counts_by_force", forgetful)
    removed: list[Path] = []
    real_remove = streaming._remove

    def remove(paths: list[Path]) -> None:
        removed.extend(paths)
        real_remove(paths)

    monkeypatch.setattr(streaming, "_remove", remove)
    streamed, eager, streamed_names = _stream_and_eager(tmp_path, monkeypatch, [path])
    assert streamed_names == []
    assert len(removed) == 6 and sum(p.name.startswith("unexpected-") for p in removed) == 2
    assert logical(streamed) == logical(eager)


def test_two_spellings_of_one_force_in_a_large_file_add_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every 'Falls within' spelling is counted before it is looked up: two spellings of
    Leicestershire make one partition and one set of counts, as the eager way gives."""
    rows = [street_row("2018-11", "Drugs", crime_id=f"a{i}") for i in range(3)]
    rows += [
        street_row("2018-11", "Drugs", crime_id=f"b{i}", force="leicestershire") for i in range(2)
    ]
    rows += [street_row("2018-12", "Burglary", force="Essex Police")]
    path = tmp_path / "in" / "spellings.csv"
    path.parent.mkdir()
    path.write_text("\n".join([STREET_HEADER, *rows]) + "\n")
    store = _streamed_as_eager(tmp_path, monkeypatch, path)
    street_agg = store["street/agg"]
    assert isinstance(street_agg, list)
    assert [r for r in street_agg if r[0] == "leicestershire"] == [
        ("leicestershire", "2018-11", 1, "Drugs", "Under investigation", 5)
    ]


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            street_row("2019-01", "Drugs", force="Nowhere Police"),
            "line 6, column 'Falls within': unknown force 'Nowhere Police'",
        ),
        (street_row("2019-13", "Drugs"), "line 6, column 'Month': not a month"),
        (
            street_row("2019-01", "Drugs").replace("52.63", "nan"),
            "line 6, column 'Latitude': not a finite number",
        ),
    ],
)
def test_a_bad_row_late_in_a_large_file_of_several_months_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_row: str, message: str
) -> None:
    """An unknown force, a month that is not one or a coordinate that is not a number,
    after rows of other months: nothing is written, and the eager way names the line."""
    rows = [street_row(m, "Burglary", crime_id=f"c{i}") for i, m in enumerate(["2018-11"] * 2)]
    rows += [street_row("2018-12", "Burglary", crime_id=f"d{i}") for i in range(2)]
    path = tmp_path / "year.csv"
    path.write_text("\n".join([STREET_HEADER, *rows, bad_row]) + "\n")
    monkeypatch.setattr(streaming, "_LARGE_BYTES", 0)
    sinks: list[object] = []
    real_sink = streaming._sink

    def sink(*args: Any, **kwargs: Any) -> Any:
        sinks.append(args[1])
        return real_sink(*args, **kwargs)

    monkeypatch.setattr(streaming, "_sink", sink)
    store = tmp_path / "store"
    result = run_pcp(["ingest", "--store", str(store), str(path)])
    assert result.exit_code == 4
    assert message in result.stderr
    assert sinks == []  # refused by the counting pass, before anything is written
    assert snapshot(store) == {}


@pytest.mark.slow
@pytest.mark.realdata
def test_real_street_files_pasted_into_one_stream_to_the_eager_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data.police.uk's street files of eight forces over a quarter (24 files, 275,367
    rows), pasted into one CSV as an analyst would, stream by force and month (in passes
    of 10) to the store the eager way gives."""
    files = sorted(real("policeuk-street-msg-2018q3").glob("*/*-street.csv"))
    assert len(files) == 24
    pasted = tmp_path / "in" / "quarter.csv"
    pasted.parent.mkdir()
    with pasted.open("wb") as out:
        for n, file in enumerate(files):
            lines = file.read_bytes().splitlines(keepends=True)
            out.writelines(lines if n == 0 else lines[1:])
    monkeypatch.setattr(streaming, "_PARTS_PER_PASS", 10)
    store = _streamed_as_eager(tmp_path, monkeypatch, pasted)
    street = store["street"]
    assert isinstance(street, dict) and len(street) == 24
    assert sum(part[0] for part in street.values()) == 275_367
