"""Building the index of a notes folder: scan → parts → join → dedup → assemble → matrices.

Example:
    >>> index = build_index(Path("seeds"), Settings())  # doctest: +SKIP
"""

from qabot.build.builder import build_index
from qabot.build.pool import Progress

__all__ = ["Progress", "build_index"]
