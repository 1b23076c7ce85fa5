"""The panel report's renderers: the model (:mod:`pcp_cli.app.report_model`, built by
:func:`pcp_cli.app.report.make_report`) as a table, HTML or markdown.

* :func:`to_frame` gives every figure as one DataFrame (JSON, Parquet and xlsx);
* :func:`to_html` and :func:`to_markdown` render it; :func:`layout` is the document both
  use (the terminal table renders it too).

Nothing here computes a figure or a judgement: the renderers read the model.
"""

from pcp_cli.report.frame import to_frame
from pcp_cli.report.html import to_html
from pcp_cli.report.layout import layout
from pcp_cli.report.markdown import to_markdown
from pcp_cli.report.timing import generation_time

__all__ = [
    "generation_time",
    "layout",
    "to_frame",
    "to_html",
    "to_markdown",
]
