"""Fixed data of the Kanboard install the fake imitates, and the AgentLeeOps boards.

Values are those of the recorded install (`main.2cba210d`, SQLite, MetaMagik `fd61ea6`):
a fresh database has user 1 `admin`, the eleven default link types and sixteen colours.
"""

from __future__ import annotations

VERSION = "main.2cba210dbad4e110d4efdec97d71a38b5df48dad"
APP_URL = "http://localhost/"
PROJECT_NAME = "AgentLeeOps"
API_USER = "jsonrpc"
ADMIN_USER_ID = 1
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"  # a fresh install's; a user's own name and password work over JSON-RPC

# The newest AgentLeeOps board (setup-board.py at head) and the one at commit ba02d79.
NEWEST_BOARD: tuple[str, ...] = (
    "1. Inbox",
    "2. Design Draft",
    "3. Design Approved",
    "4. Planning Draft",
    "5. Plan Approved",
    "6. Tests Draft",
    "7. Tests Approved",
    "8. Ralph Loop",
    "9. Code Review",
    "10. Final Review",
    "11. Done",
)
# ba02d79 has no Code Review column: the first eight are the same, the tail renumbered.
BA02D79_BOARD: tuple[str, ...] = (*NEWEST_BOARD[:8], "9. Final Review", "10. Done")
BOARDS = {"newest": NEWEST_BOARD, "ba02d79": BA02D79_BOARD}

# What createProject gives a new project before AgentLeeOps replaces them.
DEFAULT_COLUMNS = ("Backlog", "Ready", "Work in progress", "Done")
DEFAULT_SWIMLANE = "Default swimlane"

# Link types of a fresh install: (id, label, opposite_id).
LINK_TYPES = (
    (1, "relates to", 0),
    (2, "blocks", 3),
    (3, "is blocked by", 2),
    (4, "duplicates", 5),
    (5, "is duplicated by", 4),
    (6, "is a child of", 7),
    (7, "is a parent of", 6),
    (8, "targets milestone", 9),
    (9, "is a milestone of", 8),
    (10, "fixes", 11),
    (11, "is fixed by", 10),
)
DUPLICATES_LINK_ID = 4

DEFAULT_COLOR = "yellow"
COLORS: dict[str, dict[str, str]] = {
    "yellow": {"name": "Yellow", "background": "rgb(245, 247, 196)", "border": "rgb(223, 227, 45)"},
    "blue": {"name": "Blue", "background": "rgb(219, 235, 255)", "border": "rgb(168, 207, 255)"},
    "green": {"name": "Green", "background": "rgb(189, 244, 203)", "border": "rgb(74, 227, 113)"},
    "purple": {"name": "Purple", "background": "rgb(223, 176, 255)", "border": "rgb(205, 133, 254)"},
    "red": {"name": "Red", "background": "rgb(255, 187, 187)", "border": "rgb(255, 151, 151)"},
    "orange": {"name": "Orange", "background": "rgb(255, 215, 179)", "border": "rgb(255, 172, 98)"},
    "grey": {"name": "Grey", "background": "rgb(238, 238, 238)", "border": "rgb(204, 204, 204)"},
    "brown": {"name": "Brown", "background": "#d7ccc8", "border": "#4e342e"},
    "deep_orange": {"name": "Deep Orange", "background": "#ffab91", "border": "#e64a19"},
    "dark_grey": {"name": "Dark Grey", "background": "#cfd8dc", "border": "#455a64"},
    "pink": {"name": "Pink", "background": "#f48fb1", "border": "#d81b60"},
    "teal": {"name": "Teal", "background": "#80cbc4", "border": "#00695c"},
    "cyan": {"name": "Cyan", "background": "#b2ebf2", "border": "#00bcd4"},
    "lime": {"name": "Lime", "background": "#e6ee9c", "border": "#afb42b"},
    "light_green": {"name": "Light Green", "background": "#dcedc8", "border": "#689f38"},
    "amber": {"name": "Amber", "background": "#ffe082", "border": "#ffa000"},
}

# Procedures an app-token caller may not use (Kanboard answers HTTP 403).
USER_ONLY_PROCEDURES = frozenset(
    {
        "getMe",
        "getMyDashboard",
        "getMyActivityStream",
        "createMyPrivateProject",
        "getMyProjectsList",
        "getMyProjects",
        "getMyOverdueTasks",
    }
)
