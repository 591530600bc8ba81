"""Which sentences an answer quotes, and in what order.

The best sentence, maybe a runner-up of its note, then the sentences that follow it
while they hold question terms the answer lacks (at most ``max_sentences``). A first
sentence that opens leaning on the one before it (而…, 因此…, 这…, It…) reads cut off
when quoted alone, so the one before joins too. The answer quotes them in the note's
order; its citations keep the best first.

Example:
    >>> chosen = choose_sentences({"激活值"}, ranked, scores, index, settings)  # doctest: +SKIP
    >>> " ".join(index.snippets[sid].text for sid in in_note_order(chosen, index))  # doctest: +SKIP
    '梯度检查点只保存部分激活值。 反向传播时重新计算其余激活值。'
"""

from __future__ import annotations

import math
import re

from qabot.config import ReaderSettings
from qabot.index import NotesIndex

LEANS_BACK = re.compile(
    r"\s*(?:而|但|不过|然而|因此|所以|因而|故(?![障事])|于是|此外|另外|同时|从而|进而|其(?!他)"
    r"|它|这|该|此|那么|并且|也|即(?![使便])"
    r"|(?:however|but|so|thus|therefore|hence|this|these|it|they|also)\b)",
    re.IGNORECASE,
)
"""How a sentence that leans on the one before it opens."""


def choose_sentences(
    query: set[str],
    ranked: list[int],
    scores: dict[int, float],
    index: NotesIndex,
    settings: ReaderSettings,
) -> list[int]:
    """The answer's snippet ids, the best (``ranked[0]``) first.

    ``scores`` are the sentence scores of ``ranked``; the runner-up is the next-ranked
    sentence of the best one's note if it scores within ``runner_up_margin`` of it.
    """
    best = ranked[0]
    chosen = [best]
    margin = settings.runner_up_margin
    if margin and best in scores and settings.max_sentences > 1:
        note = set(index.note_sentences(best))
        for sid in ranked[1:]:
            if scores.get(sid, -math.inf) < scores[best] - margin:
                break
            if sid in note:
                chosen.append(sid)
                break
    uncovered = query - {term for sid in chosen for term in index.snippet_terms[sid]}
    while uncovered and len(chosen) < settings.max_sentences:
        following = index.neighbour(chosen[-1])
        if following is None or not uncovered & set(index.snippet_terms[following]):
            break
        chosen.append(following)
        uncovered -= set(index.snippet_terms[following])
    first = in_note_order(chosen, index)[0]
    before = index.neighbour(first, -1)
    leans_back = LEANS_BACK.match(index.snippets[first].text) is not None
    if leans_back and before is not None and before not in chosen:
        chosen.append(before)
    return chosen


def in_note_order(chosen: list[int], index: NotesIndex) -> list[int]:
    """``chosen`` (the best sentence first) in the order its note has them."""
    order = index.note_sentences(chosen[0])
    position = {sid: at for at, sid in enumerate(order)}
    return sorted(chosen, key=lambda sid: position.get(sid, len(order)))
