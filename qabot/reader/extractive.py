"""Choose the sentences that answer a question, verbatim, or abstain.

Reading takes two stages. :class:`~qabot.retriever.note_ranker.NoteRanker` ranks whole
notes with BM25; :class:`~qabot.reader.sentence_scorer.SentenceScorer` then scores the
sentences of the best ``candidate_notes`` notes, combining their note's score with
how much of the question each sentence holds. The best sentence is the answer. A
sentence of the same note scoring within ``runner_up_margin`` of it joins the answer,
since the scores cannot tell the two apart; otherwise, when the answer leaves some of
the question's terms uncovered and the next sentence of the same note covers one of
them, that sentence joins (at most ``max_sentences`` in all).
With ``candidate_notes = 0`` the retriever's sentence ranking is used as it is.

English words of the question that the notes lack are first translated, up to
``translations`` Chinese words each, from CC-CEDICT (:mod:`qabot.reader.glossary`),
and the translations the notes hold join the question's terms.

Abstention rule: the *coverage* of the answer is the IDF-weighted share of the
question's words found in the answer's note and its title (see
:mod:`qabot.reader.coverage`). Below ``min_coverage`` the reader abstains and names the
closest topics instead.

Example:
    >>> reader = ExtractiveReader(ReaderSettings(min_coverage=0.5), RetrieverSettings())
    >>> answer = reader.read("DeepSeek-V3 参数量?", terms, hits, index)  # doctest: +SKIP
    >>> answer.citations[0].also_in  # doctest: +SKIP
    ['002.txt:5', '003.txt:4']
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from qabot.build.matrices import note_matrix_for
from qabot.config import ReaderSettings, RetrieverSettings
from qabot.index import NotesIndex
from qabot.reader.coverage import CoverageMeter
from qabot.reader.glossary import Glossary, default_glossary, expand
from qabot.reader.sentence_scorer import SentenceScorer
from qabot.retriever.note_ranker import NoteParams, NoteRanker
from qabot.schema import Answer, Citation


class ExtractiveReader:
    """Turns a question and its ranked snippets into an :class:`~qabot.schema.Answer`.

    Built from its own settings: ``[reader]``, and ``[retriever]`` for ``top_k`` and the
    note ranker's BM25 parameters. ``glossary`` is looked up only when a question has an
    English word the notes lack (default: CC-CEDICT).
    """

    def __init__(
        self,
        settings: ReaderSettings,
        retriever: RetrieverSettings,
        glossary: Glossary | None = None,
    ) -> None:
        self.settings = settings
        self.top_k = retriever.top_k
        self.note_params = NoteParams.from_settings(retriever, settings)
        self.glossary = glossary
        self._stages: tuple[NotesIndex, NoteRanker, SentenceScorer] | None = None
        self._meter: CoverageMeter | None = None

    def read(
        self,
        question: str,
        query_terms: list[str],
        hits: list[tuple[int, float]],
        index: NotesIndex,
        page: int = 0,
        context_terms: Sequence[str] = (),
    ) -> Answer:
        """Answer from ``hits`` (``(snippet id, score)``, best first); ``page`` > 0 for /more.

        ``context_terms`` (an earlier question's, for a follow-up) join the ranking of
        notes at half the weight of ``query_terms``; sentences are scored, and coverage
        measured, on ``query_terms`` alone.
        """
        translated = self._translate(query_terms, index)
        query_terms = query_terms + [t for terms in translated.values() for t in terms]
        ranked, sentence_scores = self._rank_scored(
            question, query_terms, hits, index, context_terms
        )
        if not ranked:
            return self._abstain(question, index, [])
        chosen = self._choose(set(query_terms), ranked, sentence_scores, index)
        meter = self._meter_for(index)
        if meter.coverage(query_terms, chosen, translated) < self.settings.min_coverage:
            return self._abstain(question, index, ranked)

        scores = dict(hits)
        ranked = chosen + [sid for sid in ranked if sid not in chosen]
        shown = ranked[page * self.top_k : (page + 1) * self.top_k]
        citations = [
            self._cite(n, sid, scores.get(sid) or index.bm25.score(query_terms, sid), index)
            for n, sid in enumerate(shown, start=page * self.top_k + 1)
        ]
        if not citations:
            # Past the last page there is nothing to quote: an empty answer is an abstention.
            return Answer(question, "", True, [], notice="No more results.", page=page)
        answer_ids = chosen if page == 0 else shown[:1]
        return Answer(
            question=question,
            answer=" ".join(index.snippets[sid].text for sid in answer_ids),
            abstained=False,
            citations=citations,
            page=page,
            has_more=len(ranked) > (page + 1) * self.top_k,
        )

    def _rank_scored(
        self,
        question: str,
        query_terms: list[str],
        hits: list[tuple[int, float]],
        index: NotesIndex,
        context_terms: Sequence[str] = (),
    ) -> tuple[list[int], dict[int, float]]:
        """Snippet ids, best first (the sentences of the top notes, then the other hits),
        and the sentence score of each sentence of the top notes."""
        if self.settings.candidate_notes == 0:
            return [sid for sid, _ in hits], {}
        ranker, scorer = self._stages_for(index)
        # BM25 adds up its terms' scores: the question's own twice weighs the context half.
        note_query = query_terms * 2 + list(context_terms) if context_terms else query_terms
        notes = ranker.top(note_query, self.settings.candidate_notes)
        scores = dict(scorer.rank(question, query_terms, notes, ranker))
        return list(scores) + [sid for sid, _ in hits if sid not in scores], scores

    def _translate(self, query_terms: list[str], index: NotesIndex) -> dict[str, list[str]]:
        limit = self.settings.translations
        if not limit:
            return {}
        glossary = self.glossary or default_glossary()
        return expand(query_terms, index.bm25.vocabulary, glossary, limit)

    def _meter_for(self, index: NotesIndex) -> CoverageMeter:
        if self._meter is None or self._meter.index is not index:
            self._meter = CoverageMeter(index, self.settings)
        return self._meter

    def _stages_for(self, index: NotesIndex) -> tuple[NoteRanker, SentenceScorer]:
        # Kept: the reader serves one index at a time.
        if self._stages is None or self._stages[0] is not index:
            arrays = note_matrix_for(index.arrays, self.note_params)
            ranker = NoteRanker(arrays, index.note_snippets)
            self._stages = (index, ranker, SentenceScorer(index, self.settings))
        return self._stages[1], self._stages[2]

    def _choose(
        self, query: set[str], ranked: list[int], scores: dict[int, float], index: NotesIndex
    ) -> list[int]:
        """The answer's sentences: the best, maybe a runner-up, then following ones.

        The runner-up is the next-ranked sentence of the best one's note if it scores
        within ``runner_up_margin`` of it; following sentences join while they hold
        question terms the answer lacks.
        """
        best = ranked[0]
        chosen = [best]
        margin = self.settings.runner_up_margin
        if margin and best in scores and self.settings.max_sentences > 1:
            note = set(index.note_snippets.get(index.snippets[best].note_ids[0], ()))
            for sid in ranked[1:]:
                if scores.get(sid, -math.inf) < scores[best] - margin:
                    break
                if sid in note:
                    chosen.append(sid)
                    break
        uncovered = query - {term for sid in chosen for term in index.snippet_terms[sid]}
        while uncovered and len(chosen) < self.settings.max_sentences:
            following = index.next_snippet(chosen[-1])
            if following is None or not uncovered & set(index.snippet_terms[following]):
                break
            chosen.append(following)
            uncovered -= set(index.snippet_terms[following])
        return chosen

    def _abstain(self, question: str, index: NotesIndex, ranked: list[int]) -> Answer:
        topics: list[str] = []
        for sid in ranked:
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
