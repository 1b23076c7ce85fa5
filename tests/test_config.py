"""The KPI file validator, the forces file and configuration discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcp_cli.config import resolve_settings
from pcp_cli.errors import ConfigError, UsageError
from pcp_cli.forces import load_forces
from pcp_cli.kpis import check_catalogue, load_catalogue
from tests.conftest import REAL, REPO

KPIS = REPO / "config" / "kpis.toml"
FORCES = REPO / "config" / "forces.toml"

SEED_000_KPIS = [
    "calls-999",
    "calls-101",
    "incidents",
    "all-crime",
    "positive-outcomes",
    "stop-search",
]


def test_shipped_kpi_file_is_valid_and_complete() -> None:
    catalogue = load_catalogue(KPIS)
    for kid in [
        *SEED_000_KPIS,
        "positive-outcome-rate",
        "burglary",
        "shoplifting",
        "violence-with-injury",
        "rape",
        "hate-crime",
        "public-order",
    ]:
        assert kid in catalogue.kpis
    assert catalogue.kpis["positive-outcome-rate"].kind == "ratio"
    assert "Local resolution" in catalogue.lists["positive-outcomes"]
    assert (
        "Investigation complete; no suspect identified" not in catalogue.lists["positive-outcomes"]
    )
    # All crime never counts anti-social behaviour.
    street = next(r for r in catalogue.kpis["all-crime"].rules if r.dataset == "street")
    assert street.conditions[0].negate and "Anti-social behaviour" in street.conditions[0].values


def test_select_by_id_section_and_all() -> None:
    catalogue = load_catalogue(KPIS)
    assert [k.id for k in catalogue.select("calls-999,all-crime")] == ["calls-999", "all-crime"]
    assert {k.section for k in catalogue.select("crime")} == {"Crime"}
    assert len(catalogue.select("all")) == len(catalogue.kpis)
    with pytest.raises(UsageError, match="did you mean all-crime"):
        catalogue.select("all-crme")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kpis.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_HEAD = 'schema = 1\nsections = ["Crime"]\n[lists]\nasb = ["Anti-social behaviour"]\n'


def test_validator_reports_every_problem_with_location(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        GOOD_HEAD
        + """
[kpi.a]
label = "A"
section = "Crime"
polarity = "lower-is-better"
colour = "red"
[kpi.a.count.street]
crime_typ = "Burglary"

[kpi.b]
label = "B"
section = "Crime"
polarity = "sideways"
[kpi.b.count.nosuch]
x = "y"

[kpi.c]
label = "C"
section = "Elsewhere"
polarity = "neutral"
kind = "ratio"
numerator = "a"
denominator = "missing"

[kpi.d]
label = "D"
section = "Crime"
polarity = "neutral"
[kpi.d.count.street]
crime_type = { in_list = "nolist" }
""",
    )
    catalogue, problems = check_catalogue(path)
    assert catalogue is None
    text = "\n".join(str(p) for p in problems)
    assert "unknown key 'colour'" in text
    assert "no column 'crime_typ'" in text
    assert "'sideways' is not one of" in text
    assert "unknown dataset 'nosuch'" in text
    assert "section 'Elsewhere'" in text
    assert "refers to KPI 'missing'" in text
    assert "'nolist' is not a list" in text
    # Locations carry the file, the line and the TOML key.
    colour = next(p for p in problems if "colour" in p.message)
    assert colour.location.startswith(f"{path}:10 ")
    assert "[kpi.a.colour]" in colour.location


def test_validator_finds_cycles(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        GOOD_HEAD
        + """
[kpi.x]
label = "X"
section = "Crime"
polarity = "neutral"
kind = "ratio"
numerator = "y"
denominator = "y"
[kpi.y]
label = "Y"
section = "Crime"
polarity = "neutral"
kind = "ratio"
numerator = "x"
denominator = "x"
""",
    )
    _, problems = check_catalogue(path)
    assert any("cycle" in p.message for p in problems)


def test_counts_kpi_must_name_its_measure(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        GOOD_HEAD
        + """
[kpi.calls]
label = "Calls"
section = "Crime"
polarity = "neutral"
[kpi.calls.count.counts]
""",
    )
    _, problems = check_catalogue(path)
    assert any("must say which measure" in p.message for p in problems)


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "[kpi.a\nlabel=")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_catalogue(path)


def test_kpis_check_cli_exit_codes(tmp_path: Path, pcp) -> None:  # type: ignore[no-untyped-def]
    ok = pcp(["kpis", "check", str(KPIS)])
    assert ok.exit_code == 0
    assert "OK" in ok.stderr and ok.stdout == ""
    bad = _write(tmp_path, GOOD_HEAD + '[kpi.a]\nlabel = "A"\n')
    result = pcp(["kpis", "check", str(bad)])
    assert result.exit_code == 3
    assert "'section' is required" in result.stderr
    assert "'polarity' is required" in result.stderr


def test_forces_file_has_43_territorial_forces() -> None:
    registry = load_forces(FORCES)
    assert len(registry.territorial) == 43
    assert registry.resolve("Leicestershire Police") == "leicestershire"
    assert registry.resolve("London, City of") == "city-of-london"
    assert registry.resolve("Devon & Cornwall Police") == "devon-and-cornwall"
    assert registry.resolve("Action Fraud") == "action-fraud"
    assert not registry.forces["action-fraud"].territorial
    assert registry.forces["city-of-london"].msg == ()
    group = registry.forces["leicestershire"].msg_for(2018)
    assert group is not None and "kent" in group.members and len(group.members) == 7


def test_every_real_force_spelling_resolves() -> None:
    registry = load_forces(FORCES)
    prc = REAL / "homeoffice-prc-pfa-2017-18" / "prc-pfa-mar2013-onwards-tables201718.csv"
    if not prc.exists():
        pytest.skip("real data not available")
    import polars as pl

    names = pl.read_csv(prc, infer_schema=False)["Force Name"].unique().to_list()
    assert [n for n in names if registry.resolve(n) is None] == []


def test_unknown_force_suggests(tmp_path: Path) -> None:
    registry = load_forces(FORCES)
    with pytest.raises(UsageError, match="did you mean"):
        registry.require("Leicestershre")


def test_discovery_order(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "sub").mkdir(parents=True)
    (project / "pcp.toml").write_text(
        'home_force = "leicestershire"\nstore = "data/store"\nkpis = "my-kpis.toml"\n'
    )
    settings = resolve_settings(cwd=project / "sub", environ={})
    assert settings.store_path == project / "data" / "store"
    assert settings.kpis_path == project / "my-kpis.toml"
    assert settings.home_force == "leicestershire"
    assert settings.forces_path.name == "forces.toml"  # bundled default
    env = resolve_settings(cwd=project / "sub", environ={"PCP_STORE": "/elsewhere"})
    assert env.store_path == Path("/elsewhere")
    explicit = resolve_settings(cwd=project, store=Path("x"), environ={"PCP_STORE": "/elsewhere"})
    assert explicit.store_path == Path("x")
    bare = resolve_settings(cwd=tmp_path, environ={})
    assert bare.store_path == tmp_path.resolve() / "pcp-store"
    assert bare.project_file is None


def test_bad_project_file(tmp_path: Path) -> None:
    (tmp_path / "pcp.toml").write_text('hom_force = "x"\n')
    with pytest.raises(ConfigError, match="unknown key"):
        resolve_settings(cwd=tmp_path, environ={})
