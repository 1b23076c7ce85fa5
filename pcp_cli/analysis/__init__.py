"""Analyses: each returns a polars DataFrame that any renderer can print."""
