"""The retrievers qabot is measured against, over qabot's own tokens.

Each peer indexes the same documents qabot indexed (its unique snippets, as the
terms qabot's tokenizer gave them) and answers the same tokenized questions with a
top-10, so only the retrieval differs:

- ``rank_bm25``: ``BM25Okapi.get_scores`` then ``argpartition``, the scores qabot
  reproduces;
- ``bm25s``: ``BM25.get_scores`` (its default Lucene BM25) then ``argpartition``;
- ``tantivy``: the terms joined by spaces through tantivy's ``whitespace`` tokenizer,
  one ``Should`` term query per question term, ``searcher.search(query, 10)``.

Example:
    >>> search, size_on_disk = PEERS["bm25s"](documents, terms, Path("/tmp/x"))  # doctest: +SKIP
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

K = 10
Search = Callable[[list[str]], object]
Peer = Callable[[Sequence[np.ndarray], list[str], Path], tuple[Search, int | None]]


def rank_bm25(documents: Sequence[np.ndarray], terms: list[str], work: Path) -> tuple[Search, None]:
    from rank_bm25 import BM25Okapi

    model = BM25Okapi([[terms[t] for t in doc.tolist()] for doc in documents])

    def search(query: list[str]) -> object:
        scores = model.get_scores(query)
        return np.argpartition(-scores, K - 1)[:K]

    return search, None  # rank-bm25 has no on-disk format


def bm25s(documents: Sequence[np.ndarray], terms: list[str], work: Path) -> tuple[Search, int]:
    import bm25s as library

    retriever = library.BM25()
    vocabulary = {term: number for number, term in enumerate(terms)}
    retriever.index(([doc.tolist() for doc in documents], vocabulary), show_progress=False)
    folder = work / "bm25s"
    shutil.rmtree(folder, ignore_errors=True)
    retriever.save(str(folder))

    def search(query: list[str]) -> object:
        # Scores, then a top 10: bm25s's fastest path for one question (retrieve() adds
        # thread and batch handling). Unknown terms are dropped, as bm25s would.
        known = [term for term in query if term in retriever.vocab_dict]
        if not known:
            return []
        return np.argpartition(-retriever.get_scores(known), K - 1)[:K]

    return search, _size(folder)


def tantivy(documents: Sequence[np.ndarray], terms: list[str], work: Path) -> tuple[Search, int]:
    import tantivy as library

    builder = library.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    folder = work / "tantivy"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    index = library.Index(schema, path=str(folder))
    writer = index.writer(heap_size=1 << 30)
    for doc in documents:
        writer.add_document(library.Document(body=" ".join(terms[t] for t in doc.tolist())))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    should = library.Occur.Should

    def search(query: list[str]) -> object:
        clauses = [(should, library.Query.term_query(schema, "body", term)) for term in query]
        return searcher.search(library.Query.boolean_query(clauses), K).hits

    return search, _size(folder)


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


PEERS: dict[str, Peer] = {"rank-bm25": rank_bm25, "bm25s": bm25s, "tantivy": tantivy}
