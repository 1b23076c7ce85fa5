"""Comparing a force with its peers, by role.

- :mod:`.groups`: who the peers are (MSG, region, national; the comparator group).
- :mod:`.population`: mid-year population estimates, the denominator of rates.
- :mod:`.completeness`: is a force's month probably incomplete (so not ranked)?
- :mod:`.statistics`: one KPI's group statistics and each force's place (z, RAG, funnel).
- :mod:`.ranking`: the :class:`~.ranking.Ranker` that gathers figures and ranks them.
- :mod:`.tables`: the tables ``pcp rank`` and the report print from those rankings.
"""
