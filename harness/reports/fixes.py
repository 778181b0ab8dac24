"""The recommended fix for each failure mode: a concrete, minimal change and where it is done right.

Reports look fixes up by invariant and by `Violation.details["mode"]` when the checker names
one; every invariant has a default, so every finding gets a fix. The paths point into the
hardened reference target, which does each of these things and on which every invariant holds.

Modes (the words checkers put in `details["mode"]`; spaces, underscores and case are ignored):
    G1: lock-if-exists, literal-path, symlink-write, corrupt-manifest, unguarded-helper,
        manifest-unprotected, dirname-change, relock-launders
    G2: staged-only, self-commit, new-test-file, git-add-all
    G3: gate-skipped
    G4: path-escape, shell-string, option-injection
    I1: duplicate-delivery, no-token-check, error-as-empty
    I2: link-only, rollback-ignored, lost-response
    I3: cap-per-run, silent-refusal
    I4: no-lease, lost-update, error-as-empty
    R1: escape, unbounded-retries, invisible-failure
    R2: no-token-check, listens-everywhere
    K1: call-rejected, call-ignored, call-answered-false
"""

from __future__ import annotations

from dataclasses import dataclass

REF = "targets/reference"


@dataclass(frozen=True)
class Fix:
    defect: str  # the failure mode, short, as a finding title
    change: str  # the concrete minimal change
    reference: str  # where the hardened reference does it
    snippet: str | None = None  # a function-level edit for section D, when the fix is obvious


def _mode_key(mode: str | None) -> str | None:
    if mode is None:
        return None
    return "-".join(str(mode).strip().lower().replace("_", " ").replace("-", " ").split()) or None


_G1_LOCK_ANY_PATH = """\
 def write_artifact(workspace, rel, content):
-    path = workspace / rel
-    if path.exists() and is_locked(workspace, rel):
-        raise GuardError(f"{rel} is locked")
+    path = (workspace / rel).resolve()            # `..`, `./x`, symlinks, `//` collapse here
+    if not path.is_relative_to(workspace.resolve()):
+        raise GuardError(f"{rel} escapes the workspace")
+    locks = load_manifest(workspace)              # raises on a corrupt/missing manifest
+    if path in {(workspace / p).resolve() for p in locks}:   # even when the file is missing
+        raise GuardError(f"{rel} is locked")
     atomic_write(path, content)
"""

_G1_FAIL_CLOSED = """\
 def load_manifest(workspace):
     try:
         return json.loads((workspace / MANIFEST).read_text())
-    except (FileNotFoundError, json.JSONDecodeError):
-        return {}
+    except FileNotFoundError:
+        if any_lock_was_recorded(workspace):      # e.g. a lock tag on the card
+            raise GuardError("lock manifest is missing; refusing writes")
+        return {}
+    except json.JSONDecodeError as exc:
+        raise GuardError(f"lock manifest is corrupt ({exc}); refusing writes") from None
"""

_G2_SNAPSHOT = """\
 def run_ralph(workspace, ...):
+    before = hash_tree(workspace / "tests")       # content hashes, not `git diff --cached`
     ...model writes code, tests run...
+    if hash_tree(workspace / "tests") != before or git_status("tests/"):
+        restore_tests(workspace, before)
+        raise GuardError("Ralph changed tests/; run refused")
-    git("add", ".")
+    git("add", "--", "src/")                      # commit only what Ralph may change
     git("commit", "-m", message)
"""

_G4_ARGV = """\
-subprocess.run(f"git checkout -b {branch}", shell=True, cwd=workspace)
+if not SAFE_NAME.fullmatch(branch):               # e.g. r"[A-Za-z0-9][A-Za-z0-9._/-]*"
+    raise GuardError(f"unsafe branch name {branch!r}")
+subprocess.run(["git", "checkout", "-b", branch, "--"], cwd=workspace, check=True)
"""

_I1_DEDUPE = """\
 def handle_event(event):
+    key = (event["task_id"], event["event_name"], event["column_id"], delivery_epoch(event))
+    if not claim_once(key):                       # durable, survives a restart
+        return 200                                # an exact duplicate: acknowledge, do nothing
     dispatch(event)
"""

_I2_MARKER = """\
 def spawn_children(epic, stories):
-    existing = {link.child_story for link in links(epic)}
+    existing = children_by_any_marker(epic)       # link, atomic_id/parent_id, title, "Parent: #N"
     for story in stories:
         if story.id in existing:
             continue
+        save_epic_marker(epic, story.id, "creating")   # written before the create call
         child = create_child(epic, story)
"""

