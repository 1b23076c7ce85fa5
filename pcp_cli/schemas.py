"""The published schemas of pcp's machine output: one Frictionless Table Schema per command.

Every command's rows are conformed to its schema before they are written (column order,
missing columns added as nulls, types cast), so a file's columns never depend on --kpi or
--force. Types are Frictionless types: ``string``, ``integer`` (counts), ``number``,
``boolean``, ``date`` (a month, written ``YYYY-MM`` in text formats, the first day of the
month in Parquet and xlsx) and ``array`` (JSON and Parquet lists, ``;``-joined in CSV, an
empty slot for a missing month). Bump SCHEMA_VERSION when a field is renamed, removed or
changes type; adding a field is a minor change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = "1.1"  # 1.1: the report's by_area and home_office_monthly parts (9 columns added)
MONTH_FORMAT = "%Y-%m"


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # string | integer | number | boolean | date | array
    description: str
    item_type: str | None = None  # for arrays: number | date | string

    def frictionless(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.type == "date":
            out["format"] = MONTH_FORMAT
        if self.item_type:
            out["arrayItem"] = {"type": self.item_type}
        out["description"] = self.description
        return out


# Shared fields: name -> (type, description). A command lists its fields by name.
_COMMON: dict[str, tuple[str, str]] = {
    "force": ("string", "force id (lowercase slug)"),
    "force_name": ("string", "force name"),
    "section": ("string", "report section of the KPI"),
    "kpi": ("string", "KPI id from the KPI file"),
    "label": ("string", "KPI label"),
    "polarity": ("string", "higher-better, lower-better or neutral"),
    "unit": ("string", "unit of value: crimes, %, per 1,000, ..."),
    "source": ("string", "dataset the figures come from"),
    "dataset": ("string", "store dataset (street, prc, counts, ...)"),
    "measure": ("string", "measure within the dataset"),
    "period": ("string", "the period, as a label (e.g. Q2 2018/19)"),
    "period_start": ("date", "first month of the period"),
    "period_end": ("date", "last month of the period"),
    "baseline_period": ("string", "the baseline period, as a label"),
    "baseline_start": ("date", "first month of the baseline"),
    "baseline_end": ("date", "last month of the baseline"),
    "value": ("number", "the KPI's value for the period (a count, rate or percentage)"),
    "baseline_value": ("number", "the KPI's value for the baseline"),
    "change": ("number", "value minus baseline_value"),
    "pct_change": ("number", "change as a percentage of baseline_value"),
    "change_basis": (
        "string",
        "total, or monthly average when the periods differ in length (change, pct_change)",
    ),
    "numerator": ("integer", "rate and survey KPIs: the count on top of the fraction"),
    "denominator": ("number", "rate and survey KPIs: what the count is divided by"),
    "baseline_numerator": ("integer", "numerator for the baseline"),
    "baseline_denominator": ("number", "denominator for the baseline"),
    "complete": ("boolean", "every month of the period and baseline is in the store"),
    "test": ("string", "significance test used, with its source"),
    "statistic": (
        "number",
        "test statistic (counts: the score z over the square root of dispersion)",
    ),
    "p_value": (
        "number",
        "two-sided p-value; counts: allowing for the KPI's dispersion (drives verdict)",
    ),
    "dispersion": ("number", "counts: the KPI's dispersion factor (>= 1) the verdict allows for"),
    "p_value_poisson": ("number", "counts: the plain Poisson E-test p-value (<= p_value)"),
    "alpha": ("number", "significance level"),
    "verdict": ("string", "significant increase / decrease, no significant change, not tested"),
    "diff_lower": ("number", "lower 95% limit of the difference"),
    "diff_upper": ("number", "upper 95% limit of the difference"),
    "p": ("number", "survey: proportion positive"),
    "n": ("integer", "survey: respondents"),
    "ci_lower": ("number", "lower limit of the 95% interval"),
    "ci_upper": ("number", "upper limit of the 95% interval"),
    "baseline_p": ("number", "survey: proportion positive in the baseline"),
    "baseline_n": ("integer", "survey: respondents in the baseline"),
    "baseline_ci_lower": ("number", "lower 95% limit in the baseline"),
    "baseline_ci_upper": ("number", "upper 95% limit in the baseline"),
    "rag": ("string", "RED, AMBER or GREEN (empty when not judged)"),
    "rag_test": ("string", "how the RAG was decided"),
    "notes": ("string", "notes on the figures"),
    "method": ("string", "method used"),
    "status": ("string", "status of the row"),
    "rule": ("string", "rule that matched"),
    "detail": ("string", "plain-words detail"),
    "target": ("number", "target value"),
    "group": ("string", "comparator group (msg, national or a named group)"),
    "group_rank": ("integer", "rank in the group (1 = best by polarity)"),
    "group_ranked": ("integer", "forces ranked in the group"),
    "group_members": ("integer", "forces in the group"),
    "national_rank": ("integer", "rank among all forces with data"),
    "national_ranked": ("integer", "forces ranked nationally"),
    "group_mean": ("number", "mean rate of the group"),
    "lower_line": ("number", "lower control line"),
    "upper_line": ("number", "upper control line"),
    "quality": ("string", "data-quality notes"),
    "months": ("integer", "number of months"),
}

_MISSING_MONTHS = ("array", "months without data in the store", "date")


def _fields(names: str, **special: tuple[str, str] | tuple[str, str, str]) -> tuple[Field, ...]:
    out = []
    for name in names.split():
        spec = special.get(name) or _COMMON.get(name)
        if spec is None:
            raise KeyError(f"schema field {name!r} has no type and description")
        out.append(Field(name, spec[0], spec[1], spec[2] if len(spec) > 2 else None))
    return tuple(out)


_COMPARE = _fields(
    "force force_name section kpi label polarity unit source period period_start period_end "
    "value baseline_period baseline_start baseline_end baseline_value change pct_change "
    "change_basis numerator denominator baseline_numerator baseline_denominator complete "
    "missing_months monthly baseline_monthly test statistic p_value dispersion p_value_poisson "
    "alpha verdict diff_lower diff_upper "
    "p n ci_lower ci_upper baseline_p baseline_n baseline_ci_lower baseline_ci_upper "
    "rag rag_test notes",
    missing_months=_MISSING_MONTHS,
    monthly=("array", "value month by month over the period (empty slot: no data)", "number"),
    baseline_monthly=("array", "value month by month over the baseline", "number"),
)

_RANK = _fields(
    "force force_name section kpi label unit polarity dataset measure period period_start "
    "period_end baseline_period home status status_detail value baseline_value change "
    "pct_change count denominator denominator_kind population_year rate ci_lower ci_upper "
    "ci_method group group_rank group_ranked group_members national_rank national_ranked "
    "national_total group_mean group_rate mean_method sd sd_ddof lower_line upper_line z "
    "peer_mean_excl z_excl rag funnel funnel_overdispersed difference meaningful "
    "outcome_rate outcome_rate_lower outcome_rate_upper outcome_rate_group_rank "
    "outcome_rate_group_ranked outcome_rate_source quality incomplete_peers missing_peers",
    home=("boolean", "one KPI's table: the row of the home force"),
    status=("string", "ranked, or why not"),
    status_detail=("string", "why a force is not ranked"),
    count=("integer", "the count ranked (crimes, incidents, ...)"),
    denominator=("number", "population (per 1,000) or the count the proportion is of"),
    denominator_kind=("string", "population or a count"),
    population_year=("integer", "year of the population estimate"),
    rate=("number", "rate per 1,000 population, or a percentage"),
    ci_method=("string", "method of the rate's interval"),
    national_total=("integer", "forces in the country"),
    group_rate=("number", "rate of the group as a whole"),
    mean_method=("string", "how the group mean is taken"),
    sd=("number", "standard deviation of the group's rates"),
    sd_ddof=("integer", "delta degrees of freedom of sd"),
    z=("number", "(rate - group_mean) / sd"),
    peer_mean_excl=("number", "group mean without the force itself"),
    z_excl=("number", "z against peer_mean_excl"),
    funnel=("string", "position on the funnel plot"),
    funnel_overdispersed=("string", "funnel position with overdispersion"),
    difference=("string", "difference from the group in words"),
    meaningful=("boolean", "the difference is large enough to matter"),
    outcome_rate=("number", "positive outcome rate, %"),
    outcome_rate_lower=("number", "lower 95% limit of outcome_rate"),
    outcome_rate_upper=("number", "upper 95% limit of outcome_rate"),
    outcome_rate_group_rank=("integer", "group rank of outcome_rate"),
    outcome_rate_group_ranked=("integer", "forces ranked by outcome_rate"),
    outcome_rate_source=("string", "where outcome_rate comes from"),
    incomplete_peers=("array", "peers with incomplete months", "string"),
    missing_peers=("array", "peers without data, left out of the rank", "string"),
)

_SPC = _fields(
    "force force_name kpi label polarity unit source method period start end value "
    "numerator denominator status group in_baseline mean amr lpl upl lower_band upper_band "
    "moving_range mr_used rule point_type special_cause improvement_direction screened "
    "two_in_three run_length baseline_points target variation assurance window "
    "baseline_mean baseline_sd recent_mean lower_line upper_line lines line_z rag "
    "recent_total baseline_total poisson_test poisson_z poisson_p poisson_verdict",
    period=("string", "the point: a month or a quarter"),
    start=("date", "first month of the point"),
    end=("date", "last month of the point"),
    group=("integer", "XmR: limit group (limits recalculated from each group)"),
    in_baseline=("boolean", "XmR: the point is in the baseline the limits come from"),
    mean=("number", "XmR: centre line"),
    amr=("number", "XmR: average moving range"),
    lpl=("number", "XmR: lower process limit"),
    upl=("number", "XmR: upper process limit"),
    lower_band=("number", "XmR: lower one-sigma band"),
    upper_band=("number", "XmR: upper one-sigma band"),
    moving_range=("number", "XmR: moving range to this point"),
    mr_used=("boolean", "XmR: the moving range counts in amr (not screened out)"),
    point_type=("string", "XmR: common cause, special cause concern / improvement"),
    special_cause=("boolean", "XmR: a special cause signal"),
    improvement_direction=("string", "XmR: which way is better"),
    screened=("boolean", "XmR: moving ranges were screened"),
    two_in_three=("string", "XmR: 2-in-3 rule variant"),
    run_length=("integer", "XmR: points in a run that signals"),
    baseline_points=("integer", "XmR: points in the baseline"),
    variation=("string", "XmR: variation icon (common cause, concern, improvement)"),
    assurance=("string", "XmR: assurance icon against the target"),
    window=("string", "iQuanta: the six months compared"),
    baseline_mean=("number", "iQuanta: mean of the 12 baseline months"),
    baseline_sd=("number", "iQuanta: SD of the 12 baseline months"),
    recent_mean=("number", "iQuanta: mean of the 6 recent months"),
    lines=("string", "iQuanta: how the lines are drawn"),
    line_z=("number", "iQuanta: z of the lines"),
    recent_total=("integer", "iQuanta: count in the 6 recent months"),
    baseline_total=("integer", "iQuanta: count in the baseline months"),
    poisson_test=("string", "iQuanta: Poisson test used"),
    poisson_z=("number", "iQuanta: Poisson z"),
    poisson_p=("number", "iQuanta: Poisson p-value"),
    poisson_verdict=("string", "iQuanta: Poisson verdict"),
)

_PROJECT = _fields(
    "force force_name kpi label polarity unit source method series fit_from fit_to points "
    "values intercept slope se_slope p_slope r_squared sigma target target_direction by h "
    "projection mean_lower mean_upper pi_lower pi_upper confidence probability "
    "projects_achievement reaches_target current_period current_value baseline_period "
    "baseline_value change_test change_p change_dispersion change_p_poisson change_verdict "
    "alpha significant_improvement rag "
    "rag_reason",
    series=("string", "the values the trend is fitted to"),
    fit_from=("date", "first month fitted"),
    fit_to=("date", "last month fitted"),
    points=("integer", "values fitted"),
    values=("array", "the values fitted, in order", "number"),
    intercept=("number", "OLS intercept"),
    slope=("number", "OLS slope per step"),
    se_slope=("number", "standard error of the slope"),
    p_slope=("number", "p-value of the slope"),
    r_squared=("number", "R squared"),
    sigma=("number", "residual standard deviation"),
    target_direction=("string", "at or below, or at or above"),
    by=("date", "month the target is due"),
    h=("integer", "steps ahead projected"),
    projection=("number", "projected value at by"),
    mean_lower=("number", "lower limit of the mean's interval"),
    mean_upper=("number", "upper limit of the mean's interval"),
    pi_lower=("number", "lower prediction limit"),
    pi_upper=("number", "upper prediction limit"),
    confidence=("number", "confidence level of the intervals"),
    probability=("number", "probability the target is met"),
    projects_achievement=("boolean", "the projection meets the target"),
    reaches_target=("string", "when the trend reaches the target"),
    current_period=("string", "period of current_value"),
    current_value=("number", "the KPI's value now"),
    change_test=("string", "test of the change against the baseline"),
    change_p=("number", "p-value of the change (counts: allowing for the KPI's dispersion)"),
    change_dispersion=("number", "counts: the dispersion factor the test allowed for"),
    change_p_poisson=("number", "counts: the plain Poisson E-test p-value"),
    change_verdict=("string", "verdict of the change"),
    significant_improvement=("boolean", "a significant change the good way"),
    rag_reason=("string", "why this RAG"),
)

_CDI = _fields(
    "force force_name kpi counts_from period baseline_period recorded previous increase "
    "pct_increase compliance compliance_start compliance_end average_compliance "
    "expected_at_start attributable share_of_increase method",
    counts_from=("string", "where the recorded counts come from"),
    recorded=("integer", "crimes recorded in the period"),
    previous=("integer", "crimes recorded in the baseline"),
    increase=("integer", "recorded minus previous"),
    pct_increase=("number", "increase as a percentage of previous"),
    compliance=("array", "audit compliance figures, %, in time order", "number"),
    compliance_start=("number", "compliance at the start, %"),
    compliance_end=("number", "compliance at the end, %"),
    average_compliance=("number", "average compliance, %"),
    expected_at_start=("number", "period's crimes at the starting compliance"),
    attributable=("number", "crimes attributable to better recording"),
    share_of_increase=("number", "share of the increase due to better recording, %"),
)

_CHECK = _fields(
    "force force_name section kpi label polarity check period status breach rule value "
    "measure reference reference_label change pct_change p_value dispersion p_value_poisson "
    "rag detail source",
    check=("string", "compare, survey, spc or rank"),
    status=("string", "the finding (verdict, RAG or SPC status)"),
    breach=("boolean", "a --fail-on rule matches"),
    rule=("string", "the matching --fail-on rules, comma-separated"),
    measure=("string", "what value measures"),
    reference=("number", "what value is judged against"),
    reference_label=("string", "what reference is"),
)

_KPIS = _fields(
    "kpi label section kind polarity unit counted_from",
    kind=("string", "count, rate, survey or derived"),
    counted_from=("string", "what the KPI counts"),
)

_PERIODS = _fields(
    "dataset measure force force_name first_month last_month months gaps",
    first_month=("date", "first month in the store"),
    last_month=("date", "last month in the store"),
    gaps=("array", "gaps between first and last: a month, or a range YYYY-MM..YYYY-MM", "string"),
)

_PERIODS_SOURCES = _fields(
    "dataset partition path size sha256 ingested_at",
    partition=("string", "store partition"),
    path=("string", "source file ingested"),
    size=("integer", "source file size, bytes"),
    sha256=("string", "SHA-256 of the source file"),
    ingested_at=("string", "when it was ingested (UTC, ISO 8601)"),
)

_TABLE = _fields(
    "force force_name breakdown_of kpi label role period month value source",
    breakdown_of=("string", "the KPI broken down (its KPI file names the breakdown KPIs)"),
    role=("string", "part: a breakdown KPI; total: the KPI broken down (parts can overlap)"),
    month=("date", "the month of the figure"),
    value=("number", "the KPI's count in the month (empty: the store has no figure)"),
    source=("string", "dataset the row's figures come from (empty: none held)"),
)

# --by (local areas): the area first, then the command's own fields (compare: and the rate
# per 1,000 residents with its rank among the force's areas, from the lookup's populations).
_AREA = _fields(
    "area",
    area=("string", "local area: a district, an area of the lookup, (no location) or "
          "(not in the lookup)"),
)  # fmt: skip
_COMPARE_BY_AREA = (
    *_AREA,
    *_fields(
        "area_type",
        area_type=("string", "local-authority or the lookup's area type"),
    ),
    *_COMPARE,
    *_fields(
        "population per_1000 rank_per_1000 areas_ranked",
        population=("integer", "residents of the area (the lookup's populations)"),
        per_1000=("number", "count KPIs: value per 1,000 residents"),
        rank_per_1000=("integer", "rank of per_1000 among the force's areas (1 = best)"),
        areas_ranked=("integer", "areas ranked"),
    ),
)

# pcp rank --by: the force's areas per 1,000 residents (compare --by's figures and rank),
# each rate's interval and its funnel positions against the force rate, as pcp rank's.
_RANK_BY_AREA = (
    *_AREA,
    *_fields(
        "area_type force force_name kpi label unit polarity period period_start period_end "
        "complete count population per_1000 ci_lower ci_upper ci_method rank_per_1000 "
        "areas_ranked force_rate funnel funnel_overdispersed status note",
        area_type=("string", "the lookup's area type (or local-authority)"),
        count=("integer", "the area's count in the period (as compare --by's value)"),
        population=("integer", "residents of the area (the lookup's populations)"),
        per_1000=("number", "count per 1,000 residents (as compare --by's per_1000)"),
        ci_lower=("number", "lower limit of the 95% interval of per_1000"),
        ci_upper=("number", "upper limit of the 95% interval of per_1000"),
        ci_method=("string", "method of the interval: Exact below 10, Byars from 10"),
        rank_per_1000=("integer", "rank of per_1000 among the force's areas (1 = best), "
                       "as compare --by's"),
        areas_ranked=("integer", "areas ranked"),
        force_rate=("number", "the ranked areas' pooled rate per 1,000: the funnel's centre"),
        funnel=("string", "position on the funnel around force_rate (95%, 99.8% limits)"),
        funnel_overdispersed=("string", "funnel position allowing for the areas' "
                              "over-dispersion (random effects)"),
        status=("string", "ranked, no population, or not an area (a catch-all row)"),
        note=("string", "why the area is not ranked"),
    ),
)  # fmt: skip

SCHEMAS: dict[str, tuple[Field, ...]] = {
    "compare": _COMPARE,
    "compare-by-area": _COMPARE_BY_AREA,
    "rank": _RANK,
    "rank-by-area": _RANK_BY_AREA,
    "spc": _SPC,
    "spc-by-area": (*_AREA, *_SPC),
    "project": _PROJECT,
    "cdi": _CDI,
    "check": _CHECK,
    "check-by-area": (*_AREA, *_CHECK),
    "kpis": _KPIS,
    "periods": _PERIODS,
    "periods-sources": _PERIODS_SOURCES,
    "table": _TABLE,
}

COMMANDS = (*SCHEMAS, "report")

# The report's fields that no other command shares by name: the by-area columns (as compare
# --by describes them) and the Home Office table's.
_REPORT_ONLY = {f.name: f.description for f in _COMPARE_BY_AREA if f not in _COMPARE} | {
    "ho_code": "home_office_monthly: Home Office offence code",
    "category": "home_office_monthly: label of the KPI that counts the code (empty: none)",
    "total": "home_office_monthly: the code's recorded crimes over the 12 months",
}
_MONTH_NAMES = frozenset(
    n for fields in SCHEMAS.values() for f in fields if f.type == "date" for n in [f.name]
)


def _report_fields() -> tuple[Field, ...]:
    """The report's rows follow its own declared frame schema (its parts evolve with it)."""
    import polars as pl

    from pcp_cli.report.frame import SCHEMA

    out = []
    for name, dtype in SCHEMA.items():
        common = _COMMON.get(name)
        fallback = _REPORT_ONLY.get(name, f"{name.replace('_', ' ')} (see docs/report.md)")
        desc = common[1] if common else fallback
        if isinstance(dtype, pl.List):
            out.append(Field(name, "array", desc, "number"))
        elif name in _MONTH_NAMES and dtype == pl.String:
            out.append(Field(name, "date", desc))
        elif dtype == pl.Boolean:
            out.append(Field(name, "boolean", desc))
        elif dtype.is_integer():
            out.append(Field(name, "integer", desc))
        elif dtype.is_float():
            kind = common[0] if common and common[0] == "integer" else "number"
            out.append(Field(name, kind, desc))
        else:
            out.append(Field(name, "string", desc))
    return tuple(out)


