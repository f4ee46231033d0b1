"""Benchmarks and the national-size data generator (not part of the installed package)."""
