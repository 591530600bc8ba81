"""The one error of the evaluator: an input file it cannot use at all.

Example:
    >>> str(EvalInputError("not SQuAD JSON: x.json"))
    'not SQuAD JSON: x.json'
"""

from __future__ import annotations


class EvalInputError(Exception):
    """A missing or unusable evaluation file, with a one-line message for the user."""
