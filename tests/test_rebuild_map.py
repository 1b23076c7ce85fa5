"""A crime-records source's column map, as recorded in the manifest, is checked like the
source paths before `--rebuild` reads it: a tampered manifest naming /dev/zero or a FIFO
is refused (exit 4) instead of being read for ever or waited on for ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_pcp, snapshot
from tests.records_data import MAP_TOML, make_records, write_export


@pytest.fixture
def mapped_store(tmp_path: Path) -> Path:
    export = write_export(tmp_path / "export.csv", make_records())
    (tmp_path / "niche.toml").write_text(MAP_TOML, encoding="utf-8")
    store = tmp_path / "store"
    result = run_pcp(
        ["ingest", "--store", str(store), "--force", "leicestershire",
         "--map", str(tmp_path / "niche.toml"), str(export)]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return store


def _point_map_at(store: Path, target: str) -> None:
    path = store / "manifest.json"
    doc = json.loads(path.read_text())
    mapped = [info for info in doc["sources"].values() if info.get("map_file")]
    assert len(mapped) == 1
    mapped[0]["map_file"] = target
    path.write_text(json.dumps(doc))


def _rebuild(store: Path) -> subprocess.CompletedProcess[str]:
    """In a process of its own, with a timeout: the old way waited on a FIFO for ever."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCP_")}
    env.update(PYTHONPATH=str(REPO), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "pcp_cli", "ingest", "--rebuild", "--store", str(store)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("target", "what"),
    [("/dev/zero", "is a character device, not a file"), ("FIFO", "is a named pipe (FIFO)")],
)
def test_rebuild_refuses_a_column_map_that_is_not_a_file(
    mapped_store: Path, tmp_path: Path, target: str, what: str
) -> None:
    if target == "FIFO":
        target = str(tmp_path / "map.fifo")
        os.mkfifo(target)
    _point_map_at(mapped_store, target)
    kept = snapshot(mapped_store)
    result = _rebuild(mapped_store)
    assert result.returncode == 4, result.stderr
    assert f"the column map {target} of " in result.stderr and what in result.stderr
    assert snapshot(mapped_store) == kept


def test_rebuild_names_a_missing_column_map(mapped_store: Path, tmp_path: Path) -> None:
    _point_map_at(mapped_store, str(tmp_path / "gone.toml"))
    result = run_pcp(["ingest", "--rebuild", "--store", str(mapped_store)])
    assert result.exit_code == 4
    assert f"the column map {tmp_path / 'gone.toml'} of " in result.stderr
    assert "is missing" in result.stderr
