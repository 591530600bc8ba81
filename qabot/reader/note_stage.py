"""First stage of reading: rank whole notes with BM25, before choosing a sentence.

Retrieving the right note is much easier than retrieving the right sentence: a note
holds the topic's name and its context, the answer sentence often holds neither. So
notes are ranked first, over documents made of their snippets' terms; notes with the
same snippets (copies of a note in several files) are one document, so copies do not
lower a term's IDF. Built from what :class:`~qabot.index.NotesIndex` already holds.

Words and character bigrams are ranked apart and the bigram score is added times
``bigram_weight``: a four-character word brings three bigrams, and at full weight
would outweigh an English name, which brings none.

Example:
    >>> ranker = NoteRanker(index)  # doctest: +SKIP
    >>> ranker.top(["deepseek-v3", "参数"], 2)  # doctest: +SKIP
    [(2, 14.71), (0, 3.05)]
    >>> ranker.snippets[2][:3]  # doctest: +SKIP
    [18, 19, 20]
"""

from __future__ import annotations

import numpy as np

from qabot.index import NotesIndex
from qabot.retriever.bm25 import BM25Index
from qabot.tokenizer import is_bigram


class NoteRanker:
    """BM25 over the distinct notes of an index; ``snippets[doc]`` in reading order.

    ``title_repeats`` adds each note's title terms that many times to its document,
    so a match in the title counts more (0: the title counts only where the text has it).
    """

    # One index for words, one for bigrams; a sum of their scores ranks the notes.

    def __init__(
        self,
        index: NotesIndex,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
        title_repeats: int = 0,
        bigram_weight: float = 1.0,
    ) -> None:
        self.index = index
        self.bigram_weight = bigram_weight
        self.snippets: list[list[int]] = []
        self.titles: list[str] = []
        self.doc_of_note: dict[int, int] = {}
        documents: list[list[str]] = []
        seen: dict[tuple[int, ...], int] = {}
        for note in index.notes:
            sequence = index.note_snippets.get(note.id)
            if not sequence:
                continue
            key = tuple(sequence)
            if key not in seen:
                seen[key] = len(documents)
                self.snippets.append(sequence)
                self.titles.append(note.title)
                title = sorted(index.title_terms.get(note.title, ())) * title_repeats
                documents.append([t for sid in sequence for t in index.snippet_terms[sid]] + title)
            self.doc_of_note[note.id] = seen[key]
        words = [[t for t in doc if not is_bigram(t)] for doc in documents]
        bigrams = [[t for t in doc if is_bigram(t)] for doc in documents]
        self.words = BM25Index(words, k1, b, epsilon)
        self.bigrams = BM25Index(bigrams, k1, b, epsilon) if any(bigrams) else None

    def top(self, query: list[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best ``(document, score)`` pairs with a positive score, best first."""
        scores = self.words.get_scores([t for t in query if not is_bigram(t)])
        if self.bigrams is not None and self.bigram_weight:
            grams = [t for t in query if is_bigram(t)]
            scores = scores + self.bigram_weight * self.bigrams.get_scores(grams)
        ranked = np.argsort(-scores, kind="stable")[:k]
        return [(int(doc), float(scores[doc])) for doc in ranked if scores[doc] > 0]

    def doc_of(self, snippet_id: int) -> int:
        """The document of the note where ``snippet_id`` was first seen."""
        return self.doc_of_note[self.index.snippets[snippet_id].note_ids[0]]