_I4_LEASE = """\
 def run_if_due(card, agent):
-    if "in-progress" not in get_tags(card):
-        set_tags(card, get_tags(card) + ["in-progress"])
-        run(agent, card)
+    lease = take_lease(card, agent, epoch(card), ttl=LEASE_TTL)   # one writer wins, expires
+    if lease is None:
+        return                                    # another runner holds this card
+    with lease:
+        run(agent, card)
"""

_G1 = Fix(
    "approved artifact overwritten",
    "route every write through one guard that checks the lock by resolved path before any write, "
    "including when the file is missing; fail closed on a corrupt or missing manifest",
    f"{REF}/workspace.py",
    _G1_LOCK_ANY_PATH,
)
_G2 = Fix(
    "tests/ changed by or during a Ralph run",
    "snapshot tests/ by content hash before the run and compare after it (staged and unstaged); "
    "restore and fail the run on any difference; commit only src/",
    f"{REF}/ralph_guard.py",
    _G2_SNAPSHOT,
)
_G3 = Fix(
    "an entrypoint bypasses the gate",
    "make webhook, poller and CLI call one dispatch function that checks upstream locks and the "
    "column trigger map; remove per-entrypoint copies of agent logic",
    f"{REF}/pipeline.py",
)
_G4 = Fix(
    "card content escapes the workspace or reaches a shell",
    "validate card-derived names against an allow-list, resolve and require paths inside the "
    "workspace, pass subprocess arguments as a list without shell=True and end options with `--`",
    f"{REF}/cards.py",
    _G4_ARGV,
)
_I1 = Fix(
    "duplicate webhook delivery runs an agent twice",
    "record each delivery's (card, event, column, epoch) key before dispatch and acknowledge "
    "an exact duplicate without acting",
    f"{REF}/webhook.py",
    _I1_DEDUPE,
)
_I2 = Fix(
    "spawner creates duplicate children",
    "write an idempotency marker on the epic before each create, recognise children by every "
    "marker (link, atomic_id/parent_id, title prefix, parent text) and verify rollback",
    f"{REF}/spawner.py",
    _I2_MARKER,
)
_I3 = Fix(
    "fan-out exceeds the cap",
    "count existing children across runs before creating any; over the cap, create nothing and "
    "leave a comment and a failed tag on the epic",
    f"{REF}/spawner.py",
)
_I4 = Fix(
    "concurrent runners duplicate work",
    "take a per-card lease with expiry (one writer wins, re-read after write) before running an "
    "agent; never read-modify-write tags without re-checking",
    f"{REF}/leases.py",
    _I4_LEASE,
)
_ERROR_AS_EMPTY = Fix(
    "Kanboard error read as an empty answer",
    "treat a failed getTaskTags/getTaskMetadata call as an error and stop, never as 'no tags' "
    "or 'no metadata'; retry or fail the card visibly",
    f"{REF}/board.py",
)

_R1 = Fix(
    "a bad card or a failing model takes a runner down or loops",
    "catch per card around each agent run, record the failure on that card (comment and a "
    "failed tag) and go on with the others; count runs per (card, agent, epoch) and stop "
    "retrying after a small bound until a human moves the card again",
    f"{REF}/pipeline.py",
)
_R2 = Fix(
    "unauthenticated delivery acts",
    "compare the delivery's token with hmac.compare_digest and answer 403 before parsing the "
    "body; serve only the configured path, bound to the configured address",
    f"{REF}/webhook.py",
)
_K1 = Fix(
    "a Kanboard call is refused or silently ignored",
    "call each method with the parameters it declares (check the result: Kanboard answers many "
    "failures with false, not an error), e.g. moveTaskPosition to change a column, "
    "saveTaskMetadata(task_id, values={...}), createComment with user_id",
    f"{REF}/board.py",
)

DEFAULTS: dict[str, Fix] = {
    "R1": _R1,
    "R2": _R2,
    "K1": _K1,
    "G1": _G1,
    "G2": _G2,
    "G3": _G3,
    "G4": _G4,
    "I1": _I1,
    "I2": _I2,
    "I3": _I3,
    "I4": _I4,
}

