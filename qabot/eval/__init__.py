"""Measuring answer quality: question sets, SQuAD-format benchmarks and off-topic sets.

Example:
    >>> from qabot.eval.question_set import load_question_set
    >>> loaded = load_question_set(Path("tests/data/seed_questions.jsonl"))  # doctest: +SKIP
    >>> len(loaded.items)  # doctest: +SKIP
    125
"""
