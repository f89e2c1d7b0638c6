"""Benchmarks of issue #7: one script per figure, `bench/run_all.py` writes BENCHMARKS.md."""
