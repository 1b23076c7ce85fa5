"""A record holding a quoted line break makes line and comma totals meaningless, so such a
file is judged by the careful reader alone: its short rows and repeated header columns
must still be bad input (exit 4) naming the file and line, with nothing stored."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import STREET_HEADER, run_pcp, street_row, write_street

BROKEN = street_row("2018-07", "Robbery").replace(
    "On or near High Street", '"On or near\nHigh Street, East"'
)


def _ingest(store: Path, *files: Path) -> tuple[int, str]:
    result = run_pcp(["ingest", "--store", str(store), *map(str, files)])
    return result.exit_code, result.stderr


def test_a_quoted_line_break_alone_is_read(tmp_path: Path) -> None:
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_text("\n".join([STREET_HEADER, BROKEN, street_row("2018-07", "Drugs")]) + "\n")
    code, err = _ingest(tmp_path / "s", path)
    assert code == 0, err


def test_short_row_after_a_quoted_line_break(tmp_path: Path) -> None:
    good = street_row("2018-07", "Burglary")
    short = ",".join(good.split(",")[:9])
    path = tmp_path / "2018-07-leicestershire-street.csv"
    # Physical lines: 1 header, 2-3 the broken record, 4 good, 5 short.
    path.write_text("\n".join([STREET_HEADER, BROKEN, good, short, good]) + "\n")
    code, err = _ingest(tmp_path / "s", path)
    assert code == 4, err
    assert f"{path}, line 5: the row has 9 of the header's 12 fields" in err
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_short_row_in_a_batch_beside_clean_files(tmp_path: Path) -> None:
    files = [
        write_street(tmp_path / f"2018-0{m}-leicestershire-street.csv", f"2018-0{m}", {"Drugs": 3})
        for m in (1, 2)
    ]
    short = ",".join(street_row("2018-03", "Drugs").split(",")[:11])
    broken = BROKEN.replace("2018-07", "2018-03")
    odd = tmp_path / "2018-03-leicestershire-street.csv"
    odd.write_text("\n".join([STREET_HEADER, broken, short]) + "\n")
    code, err = _ingest(tmp_path / "s", *files, odd)
    assert code == 4, err
    assert f"{odd}, line 4: the row has 11 of the header's 12 fields" in err
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_repeated_header_column_with_a_quoted_line_break(tmp_path: Path) -> None:
    path = tmp_path / "2018-07-leicestershire-street.csv"
    rows = [BROKEN + ",Burglary", street_row("2018-07", "Drugs") + ",Drugs"]
    path.write_text("\n".join([STREET_HEADER + ",Crime type", *rows]) + "\n")
    code, err = _ingest(tmp_path / "s", path)
    assert code == 4, err
    assert f"{path}, line 1: the header names the column 'Crime type' twice" in err
    assert not (tmp_path / "s" / "manifest.json").exists()
