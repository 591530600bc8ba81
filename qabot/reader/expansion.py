"""Widen a question's words before reading: the notes' glossary, a dictionary, homophones.

Three sources, in this order, each only for what the ones before left open:

1. the notes' own glossary (:mod:`qabot.build.note_glossary`): an English term the
   notes pair with Chinese (weight decay → 权重衰减) brings the Chinese terms, at full
   weight, since the notes themselves say so;
2. CC-CEDICT (:mod:`qabot.reader.glossary`), for English words the notes lack (in a
   question asked in English, those they hold as well) and the glossary doesn't know:
   up to ``translations`` Chinese words the notes hold, at ``dictionary_weight``, since
   a dictionary's first sense is often not the notes' one (capital → 资金);
3. homophones (:mod:`qabot.reader.homophones`), for Chinese words and bigrams the
   notes lack: the notes' words read the same but for one character, at
   ``homophone_weight``.

Each added term counts with its weight when notes and sentences are ranked, and stands
for the question word it came from when the abstention rule measures coverage (see
:mod:`qabot.reader.coverage`): a glossary term or a translation covers the word, a
homophone covers ``homophone_weight`` of it (a guess at what was meant).

Example:
    >>> expansion = expand_query("What is weight decay?", ["weight", "decay"], index, settings,
    ...                          sources)  # doctest: +SKIP
    >>> expansion.weights  # doctest: +SKIP
    {'权重': 1.0, '衰减': 1.0, '权重²': 1.0, '重衰²': 1.0, '衰减²': 1.0}
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from qabot.config import ReaderSettings
from qabot.reader.glossary import Glossary, expand
from qabot.reader.homophones import Homophones
from qabot.retriever.note_glossary import NoteGlossary
from qabot.tokenizer import CJK_CHAR, is_bigram


@dataclass(frozen=True, slots=True)
class Sources:
    """Where expansions come from; a source left ``None`` is not asked."""

    note_glossary: NoteGlossary | None = None
    dictionary: Glossary | None = None
    homophones: Homophones | None = None
    # The Chinese characters of the notes: a homophone must be made of them.
    characters: Collection[str] | None = None
    # In how many snippets a word is: of a dictionary's equally principal translations,
    # the notes' most used one is taken.
    usage: Callable[[str], int] | None = None


@dataclass(slots=True)
class Expansion:
    """Terms added to a question and what each stands for.

    ``weights`` maps each added term to the weight it counts with in ranking;
    ``forms`` maps a question word to ``(added term, credit)`` pairs, the credit being
    the share of the word's weight the term earns it as evidence; ``dictionary_words``
    are the English words only the dictionary knows (words, not unknown names).
    """

    weights: dict[str, float] = field(default_factory=dict)
    forms: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    dictionary_words: set[str] = field(default_factory=set)

    def add(
        self, word: str, terms: Collection[str], weight: float, credit: float, query: set[str]
    ) -> None:
        """Let ``terms`` stand for ``word``; a term of the question keeps its own weight."""
        for term in terms:
            self.forms.setdefault(word, []).append((term, credit))
            if term not in query:
                self.weights[term] = max(weight, self.weights.get(term, 0.0))


def expand_query(
    question: str,
    query: list[str],
    vocabulary: Collection[str],
    settings: ReaderSettings,
    sources: Sources,
) -> Expansion:
    """The expansion of ``query`` (the terms of ``question``) over notes whose terms are
    ``vocabulary``."""
    expansion = Expansion()
    asked = set(query)
    in_english = not CJK_CHAR.search(question)
    # A question asked in Chinese already uses the notes' words for what it asks: its
    # English terms are names the notes write in English too ("LoRA 的 rank 设多少").
    if sources.note_glossary is not None and in_english:
        for english, terms in sources.note_glossary.expand(query).items():
            for word in english.split():
                expansion.add(word, terms, 1.0, 1.0, asked)
    if sources.dictionary is not None and settings.translations:
        open_words = [term for term in query if term not in expansion.forms]
        limit = settings.translations
        # Chinese notes hold English words as names and glosses ("Weights 仅权重量化"):
        # an English question's words are translated even when the notes hold them.
        found = expand(
            open_words,
            vocabulary,
            sources.dictionary,
            limit,
            known_too=in_english,
            usage=sources.usage,
        )
        for word, terms in found.items():
            if word not in vocabulary:
                expansion.dictionary_words.add(word)
            expansion.add(word, terms, settings.dictionary_weight, 1.0, asked)
    if sources.homophones is not None and settings.homophone_weight:
        for term in dict.fromkeys(query):
            if _chinese(term) and term not in vocabulary:
                found = sources.homophones.alike(term, vocabulary.__contains__, sources.characters)
                weight = settings.homophone_weight
                expansion.add(term, found, weight, weight, asked)
    return expansion


def _chinese(term: str) -> bool:
    """A Chinese word of two characters or more, or a bigram."""
    word = term[:-1] if is_bigram(term) else term
    return len(word) >= 2 and all(CJK_CHAR.match(char) for char in word)
