"""Choose the sentences that answer a question, verbatim, or abstain.

Reading takes two stages. :class:`~qabot.retriever.note_ranker.NoteRanker` ranks whole
notes with BM25; :class:`~qabot.reader.sentence_scorer.SentenceScorer` then scores the
sentences of the best ``candidate_notes`` notes, combining their note's score with
how much of the question each sentence holds. The best sentence is the answer, with
the sentences :mod:`qabot.reader.quote` adds to it: a runner-up of its note the scores
cannot tell apart from it, the next ones while they hold question terms it lacks, and
the one before when the first leans on it ("而…", "因此…").
With ``candidate_notes = 0`` the retriever's sentence ranking is used as it is.

The question is first widened (:mod:`qabot.reader.expansion`): English terms the
notes themselves pair with Chinese bring the Chinese terms; other English words the
notes lack are translated from CC-CEDICT; Chinese words the notes lack meet the notes'
words read the same. Added terms count with their weight when notes and sentences
are ranked: a dictionary's or a homophone's less than the question's own words.

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

from collections.abc import Callable, Mapping, Sequence

from qabot.build.matrices import note_matrix_for
from qabot.config import ReaderSettings, RetrieverSettings
from qabot.index import NotesIndex
from qabot.reader.answer_type import DEFINITION, answer_type
from qabot.reader.code_notes import CodeNotes, request_words
from qabot.reader.coverage import CoverageMeter
from qabot.reader.expansion import Expansion, Sources, expand_query
from qabot.reader.glossary import Glossary, default_glossary
from qabot.reader.homophones import Homophones, default_homophones
from qabot.reader.quote import choose_sentences, in_note_order
from qabot.reader.sentence_scorer import SentenceScorer, asked_words
from qabot.retriever.note_glossary import NoteGlossary
from qabot.retriever.note_ranker import NoteParams, NoteRanker
from qabot.schema import Answer, Citation
from qabot.tokenizer import CJK_CHAR


class ExtractiveReader:
    """Turns a question and its ranked snippets into an :class:`~qabot.schema.Answer`.

    Built from its own settings: ``[reader]``, and ``[retriever]`` for ``top_k`` and the
    note ranker's BM25 parameters. ``glossary`` is looked up only when a question has an
    English word the notes lack (default: CC-CEDICT), ``homophones`` only when it has a
    Chinese word they lack (default: pypinyin's readings).
    """

    def __init__(
        self,
        settings: ReaderSettings,
        retriever: RetrieverSettings,
        glossary: Glossary | None = None,
        homophones: Homophones | None = None,
    ) -> None:
        self.settings = settings
        self.top_k = retriever.top_k
        self.note_params = NoteParams.from_settings(retriever, settings)
        self.glossary = glossary
        self.homophones = homophones
        self._stages: tuple[NotesIndex, NoteRanker, SentenceScorer, CodeNotes] | None = None
        self._meter: CoverageMeter | None = None
        self._sources: tuple[NotesIndex, NoteGlossary, frozenset[str]] | None = None

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
        expansion = self._expand(question, query_terms, index)
        query_terms = query_terms + list(expansion.weights)
        ranked, sentence_scores = self._rank_scored(
            question, query_terms, hits, index, expansion, context_terms
        )
        if not ranked:
            return self._abstain(question, index, [])
        chosen = choose_sentences(set(query_terms), ranked, sentence_scores, index, self.settings)
        meter = self._meter_for(index)
        if self._stages_for(index)[2].is_code(chosen[0]):
            # The words asking for code are the request, not what the code must hold.
            asked = request_words(question)
            query_terms = [term for term in query_terms if term not in asked]
        if meter.coverage(query_terms, chosen, expansion) < self.settings.min_coverage:
            return self._abstain(question, index, ranked)

        scores = dict(hits)
        ranked = chosen + [sid for sid in ranked if sid not in chosen]
        shown = ranked[page * self.top_k : (page + 1) * self.top_k]
        kinds = self._stages_for(index)[2]
        citations = [
            self._cite(n, sid, scores.get(sid) or index.bm25.score(query_terms, sid), index, kinds)
            for n, sid in enumerate(shown, start=page * self.top_k + 1)
        ]
        if not citations:
            # Past the last page there is nothing to quote: an empty answer is an abstention.
            return Answer(question, "", True, [], notice="No more results.", page=page)
        answer_ids = in_note_order(chosen, index) if page == 0 else shown[:1]
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
        expansion: Expansion,
        context_terms: Sequence[str] = (),
    ) -> tuple[list[int], dict[int, float]]:
        """Snippet ids, best first (the sentences of the top notes, then the other hits),
        and the sentence score of each sentence of the top notes.

        Code takes part only when the question asks for code, and then the code
        snippets of the top notes come first, as the kind of answer asked for.
        """
        ranker, scorer, code = self._stages_for(index)
        wants_code = code.asks_for_code(question)
        others = [sid for sid, _ in hits if wants_code or not code.is_code(sid)]
        if self.settings.candidate_notes == 0:
            return others, {}

        def allowed(document: int) -> bool:
            return wants_code or not code.note_is_code[int(ranker.first_note[document])]

        k = self.settings.candidate_notes
        # BM25 adds up its terms' scores: the question's own twice weighs the context half.
        note_query = query_terms * 2 + list(context_terms) if context_terms else query_terms
        if self.settings.definition_weight and answer_type(question) is DEFINITION:
            # Note BM25 favours short notes; the defining sentence may sit in a long one.
            words = asked_words(query_terms, expansion)
            pool = _top_notes(ranker, note_query, expansion.weights, 4 * k, allowed)
            notes = pool[:k] + [
                (doc, score)
                for doc, score in pool[k:]
                if any(scorer.defines(sid, words) for sid in ranker.snippets_of(doc))
            ]
        else:
            notes = _top_notes(ranker, note_query, expansion.weights, k, allowed)
        ranked = scorer.rank(question, query_terms, notes, ranker, expansion)
        if wants_code:  # stable: each kind keeps its order
            ranked.sort(key=lambda item: not code.is_code(item[0]))
        scores = dict(ranked)
        return list(scores) + [sid for sid in others if sid not in scores], scores

    def _expand(self, question: str, query_terms: list[str], index: NotesIndex) -> Expansion:
        settings = self.settings
        if self._sources is None or self._sources[0] is not index:
            # Both made once per index, on its first question.
            vocabulary = index.arrays.corpus.terms.data.tobytes().decode()
            characters = frozenset(char for char in set(vocabulary) if CJK_CHAR.match(char))
            self._sources = (index, NoteGlossary(index.arrays.glossary), characters)
        sources = Sources(
            note_glossary=self._sources[1] if settings.note_glossary else None,
            dictionary=self.glossary or default_glossary(),
            homophones=self.homophones or default_homophones(),
            characters=self._sources[2],
            usage=index.bm25.document_frequency,
        )
        return expand_query(question, query_terms, index.bm25.vocabulary, settings, sources)

    def _meter_for(self, index: NotesIndex) -> CoverageMeter:
        if self._meter is None or self._meter.index is not index:
            self._meter = CoverageMeter(index, self.settings)
        return self._meter

    def _stages_for(self, index: NotesIndex) -> tuple[NoteRanker, SentenceScorer, CodeNotes]:
        # Kept: the reader serves one index at a time.
        if self._stages is None or self._stages[0] is not index:
            arrays = note_matrix_for(index.arrays, self.note_params)
            ranker = NoteRanker(arrays, index.note_snippets)
            scorer = SentenceScorer(index, self.settings)
            self._stages = (index, ranker, scorer, CodeNotes(index))
        return self._stages[1], self._stages[2], self._stages[3]

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
    def _cite(n: int, sid: int, score: float, index: NotesIndex, kinds: CodeNotes) -> Citation:
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
            kind=kinds.kind_of(sid),
        )


def _top_notes(
    ranker: NoteRanker,
    query: list[str],
    weights: Mapping[str, float],
    k: int,
    allowed: Callable[[int], bool],
) -> list[tuple[int, float]]:
    """The ``k`` best notes ``allowed`` for ``query``, a term counting ``weights[term]``
    times (1 if not given): the best of each weight's top notes, scored whole."""
    pool = max(4 * k, 20)
    light: dict[float, list[str]] = {}
    for term in query:
        if (weight := weights.get(term, 1.0)) < 1.0:
            light.setdefault(weight, []).append(term)
    if light:
        full = [term for term in query if weights.get(term, 1.0) >= 1.0]
        parts = [full, *light.values()]
        found = {doc for part in parts for doc, _ in ranker.top(part, pool)}
        # BM25 adds up its terms' scores: each weight's terms are scored together.
        scored = [
            (
                doc,
                ranker.bm25.score(full, doc)
                + sum(w * ranker.bm25.score(terms, doc) for w, terms in light.items()),
            )
            for doc in found
        ]
        scored.sort(key=lambda item: (-item[1], item[0]))
    else:
        scored = ranker.top(query, pool)
    return [(doc, score) for doc, score in scored if score > 0 and allowed(doc)][:k]
