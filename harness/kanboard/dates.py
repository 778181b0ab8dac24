"""Kanboard's DateParser and Date validator (server timezone UTC, default user formats).

PHP's DateTime::createFromFormat fills the fields a format lacks from the current time, so
"2024-05-01" becomes that day at the current time of day; the fake uses its own clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from harness.kanboard import errors, php

# (PHP format, strptime format, has a time of day): user date, Y-m-d, Y_m_d, user datetime, ...
_FORMATS = (
    ("m/d/Y", "%m/%d/%Y", False),
    ("Y-m-d", "%Y-%m-%d", False),
    ("Y_m_d", "%Y_%m_%d", False),
    ("m/d/Y H:i", "%m/%d/%Y %H:%M", True),
    ("Y-m-d H:i", "%Y-%m-%d %H:%M", True),
    ("Y_m_d H:i", "%Y_%m_%d %H:%M", True),
)


def _parse(value: Any, now: int) -> int:
    """The timestamp of the first format `value` fits (0 when none, or not after 1970)."""
    if isinstance(value, (list, dict)):
        raise errors.fatal()  # createFromFormat(): Argument #2 must be of type string
    text = php.to_str(value)
    for _, pattern, with_time in _FORMATS:
        try:
            parsed = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        midnight_or_minute = calendar.timegm(parsed.timetuple())
        timestamp = midnight_or_minute + (now % 60 if with_time else now % 86400)
        return timestamp if timestamp > 0 else 0
    return 0


def is_valid(value: Any, now: int) -> bool:
    """The Date validator: empty passes; otherwise some format must parse it."""
    if not php.not_blank(value):
        return True
    return _parse(value, now) > 0


def timestamp(value: Any, now: int) -> int:
    """DateParser::getTimestamp: digits are a timestamp already; else the formats; else 0."""
    if php.ctype_digit(php.to_str(value)):
        return php.to_int(value)
    return _parse(value, now)


def convert(values: dict[str, Any], fields: tuple[str, ...], now: int) -> None:
    """DateParser::convert(keep_time=true) in place: non-empty fields become timestamps."""
    for name in fields:
        if name in values and not php.empty(values[name]):
            values[name] = timestamp(values[name], now)
