"""Benchmarks with their recorded results; `python -m bench` (or `make bench`) runs them all."""
