"""Benchmarks, each run by `make bench-<name>`; see README.md."""