def fields_of(command: str) -> tuple[Field, ...]:
    if command == "report":
        return _report_fields()
    return SCHEMAS[command]


def table_schema(command: str) -> dict[str, Any]:
    """The Frictionless Table Schema of a command's rows."""
    return {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": f"pcp-{command}",
        "title": f"pcp {command.replace('-', ' --')}",
        "version": SCHEMA_VERSION,
        "fields": [f.frictionless() for f in fields_of(command)],
        "missingValues": [""],
    }


def conform(frame: Any, command: str) -> Any:
    """The frame in its schema's column order and types; absent columns are nulls.

    Months become dates (first of the month), counts integers (when every value is whole:
    a fractional count is kept as a number rather than rounded), whitespace-separated
    lists real lists. A column the schema does not know is kept at the end, so no data is
    lost (the schema tests catch it).
    """
    import polars as pl

    fields = fields_of(command)
    known = {f.name for f in fields}
    exprs = [_cast(frame, f) for f in fields]
    extra = [pl.col(c) for c in frame.columns if c not in known]
    out = frame.select(*exprs, *extra)
    for values, start, end in (
        ("monthly", "period_start", "period_end"),
        ("baseline_monthly", "baseline_start", "baseline_end"),
    ):
        if {values, start, end, "missing_months"} <= set(out.columns) and out.height:
            out = out.with_columns(
                pl.Series(values, _with_gaps(out, values, start, end), dtype=out.schema[values])
            )
    return out


