"""The real-notes question set over the vendored LLMForEverybody notes (no ../shared).

Issue 13's targets on this set are answer@1 ≥ 0.80, note@1 ≥ 0.92, English ≥ 0.70 and
every off-topic question abstaining. The shipped defaults measure less (see
docs/quality.md, "Real notes, per kind"); the floors below keep what is reached from
slipping back. Clean prose is a hard rule: no answer, cited text or title holds
Markdown or HTML syntax, and no answer to a prose question holds a line of code.
"""

import json
import re
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.eval.questions import load_questions
from qabot.eval.report import EvalReport, evaluate
from qabot.pipeline import QAPipeline

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
NOTES = DATA / "notes-luhengshiwo-LLMForEverybody"
QUESTIONS = DATA / "llm_notes_questions.jsonl"

# Syntax a reader must never see: emphasis, links and images, HTML tags and entities,
# and at the start of a line headings, quotes, fences and table pipes.
TITLE_MARKUP = re.compile(
    r"\*\*|__\w|!\[|\]\(|</?[A-Za-z][^>]*>|&(?:#x?[0-9a-fA-F]+|[a-zA-Z]+);"
    r"|(?m:^\s*(?:#{1,6}\s|>\s|```|\|))"
)
# A title may start with its section's number ("2. Adam算法的原理"); text never starts
# with a list marker.
MARKUP = re.compile(f"{TITLE_MARKUP.pattern}|(?m:^\\s*(?:[-*+]|\\d+\\.)\\s)")
CODE_LINE = re.compile(
    r"(?m)^\s*(?:def |class |import |from [\w.]+ import |return\b|print\(|[\w.]+ = [\w.]+\()"
)


@pytest.fixture(scope="module")
def pipeline() -> QAPipeline:
    return QAPipeline.from_settings(Settings(notes_dir=NOTES, index={"cache": False}))


@pytest.fixture(scope="module")
def report(pipeline: QAPipeline) -> EvalReport:
    return evaluate(load_questions(QUESTIONS), pipeline)


@pytest.fixture(scope="module")
def answers(report: EvalReport) -> dict[str, dict]:
    return {record["q"]: record for record in report.records}


def test_the_set_is_as_the_issue_asks() -> None:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    kinds = [row["kind"] for row in rows]
    assert len(rows) - kinds.count("offtopic") >= 60
    assert kinds.count("english") >= 10 and kinds.count("typo") >= 8
    assert kinds.count("offtopic") >= 10
    assert {"definition", "why", "fact"} <= set(kinds)


def test_answers_and_titles_are_clean_prose(pipeline: QAPipeline) -> None:
    for question in load_questions(QUESTIONS).questions:
        answer = pipeline.ask(question.q)
        for citation in answer.citations:
            assert not TITLE_MARKUP.search(citation.title), (question.q, citation.title)
            if citation.kind != "code":  # code is shown verbatim, as code
                assert not MARKUP.search(citation.text), (question.q, citation.text)
        if question.kind != "code":
            assert not MARKUP.search(answer.answer), (question.q, answer.answer)
            assert not CODE_LINE.search(answer.answer), (question.q, answer.answer)
            assert all(c.kind != "code" for c in answer.citations), question.q


def test_what_is_reached_does_not_slip(report: EvalReport) -> None:
    overall, kinds = report.overall, report.kinds
    assert overall.answer_at_1 >= FLOOR["answer_at_1"]
    assert overall.note_at_1 >= FLOOR["note_at_1"]
    assert kinds["english"].answer_at_1 >= FLOOR["english"]
    assert kinds["offtopic"].abstain_accuracy >= FLOOR["offtopic"]
    assert kinds["code"].answer_at_1 == 1.0


def test_the_issues_examples(answers: dict[str, dict]) -> None:
    # A translation alone never answers: CC-CEDICT maps capital to 本钱 and 资金.
    assert answers["What is the capital of Australia?"]["abstained"]
    # A homophone typo meets the word meant (检侧 for 检测).
    assert "YOLOX 或 Detectron2" in answers["DLD 的视觉检侧用的是什么模型?"]["answer"]


# Below what the shipped defaults measure (docs/quality.md), above what they measured
# before issue 13's work (answer@1 0.46, note@1 0.44, English 0.17, off-topic 0.8).
FLOOR = {"answer_at_1": 0.68, "note_at_1": 0.68, "english": 0.4, "offtopic": 0.8}
