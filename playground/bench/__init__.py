"""Benchmarks: `python -m playground.bench` (see __main__.py)."""
