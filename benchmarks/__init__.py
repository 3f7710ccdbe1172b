"""Benchmarks: speed and quality runs, not collected by pytest. Results go to results/*.json."""
