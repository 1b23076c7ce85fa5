"""The HTML report in a real browser: headless Chromium (Debian's ``chromium`` package).

Skipped, with the reason, where no Chromium binary is installed (``.ci/run`` installs it).
Chromium loads the file with networking off; the screenshot must be a real page (the
report's colours are on it), the DOM must hold every section and the charts, and the
console must stay silent (a missing asset or a script error would be logged there).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_pcp
from tests.test_report import SECTIONS

pytestmark = pytest.mark.browser

MAX_PAGES = 10
MIN_FONT_PT = 8.0
A4_TEXT_WIDTH_PX = 711  # 210 mm less the 11 mm margins each side, at 96 px to the inch
WIDTH, HEIGHT = 1200, 3000
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """$PCP_CHROMIUM, else the first Chromium or Chrome binary on PATH."""
    given = os.environ.get("PCP_CHROMIUM")
    if given:
        return given if Path(given).exists() else shutil.which(given)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip(
            "no Chromium binary found (looked for $PCP_CHROMIUM, "
            + ", ".join(CANDIDATES)
            + "); install Debian's chromium package to run the browser check"
        )
    return binary


def browse(binary: str, page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a local file with networking and updates off."""
    args = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        page.resolve().as_uri(),
    ]
    return subprocess.run(
        args, capture_output=True, text=True, timeout=180, check=False, stdin=subprocess.DEVNULL
    )


def print_pdf(binary: str, page: Path, tmp_path: Path) -> Path:
    pdf = tmp_path / "report.pdf"
    done = browse(
        binary, page, tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer"
    )
    assert pdf.exists(), done.stderr[-2000:]
    return pdf


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} not found; install Debian's poppler-utils to check the print")
    return found


def console_messages(stderr: str) -> list[str]:
    """Chromium logs every console message (errors, failed loads) as ':CONSOLE' lines."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def page(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "panel report.html"
    result = run_pcp(
        ["report", "--store", str(sample_store), "--force", "leicestershire", "--period",
         "Q2 2018/19", "-q", "-o", str(path)],
        env={"PCP_REPORT_TIME": "2018-11-05T09:00:00Z"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return path


def test_screenshot_shows_the_report(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = browse(
        chromium, page, tmp_path / "profile", f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
    )  # fmt: skip
    assert shot.exists(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 100_000 < len(data) < 20_000_000
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (WIDTH, HEIGHT)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    found = {rgb for _, rgb in colours}
    assert len(found) > 500  # text, tables and charts, not a blank page
    # The report's own colours: the navy table headers and the red/blue trend lines.
    for wanted in ((0x1F, 0x38, 0x64), (0xC8, 0x10, 0x2E), (0x1F, 0x4E, 0x9C)):
        assert wanted in found, wanted
    assert console_messages(done.stderr) == []


def test_dom_has_sections_and_charts(chromium: str, page: Path, tmp_path: Path) -> None:
    done = browse(chromium, page, tmp_path / "profile", "--dump-dom")
    dom = done.stdout
    assert dom.strip().endswith("</html>"), done.stderr[-2000:]
    headings = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h2>(.*?)</h2>", dom, re.S)]
    assert headings == ["Contents", *SECTIONS]
    charts = re.findall(r'<(?:svg|img) class="chart"', dom)
    sparks = re.findall(r'<svg class="spark"', dom)
    source = page.read_text(encoding="utf-8")
    assert len(charts) == len(re.findall(r'<(?:svg|img) class="chart"', source)) > 5
    assert len(sparks) == len(re.findall(r'<svg class="spark"', source)) > 30
    # Chromium parsed every inline chart as SVG: its elements came through intact.
    assert dom.count("<polyline") >= source.count("<polyline")
    assert console_messages(done.stderr) == []


def test_console_check_catches_errors(chromium: str, tmp_path: Path) -> None:
    """The console check is not vacuous: a page with a script error and a missing image."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><body><img src="missing.png">'
        "<script>console.error('broken'); notAFunction();</script></body></html>",
        encoding="utf-8",
    )
    done = browse(chromium, bad, tmp_path / "profile", "--dump-dom")
    messages = console_messages(done.stderr)
    assert any("broken" in m for m in messages), done.stderr[-2000:]
    assert any("notAFunction" in m for m in messages)


