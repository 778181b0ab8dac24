"""What a run produces: replay traces, regression tests, findings.md, and the console failure text.

Modules: trace (file format), findings (brief's deliverables), fixes (recommended fixes),
regression (standalone tests), folder (a run's own reports folder, written as findings
arrive), console (failure text), text (wording).
"""
