"""The abstention rule: how much of a question the evidence for its answer covers.

Coverage is the share of the question's words, each weighed by its IDF over the
snippets (``BM25Index.smooth_idf``), that the evidence holds. The evidence is the
answer's whole note (``coverage_scope="note"``) or only the answer sentences
(``coverage_scope="answer"``), with the note's title either way. Five refinements:

- a term joined by ``-``, ``_`` or ``/`` counts once, and is covered by itself, by its
  parts run together, or by all of its parts (``seed-thinking``, ``SeedThinking``,
  ``seed thinking``); two English words in a row are also covered by their
  run-together form (``anchor free``, ``Anchorfree``), and so are a name and its
  version, which the tokenizer also yields glued (``seedthinkingv1.5``); character
  bigrams are left out, since a question's bigrams that straddle two words are often
  in no note;
- a Chinese word the evidence lacks still earns ``char_credit`` times the share of its
  characters the evidence has, since students paraphrase (准确率 for 正确率);
- with ``inner_words``, a long Chinese word weighs as itself plus the dictionary words
  inside it, as notes are indexed (search mode); lacking it, the evidence earns each
  of them the same character credit. A word the notes never use, made of words they
  never use either, then counts for what it means (红烧肉: 红烧, 烧肉, 红烧肉), so a
  question about it is not taken as covered by its one other word the notes share;
- an English or alphanumeric word that no note has at all weighs
  ``unseen_name_weight`` times more: it is usually a name (``lora``, ``resnet``), the
  strongest sign the notes are about something else;
- a question word the question was widened for (see :mod:`qabot.reader.expansion`:
  the notes' glossary, a dictionary, homophones) is also covered by the terms added
  for it, earning the share of its weight each such term carries (all of it for a
  glossary term or a translation, ``homophone_weight`` for a homophone); the added
  terms are not words of their own. An English word the dictionary knows weighs as a
  word, not a name. And a dictionary translation never carries an answer alone:
  evidence covering no question word but through translations is no evidence
  (capital → 本钱 must not answer "What is the capital of Australia?").

Example:
    >>> meter = CoverageMeter(index, ReaderSettings(coverage_scope="note"))  # doctest: +SKIP
    >>> round(meter.coverage(["deepseek-v3", "参数"], [12]), 2)  # doctest: +SKIP
    1.0
    >>> expansion = Expansion({"硬件": 0.5}, {"hardware": [("硬件", 1.0)]}, {"hardware"})
    >>> meter.coverage(["hardware", "硬件", "设计"], [12], expansion)  # doctest: +SKIP
    1.0
"""

from __future__ import annotations

from qabot.config import ReaderSettings
from qabot.index import NotesIndex
from qabot.reader.expansion import Expansion
from qabot.tokenizer import CJK_CHAR, inner_words, is_bigram, run_together, split_joined


class CoverageMeter:
    """Measures coverage over one index; see the module docstring."""

    def __init__(self, index: NotesIndex, settings: ReaderSettings) -> None:
        self.index = index
        self.settings = settings

    def coverage(
        self, query: list[str], answer: list[int], expansion: Expansion | None = None
    ) -> float:
        """Coverage of ``query`` (question terms) by the evidence of ``answer`` (snippet ids).

        ``expansion`` holds the terms added to the question and what they stand for.
        """
        expansion = expansion or Expansion()
        words = _words([term for term in query if term not in expansion.weights])
        if not words or not answer:
            return 0.0
        found = self.evidence(answer)
        chars = {ch for term in found for ch in term}
        total = covered = own = 0.0
        for word, forms in words.items():
            weight, share = self._weighed(word, forms, found, chars, expansion)
            total += weight
            added = max(
                (credit for term, credit in expansion.forms.get(word, ()) if term in found),
                default=0.0,
            )
            covered += weight * max(share, added)
            # What only a translation covers is no evidence of the notes' own.
            if share >= added or word not in expansion.dictionary_words:
                own += weight * max(share, added)
        return covered / total if own else 0.0

    def _weighed(
        self, word: str, forms: set[str], found: set[str], chars: set[str], expansion: Expansion
    ) -> tuple[float, float]:
        """A question word's weight, and the share of it the evidence ``found`` holds."""
        bm25 = self.index.bm25
        weight = bm25.smooth_idf(word)
        if (
            word not in expansion.dictionary_words
            and not CJK_CHAR.search(word)
            and word not in bm25.vocabulary
        ):
            weight *= self.settings.unseen_name_weight
        share = self._match(word, forms, found, chars)
        inner = self._inner(word)
        if not inner:
            return weight, share
        inner_weights = [bm25.smooth_idf(part) for part in inner]
        if share < 1.0:
            credited = sum(
                part_weight * self._char_credit(part, chars)
                for part, part_weight in zip(inner, inner_weights, strict=True)
            )
            share = (weight * share + credited) / (weight + sum(inner_weights))
        return weight + sum(inner_weights), share

    def evidence(self, answer: list[int]) -> set[str]:
        """The terms of the answer sentences, or of their whole note, and of its title."""
        index = self.index
        first = index.snippets[answer[0]]
        sentences = answer
        if self.settings.coverage_scope == "note":
            sentences = index.note_sentences(answer[0]) or answer
        found = {term for sid in sentences for term in index.snippet_terms[sid]}
        found.update(index.title_terms.get(first.title, ()))
        return found

    def _match(self, word: str, forms: set[str], found: set[str], chars: set[str]) -> float:
        parts = split_joined(word)
        if forms & found or (parts and set(parts) <= found):
            return 1.0
        return self._char_credit(word, chars)

    def _char_credit(self, word: str, chars: set[str]) -> float:
        """``char_credit`` times the share of the word's Chinese characters in ``chars``."""
        han = [ch for ch in word if CJK_CHAR.match(ch)]
        if not han:
            return 0.0
        return self.settings.char_credit * sum(ch in chars for ch in han) / len(han)

    def _inner(self, word: str) -> list[str]:
        if not self.settings.inner_words or not CJK_CHAR.match(word):
            return []
        return inner_words(word)


def _words(query: list[str]) -> dict[str, set[str]]:
    """Each distinct word of a question, with the terms that cover it as well.

    Bigrams are left out. Forms the tokenizer derives are not words of their own but
    alternatives: a joined term's parts and run-together form, and the run-together
    form of two English words in a row (``anchor free`` → ``anchorfree``).
    """
    words = {term for term in query if not is_bigram(term)}
    covers = {word: {word} for word in words}
    derived: set[str] = set()
    for word in words:
        parts = split_joined(word)
        if parts:
            derived.update([*parts, "".join(parts)])
            covers[word].add("".join(parts))
    names = [word for word in words if not CJK_CHAR.search(word)]
    for first in names:
        for second in names:
            pair = run_together(first) + run_together(second)
            if first != second and pair in words:
                derived.add(pair)
                covers[first].add(pair)
                covers[second].add(pair)
    return {word: covers[word] for word in words if word not in derived}
