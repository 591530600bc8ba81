"""Measuring answer quality: question sets, SQuAD-format benchmarks and off-topic sets.

:mod:`~qabot.eval.questions` reads the questions of any of them,
:mod:`~qabot.eval.report` asks and judges them, :mod:`~qabot.eval.squad` turns a
SQuAD file's contexts into the notes first.

Example:
    >>> from qabot.eval.questions import load_questions
    >>> loaded = load_questions(Path("tests/data/seed_questions.jsonl"))  # doctest: +SKIP
    >>> len(loaded.questions)  # doctest: +SKIP
    125
"""
