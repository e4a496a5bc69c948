"""Benchmarks and the synthetic city-scale registers they run on (``python -m app.bench``)."""
