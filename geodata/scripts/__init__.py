"""Reproducible builders for the curated files in geodata/ (run with `python -m`)."""
