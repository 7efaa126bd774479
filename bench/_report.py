"""Write one benchmark's section of docs/PERFORMANCE.md, leaving the other sections as they are."""

from __future__ import annotations

import datetime as dt
import platform
import re
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "docs" / "PERFORMANCE.md"
HEADER = """# Performance

Figures written by the benchmarks under `bench/` (`make bench` runs them all). Each section is
rewritten by its own benchmark; compare ratios measured in one run, not absolute numbers across
runs, on this noisy 2-core machine.
"""


def machine() -> str:
    import os

    return (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"
    )


def write_section(name: str, markdown: str) -> None:
    """Replace (or add) the section between <!-- bench:NAME --> markers."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    text = REPORT.read_text() if REPORT.exists() else HEADER
    stamp = f"_Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}._\n\n"
    block = f"<!-- bench:{name} -->\n{stamp}{markdown.strip()}\n<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    REPORT.write_text(text)
