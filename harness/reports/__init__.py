"""What a run produces: replay traces, regression tests, findings.md, and the console failure text.

Modules: trace (file format), findings (brief's deliverables), fixes (recommended fixes),
regression (standalone tests + the run directory), console (pytest failure text), text (wording).
"""
