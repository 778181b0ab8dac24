"""The engine: world, machines, invariants, scheduler, reports, pytest plugin, CLI."""