def _with_gaps(frame: Any, values: str, start: str, end: str) -> list[list[float | None]]:
    """Month-by-month values with an empty slot for each missing month.

    The engine lists only the months it holds; where the held and missing months add up
    to the period, the missing ones are put back as nulls in their place.
    """

    def index(d: Any) -> int:
        return int(d.year * 12 + d.month - 1)

    out: list[list[float | None]] = []
    for row in frame.select(values, start, end, "missing_months").iter_rows():
        held, first, last, missing = row
        held = list(held or [])
        if first is None or last is None:
            out.append(held)
            continue
        months = range(index(first), index(last) + 1)
        gaps = {index(m) for m in missing or [] if m is not None} & set(months)
        if not gaps or len(held) + len(gaps) != len(months):
            out.append(held)
            continue
        it = iter(held)
        out.append([None if m in gaps else next(it) for m in months])
    return out


def _month_expr(expr: Any) -> Any:

    return (expr.str.slice(0, 7) + "-01").str.to_date("%Y-%m-%d", strict=False)


def _cast(frame: Any, field: Field) -> Any:
    import polars as pl

    target = _DTYPES[field.type]()
    if field.name not in frame.columns:
        if field.type == "array":
            target = pl.List(_DTYPES[field.item_type or "string"]())
        return pl.lit(None, dtype=target).alias(field.name)
    col = pl.col(field.name)
    dtype = frame.schema[field.name]
    if field.type == "array":
        return _cast_list(col, dtype, field).alias(field.name)
    if field.type == "date":
        return (col if dtype == pl.Date else _month_expr(col.cast(pl.String))).alias(field.name)
    if field.type == "integer":
        series = frame[field.name]
        if dtype.is_float() and not _whole(series):
            return col
        return col.cast(pl.Int64, strict=False)
    return col.cast(target, strict=False)


