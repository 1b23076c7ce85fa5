"""Optional parts of pcp: one place that says whether they are installed.

matplotlib is the `charts` extra (`pip install "pcp-cli[charts]"`, included in `.[dev]`):
only PNG charts need it. SVG charts (`pcp chart -o x.svg`, the HTML report's default) are
drawn directly; without matplotlib `--chart-format png` falls back to them with a warning
and `pcp chart -o x.png` says what to install.
"""

from __future__ import annotations

import importlib.util

CHARTS_HINT = 'install the charts extra: pip install "pcp-cli[charts]" (-e ".[charts]" in a clone)'


def charts_available() -> bool:
    """True when matplotlib can be imported (checked without importing it: that is slow)."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # a None entry in sys.modules, or a broken install
        return False
