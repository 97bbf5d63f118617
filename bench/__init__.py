"""Benchmarks of cablecare against the embedded Temporal server (BENCHMARKS.md)."""
