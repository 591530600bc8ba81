"""Flat numpy data structures the index is made of: strings, ragged rows, term numbers.

The lowest layer of qabot's index: no notes, no BM25, no files, only arrays.

Example:
    >>> from qabot.arrays import StringTable
    >>> StringTable.of(["梯度", "检查点"])[1]
    '检查点'
"""

from qabot.arrays.memory import return_freed_memory
from qabot.arrays.numbering import TermNumbering, first_appearance_ids, first_appearance_numbers
from qabot.arrays.rows import LazyRows, concat_rows, copy_rows, gather_rows
from qabot.arrays.strings import StringIndex, StringTable, memory_items

__all__ = [
    "LazyRows",
    "StringIndex",
    "StringTable",
    "TermNumbering",
    "concat_rows",
    "copy_rows",
    "first_appearance_ids",
    "first_appearance_numbers",
    "gather_rows",
    "memory_items",
    "return_freed_memory",
]
