"""The hardened reference pipeline: the embedded default target (see target.py)."""

from targets.reference.target import ReferenceTarget

__all__ = ["ReferenceTarget"]
