"""Windows as a platform, and stores pcp may read but not write.

CI on Linux guards the Windows code path: no POSIX-only module imported by pcp, locks
through the portable library, file names Windows accepts. `PCP_TEST_NO_FCNTL=1` (see
conftest.py and .ci/run) runs this file and the store and CLI tests without fcntl.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from pcp_cli import locking
from tests.conftest import REPO, run_pcp, write_street, write_two_forces

POSIX_ONLY = {"fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "posix", "syslog"}
WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)


def windows_name_problem(name: str) -> str | None:
    """Why Windows would refuse this file or folder name, or None."""
    if any(c in name for c in '<>:"/\\|?*') or any(ord(c) < 32 for c in name):
        return "a character Windows forbids"
    if name.endswith((".", " ")):
        return "a trailing dot or space"
    if WINDOWS_RESERVED.match(name):
        return "a reserved device name"
    return None


def test_windows_name_check_is_strict_enough() -> None:
    assert windows_name_problem("month=2018-07") is None
    assert windows_name_problem("part-abc.parquet") is None
    for bad in ("a:b", "x.", "x ", "NUL.csv", "a|b"):
        assert windows_name_problem(bad) is not None


def test_no_posix_only_module_is_imported_at_module_level() -> None:
    offenders = []
    for path in sorted((REPO / "pcp_cli").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only: a lazy import inside a guard is fine
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            offenders += [f"{path.name}: {n}" for n in names if n in POSIX_ONLY]
    assert offenders == []


def test_no_fcntl_anywhere_in_pcp() -> None:
    # Locks go through portalocker; pcp itself never needs fcntl, even lazily.
    hits = [
        p.name
        for p in (REPO / "pcp_cli").rglob("*.py")
        if re.search(r"^\s*(import fcntl|from fcntl)", p.read_text(encoding="utf-8"), re.M)
    ]
    assert hits == []


@pytest.mark.skipif(not os.environ.get("PCP_TEST_NO_FCNTL"), reason="PCP_TEST_NO_FCNTL not set")
def test_the_no_fcntl_switch_is_in_force() -> None:
    with pytest.raises(ImportError):
        import fcntl  # noqa: F401


def _fresh_python(
    code: str, cwd: Path, args: Sequence[str] = (), timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter with no PCP_ settings and no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCP_")}
    env.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1"})
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


def _run_without_fcntl(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter where fcntl cannot be imported, as on Windows."""
    prelude = "import sys\nimport portalocker\nsys.modules['fcntl'] = None\n"
    return _fresh_python(prelude + code, cwd)


def test_ingest_and_queries_run_without_fcntl(tmp_path: Path) -> None:
    write_two_forces(tmp_path / "files", ("2018-07", "2018-08"))
    code = (
        "from pcp_cli.cli.main import main\n"
        "import sys\n"
        "main(sys.argv[1:] if len(sys.argv) > 1 else "
        "['ingest', '--store', 'store', 'files'])\n"
    )
    done = _run_without_fcntl(code, tmp_path)
    assert done.returncode == 0, done.stderr
    query = (
        "from pcp_cli.cli.main import main\n"
        "main(['compare', '--store', 'store', '--force', 'leicestershire', '--kpi',"
        " 'burglary', '--period', '2018-08', '--format', 'csv'])\n"
    )
    done = _run_without_fcntl(query, tmp_path)
    # No data a year before: compare says so (5), never an internal error (1).
    assert done.returncode in (0, 5), done.stderr
    assert "internal error" not in done.stderr
    assert "ModuleNotFoundError" not in done.stderr


def test_issue_simulation_is_no_internal_error(tmp_path: Path) -> None:
    # The issue's own check: fcntl None before pcp is imported, then `pcp periods`.
    done = _run_without_fcntl(
        "from pcp_cli.cli.main import main\nmain(['periods', '--store', 'nowhere'])\n", tmp_path
    )
    assert done.returncode == 5, done.stderr
    assert "internal error" not in done.stderr


def test_every_file_pcp_writes_has_a_windows_name(tmp_path: Path) -> None:
    files = tmp_path / "files"
    write_two_forces(files, ("2018-07",))
    # A bad row, so a rejects file is written too.
    bad = write_street(files / "bad.csv", "2018-07", {"Burglary": 1})
    bad.write_bytes(bad.read_bytes() + b"x,2018-13,a,b,c,d,e,f,g,Burglary,i,j\r\n")
    store = tmp_path / "store"
    result = run_pcp(["ingest", "--store", str(store), str(files), "--on-bad-rows", "skip"])
    assert result.exit_code == 0, result.stderr
    written = [p for p in tmp_path.rglob("*") if files not in p.parents and p != files]
    rejects = [p for p in written if "rejects" in p.name]
    assert rejects, "expected a rejects file"
    problems = {
        str(p.relative_to(tmp_path)): windows_name_problem(p.name)
        for p in written
        if windows_name_problem(p.name)
    }
    assert problems == {}


def test_crlf_and_lf_extracts_give_the_same_store(tmp_path: Path) -> None:
    stores = {}
    for newline in ("\r\n", "\n"):
        tag = "crlf" if newline == "\r\n" else "lf"
        f = write_street(
            tmp_path / tag / "2018-07-street.csv", "2018-07", {"Burglary": 3}, newline=newline
        )
        store = tmp_path / f"store-{tag}"
        assert run_pcp(["ingest", "--store", str(store), str(f)]).exit_code == 0
        out = run_pcp(["periods", "--store", str(store), "--format", "csv"])
        assert out.exit_code == 0, out.stderr
        stores[tag] = out.stdout
    assert stores["crlf"] == stores["lf"]


