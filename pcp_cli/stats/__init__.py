"""Statistical methods (pure functions, no I/O): SPC, intervals, tests, projections."""
