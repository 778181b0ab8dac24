"""Where example sandboxes live: a RAM-backed folder when the machine has a roomy one.

Every example makes and removes a sandbox tree, and the systems under test write, rename and
stat files in it at every step; on tmpfs those syscalls cost a fraction of a disk's (the
combined machine ran 1.3x the steps/s). `FUZZ_SANDBOX_DIR` chooses the folder instead.
"""

from __future__ import annotations

import functools
import os
import tempfile

RAM_DIR = "/dev/shm"
# a small /dev/shm (a container's default is 64 MB) could fill up mid-run, and a full disk
# would read as the target's defect; below this much free space the usual temp dir is used
MIN_FREE_BYTES = 2 * 1024**3

class SandboxDirError(ValueError):
    """FUZZ_SANDBOX_DIR names no writable directory."""


@functools.cache
def sandbox_base() -> str:
    """The folder sandboxes and their trash are made in (chosen once per process)."""
    named = os.environ.get("FUZZ_SANDBOX_DIR")
    if named:
        if not (os.path.isdir(named) and os.access(named, os.W_OK | os.X_OK)):
            raise SandboxDirError(f"FUZZ_SANDBOX_DIR={named!r} is not a writable directory")
        return named
    if _roomy_ram_dir(RAM_DIR):
        return RAM_DIR
    return tempfile.gettempdir()


def _roomy_ram_dir(path: str) -> bool:
    try:
        if not (os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)):
            return False
        stats = os.statvfs(path)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize >= MIN_FREE_BYTES
