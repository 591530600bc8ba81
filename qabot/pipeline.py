"""The question-answering pipeline every adapter calls: question in, :class:`Answer` out.

Example:
    >>> from qabot.config import load_settings
    >>> pipeline = QAPipeline.from_settings(load_settings())  # doctest: +SKIP
    >>> pipeline.ask("DeepSeek-V3 的总参数量是多少?").answer  # doctest: +SKIP
    '简介 24年12月,研究团队开发了 DeepSeek-V3,这是一个基于 MoE 架构的大模型,总参数量达到 671B,…'
"""

from __future__ import annotations

import time
import unicodedata

from qabot.build import Progress, build_index
from qabot.config import Settings
from qabot.index import NotesIndex
from qabot.reader.extractive import ExtractiveReader
from qabot.reader.glossary import default_glossary
from qabot.schema import Answer
from qabot.store.jieba_cache import make_tokenizer
from qabot.tokenizer import Tokenizer

EMPTY_HINT = "Ask a question in words, for example: DeepSeek-V3 的总参数量是多少?"
VAGUE_HINT = "Your question names no topic to search for; add the subject, e.g. “what is AdamW?”."


class QAPipeline:
    """Tokenize the question, retrieve with BM25, and let the reader answer or abstain."""

    def __init__(self, index: NotesIndex, tokenizer: Tokenizer, settings: Settings) -> None:
        self.index = index
        self.tokenizer = tokenizer
        self.settings = settings
        cache_dir = settings.index.cache_dir if settings.index.cache else None
        self.reader = ExtractiveReader(
            settings.reader, settings.retriever, default_glossary(cache_dir)
        )
        self.built_at = time.time()  # when this index was built or loaded; /stats shows it

    @classmethod
    def from_settings(cls, settings: Settings, progress: Progress | None = None) -> QAPipeline:
        """Index ``settings.notes_dir`` and return a ready pipeline."""
        tokenizer = make_tokenizer(settings)
        index = build_index(settings.notes_dir, settings, tokenizer, progress)
        return cls(index, tokenizer, settings)

    def ask(self, question: str, page: int = 0, context: str = "") -> Answer:
        """Answer ``question``; ``page`` 1, 2 … gives the next results (``/more``).

        ``context`` is an earlier question this one follows up: its terms join the
        retrieval at half the weight of the question's own, or stand in for them when
        the question names no topic ("为什么?").
        """
        question, notice = self._clean(question)
        if not self.tokenizer.tokenize(question, keep_stopwords=True):
            return Answer(question, "", True, [], notice=EMPTY_HINT)
        terms = self.tokenizer.terms(question)
        carried = [t for t in self.tokenizer.terms(context) if t not in terms] if context else []
        if not terms:
            terms, carried = carried, []
        if not terms:
            return Answer(question, "", True, [], notice=VAGUE_HINT)
        # BM25 adds up its terms' scores: the question's own twice weighs the carried half.
        hits = self.index.bm25.top_k(
            terms * 2 + carried if carried else terms, self.settings.retriever.candidates
        )
        answer = self.reader.read(question, terms, hits, self.index, page, carried)
        answer.notice = notice or answer.notice
        return answer

    def _clean(self, question: str) -> tuple[str, str | None]:
        """Drop control characters and lone surrogates; cut an overlong question."""
        kept = "".join(
            " " if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n" else ch
            for ch in question
        )
        kept = " ".join(kept.split())
        limit = self.settings.reader.max_question_chars
        if len(kept) > limit:
            return kept[:limit], f"Your question was cut to its first {limit} characters."
        return kept, None