# -- lock semantics, through the portable library ------------------------------------
def test_readers_share_and_a_writer_waits(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    with (
        locking.hold(path, exclusive=False, wait=0) as first,
        locking.hold(path, exclusive=False, wait=0) as second,
    ):
        assert first and second  # two readers at once
        with pytest.raises(locking.LockBusy), locking.hold(path, exclusive=True, wait=0.2):
            pass
    with locking.hold(path, exclusive=True, wait=0) as held:
        assert held
        with pytest.raises(locking.LockBusy), locking.hold(path, exclusive=False, wait=0.1):
            pass
    with locking.hold(path, exclusive=True, wait=0):
        pass  # released when the block ended


def test_a_reader_uses_an_existing_lock_file_it_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    path.touch()
    path.chmod(0o444)
    with locking.hold(path, exclusive=False, wait=0) as held:
        assert held
        with pytest.raises(locking.LockBusy), locking.hold(path, exclusive=True, wait=0.1):
            pass


# -- a read-only store (a shared network folder) -------------------------------------
def _drop_write_powers() -> list[str]:
    """A command prefix under which even root obeys file permissions, or skip."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is unavailable to drop CAP_DAC_OVERRIDE")
    caps = "-dac_override,-dac_read_search"
    prefix = [setpriv, "--inh-caps", caps, "--bounding-set", caps, "--"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr.decode().strip()}")
    return prefix


def _make_read_only(root: Path) -> None:
    for p in sorted(root.rglob("*"), reverse=True):
        p.chmod(0o555 if p.is_dir() else 0o444)
    root.chmod(0o555)


def _make_writable(root: Path) -> None:
    root.chmod(0o755)
    for p in root.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)


@pytest.mark.parametrize("lock_file", ["present", "absent"])
def test_read_only_store_can_be_read(tmp_path: Path, lock_file: str) -> None:
    prefix = _drop_write_powers()
    files = tmp_path / "files"
    write_two_forces(files, ("2017-07", "2018-07"))
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(files)]).exit_code == 0
    args = [
        "compare", "--store", str(store), "--force", "leicestershire",
        "--kpi", "burglary", "--period", "2018-07", "--format", "csv",
    ]  # fmt: skip
    expected = run_pcp(args)
    assert expected.exit_code == 0, expected.stderr
    if lock_file == "absent":
        (store / ".lock").unlink(missing_ok=True)
    _make_read_only(store)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PCP_")}
        env.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1"})
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "pcp_cli", *args],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        denied = subprocess.run(
            [*prefix, "sh", "-c", f"touch '{store}/probe'"], capture_output=True, check=False
        )
    finally:
        _make_writable(store)
    assert denied.returncode != 0, "the store was still writable: the test proves nothing"
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected.stdout
    assert not (store / ".lock").exists() or lock_file == "present"


# -- matplotlib is the optional `charts` extra ---------------------------------------
NO_MATPLOTLIB = "import sys\nsys.modules['matplotlib'] = None\n"


def _run_without_matplotlib(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = NO_MATPLOTLIB + "from pcp_cli.cli.main import main\nmain(sys.argv[1:])\n"
    return _fresh_python(code, cwd, args, timeout=300)


def test_png_chart_without_matplotlib_is_one_clear_line(tmp_path: Path) -> None:
    args = ["chart", "trend", "--kpi", "all-crime", "--store", "s", "-o", "x.png"]
    done = _run_without_matplotlib(args, tmp_path)
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "pcp-cli[charts]" in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_svg_charts_and_the_report_need_no_matplotlib(sample_store: Path, tmp_path: Path) -> None:
    chart = ["chart", "spc", "--store", str(sample_store), "--force", "leicestershire"]
    done = _run_without_matplotlib([*chart, "--kpi", "all-crime", "-o", "c.svg"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "c.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    args = ["report", "--store", str(sample_store), "--force", "leicestershire"]
    args += ["--period", "Q2 2018/19", "--chart-format", "png", "-o", "r.html"]
    done = _run_without_matplotlib(args, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "SVG charts instead" in done.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count('<svg class="chart"') == page.count("<figure>") > 0
    assert "data:image/png" not in page


def test_kpi_and_forces_files_saved_with_crlf_read_the_same(tmp_path: Path) -> None:
    for name in ("kpis.toml", "forces.toml"):
        text = (REPO / "config" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    kpis = tmp_path / "kpis.toml"
    forces = tmp_path / "forces.toml"
    assert run_pcp(["kpis", "check", str(kpis)]).exit_code == 0
    crlf = run_pcp(["kpis", "--kpis", str(kpis), "--format", "json"])
    lf = run_pcp(["kpis", "--format", "json"])
    assert crlf.exit_code == 0 and crlf.stdout == lf.stdout
    crlf = run_pcp(["forces", "--forces", str(forces), "--format", "json"])
    assert crlf.exit_code == 0 and crlf.stdout == run_pcp(["forces", "--format", "json"]).stdout


def test_no_locking_library_at_all_is_a_store_error_not_a_crash(tmp_path: Path) -> None:
    # fcntl gone before portalocker could load (no locking on this system): exit 6, one line.
    write_two_forces(tmp_path / "files", ("2018-07",))
    assert (
        run_pcp(["ingest", "--store", str(tmp_path / "s"), str(tmp_path / "files")]).exit_code == 0
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCP_")}
    env.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1"})
    code = (
        "import sys\nsys.modules['fcntl'] = None\nsys.modules['portalocker'] = None\n"
        "from pcp_cli.cli.main import main\nmain(['periods', '--store', 's'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
        stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 6
    assert done.stderr.startswith("pcp: error: this system offers no file locking")
    assert done.stderr.count("\n") == 1
