"""Measurements: the performance figures against their targets (bench) and the load test (load)."""