def test_a4_print_is_short_with_no_blank_page(chromium: str, page: Path, tmp_path: Path) -> None:
    """The samples' Q2 paper with its charts prints on at most 10 A4 pages, none blank."""
    pdf = print_pdf(chromium, page, tmp_path)
    info = subprocess.run(
        [poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert size is not None and (round(float(size[1])), round(float(size[2]))) == (595, 842)
    assert 2 <= pages <= MAX_PAGES
    for number in range(1, pages + 1):
        text = subprocess.run(
            [poppler("pdftotext"), "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        # An inner page that is mostly empty (a cover overflowing by a line) is as bad as a
        # blank one; the last page may be short, but not a stray footer.
        least = 60 if number < pages else 15
        assert len(text.split()) >= least, f"page {number} of {pages} is (nearly) blank"


FONT_PROBE = """<script>
addEventListener("load", () => {
  let min = Infinity, where = "";
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("title, script, style")) continue;
    if (el.getClientRects().length === 0) continue;  // not displayed (display: none)
    let px = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement) {  // chart text: its size times the chart's scale
      const m = el.getScreenCTM();
      if (m) px *= Math.hypot(m.a, m.b);
    }
    if (px < min) { min = px; where = node.textContent.trim().slice(0, 60); }
  }
  document.body.dataset.minFontPt = (min * 0.75).toFixed(2);
  document.body.dataset.minFontText = where;
});
</script>"""


def test_no_printed_text_under_8pt(chromium: str, page: Path, tmp_path: Path) -> None:
    """Every piece of text, chart legends and tick labels too, is at least 8 pt on paper.

    The print styles are applied on screen (``@media print`` made ``@media all``) in a
    window as wide as the A4 text column; a probe script measures each text's computed
    size, for chart text scaled by the chart's own transform.
    """
    source = page.read_text(encoding="utf-8").replace("@media print", "@media all")
    probe = tmp_path / "probe.html"
    probe.write_text(source.replace("</body>", FONT_PROBE + "</body>"), encoding="utf-8")
    done = browse(
        chromium, probe, tmp_path / "profile", "--dump-dom", "--virtual-time-budget=5000",
        f"--window-size={A4_TEXT_WIDTH_PX},3000",
    )  # fmt: skip
    found = re.search(r'data-min-font-pt="([\d.]+)" data-min-font-text="([^"]*)"', done.stdout)
    assert found is not None, done.stderr[-2000:]
    assert float(found[1]) >= MIN_FONT_PT, f"{found[1]} pt: {found[2]!r}"


def test_font_probe_sees_small_chart_text(chromium: str, tmp_path: Path) -> None:
    """The probe is not vacuous: 6 px text in an SVG drawn at half size is 2.25 pt."""
    probe = tmp_path / "small.html"
    probe.write_text(
        '<!DOCTYPE html><html><body><p style="font-size: 12pt">big</p>'
        '<svg viewBox="0 0 200 100" style="width: 100px"><text x="5" y="50" '
        'style="font: 6px sans-serif">tiny</text></svg>' + FONT_PROBE + "</body></html>",
        encoding="utf-8",
    )
    done = browse(chromium, probe, tmp_path / "profile", "--dump-dom", "--virtual-time-budget=5000")
    found = re.search(r'data-min-font-pt="([\d.]+)" data-min-font-text="([^"]*)"', done.stdout)
    assert found is not None, done.stderr[-2000:]
    assert (float(found[1]), found[2]) == (2.25, "tiny")
