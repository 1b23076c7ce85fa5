"""The panel report: one document from the analyses, rendered to HTML, markdown or a table.

* :func:`build_report` computes the :class:`Report` model (compare, SPC, rank, trend, data
  quality, provenance);
* :func:`to_frame` gives every figure as one DataFrame (JSON and Parquet);
* :func:`to_html` and :func:`to_markdown` render it; :func:`layout` is the document both
  use (the terminal table renders it too).
"""

from pcp_cli.report.build import build_report
from pcp_cli.report.frame import to_frame
from pcp_cli.report.html import to_html
from pcp_cli.report.layout import layout
from pcp_cli.report.markdown import to_markdown
from pcp_cli.report.model import (
    DEFAULT_SPC_MONTHS,
    QUARTERLY_TABLE_KPIS,
    Report,
    ReportPlan,
)
from pcp_cli.report.timing import generation_time

__all__ = [
    "DEFAULT_SPC_MONTHS",
    "QUARTERLY_TABLE_KPIS",
    "Report",
    "ReportPlan",
    "build_report",
    "generation_time",
    "layout",
    "to_frame",
    "to_html",
    "to_markdown",
]
