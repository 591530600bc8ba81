"""Read the questions of an evaluation: one loader for every file format it takes.

- ``.jsonl``, a question set: one JSON object per line, either
  ``{"q": ..., "note": ..., "answer": ...}`` (``note`` a substring of the note to be
  cited first, or its ``source:line``; ``answer`` a substring the answer must hold;
  either may be a list of alternatives, when several notes say the same) or
  ``{"q": ..., "none": true}`` (the notes don't cover it: it must abstain). An optional
  ``"kind"`` names the kind of question (``definition``, ``english``, …); reports break
  the measures down by it. A malformed line is reported with its number and skipped.
- ``.json``, SQuAD format (CMRC 2018, SQuAD v1.1): every question with an answer text.
  The contexts become notes, one file per article and one paragraph per line, so each
  question's gold paragraph is a ``source:line``; a SQuAD 2.0 question without an
  answer is left out.
- anything else: plain text, one question per line.

With ``must_abstain`` every question of the file must abstain (``qabot eval
--offtopic``), SQuAD questions without answers included.

Example:
    >>> loaded = load_questions(Path("tests/data/seed_questions.jsonl"))  # doctest: +SKIP
    >>> len(loaded.questions), loaded.problems  # doctest: +SKIP
    (125, [])
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qabot.eval.errors import EvalInputError

_LINE_BREAKS = re.compile(r"[\r\n]+")


@dataclass(frozen=True, slots=True)
class Question:
    """A question, and what a right answer holds; ``answers`` is empty if it must abstain.

    ``answers`` are alternatives (SQuAD gives several); ``notes`` are the expected notes'
    ``source:line`` or substrings of their text, also alternatives. ``id`` is the line
    number, or SQuAD's id.
    """

    id: str
    q: str
    answers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    kind: str | None = None
    line: int = 0

    @property
    def none(self) -> bool:
        return not self.answers


@dataclass(slots=True)
class LoadedQuestions:
    """The usable questions of a file, one message per skipped line, and, for SQuAD,
    the notes to write: ``{file name: text}``."""

    questions: list[Question] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


def load_questions(path: Path, must_abstain: bool = False) -> LoadedQuestions:
    """The questions of ``path``; raises :class:`EvalInputError` if it has none usable."""
    text = _read(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        loaded = _squad(path, text, must_abstain)
    elif suffix == ".jsonl":
        loaded = _question_set(path, text)
    else:
        loaded = LoadedQuestions(
            [
                Question(str(number), line.strip(), line=number)
                for number, line in enumerate(text.splitlines(), start=1)
                if line.strip()
            ]
        )
    if must_abstain:
        loaded.questions = [Question(q.id, q.q, kind=q.kind, line=q.line) for q in loaded.questions]
    if not loaded.questions:
        raise EvalInputError(f"no usable questions in {path}")
    return loaded


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalInputError(f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvalInputError(f"cannot read {path}: {error}") from None


def _question_set(path: Path, text: str) -> LoadedQuestions:
    loaded = LoadedQuestions()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            loaded.questions.append(_set_item(number, json.loads(line)))
        except (json.JSONDecodeError, ValueError) as error:
            loaded.problems.append(f"{path}:{number}: {error}; line skipped")
    return loaded


def _set_item(number: int, record: object) -> Question:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    question, kind = record.get("q"), record.get("kind")
    if not isinstance(question, str) or not question.strip():
        raise ValueError('"q" must be a non-empty string')
    if kind is not None and not isinstance(kind, str):
        raise ValueError('"kind" must be a string')
    if record.get("none") is True:
        return Question(str(number), question, kind=kind, line=number)
    notes, answers = _texts(record.get("note")), _texts(record.get("answer"))
    if not notes or not answers:
        raise ValueError('needs "note" and "answer" strings (or lists of them), or "none": true')
    return Question(str(number), question, answers, notes, kind, number)


def _texts(value: object) -> tuple[str, ...]:
    """A non-empty string, or a list of them, as a tuple; ``()`` for anything else."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if not values or not all(isinstance(text, str) and text for text in values):
        return ()
    return tuple(values)


def _squad(path: Path, text: str, must_abstain: bool) -> LoadedQuestions:
    """SQuAD's answerable questions (all with ``must_abstain``) and its contexts as notes."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise EvalInputError(f"not SQuAD-format JSON: {path}: {error}") from None
    articles = _dicts(data.get("data") if isinstance(data, dict) else None)
    if not articles:
        raise EvalInputError(f"no articles under 'data' in {path}")
    loaded = LoadedQuestions()
    for number, article in enumerate(articles):
        source = f"{number:04d}.txt"
        lines: list[str] = []
        for paragraph in _dicts(article.get("paragraphs")):
            context = paragraph.get("context")
            context = _LINE_BREAKS.sub(" ", context).strip() if isinstance(context, str) else ""
            if context:
                lines.append(context)
            for qa in _dicts(paragraph.get("qas")):
                question, answers = qa.get("question"), _answer_texts(qa.get("answers"))
                if not isinstance(question, str) or not question.strip():
                    continue
                if context and (answers or must_abstain):
                    place = f"{source}:{len(lines)}"
                    qid = str(qa.get("id", len(loaded.questions)))
                    loaded.questions.append(Question(qid, question, answers, (place,)))
        if lines:
            loaded.notes[source] = "\n".join(lines) + "\n"
    return loaded


def _answer_texts(value: object) -> tuple[str, ...]:
    texts = (a.get("text") for a in _dicts(value))
    return tuple(dict.fromkeys(t.strip() for t in texts if isinstance(t, str) and t.strip()))


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
