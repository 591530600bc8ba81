"""Choose the sentences that answer a question, verbatim, or abstain.

The best-ranked snippet is the answer. When it leaves some of the question's terms
uncovered and the next sentence of the same note covers one of them, that sentence
joins the answer (at most ``max_sentences`` in all).

Abstention rule: the *coverage* of the answer is the IDF-weighted share of the
question's distinct terms that occur in the answer sentences or their note's title,
each term weighed by ``BM25Index.smooth_idf`` (a term no note has weighs the most).
Below ``min_coverage`` the reader abstains and names the closest topics instead.

Example:
    >>> reader = ExtractiveReader(min_coverage=0.5)
    >>> answer = reader.read("DeepSeek-V3 参数量?", terms, hits, index)  # doctest: +SKIP
    >>> answer.citations[0].also_in  # doctest: +SKIP
    ['002.txt:5', '003.txt:4']
"""

from __future__ import annotations

from qabot.index import NotesIndex
from qabot.schema import Answer, Citation


class ExtractiveReader:
    """Turns ranked snippets into an :class:`~qabot.schema.Answer` with citations."""

    def __init__(self, min_coverage: float = 0.5, max_sentences: int = 2, top_k: int = 3) -> None:
        self.min_coverage = min_coverage
        self.max_sentences = max_sentences
        self.top_k = top_k

    def read(
        self,
        question: str,
        query_terms: list[str],
        hits: list[tuple[int, float]],
        index: NotesIndex,
        page: int = 0,
    ) -> Answer:
        """Answer from ``hits`` (``(snippet id, score)``, best first); ``page`` > 0 for /more."""
        if not hits:
            return self._abstain(question, index, hits)
        chosen = self._choose(set(query_terms), hits[0][0], index)
        if self.coverage(set(query_terms), chosen, index) < self.min_coverage:
            return self._abstain(question, index, hits)

        scores = dict(hits)
        rest = [sid for sid, _ in hits if sid not in chosen]
        ranked = chosen + _spread_over_notes(rest, index, first=chosen)
        shown = ranked[page * self.top_k : (page + 1) * self.top_k]
        citations = [
            self._cite(n, sid, scores.get(sid) or index.bm25.score(query_terms, sid), index)
            for n, sid in enumerate(shown, start=page * self.top_k + 1)
        ]
        if not citations:
            return Answer(question, "", False, [], notice="No more results.", page=page)
        answer_ids = chosen if page == 0 else shown[:1]
        return Answer(
            question=question,
            answer=" ".join(index.snippets[sid].text for sid in answer_ids),
            abstained=False,
            citations=citations,
            page=page,
            has_more=len(ranked) > (page + 1) * self.top_k,
        )

    def coverage(self, query: set[str], chosen: list[int], index: NotesIndex) -> float:
        """IDF-weighted share of ``query`` found in the chosen snippets and their titles."""
        if not query:
            return 0.0
        found: set[str] = set()
        for sid in chosen:
            found.update(index.snippet_terms[sid])
            found.update(index.title_terms.get(index.snippets[sid].title, ()))
        total = sum(index.bm25.smooth_idf(term) for term in query)
        return sum(index.bm25.smooth_idf(term) for term in query & found) / total

    def _choose(self, query: set[str], best: int, index: NotesIndex) -> list[int]:
        chosen = [best]
        uncovered = query - set(index.snippet_terms[best])
        while uncovered and len(chosen) < self.max_sentences:
            following = index.next_snippet(chosen[-1])
            if following is None or not uncovered & set(index.snippet_terms[following]):
                break
            chosen.append(following)
            uncovered -= set(index.snippet_terms[following])
        return chosen

    def _abstain(self, question: str, index: NotesIndex, hits: list[tuple[int, float]]) -> Answer:
        topics: list[str] = []
        for sid, _ in hits:
            title = index.snippets[sid].title
            if title not in topics:
                topics.append(title)
            if len(topics) == 3:
                break
        return Answer(question, "", True, [], closest_topics=topics)

    @staticmethod
    def _cite(n: int, sid: int, score: float, index: NotesIndex) -> Citation:
        snippet = index.snippets[sid]
        first = snippet.location
        return Citation(
            n=n,
            source=first.source,
            line=first.line,
            title=snippet.title,
            text=snippet.text,
            score=round(score, 4),
            also_in=[str(location) for location in snippet.locations[1:]],
            start=first.start,
            end=first.end,
        )


def _spread_over_notes(ranked: list[int], index: NotesIndex, first: list[int]) -> list[int]:
    """Reorder so each note's best snippet comes before any note's second one.

    The notes of ``first`` (the answer's sentences) count as already shown.
    """
    seen = {index.snippets[sid].note_ids[0]: 0 for sid in first}
    keyed = []
    for rank, sid in enumerate(ranked):
        note = index.snippets[sid].note_ids[0]
        seen[note] = seen.get(note, -1) + 1
        keyed.append((seen[note], rank, sid))
    return [sid for *_, sid in sorted(keyed)]
