"""Hypothesis strategies: pure data, no I/O."""
