"""Synthetic force crime records for tests: one canonical extract and the same records as
another records system exports them (other headers, column order, dd/mm/yyyy dates)."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HO_CODES = ["19C", "19D", "8N", "105A", "28E", "30C", "46", "92A", "8L", "58A"]
LSOAS = ["E01025600", "E01025601", "E01025631", "E01025700", "E01025800", "E01026001", ""]
STRANDS = ["race", "religion", "sexual-orientation", "disability", "transgender"]

# The export's header for each canonical column (a Niche-like system).
EXPORT_HEADERS = {
    "crime_ref": "Crime Number",
    "recorded_date": "Date Recorded",
    "ho_code": "HO Offence Code",
    "lsoa_code": "LSOA 2011",
    "domestic": "DA Flag",
    "hate_strands": "Hate Crime Strands",
    "victim_ref": "Victim URN",
}
MAP_TOML = 'date_format = "%d/%m/%Y"\n[columns]\n' + "".join(
    f'{k} = "{v}"\n' for k, v in EXPORT_HEADERS.items()
)


@dataclass(frozen=True)
class Record:
    crime_ref: str
    recorded: date
    ho_code: str
    lsoa_code: str
    domestic: bool
    strands: tuple[str, ...]
    victim_ref: str

    @property
    def month(self) -> str:
        return self.recorded.strftime("%Y-%m")


def make_records(
    seed: int = 15, first: tuple[int, int] = (2020, 4), months: int = 24
) -> list[Record]:
    rng = random.Random(seed)
    out = []
    n = 0
    for i in range(months):
        year, month = first[0] + (first[1] - 1 + i) // 12, (first[1] - 1 + i) % 12 + 1
        for _ in range(rng.randint(40, 70)):
            n += 1
            strands: tuple[str, ...] = ()
            if rng.random() < 0.2:
                strands = tuple(sorted(rng.sample(STRANDS, rng.choice([1, 1, 2]))))
            victim = "" if rng.random() < 0.1 else f"VIC{rng.randint(1, 300):05d}"
            out.append(
                Record(
                    crime_ref=f"CR/{n:06d}/{year % 100:02d}",
                    recorded=date(year, month, rng.randint(1, 28)),
                    ho_code=rng.choice(HO_CODES),
                    lsoa_code=rng.choice(LSOAS),
                    domestic=rng.random() < 0.25,
                    strands=strands,
                    victim_ref=victim,
                )
            )
    return out


def write_canonical(path: Path, records: list[Record]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["crime_ref", "recorded_date", "ho_code", "lsoa_code", "domestic",
                    "hate_strands", "victim_ref"])  # fmt: skip
        for r in records:
            w.writerow([r.crime_ref, r.recorded.isoformat(), r.ho_code, r.lsoa_code,
                        "Y" if r.domestic else "N", ";".join(r.strands), r.victim_ref])  # fmt: skip
    return path


def write_export(path: Path, records: list[Record]) -> Path:
    """The same records the way another system exports them: other headers in another
    order, dd/mm/yyyy dates, Yes/No flags, strands in capitals with spaces, CRLF, and a
    column (victim name) that must never be stored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(["Victim Name", "Date Recorded", "HO Offence Code", "Crime Number",
                    "Victim URN", "DA Flag", "Hate Crime Strands", "LSOA 2011"])  # fmt: skip
        for r in records:
            strands = "; ".join(s.replace("-", " ").title() for s in r.strands)
            w.writerow([f"Person {r.victim_ref}", r.recorded.strftime("%d/%m/%Y"), r.ho_code,
                        r.crime_ref, r.victim_ref, "Yes" if r.domestic else "No", strands,
                        r.lsoa_code])  # fmt: skip
    return path
