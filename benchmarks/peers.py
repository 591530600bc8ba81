"""The retrievers qabot is measured against, each built from qabot's own tokens.

Each peer indexes the same documents qabot indexed (its unique snippets, as the
terms qabot's tokenizer gave them) and answers the same tokenized questions with a
top 10, so only the retrieval differs:

- ``rank-bm25``: ``BM25Okapi.get_scores`` then ``argpartition``, the scores qabot
  reproduces;
- ``bm25s-numba``: bm25s on its numba backend (``BM25(backend="numba")``), through
  ``retrieve``, its normal fast path; the question's term ids, unknown terms dropped
  as bm25s would (numba compiles on the first question, a warm-up one);
- ``tantivy``: the terms joined by spaces through tantivy's ``whitespace`` tokenizer,
  one ``Should`` term query per question term, ``searcher.search(query, 10)``;
- ``qabot`` and ``qabot-8409044``: qabot's BM25 matrix built from the same term ids
  (``BM25Index.from_term_ids``), by today's code and by the baseline commit issue 14
  is measured against (``bench_retrieval.py`` puts its copy on the path as
  ``qabot_baseline``).

A peer is ``peer(documents, terms, work) -> (search, bytes on disk or None)``:
``documents[i]`` holds document ``i``'s term ids into ``terms``, numbered in order of
first appearance.

Example:
    >>> search, size_on_disk = PEERS["tantivy"](documents, terms, Path("/tmp/x"))  # doctest: +SKIP
    >>> search(["梯度", "下降"])  # doctest: +SKIP
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


def bm25s_numba(
    documents: Sequence[np.ndarray], terms: list[str], work: Path
) -> tuple[Search, int]:
    import bm25s as library

    retriever = library.BM25(backend="numba")
    vocabulary = {term: number for number, term in enumerate(terms)}
    retriever.index(([doc.tolist() for doc in documents], vocabulary), show_progress=False)
    folder = work / "bm25s"
    shutil.rmtree(folder, ignore_errors=True)
    retriever.save(str(folder))
    known = retriever.vocab_dict

    def search(query: list[str]) -> object:
        ids = [known[term] for term in query if term in known]
        if not ids:
            return []
        return retriever.retrieve([ids], k=K, show_progress=False, return_as="documents")

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


def qabot(documents: Sequence[np.ndarray], terms: list[str], work: Path) -> tuple[Search, None]:
    from qabot.arrays import StringTable
    from qabot.retriever.bm25 import BM25Index

    return _qabot_matrix(BM25Index, StringTable.of(terms), documents, len(terms))


def qabot_baseline(
    documents: Sequence[np.ndarray], terms: list[str], work: Path
) -> tuple[Search, None]:
    from qabot_baseline.retriever.bm25 import BM25Index  # type: ignore[import-not-found]
    from qabot_baseline.store.tables import StringTable  # type: ignore[import-not-found]

    return _qabot_matrix(BM25Index, StringTable(*StringTable.pack(terms)), documents, len(terms))


def _qabot_matrix(
    index_class: type, table: object, documents: Sequence[np.ndarray], size: int
) -> tuple[Search, None]:
    lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
    index = index_class.from_term_ids(lengths, np.concatenate(documents), table, size)

    def search(query: list[str]) -> object:
        return index.top_k(query, K)

    return search, None  # in memory; qabot's saved snapshot is measured by its build


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


PEERS: dict[str, Peer] = {
    "rank-bm25": rank_bm25,
    "bm25s-numba": bm25s_numba,
    "tantivy": tantivy,
    "qabot-8409044": qabot_baseline,
}
FROM_TOKENS: dict[str, Peer] = {"qabot": qabot}
