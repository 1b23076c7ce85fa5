"""Generate national-scale data.police.uk street files for benchmarks (deterministic).

Usage::

    python benchmarks/make_national.py --out /tmp/pcp-bench/data --years 1      # ≈ 6M rows
    python benchmarks/make_national.py --out /tmp/pcp-bench/data --years 3      # ≈ 18M rows
    python benchmarks/make_national.py --out /tmp/x --years 1 --scale 0.1       # ≈ 600k rows

Layout, exactly as the data.police.uk archive lays it out::

    YYYY-MM/YYYY-MM-<force slug>-street.csv      one file per force per month (CRLF)
    population.csv                               force,year,population (for rates)

43 territorial forces, sized roughly like the real ones (the Met about a sixth of all
rows, the City of London about half a percent), with the real column set, the 14 real
crime types in their national proportions, ASB rows with an empty Crime ID and empty
outcome, 64-hex Crime IDs, about 2% "No Location" rows with empty coordinates and LSOA,
and a mild seasonal pattern. Months run April to March (financial years), ending with
March of ``--last-fy`` + 1. Never write the output inside the repository: it is large
(≈ 1.5 GB per national year).

Randomness comes only from ``numpy.random.default_rng([seed, force, month])``, so two
runs give byte-identical files and any single file can be regenerated on its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl

HEADER = [
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
]

# (slug, "Falls within" name, share of national rows per thousand, centre lon, lat, Welsh)
# Shares follow the forces' recorded crime plus ASB volumes (rounded; they sum to 1000).
FORCES: list[tuple[str, str, float, float, float, bool]] = [
    ("avon-and-somerset", "Avon and Somerset Constabulary", 29, -2.6, 51.4, False),
    ("bedfordshire", "Bedfordshire Police", 10, -0.45, 52.1, False),
    ("cambridgeshire", "Cambridgeshire Constabulary", 14, 0.1, 52.3, False),
    ("cheshire", "Cheshire Constabulary", 16, -2.5, 53.2, False),
    ("city-of-london", "City of London Police", 1.5, -0.09, 51.515, False),
    ("cleveland", "Cleveland Police", 13, -1.2, 54.55, False),
    ("cumbria", "Cumbria Constabulary", 6, -2.9, 54.6, False),
    ("derbyshire", "Derbyshire Constabulary", 16, -1.5, 53.0, False),
    ("devon-and-cornwall", "Devon & Cornwall Police", 23, -4.0, 50.6, False),
    ("dorset", "Dorset Police", 10, -2.2, 50.75, False),
    ("durham", "Durham Constabulary", 10, -1.7, 54.7, False),
    ("dyfed-powys", "Dyfed-Powys Police", 6, -4.0, 52.1, True),
    ("essex", "Essex Police", 31, 0.6, 51.8, False),
    ("gloucestershire", "Gloucestershire Constabulary", 9, -2.2, 51.85, False),
    ("greater-manchester", "Greater Manchester Police", 68, -2.25, 53.48, False),
    ("gwent", "Gwent Police", 10, -3.0, 51.65, True),
    ("hampshire", "Hampshire Constabulary", 30, -1.3, 51.05, False),
    ("hertfordshire", "Hertfordshire Constabulary", 16, -0.25, 51.8, False),
    ("humberside", "Humberside Police", 19, -0.4, 53.7, False),
    ("kent", "Kent Police", 37, 0.8, 51.25, False),
    ("lancashire", "Lancashire Constabulary", 28, -2.6, 53.8, False),
    ("leicestershire", "Leicestershire Police", 17, -1.13, 52.63, False),
    ("lincolnshire", "Lincolnshire Police", 10, -0.4, 53.1, False),
    ("merseyside", "Merseyside Police", 26, -2.95, 53.42, False),
    ("metropolitan", "Metropolitan Police Service", 165, -0.12, 51.5, False),
    ("norfolk", "Norfolk Constabulary", 11, 1.1, 52.65, False),
    ("north-wales", "North Wales Police", 9, -3.6, 53.15, True),
    ("north-yorkshire", "North Yorkshire Police", 10, -1.4, 54.1, False),
    ("northamptonshire", "Northamptonshire Police", 12, -0.9, 52.3, False),
    ("northumbria", "Northumbria Police", 30, -1.6, 55.0, False),
    ("nottinghamshire", "Nottinghamshire Police", 19, -1.15, 52.95, False),
    ("south-wales", "South Wales Police", 23, -3.4, 51.55, True),
    ("south-yorkshire", "South Yorkshire Police", 30, -1.4, 53.45, False),
    ("staffordshire", "Staffordshire Police", 15, -2.0, 52.85, False),
    ("suffolk", "Suffolk Constabulary", 9, 1.0, 52.2, False),
    ("surrey", "Surrey Police", 12, -0.4, 51.3, False),
    ("sussex", "Sussex Police", 26, -0.3, 50.9, False),
    ("thames-valley", "Thames Valley Police", 35, -1.0, 51.6, False),
    ("warwickshire", "Warwickshire Police", 7, -1.55, 52.3, False),
    ("west-mercia", "West Mercia Police", 18, -2.5, 52.4, False),
    ("west-midlands", "West Midlands Police", 58, -1.9, 52.48, False),
    ("west-yorkshire", "West Yorkshire Police", 55, -1.6, 53.8, False),
    ("wiltshire", "Wiltshire Police", 8.5, -1.9, 51.35, False),
]

ROWS_PER_YEAR = 6_000_000

# National proportions from the real street files (shared/data/real FACTS.md).
CRIME_TYPES: list[tuple[str, int]] = [
    ("Violence and sexual offences", 193747),
    ("Anti-social behaviour", 81732),
    ("Criminal damage and arson", 54589),
    ("Public order", 52579),
    ("Other theft", 47563),
    ("Vehicle crime", 39747),
    ("Burglary", 31907),
    ("Shoplifting", 29663),
    ("Drugs", 17433),
    ("Other crime", 11766),
    ("Bicycle theft", 10060),
    ("Theft from the person", 7254),
    ("Robbery", 5113),
    ("Possession of weapons", 4919),
]
OUTCOMES: list[tuple[str, int]] = [
    ("Investigation complete; no suspect identified", 205998),
    ("Unable to prosecute suspect", 179546),
    ("Status update unavailable", 26494),
    ("Court result unavailable", 24858),
    ("Local resolution", 19640),
    ("Action to be taken by another organisation", 7901),
    ("Formal action is not in the public interest", 7700),
    ("Further investigation is not in the public interest", 6900),
    ("Under investigation", 5921),
    ("Offender given a caution", 5465),
    ("Awaiting court outcome", 4288),
    ("Further action is not in the public interest", 2391),
    ("Offender given a drugs possession warning", 1786),
    ("Offender sent to prison", 1588),
    ("Offender given community sentence", 1538),
    ("Offender fined", 931),
    ("Defendant found not guilty", 665),
    ("Offender given suspended prison sentence", 590),
    ("Offender given conditional discharge", 562),
    ("Court case unable to proceed", 512),
    ("Offender given penalty notice", 412),
    ("Suspect charged as part of another case", 218),
]
# Jan..Dec: more crime in summer, a little less in February.
SEASON = [0.93, 0.88, 0.97, 0.98, 1.03, 1.04, 1.08, 1.05, 1.01, 1.02, 0.99, 0.97]
STREETS = [
    f"{a} {b}"
    for a in (
        "High",
        "Station",
        "Church",
        "Mill",
        "Park",
        "Victoria",
        "London",
        "Manor",
        "King",
        "Queen",
        "Albert",
        "Springfield",
        "Grange",
        "Meadow",
        "Willow",
        "Oak",
        "Chapel",
        "School",
        "North",
        "West",
    )
    for b in ("Street", "Road", "Lane", "Close", "Avenue", "Drive", "Way", "Gardens")
]


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_for(years: int, last_fy: int) -> list[int]:
    """Financial-year months: April of the first year to March of last_fy + 1."""
    end = (last_fy + 1) * 12 + 2  # March
    return list(range(end - 12 * years + 1, end + 1))


def rows_for(share: float, month: int, scale: float) -> int:
    per_month = ROWS_PER_YEAR * scale * share / 1000 / 12
    return max(1, round(per_month * SEASON[month % 12]))


def force_month_frame(
    seed: int, force_index: int, month: int, scale: float
) -> tuple[str, pl.DataFrame]:
    slug, name, share, lon, lat, welsh = FORCES[force_index]
    n = rows_for(share, month, scale)
    rng = np.random.default_rng([seed, force_index, month])
    types = np.array([t for t, _ in CRIME_TYPES])
    weights = np.array([w for _, w in CRIME_TYPES], dtype=float)
    crime_type = types[rng.choice(len(types), size=n, p=weights / weights.sum())]
    asb = crime_type == "Anti-social behaviour"
    outcomes = np.array([o for o, _ in OUTCOMES])
    ow = np.array([w for _, w in OUTCOMES], dtype=float)
    outcome = outcomes[rng.choice(len(outcomes), size=n, p=ow / ow.sum())]
    ids = pl.Series(np.frombuffer(rng.bytes(32 * n), dtype="S32")).bin.encode("hex")
    no_location = rng.random(n) < 0.02
    lsoa_number = rng.integers(0, 900, size=n)
    street = np.array(STREETS)[rng.integers(0, len(STREETS), size=n)]
    area = name.split(" ")[0]
    prefix = "W01" if welsh else "E01"
    base = 1000 + force_index * 1000
    frame = pl.DataFrame(
        {
            "Crime ID": ids,
            "asb": asb,
            "no_location": no_location,
            "Longitude": np.round(lon + rng.normal(0, 0.12, n), 6),
            "Latitude": np.round(lat + rng.normal(0, 0.08, n), 6),
            "street": street,
            "lsoa": lsoa_number,
            "Crime type": crime_type,
            "outcome": outcome,
        }
    )
    label = month_label(month)
    frame = frame.select(
        pl.when(pl.col("asb")).then(None).otherwise(pl.col("Crime ID")).alias("Crime ID"),
        pl.lit(label).alias("Month"),
        pl.lit(name).alias("Reported by"),
        pl.lit(name).alias("Falls within"),
        pl.when(pl.col("no_location")).then(None).otherwise(pl.col("Longitude")).alias("Longitude"),
        pl.when(pl.col("no_location")).then(None).otherwise(pl.col("Latitude")).alias("Latitude"),
        pl.when(pl.col("no_location"))
        .then(pl.lit("No Location"))
        .otherwise(pl.lit("On or near ") + pl.col("street"))
        .alias("Location"),
        pl.when(pl.col("no_location"))
        .then(None)
        .otherwise(pl.lit(prefix) + (pl.col("lsoa") + base).cast(pl.String).str.zfill(6))
        .alias("LSOA code"),
        pl.when(pl.col("no_location"))
        .then(None)
        .otherwise(
            pl.lit(f"{area} ")
            + (pl.col("lsoa") // 26 + 1).cast(pl.String).str.zfill(3)
            + pl.col("lsoa")
            .mod(26)
            .cast(pl.UInt8)
            .add(65)
            .map_elements(chr, return_dtype=pl.String)
        )
        .alias("LSOA name"),
        pl.col("Crime type"),
        pl.when(pl.col("asb"))
        .then(None)
        .otherwise(pl.col("outcome"))
        .alias("Last outcome category"),
        pl.lit(None, dtype=pl.String).alias("Context"),
    )
    return f"{label}/{label}-{slug}-street.csv", frame


def write_population(out: Path, years: list[int]) -> Path:
    """population.csv (force,year,population), sized like the forces (needed by `pcp rank`)."""
    lines = ["force,year,population"]
    for slug, _name, share, *_ in FORCES:
        for year in years:
            lines.append(
                f"{slug},{year},{round(59_600_000 * share / 1000 * (1 + 0.005 * (year - 2020)))}"
            )
    path = out / "population.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def generate(
    out: Path, *, years: int = 1, scale: float = 1.0, seed: int = 2024, last_fy: int = 2023
) -> tuple[int, int]:
    """Write the street files (and population.csv); return (street files, rows)."""
    files = rows = 0
    months = months_for(years, last_fy)
    write_population(out, sorted({m // 12 for m in months}))
    for month in months:
        for index in range(len(FORCES)):
            rel, frame = force_month_frame(seed, index, month, scale)
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.write_csv(path, line_terminator="\r\n", float_precision=6)
            files += 1
            rows += frame.height
    return files, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (not the repo)")
    parser.add_argument("--years", type=int, default=1, help="financial years (default 1)")
    parser.add_argument("--scale", type=float, default=1.0, help="row multiplier (default 1)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--last-fy", type=int, default=2023, help="start year of the last financial year"
    )
    args = parser.parse_args(argv)
    repo = Path(__file__).resolve().parent.parent
    if args.out.resolve().is_relative_to(repo):
        print("refusing to write generated data inside the repository", file=sys.stderr)
        return 2
    files, rows = generate(
        args.out, years=args.years, scale=args.scale, seed=args.seed, last_fy=args.last_fy
    )
    print(f"wrote {files} files, {rows:,} rows under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
