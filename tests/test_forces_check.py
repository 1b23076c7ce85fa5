"""`pcp forces check FILE` validates a forces file like `pcp kpis check`: every problem on
its own line naming the force table, exit 3; the shipped file passes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO, run_pcp


def test_the_shipped_forces_file_passes() -> None:
    result = run_pcp(["forces", "check", str(REPO / "config" / "forces.toml")])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # messages go to stderr
    assert "forces.toml: OK, 48 forces" in result.stderr


def test_every_problem_is_listed_and_the_exit_is_3(tmp_path: Path) -> None:
    path = tmp_path / "forces.toml"
    path.write_text(
        '[force."../../../x"]\nname = "Escape"\n'
        "[force.nameless]\nterritorial = true\n"
        '[force.good]\nname = "Good Police"\n'
        '[[force.good.msg]]\nmembers = ["good", "nowhere"]\n',
        encoding="utf-8",
    )
    result = run_pcp(["forces", "check", str(path)])
    assert result.exit_code == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert any("[force.../../../x]: the id must be a lowercase slug" in line for line in lines)
    assert any("[force.nameless]" in line and "'name' is required" in line for line in lines)
    assert any("[force.good] msg[0]: unknown member force id(s) nowhere" in line for line in lines)
    assert lines[-1] == f"pcp: error: {path}: 3 problem(s) found"


def test_listing_still_works_beside_the_check() -> None:
    result = run_pcp(["forces", "--territorial", "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("force,name,territorial")
