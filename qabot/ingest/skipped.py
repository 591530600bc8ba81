"""Tell the user about skipped files: one line per file, or one per cause when many.

Sixteen thousand files too large for the cap make one line, not sixteen thousand:
``skipped 16,000 files: too large (the cap is 20 MiB, ingest.max_file_mb); `qabot
index --verbose` lists them``. A cause shared by few files lists each of them.

Example:
    >>> summarize_skipped([SkippedFile("a.txt", "empty file")])
    ['skipped a.txt: empty file']
"""

from __future__ import annotations

from collections.abc import Sequence

from qabot.schema import SkippedFile

# More files than this of one cause are summarized in one line.
LISTED_PER_CAUSE = 5
VERBOSE_HINT = "`qabot index --verbose` lists them"


def summarize_skipped(
    skipped: Sequence[SkippedFile], listed_per_cause: int = LISTED_PER_CAUSE
) -> list[str]:
    """Lines for ``skipped``, in order of first appearance of each cause."""
    causes: dict[str, list[SkippedFile]] = {}
    for entry in skipped:
        causes.setdefault(entry.cause, []).append(entry)
    lines: list[str] = []
    for cause, entries in causes.items():
        if len(entries) > listed_per_cause:
            lines.append(f"skipped {len(entries):,} files: {cause}; {VERBOSE_HINT}")
        else:
            lines.extend(f"skipped {entry.source}: {entry.reason}" for entry in entries)
    return lines
