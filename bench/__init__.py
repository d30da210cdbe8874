"""Benchmarks (BENCHMARKS.md): each prints figures against a naive baseline measured in the same run."""
