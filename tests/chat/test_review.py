"""``qabot eval --feedback``: 👎 answers to review, 👍 answers that must stay the same."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from qabot.chat.feedback import FeedbackStore, Vote
from qabot.chat.review import evaluate_feedback
from qabot.pipeline import QAPipeline

REPO = Path(__file__).resolve().parents[2]


def vote(pipeline: QAPipeline, question: str, helpful: bool, user: int, **changes: str) -> Vote:
    answer = pipeline.ask(question)
    shown = Vote.of(answer, helpful, "", chat_type="group", chat=-1, message=user, user=user)
    return dataclasses.replace(shown, **changes)


def qabot(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    return subprocess.run(
        [sys.executable, "-m", "qabot", "eval", *args],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_helpful_answers_that_changed_fail_the_regression(
    seeds_pipeline: QAPipeline, tmp_path: Path
) -> None:
    votes = [
        vote(seeds_pipeline, "梯度检查点是什么？", True, 1),
        vote(seeds_pipeline, "DeepSeek-V3 的总参数量是多少?", True, 2, answer="以前的回答。"),
        vote(seeds_pipeline, "mAP 怎么计算？", False, 3),
        vote(seeds_pipeline, "mAP 怎么计算？", False, 4),
    ]
    result, records = evaluate_feedback(votes, seeds_pipeline)
    assert result.kept == 1 and [v.question for v, _ in result.changed] == [
        "DeepSeek-V3 的总参数量是多少?"
    ]
    assert [(v.question, count) for v, count in result.review] == [("mAP 怎么计算？", 2)]
    assert {r["kind"] for r in records} == {"review", "regression"}

    path = tmp_path / "feedback.sqlite"
    store = FeedbackStore(path)
    for each in votes:
        store.record(each)
    run = qabot("--feedback", str(path))
    assert run.returncode == 1, run.stderr
    assert "👍 regression set: 2 answers, 1 unchanged, 1 changed" in run.stdout
    assert "changed: DeepSeek-V3 的总参数量是多少?: was '以前的回答。'" in run.stdout
    assert "mAP 怎么计算？ → " in run.stdout and "(2 votes)" in run.stdout


def test_a_missing_or_foreign_feedback_file_is_one_line(tmp_path: Path) -> None:
    missing = qabot("--feedback", str(tmp_path / "none.sqlite"))
    assert missing.returncode == 2
    assert (
        missing.stderr.strip() == f"qabot: error: feedback file not found: {tmp_path}/none.sqlite"
    )
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not votes\n" * 50)
    run = qabot("--feedback", str(foreign))
    assert run.returncode == 2 and "not a feedback file" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
