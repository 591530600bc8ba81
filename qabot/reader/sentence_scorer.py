"""Second stage of reading: score the sentences of the best notes against the question.

Inside a note, the words naming its topic are in many sentences, so they say little
about which sentence answers. Each question term is therefore weighed twice: by its
IDF over all snippets (is it rare in the notes?) and by its *local* IDF over the
note's own sentences (is it rare in this note?). A sentence's score adds up:

- ``note_weight`` × its note's BM25 score divided by the best note's;
- its term coverage: the share of the question's term weight it holds (a character
  bigram weighs ``bigram_weight`` times its IDF, a term added to the question its
  expansion weight times, see :mod:`qabot.reader.expansion`);
- ``char_weight`` × its character coverage: the same for the question's Chinese characters,
  weighed by local IDF, which bridges words written differently (颜色 and 黑色);
- ``title_credit`` × the share of the question's term weight that only its note's heading
  path holds: headings name what the sentences under them are about;
- ``answer_type_weight`` when the sentence gives the kind of answer the question asks
  for (a number, a date, a reason, a definition of the word asked about);
- ``definition_weight`` more when the question asks what something is and the sentence
  opens by defining the question's last word and holds its others ("什么是大模型的量化?",
  "量化是大模型领域中的一项关键技术…"): it is about that word, not one that mentions
  it on the way (asked in English, the word may also be read as the notes' Chinese
  term for it: "What is weight decay?", "权重衰减是一种正则化技术");
- minus ``untyped_penalty`` when the question asks for a number, a date or a title and
  the sentence gives none: it can hardly be the answer;
- ``sentence_bm25_weight`` × its own BM25 score over all snippets, divided by the best among the
  candidates: between sentences holding the same question words it prefers the
  shorter one, where they are the sentence's subject rather than its preamble;
- minus ``restatement_penalty`` when the sentence cannot answer by itself: it adds
  no term to the question's (it only repeats the question), it asks a question
  itself (ends with ?, or an outline's "MHA为什么需要…" without one), it announces
  what follows (ends with a colon: "公式如下：") and gives nothing asked, it is a
  label of a few words with no end mark ("应用 Softmax 函数"), or it is maths alone
  ("$m_t = \\beta_1 m_{t-1} + …$") and the question asks for no formula.

Example:
    >>> scorer = SentenceScorer(index, ReaderSettings(char_weight=1.0))  # doctest: +SKIP
    >>> scorer.rank("花期是什么时候?", ["花期", "时候"], [(4, 12.5)], ranker)[:1]  # doctest: +SKIP
    [(51, 3.21)]
"""

from __future__ import annotations

import math
import re
from collections import Counter

from qabot.config import ReaderSettings
from qabot.index import NotesIndex
from qabot.reader.answer_type import DEFINITION, answer_type
from qabot.reader.expansion import Expansion
from qabot.retriever.note_ranker import NoteRanker
from qabot.tokenizer import CJK_CHAR, WORD_CHAR, is_bigram

# Kinds of answer a sentence either gives or lacks: a number, a date, a title. A reason
# or a definition can be worded in too many ways to tell its absence.
_CHECKABLE = frozenset({"number", "date", "work"})

# A definition is the sentence's topic when the word defined starts this early in it,
# past a label or a setting ("减少过拟合：权重衰减是…", "在优化领域，鞍点是指…").
_OPENING = 16

# Maths in a sentence, and a question asking for a formula rather than what it says.
_MATHS = re.compile(r"\$+[^$]+\$+")
_ASKS_FOR_FORMULA = re.compile(
    r"公式|式子|表达式|怎么算|如何计算|怎么计算|\b(?:formula|equation)s?\b", re.IGNORECASE
)

# A sentence that asks, announces or labels rather than answers.
_UNANSWERING = re.compile(
    r"[?？:：]\s*$"
    # a question left without its question mark, as outlines write them
    r"|^(?!.*[。！!；;.]\s*$).*(?:为什么|为何|如何|怎么|怎样|\bwhy\b|\bhow\b)"
    # a label, caption or outline step: a few words and no end mark
    r"|^(?!.*[。！!；;.]\s*$).{1,15}$",
    re.IGNORECASE,
)


