"""The application layer: one function per question a command asks of the store.

The CLI (:mod:`pcp_cli.cli`) turns options into a call here and renders the typed result;
the analyses (:mod:`pcp_cli.analysis`) and statistics (:mod:`pcp_cli.stats`) compute. Every
command that needs the same answer (the window of a period, the SPC status of a KPI, the
judgement of a change for the KPI's polarity, the force a command is about) asks the one
function here, so that `pcp check` and `pcp report` cannot disagree. Nothing here imports
click or rich, and nothing here prints: diagnostics travel in the results.
"""
