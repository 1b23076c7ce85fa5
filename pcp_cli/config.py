"""Where pcp finds its configuration and store.

Precedence for each file: the command-line option, then the environment variable
(``PCP_KPIS``, ``PCP_FORCES``, ``PCP_STORE``), then ``pcp.toml`` in the current
directory or a parent, then the defaults bundled with pcp. Paths written in
``pcp.toml`` are relative to that file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcp_cli.errors import ConfigError
from pcp_cli.events import KnownEvent, read_events
from pcp_cli.recording import RecordingAudits, read_recording
from pcp_cli.tomlload import load_toml

PROJECT_FILE = "pcp.toml"
_PROJECT_KEYS = {"home_force", "store", "kpis", "forces", "groups", "event", "recording", "report"}


def bundled_config_dir() -> Path:
    """The shipped ``config/`` folder: beside the package in a checkout, or inside it."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "config", here / "defaults"):
        if (candidate / "kpis.toml").is_file():
            return candidate
    raise ConfigError("the bundled config folder is missing; reinstall pcp")


def find_project_file(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Settings:
    kpis_path: Path
    forces_path: Path
    store_path: Path
    home_force: str | None
    groups: dict[str, tuple[str, ...]]
    project_file: Path | None
    origins: dict[str, str] = field(default_factory=dict)  # what decided each path, for -v
    events: tuple[KnownEvent, ...] = ()  # [[event]] tables (pcp_cli.events)
    recording: RecordingAudits | None = None  # [recording] audits (pcp_cli.recording)
    report_by: str | None = None  # [report] by: the report's by-area tables (None: none)


def resolve_settings(
    *,
    kpis: Path | None = None,
    forces: Path | None = None,
    store: Path | None = None,
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    env = os.environ if environ is None else environ
    project_file = find_project_file(cwd)
    project: dict[str, Any] = {}
    if project_file is not None:
        project, _ = load_toml(project_file, "project file")
        unknown = set(project) - _PROJECT_KEYS
        if unknown:
            raise ConfigError(
                f"{project_file}: unknown key(s) {', '.join(sorted(unknown))}",
                hint="allowed: " + ", ".join(sorted(_PROJECT_KEYS)),
            )
    origins: dict[str, str] = {}

    def pick(name: str, given: Path | None, env_var: str, default: Path) -> Path:
        if given is not None:
            origins[name] = f"--{name}"
            return given
        if env.get(env_var):
            origins[name] = f"${env_var}"
            return Path(env[env_var])
        if project_file is not None and name in project:
            value = project[name]
            if not isinstance(value, str):
                raise ConfigError(f"{project_file}: '{name}' must be a path string")
            origins[name] = str(project_file)
            return (project_file.parent / value).resolve()
        origins[name] = "default"
        return default

    base = (cwd or Path.cwd()).resolve()
    need_bundled = kpis is None or forces is None
    bundled = bundled_config_dir() if need_bundled else base
    home = project.get("home_force")
    if home is not None and not isinstance(home, str):
        raise ConfigError(f"{project_file}: 'home_force' must be a force id string")
    groups_raw = project.get("groups", {})
    groups: dict[str, tuple[str, ...]] = {}
    if not isinstance(groups_raw, dict):
        raise ConfigError(f"{project_file}: [groups] must be a table of name = [force ids]")
    for name, members in groups_raw.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"{project_file}: groups.{name} must be a list of force ids")
        groups[name] = tuple(members)
    report_by = _report_by(project, project_file)
    return Settings(
        kpis_path=pick("kpis", kpis, "PCP_KPIS", bundled / "kpis.toml"),
        forces_path=pick("forces", forces, "PCP_FORCES", bundled / "forces.toml"),
        store_path=pick("store", store, "PCP_STORE", base / "pcp-store"),
        home_force=home or env.get("PCP_FORCE") or None,
        groups=groups,
        project_file=project_file,
        origins=origins,
        events=read_events(project.get("event", []), project_file),
        recording=read_recording(project.get("recording"), project_file),
        report_by=report_by,
    )


def _report_by(project: dict[str, Any], project_file: Path | None) -> str | None:
    """``[report] by = "local-authority"`` (or area, or an area type of the lookup)."""
    table = project.get("report", {})
    if not isinstance(table, dict) or set(table) - {"by"}:
        raise ConfigError(f'{project_file}: [report] may only set by (e.g. by = "local-authority")')
    by = table.get("by")
    if by is not None and (not isinstance(by, str) or not by.strip()):
        raise ConfigError(
            f"{project_file}: report.by must be local-authority, area or an area type"
        )
    return by.strip() if isinstance(by, str) else None
