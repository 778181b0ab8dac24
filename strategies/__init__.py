"""Hypothesis strategies: pure data, no I/O.

One module per kind of input the harness throws at a target, each value a small frozen
dataclass with `describe()` for repro steps, each strategy shrinking to the simple valid case:

- `text`: hostile text by kind (`..`, absolute paths, shell metacharacters, leading `-`,
  look-alikes, ...), benign text, valid and near-miss dirnames;
- `cards`: `CardSpec` (fields in metadata and/or YAML-ish description lines) valid or flawed;
- `webhooks`: Kanboard payloads as recorded, and delivery plans (duplicates, reordering,
  malformed bodies, bad tokens);
- `prd`: prd.json documents from one clean story to 1,000 hostile ones, and broken ones;
- `llm`: scripted model answers per role, good / junk / hostile, and the default answer;
- `faults`: Kanboard call faults (error, falsy, timeout, lost response);
- `files`: file tricks on artifacts and the lock manifest;
- `humans`: human mis-clicks on the board;
- `interleavings`: turn orders for the cooperative scheduler;
- `sampling`: reproducible examples and shrink targets outside a test.
"""