BY_MODE: dict[tuple[str, str], Fix] = {
    ("G1", "lock-if-exists"): Fix(
        "lock checked only when the file exists",
        "check the lock by resolved path before any write, including when the file is missing; "
        "fail closed on a corrupt manifest",
        f"{REF}/workspace.py",
        _G1_LOCK_ANY_PATH,
    ),
    ("G1", "literal-path"): Fix(
        "lock keyed by the literal path string",
        "key locks and lock checks by the resolved path, so `./X`, `a/../X` and `X//` name the "
        "same artifact",
        f"{REF}/workspace.py",
        _G1_LOCK_ANY_PATH,
    ),
    ("G1", "symlink-write"): Fix(
        "write follows a symlink onto a locked artifact",
        "resolve the target before the lock check and refuse to write through a symlink; write "
        "atomically (temp file + os.replace) inside the workspace",
        f"{REF}/workspace.py",
        _G1_LOCK_ANY_PATH,
    ),
    ("G1", "corrupt-manifest"): Fix(
        "corrupt lock manifest read as 'no locks'",
        "fail closed: a manifest that cannot be parsed, or is missing after a lock was recorded, "
        "refuses every write until a human repairs it",
        f"{REF}/workspace.py",
        _G1_FAIL_CLOSED,
    ),
    ("G1", "unguarded-helper"): Fix(
        "a write helper skips the ratchet guard",
        "make the guarded write the only write path (remove or wrap the other helpers) and "
        "check the lock inside it",
        f"{REF}/workspace.py",
    ),
    ("G1", "manifest-unprotected"): Fix(
        "the lock manifest itself can be overwritten",
        "treat the manifest as locked for every writer except the lock/unlock functions",
        f"{REF}/workspace.py",
    ),
    ("G1", "dirname-change"): Fix(
        "changing dirname after locking moves the workspace away from its locks",
        "pin the workspace path on the card when the first lock is taken and refuse a changed "
        "dirname afterwards",
        f"{REF}/workspace.py",
    ),
    ("G2", "staged-only"): Fix(
        "test guard looks only at staged changes",
        "compare content hashes of tests/ before and after the run (covers unstaged and "
        "untracked edits), not `git diff --cached`",
        f"{REF}/ralph_guard.py",
        _G2_SNAPSHOT,
    ),
    ("G2", "self-commit"): Fix(
        "code under test commits its own changes",
        "check tests/ against the snapshot after the code under test ran and inspect every commit "
        "the run made (`git diff --name-only BASE..HEAD -- tests/`); reset on any hit",
        f"{REF}/ralph_run.py",
        _G2_SNAPSHOT,
    ),
    ("G2", "new-test-file"): Fix(
        "a new file appears under tests/",
        "treat tests/ as a closed set: any added, removed or changed file fails the run",
        f"{REF}/ralph_guard.py",
        _G2_SNAPSHOT,
    ),
    ("G2", "git-add-all"): Fix(
        "`git add .` stages test changes",
        "stage only src/ (`git add -- src/`) and verify the staged set before committing",
        f"{REF}/ralph_git.py",
        _G2_SNAPSHOT,
    ),
    ("G3", "gate-skipped"): Fix(
        "one entrypoint skips the gate",
        "route that entrypoint through the shared dispatch that checks upstream locks before "
        "running an agent",
        f"{REF}/pipeline.py",
    ),
    ("G4", "path-escape"): Fix(
        "card text reaches a file path unchecked",
        "validate dirname and story ids against an allow-list and require every resolved path to "
        "lie inside the workspace",
        f"{REF}/cards.py",
    ),
    ("G4", "shell-string"): Fix(
        "card text reaches a shell command",
        "pass subprocess arguments as a list, never shell=True or one string with card text",
        f"{REF}/ralph_git.py",
        _G4_ARGV,
    ),
    ("G4", "option-injection"): Fix(
        "card text can be read as a command option",
        "reject names starting with `-` and end options with `--` before card-derived arguments",
        f"{REF}/ralph_git.py",
        _G4_ARGV,
    ),
    ("I1", "duplicate-delivery"): _I1,
    ("I1", "no-token-check"): Fix(
        "webhook accepts deliveries without the token",
        "compare the token with hmac.compare_digest and answer 403 before parsing the body",
        f"{REF}/webhook.py",
    ),
    ("I1", "error-as-empty"): _ERROR_AS_EMPTY,
    ("I2", "link-only"): Fix(
        "children recognised by link only",
        "recognise children by every marker (link, atomic_id/parent_id metadata, title prefix, "
        "'Parent: #N' text) before creating one",
        f"{REF}/spawn_scan.py",
        _I2_MARKER,
    ),
    ("I2", "rollback-ignored"): Fix(
        "rollback result ignored after a partial failure",
        "check each removeTask result, re-read the board, and leave a failed tag and comment when "
        "an orphan remains",
        f"{REF}/spawn_board.py",
    ),
    ("I2", "lost-response"): Fix(
        "a lost response makes the spawner create the child again",
        "after an error on a create call, look the child up by its marker before retrying",
        f"{REF}/spawn_scan.py",
        _I2_MARKER,
    ),
    ("I3", "cap-per-run"): Fix(
        "cap counted per run, not across runs",
        "count existing children of the epic (every marker) plus the new stories against the cap",
        f"{REF}/spawner.py",
    ),
    ("I3", "silent-refusal"): Fix(
        "refusal over the cap is invisible",
        "on refusal leave a comment and a failed tag on the epic; create nothing",
        f"{REF}/spawner.py",
    ),
    ("I4", "no-lease"): Fix(
        "check-then-set without a lease",
        "take a per-card lease with expiry before running an agent; the loser of the race backs off",
        f"{REF}/leases.py",
        _I4_LEASE,
    ),
    ("I4", "lost-update"): Fix(
        "read-modify-write of tags loses another runner's update",
        "re-read tags immediately before setTaskTags under the card's lease and merge, never "
        "write back a stale copy",
        f"{REF}/leases.py",
    ),
    ("I4", "error-as-empty"): _ERROR_AS_EMPTY,
    ("G1", "relock-launders"): Fix(
        "a re-lock records the file's current bytes",
        "keep the hash recorded at the first lock: a re-lock of a locked path is a no-op, and a "
        "file that no longer matches it refuses the approval until a person unlocks it",
        f"{REF}/workspace.py",
    ),
    ("R1", "escape"): Fix(
        "an exception escapes the runner",
        "catch per card around each step, record the failure on that card (comment and a failed "
        "tag) and go on with the next card; a pass must never end in a traceback",
        f"{REF}/target.py",
    ),
    ("R1", "unbounded-retries"): Fix(
        "a failing agent is re-run on every poll or delivery",
        "record each run's outcome per (card, agent, epoch) and stop after a small bound; a "
        "person moving the card (a new epoch) asks for a retry",
        f"{REF}/leases.py",
    ),
    ("R1", "invisible-failure"): Fix(
        "a failed run leaves no trace on its card",
        "on failure add a comment (createComment with user_id) and a failed tag, and check that "
        "Kanboard accepted them",
        f"{REF}/pipeline.py",
    ),
    ("R2", "no-token-check"): Fix(
        "webhook acts on deliveries without the shared secret",
        "compare the token with hmac.compare_digest and answer 401 before parsing the body",
        f"{REF}/webhook.py",
    ),
    ("R2", "listens-everywhere"): Fix(
        "webhook server binds every interface",
        "bind the configured address (127.0.0.1 by default, a setting to change it), never "
        "0.0.0.0 unconditionally",
        f"{REF}/webhook.py",
    ),
    ("K1", "call-rejected"): Fix(
        "a Kanboard call Kanboard rejects",
        "call the method with the parameters it declares (createComment needs user_id; "
        "saveTaskMetadata takes values={...}) and treat an error answer as a failure",
        f"{REF}/board.py",
    ),
    ("K1", "call-ignored"): Fix(
        "a parameter Kanboard silently ignores",
        "use the method that does it (moveTaskPosition to change a column, not updateTask) and "
        "read the card back to verify",
        f"{REF}/spawner.py",
    ),
    ("K1", "call-answered-false"): Fix(
        "a write Kanboard answered false",
        "check every write's result: false means nothing was done; stop and fail the card",
        f"{REF}/board.py",
    ),
}

MODES: dict[str, tuple[str, ...]] = {
    inv: tuple(mode for (i, mode) in BY_MODE if i == inv) for inv in DEFAULTS
}


def fix_for(invariant: str, mode: str | None = None) -> Fix:
    """The fix for a failure mode of `invariant`; the invariant's default for an unknown mode."""
    key = _mode_key(mode)
    if key is not None and (invariant, key) in BY_MODE:
        return BY_MODE[(invariant, key)]
    return DEFAULTS[invariant]
