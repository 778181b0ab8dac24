"""Systems under test behind one interface (see targets/base.py)."""
