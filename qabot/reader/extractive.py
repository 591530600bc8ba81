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
    >>> reader = ExtractiveReader(min_coverage=0.5)
    >>> answer = reader.read("DeepSeek-V3 参数量?", terms, hits, index)  # doctest: +SKIP
    >>> answer.citations[0].also_in  # doctest: +SKIP
    ['002.txt:5', '003.txt:4']
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from qabot.config import Settings
from qabot.index import NotesIndex
from qabot.reader.coverage import CoverageMeter, CoverageRule
from qabot.reader.glossary import Glossary, default_glossary, expand
from qabot.reader.sentence_scorer import SentenceScorer, SentenceWeights
from qabot.retriever.note_ranker import NoteParams, NoteRanker
from qabot.schema import Answer, Citation


class ExtractiveReader:
    """Turns a question and its ranked snippets into an :class:`~qabot.schema.Answer`."""

    def __init__(
        self,
        min_coverage: float = 0.5,
        max_sentences: int = 2,
        top_k: int = 3,
        candidate_notes: int = 3,
        weights: SentenceWeights | None = None,
        note_bm25: tuple[float, float, float] = (1.5, 0.75, 0.25),
        title_repeats: int = 0,
        coverage_rule: CoverageRule | None = None,
        translations: int = 0,
        glossary: Glossary | None = None,
        runner_up_margin: float = 0.0,
    ) -> None:
        self.min_coverage = min_coverage
        self.max_sentences = max_sentences
        self.top_k = top_k
        self.candidate_notes = candidate_notes
        self.weights = weights or SentenceWeights()
        self.note_bm25 = note_bm25
        self.title_repeats = title_repeats
        self.coverage_rule = coverage_rule or CoverageRule()
        self.translations = translations
        # Looked up only when a question has an English word the notes lack.
        self.glossary = glossary
        self.runner_up_margin = runner_up_margin
        self._stages: tuple[NotesIndex, NoteRanker, SentenceScorer] | None = None
        self._meter: CoverageMeter | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractiveReader:
        """The reader the ``reader`` and ``retriever`` settings describe."""
        reader, retriever = settings.reader, settings.retriever
        return cls(
            min_coverage=reader.min_coverage,
            max_sentences=reader.max_sentences,
            top_k=retriever.top_k,
            candidate_notes=reader.candidate_notes,
            weights=SentenceWeights(
                note=reader.note_weight,
                bigrams=reader.bigram_weight,
                local_idf=reader.local_idf,
                chars=reader.char_weight,
                answer_type=reader.answer_type_weight,
                restatement=reader.restatement_penalty,
                bm25=reader.sentence_bm25_weight,
            ),
            note_bm25=(retriever.k1, retriever.b, retriever.epsilon),
            title_repeats=reader.title_repeats,
            coverage_rule=CoverageRule(
                scope=reader.coverage_scope,
                char_credit=reader.char_credit,
                unseen_name_weight=reader.unseen_name_weight,
            ),
            translations=reader.translations,
            runner_up_margin=reader.runner_up_margin,
        )

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
        if meter.coverage(query_terms, chosen, translated) < self.min_coverage:
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

    def rank(
        self,
        question: str,
        query_terms: list[str],
        hits: list[tuple[int, float]],
        index: NotesIndex,
    ) -> list[int]:
        """Snippet ids, best first: the sentences of the top notes, then the other hits."""
        return self._rank_scored(question, query_terms, hits, index)[0]

    def _rank_scored(
        self,
        question: str,
        query_terms: list[str],
        hits: list[tuple[int, float]],
        index: NotesIndex,
        context_terms: Sequence[str] = (),
    ) -> tuple[list[int], dict[int, float]]:
        """:meth:`rank`, and the sentence score of each sentence of the top notes."""
        if self.candidate_notes == 0:
            return [sid for sid, _ in hits], {}
        ranker, scorer = self._stages_for(index)
        # BM25 adds up its terms' scores: the question's own twice weighs the context half.
        note_query = query_terms * 2 + list(context_terms) if context_terms else query_terms
        notes = ranker.top(note_query, self.candidate_notes)
        scores = dict(scorer.rank(question, query_terms, notes, ranker))
        return list(scores) + [sid for sid, _ in hits if sid not in scores], scores

    def _translate(self, query_terms: list[str], index: NotesIndex) -> dict[str, list[str]]:
        if not self.translations:
            return {}
        glossary = self.glossary or default_glossary()
        return expand(query_terms, index.bm25.vocabulary, glossary, self.translations)

    def _meter_for(self, index: NotesIndex) -> CoverageMeter:
        if self._meter is None or self._meter.index is not index:
            self._meter = CoverageMeter(index, self.coverage_rule)
        return self._meter

    def _stages_for(self, index: NotesIndex) -> tuple[NoteRanker, SentenceScorer]:
        # Kept: the reader serves one index at a time.
        if self._stages is None or self._stages[0] is not index:
            params = NoteParams(*self.note_bm25, self.title_repeats, self.weights.bigrams)
            ranker = NoteRanker.for_index(index, params)
            self._stages = (index, ranker, SentenceScorer(index, self.weights))
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
        if self.runner_up_margin and best in scores and self.max_sentences > 1:
            note = set(index.note_snippets.get(index.snippets[best].note_ids[0], ()))
            for sid in ranked[1:]:
                if scores.get(sid, -math.inf) < scores[best] - self.runner_up_margin:
                    break
                if sid in note:
                    chosen.append(sid)
                    break
        uncovered = query - {term for sid in chosen for term in index.snippet_terms[sid]}
        while uncovered and len(chosen) < self.max_sentences:
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
