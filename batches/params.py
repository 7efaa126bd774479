"""Reading ids and numbers from user input: anything that is not a plain in-range number is None.

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses, and a 30-digit id overflows the
database's 64-bit integers: both used to end in a 500.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1


def parse_id(raw) -> int | None:
    """A non-negative database id or offset from a query string or form, else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not (text.isascii() and text.isdigit()):
            return None
        value = int(text)
    return value if 0 <= value <= MAX_ID else None