class SentenceScorer:
    """Ranks the sentences of the top notes; see the module docstring for the score."""

    def __init__(self, index: NotesIndex, settings: ReaderSettings) -> None:
        self.index = index
        self.settings = settings
        self._terms: dict[int, frozenset[str]] = {}
        self._chars: dict[int, frozenset[str]] = {}
        self._texts: dict[int, str] = {}

    def rank(
        self,
        question: str,
        query: list[str],
        notes: list[tuple[int, float]],
        ranker: NoteRanker,
        expansion: Expansion | None = None,
    ) -> list[tuple[int, float]]:
        """``(snippet id, score)`` for every sentence of ``notes``, best first.

        ``notes`` are ``(document, BM25 score)`` pairs from :class:`NoteRanker`, best
        first; ties keep the better note and the earlier sentence first. ``expansion``
        holds the terms added to the question, with their weights (1 for any other
        term) and the question words they stand for.
        """
        expansion = expansion or Expansion()
        weights = expansion.weights
        if not notes:
            return []
        terms = frozenset(query)
        chars = frozenset(ch for term in terms for ch in term if CJK_CHAR.match(ch))
        idf = {
            term: self.index.bm25.smooth_idf(term)
            * (self.settings.bigram_weight if is_bigram(term) else 1)
            * weights.get(term, 1.0)
            for term in terms
        }
        kind = answer_type(question)
        wants_formula = _ASKS_FOR_FORMULA.search(question) is not None
        subject = [term for term in terms if not is_bigram(term)]
        defined = asked_words(query, expansion)
        best_note = notes[0][1]
        bm25 = self._bm25(query, [sid for doc, _ in notes for sid in ranker.snippets_of(doc)])
        scores: dict[int, float] = {}
        for doc, note_score in notes:
            sentences = ranker.snippets_of(doc)
            term_weight = self._weights(terms, [self.terms(s) for s in sentences], idf)
            char_weight = self._weights(chars, [self.chars(s) for s in sentences], {})
            base = self.settings.note_weight * note_score / best_note
            heading = self._heading(ranker, doc)
            for sid in sentences:
                held = self.terms(sid)
                score = base + _share(term_weight, held)
                score += self.settings.title_credit * _share(term_weight, heading - held)
                if self.settings.char_weight:
                    score += self.settings.char_weight * _share(char_weight, self.chars(sid))
                text = self.text(sid)
                typed = kind is not None and kind.matches(text, subject)
                if typed:
                    score += self.settings.answer_type_weight
                    if kind is DEFINITION and self.defines(sid, defined):
                        score += self.settings.definition_weight
                elif kind is not None and kind.name in _CHECKABLE:
                    score -= self.settings.untyped_penalty
                # A sentence ending in a colon announces; unless it gives what is asked.
                if (
                    not self.terms(sid) - terms
                    or (_UNANSWERING.search(text) and not typed)
                    or (_formula_only(text) and not wants_formula)
                ):
                    score -= self.settings.restatement_penalty
                score += bm25.get(sid, 0.0)
                if score > scores.get(sid, -math.inf):
                    scores[sid] = score
        order = {sid: rank for rank, sid in enumerate(scores)}
        return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))

    def defines(self, sid: int, readings: list[list[str]]) -> bool:
        """Whether snippet ``sid`` opens by defining the last word of one of ``readings``
        (the head of what a question asks about, see :func:`asked_words`) and holds the
        others ("量化是大模型领域中…")."""
        return any(
            words
            and set(words) <= self.terms(sid)
            and DEFINITION.matches(self.text(sid), words[-1:], _OPENING)
            for words in readings
        )

    def _heading(self, ranker: NoteRanker, doc: int) -> frozenset[str]:
        """The terms of a note's title: its heading path, which names what the note's
        sentences are about without them repeating it."""
        title = self.index.notes.title(int(ranker.first_note[doc]))
        return self.index.title_terms.get(title, frozenset())

    def terms(self, sid: int) -> frozenset[str]:
        """The distinct terms of snippet ``sid``."""
        found = self._terms.get(sid)
        if found is None:
            found = self._terms[sid] = frozenset(self.index.snippet_terms[sid])
        return found

    def text(self, sid: int) -> str:
        """Snippet ``sid``'s text (kept: a note's sentences are scored again and again)."""
        found = self._texts.get(sid)
        if found is None:
            found = self._texts[sid] = self.index.snippets[sid].text
        return found

    def chars(self, sid: int) -> frozenset[str]:
        """The Chinese characters of snippet ``sid``'s terms (folded, stopwords dropped)."""
        found = self._chars.get(sid)
        if found is None:
            found = self._chars[sid] = frozenset(
                ch for term in self.terms(sid) for ch in term if CJK_CHAR.match(ch)
            )
        return found

    def _bm25(self, query: list[str], sentences: list[int]) -> dict[int, float]:
        """``sentence_bm25_weight`` × each sentence's BM25 score as a share of the best one's."""
        weight = self.settings.sentence_bm25_weight
        if not weight:
            return {}
        scores = {sid: self.index.bm25.score(query, sid) for sid in set(sentences)}
        best = max(scores.values(), default=0.0)
        return {sid: weight * score / best for sid, score in scores.items()} if best else {}

    def _weights(
        self, items: frozenset[str], sentences: list[frozenset[str]], idf: dict[str, float]
    ) -> dict[str, float]:
        """Each item's weight: its IDF (1 if not given) times its local IDF in ``sentences``."""
        if not self.settings.local_idf:
            return {item: idf.get(item, 1.0) for item in items}
        count = len(sentences)
        df = Counter(item for sentence in sentences for item in sentence & items)
        return {
            item: idf.get(item, 1.0) * math.log(1 + (count - df[item] + 0.5) / (df[item] + 0.5))
            for item in items
        }


def _formula_only(text: str) -> bool:
    """A sentence of maths alone ("$m_t = \\beta_1 m_{t-1} + …$"): it gives a formula,
    not a fact said in words."""
    return "$" in text and not WORD_CHAR.search(_MATHS.sub("", text))


def asked_words(query: list[str], expansion: Expansion) -> list[list[str]]:
    """What a question asks about, read two ways: its own words, in order (no bigram, no
    term added to the question, no run-together form of two of its words: ``kv cache``
    also yields ``kvcache``); and those words with each word the question was widened
    for replaced by the terms that fully stand for it, as the notes write it
    (weight decay → 权重, 衰减)."""
    added = expansion.weights
    words = [term for term in dict.fromkeys(query) if not is_bigram(term) and term not in added]
    pairs = {first + second for first in words for second in words if first != second}
    own = [word for word in words if word not in pairs]
    translated = list(dict.fromkeys(term for word in own for term in _stands_for(word, expansion)))
    return [own, translated] if translated != own else [own]


def _stands_for(word: str, expansion: Expansion) -> list[str]:
    """The words added to the question that fully stand for ``word``, or the word."""
    full = [
        term
        for term, credit in expansion.forms.get(word, ())
        if credit == 1.0 and not is_bigram(term)
    ]
    return full or [word]


def _share(weights: dict[str, float], found: frozenset[str]) -> float:
    total = sum(weights.values())
    return sum(w for item, w in weights.items() if item in found) / total if total else 0.0
