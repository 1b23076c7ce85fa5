"""A user's lookup of LSOA codes to local areas: ``lsoa_code,area[,area_type][,population]``.

Neighbourhood policing areas, community safety partnerships and wards are the force's own
groupings of LSOAs and change from time to time, so the store keeps one lookup per area
type: a newer lookup replaces every row of the area types it holds (the manifest records
which file, its SHA-256 and when it was read).
"""

from __future__ import annotations

import polars as pl

from pcp_cli.errors import DataError
from pcp_cli.ingest.readers import Parsed, ReadOptions, Source
from pcp_cli.ingest.rows import LINE, Rejects, read_text_table

DEFAULT_AREA_TYPE = "area"
LSOA_PATTERN = r"^[EW]0\d{7}$"


def parse_areas(source: Source, data: bytes, options: ReadOptions) -> Parsed:
    raw = read_text_table(source, data)
    present = {c.strip().casefold(): c for c in raw.columns if c != LINE}
    missing = [c for c in ("lsoa_code", "area") if c not in present]
    if missing:
        raise DataError(
            f"{source.name}: missing column(s) {', '.join(repr(m) for m in missing)} for an "
            "areas lookup",
            hint="expected header: lsoa_code,area (optionally area_type, population)",
        )

    def column(name: str) -> pl.Expr:
        if name in present:
            return pl.col(present[name]).str.strip_chars().alias(name)
        return pl.lit(None, dtype=pl.String).alias(name)

    frame = raw.select(
        LINE, column("lsoa_code"), column("area"), column("area_type"), column("population")
    )
    bad = Rejects(source, options.on_bad_rows)
    frame = frame.with_columns(pl.col("lsoa_code").str.to_uppercase())
    frame = bad.add(frame, frame["lsoa_code"].is_null(), "lsoa_code", "the LSOA code is empty")
    frame = bad.add(
        frame,
        ~frame["lsoa_code"].str.contains(LSOA_PATTERN),
        "lsoa_code",
        "not an LSOA code like E01025600",
    )
    frame = bad.add(frame, frame["area"].is_null(), "area", "the area name is empty")
    frame = frame.with_columns(pl.col("area_type").fill_null(DEFAULT_AREA_TYPE).str.to_lowercase())
    number = frame.select(
        pl.col("population").str.replace_all(",", "").cast(pl.Int64, strict=False)
    ).to_series()
    frame = bad.add(
        frame,
        (number.is_null() & frame["population"].is_not_null()) | (number < 0).fill_null(False),
        "population",
        "not a whole number of residents",
    )
    frame = frame.with_columns(
        pl.col("population").str.replace_all(",", "").cast(pl.Int64, strict=False)
    )
    twice = frame.select(pl.struct("lsoa_code", "area_type").is_first_distinct().not_())
    frame = bad.add(
        frame,
        twice.to_series(),
        "lsoa_code",
        "the LSOA is already given an area of this type on an earlier line",
    )
    return Parsed(source, "areas", frame.drop(LINE), bad.frame())
