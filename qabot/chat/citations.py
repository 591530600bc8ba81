"""Citations grouped by place, so sentences of one long note line share one entry.

A note line can hold several of an answer's sentences; listed one per citation they
would all read ``000.txt:6 — 简介`` alike. Grouped, each place is named once with its
numbered sentences under it.

Example:
    >>> places = by_place(answer.citations)  # doctest: +SKIP
    >>> [(place.where, [c.n for c in place.citations]) for place in places]  # doctest: +SKIP
    [('000.txt:6', [1, 2, 3])]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qabot.schema import Answer, Citation

EXCERPT_CHARS = 60
CODE_KINDS = frozenset({"code", "math"})
"""Citation kinds that adapters show as code, verbatim and monospaced."""


@dataclass(slots=True)
class Place:
    """One place in the notes and the citations found there, in answer order."""

    source: str
    line: int
    title: str
    also_in: list[str]
    citations: list[Citation] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


def by_place(citations: list[Citation]) -> list[Place]:
    """The citations grouped by ``source:line``, places in order of first citation."""
    places: dict[tuple[str, int], Place] = {}
    for citation in citations:
        key = (citation.source, citation.line)
        place = places.get(key)
        if place is None:
            place = places[key] = Place(citation.source, citation.line, citation.title, [])
        place.citations.append(citation)
        place.also_in.extend(p for p in citation.also_in if p not in place.also_in)
    return list(places.values())


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_code_answer(answer: Answer) -> bool:
    """Whether the answer quotes a code block or a formula (its first citation's kind)."""
    return bool(answer.citations) and answer.citations[0].kind in CODE_KINDS
