"""Column groups shared by the analyses' output frames (CSV/JSON/Parquet columns).

A row of ``pcp spc`` or ``pcp project`` says first whose figure it is and how it was
made, in the same columns and order; a row of ``pcp compare`` or ``pcp check`` begins with
the force and the KPI in the same columns and order. The schemas are built from these groups.
"""

from __future__ import annotations

import polars as pl

from pcp_cli.kpis import Kpi

Schema = dict[str, pl.DataType | type[pl.DataType]]

KPI_IDENTITY: Schema = {
    "force": pl.String,
    "force_name": pl.String,
    "kpi": pl.String,
    "label": pl.String,
    "polarity": pl.String,
    "unit": pl.String,
    "source": pl.String,
    "method": pl.String,
}
"""Whose figure (force, KPI and its polarity and unit), from which dataset, by which method."""

FORCE_KPI: Schema = {
    "force": pl.String,
    "force_name": pl.String,
    "section": pl.String,
    "kpi": pl.String,
    "label": pl.String,
    "polarity": pl.String,
}
"""The leading columns of a ``pcp compare`` or ``pcp check`` row: the force, the KPI's
section, id, label and polarity."""

MONTH_POINT: Schema = {
    "period": pl.String,
    "start": pl.String,
    "end": pl.String,
    "value": pl.Float64,
}
"""One point of a monthly series: its label, first and last month (YYYY-MM), and value."""


def identity(kpi: Kpi, force: str, force_name: str, source: str | None) -> dict[str, object]:
    """The :data:`KPI_IDENTITY` values of a row but ``method`` (the analysis adds its own)."""
    return {
        "force": force,
        "force_name": force_name,
        "kpi": kpi.id,
        "label": kpi.label,
        "polarity": kpi.polarity,
        "unit": kpi.unit,
        "source": source,
    }


def force_kpi(kpi: Kpi, force: str, force_name: str) -> dict[str, object]:
    """The :data:`FORCE_KPI` values of a row."""
    return {
        "force": force,
        "force_name": force_name,
        "section": kpi.section,
        "kpi": kpi.id,
        "label": kpi.label,
        "polarity": kpi.polarity,
    }


def fields_of(source: object | None, **columns: str) -> dict[str, object]:
    """Columns read from attributes of ``source`` (``column="attribute"``), all ``None``
    when there is no ``source`` (no test was possible, the force has no place)."""
    if source is None:
        return dict.fromkeys(columns)
    return {column: getattr(source, name) for column, name in columns.items()}
