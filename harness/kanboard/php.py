"""PHP and SQLite value semantics that real Kanboard's answers depend on.

Kanboard is PHP over SQLite: ids given as strings match, `"0"` is empty, tag names are
matched with `LIKE`, text columns turn `7` into `"7"`. The fake reproduces these rules in one
place instead of sprinkling special cases over the methods.
"""

from __future__ import annotations

import math
import re
from typing import Any

INTEGER = "INTEGER"  # SQLite column affinities the fake's tables use
NUMERIC = "NUMERIC"
TEXT = "TEXT"

_INT_LITERAL = re.compile(r"^\s*[+-]?\d+\s*$")
_REAL_LITERAL = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_PHP_NUMERIC = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$")
_PHP_INT_KEY = re.compile(r"^(0|-?[1-9]\d*)$")
_INT64 = 2**63


def float_str(value: float) -> str:
    """`(string) $float` in PHP 8 (precision 14): 0.1 + 0.2 -> "0.3", 1e25 -> "1.0E+25"."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    text = f"{value:.14G}"
    if "E" in text:
        mantissa, exponent = text.split("E")
        if "." not in mantissa:
            mantissa += ".0"
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}E{sign}{int(exponent.lstrip('+-'))}"
    return text


def to_str(value: Any) -> str:
    """`(string) $value`: what PHP (and PDO, which binds everything as a string) makes of it."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_str(value)
    if isinstance(value, str):
        return value
    return "Array"


def empty(value: Any) -> bool:
    """PHP `empty()`: null, false, 0, 0.0, "", "0" and the empty array."""
    if value is None or value is False:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str):
        return value in ("", "0")
    if isinstance(value, (list, dict)):
        return len(value) == 0
    return False


def not_blank(value: Any) -> bool:
    """SimpleValidator's "field not empty": set (not null) and not the empty string."""
    return value is not None and value != ""


def is_numeric(value: Any) -> bool:
    """PHP `is_numeric()`."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(_PHP_NUMERIC.match(value))


def ctype_digit(text: str) -> bool:
    return bool(text) and all("0" <= ch <= "9" for ch in text)


def is_integer_value(value: Any) -> bool:
    """SimpleValidator `Integer`: digit strings (optionally negative) or real ints."""
    if not not_blank(value):
        return True
    if isinstance(value, str):
        return ctype_digit(value[1:]) if value[0] == "-" else ctype_digit(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _number(text: str) -> int | float:
    text = text.strip()
    if re.match(r"^[+-]?\d+$", text):
        number = int(text)
        return number if -_INT64 <= number < _INT64 else float(number)
    return float(text)


def to_int(value: Any) -> int:
    """PHP `(int) $value`."""
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return 0 if math.isnan(value) or math.isinf(value) else int(value)
    if isinstance(value, str):
        match = re.match(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value)
        if not match:
            return 0
        number = _number(match.group(0))
        if isinstance(number, float):
            return 0 if math.isnan(number) or math.isinf(number) else int(number)
        return number
    return 1 if value else 0


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and is_numeric(value):
        return _number(value)
    return None


def compare(left: Any, right: Any) -> int:
    """PHP 8 `<=>` for scalars (null, bool, numbers, strings); -1, 0 or 1."""
    if left is None and isinstance(right, str):
        return _cmp("", right)
    if right is None and isinstance(left, str):
        return _cmp(left, "")
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        return _cmp(not empty(left), not empty(right))
    if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
        return _cmp(to_str(left), to_str(right))
    if isinstance(left, str) and isinstance(right, str) and not (is_numeric(left) and is_numeric(right)):
        return _cmp(left, right)
    a, b = _as_number(left), _as_number(right)
    if a is None or b is None:
        return _cmp(to_str(left), to_str(right))
    return _cmp(a, b)


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def loose_eq(left: Any, right: Any) -> bool:
    """PHP 8 `==`."""
    return compare(left, right) == 0


def store(value: Any, affinity: str) -> Any:
    """The value SQLite keeps when PDO binds `value` (always as a string) into a column."""
    if value is None:
        return None
    if type(value) is int and affinity != TEXT:  # the common case, without the text round trip
        return value if -_INT64 <= value < _INT64 else float(value)
    text = to_str(value)
    if affinity == TEXT:
        return text
    if _INT_LITERAL.match(text):
        number = int(text)
        return number if -_INT64 <= number < _INT64 else float(number)
    if _REAL_LITERAL.match(text):
        number = float(text)
        if number.is_integer() and abs(number) < _INT64:
            return int(number)
        return number
    return text


def key(value: Any) -> int | None:
    """The integer id an `id = ?` lookup with `value` matches, or None (matches nothing)."""
    if value is None or isinstance(value, (list, dict)):
        return None
    stored = store(value, INTEGER)
    return stored if isinstance(stored, int) else None


def text_key(value: Any) -> str | None:
    """The text a `name = ?` lookup with `value` matches, or None (matches nothing)."""
    return None if value is None else to_str(value)


def like(pattern: Any, text: Any) -> bool:
    """SQLite `text LIKE pattern`: % and _ wildcards, case-insensitive for ASCII only."""
    if pattern is None or text is None:
        return False
    regex = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        for ch in _ascii_lower(to_str(pattern))
    )
    return re.fullmatch(regex, _ascii_lower(to_str(text)), re.S) is not None


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(ch) + 32) if "A" <= ch <= "Z" else ch for ch in text)


def php_keys(items: dict[str, Any]) -> list[Any]:
    """The keys PHP's json_decode gives an object: canonical integer strings become ints."""
    return [int(k) if _PHP_INT_KEY.match(k) and -_INT64 <= int(k) < _INT64 else k for k in items]


def is_list_like(value: Any) -> bool:
    """True when PHP sees a JSON value as a list (`array_keys($a) === range(0, n-1)`)."""
    if isinstance(value, list):
        return len(value) > 0
    if isinstance(value, dict):  # php_keys(value) == [0, 1, ...], stopping at the first other key
        return len(value) > 0 and all(
            _PHP_INT_KEY.match(k) is not None and int(k) == i for i, k in enumerate(value))
    return False


def array_values(value: Any) -> list[Any]:
    """The values of a PHP array decoded from JSON (a list or an object)."""
    if isinstance(value, dict):
        return list(value.values())
    return list(value)


def array_items(value: Any) -> list[tuple[str, Any]]:
    """(key as text, value) pairs of a PHP array decoded from JSON."""
    if isinstance(value, dict):
        return [(to_str(k), v) for k, v in zip(php_keys(value), value.values(), strict=True)]
    return [(str(i), v) for i, v in enumerate(value)]
