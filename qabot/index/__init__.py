"""The searchable index of a notes folder: its typed arrays and the views a question reads.

Example:
    >>> index = build_index(Path("seeds"), Settings())  # doctest: +SKIP
    >>> len(index.snippets) < index.stats.snippets_before_dedup  # doctest: +SKIP
    True
"""

from qabot.index.arrays import CorpusArrays, IndexArrays
from qabot.index.notes_index import NotesIndex

__all__ = ["CorpusArrays", "IndexArrays", "NotesIndex"]