def _cast_list(col: Any, dtype: Any, field: Field) -> Any:
    import polars as pl

    item = field.item_type or "string"
    if dtype == pl.String:
        col = (
            col.str.strip_chars().str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
        )
    if item == "date":
        return col.list.eval(_month_expr(pl.element().cast(pl.String)))
    return col.cast(pl.List(_DTYPES[item]()), strict=False)


def _whole(series: Any) -> bool:
    finite = series.drop_nulls().drop_nans()
    return bool((finite == finite.round(0)).all())


def _dtype(name: str) -> Any:
    import polars as pl

    return {
        "string": pl.String,
        "integer": pl.Int64,
        "number": pl.Float64,
        "boolean": pl.Boolean,
        "date": pl.Date,
    }[name]


_DTYPES: dict[str, Any] = {
    name: (lambda n=name: _dtype(n)) for name in ("string", "integer", "number", "boolean", "date")
}
_DTYPES["array"] = lambda: _dtype("string")


def markdown_reference() -> str:
    """The field tables of docs/schemas.md (a test keeps that file in step with this)."""
    lines = []
    for command in COMMANDS:
        title = "pcp periods --sources" if command == "periods-sources" else f"pcp {command}"
        title = title.replace("-by-area", " --by")
        lines += [f"### `{title}` (`pcp schema {command}`)", ""]
        lines += ["| field | type | description |", "|---|---|---|"]
        for f in fields_of(command):
            kind = f"array of {f.item_type}" if f.type == "array" else f.type
            kind = "date (YYYY-MM)" if f.type == "date" else kind
            lines.append(f"| `{f.name}` | {kind} | {f.description.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)
