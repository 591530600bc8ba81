"""End-to-end tests of the ``qabot`` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CITATION_KEYS = {
    "n": int,
    "source": str,
    "line": int,
    "title": str,
    "text": str,
    "score": float,
    "also_in": list,
}


def qabot(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    return subprocess.run(
        [sys.executable, "-m", "qabot", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **(env or {})},
        timeout=120,
    )


def check_contract(record: dict) -> None:
    assert isinstance(record["question"], str)
    assert isinstance(record["answer"], str)
    assert isinstance(record["abstained"], bool)
    for citation in record["citations"]:
        for key, kind in CITATION_KEYS.items():
            assert isinstance(citation[key], kind), key
        assert all(isinstance(place, str) and ":" in place for place in citation["also_in"])
    if record["abstained"]:
        assert record["answer"] == ""


def test_ask_json_contract_and_deepseek_answer() -> None:
    result = qabot("ask", "--json", "DeepSeek-V3 的总参数量是多少?")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    check_contract(record)
    assert "671B" in record["answer"]
    first = record["citations"][0]
    cited = {first["source"], *(p.rsplit(":", 1)[0] for p in first["also_in"])}
    holders = {p.name for p in (REPO / "seeds").glob("*.txt") if "671B" in p.read_text()}
    assert cited == holders


def test_batch_mode_answers_each_stdin_line_in_order() -> None:
    questions = ["DeepSeek-V3 的总参数量是多少?", "红烧肉怎么做？", "", "梯度檢查點是什麼？"]
    result = qabot("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in records] == questions
    for record in records:
        check_contract(record)
    assert [r["abstained"] for r in records] == [False, True, True, False]
    assert "梯度检查点" in records[3]["answer"]


def test_human_output_has_answer_and_numbered_sources() -> None:
    result = qabot("ask", "梯度檢查點是什麼？")
    assert result.returncode == 0
    assert "梯度检查点" in result.stdout
    assert "[1] " in result.stdout and "另见" in result.stdout  # a Chinese question
    assert "/more" not in result.stdout  # a REPL command: no use after a one-shot ask
    abstained = qabot("ask", "How do I bake sourdough bread?")
    assert "don't cover" in abstained.stdout


def test_index_prints_dedup_counts() -> None:
    result = qabot("index")
    assert result.returncode == 0
    assert "5 files" in result.stdout and "after dedup" in result.stdout


def test_index_summarizes_many_skipped_files_and_verbose_lists_them(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("笔记内容。\n", encoding="utf-8")
    for number in range(8):
        (notes / f"e{number}.txt").write_text("")
    quiet = qabot("index", "--no-cache", "--notes", str(notes))
    summary = "skipped 8 files: empty file; `qabot index --verbose` lists them"
    assert summary in quiet.stdout and summary in quiet.stderr
    assert "e3.txt" not in quiet.stdout + quiet.stderr
    loud = qabot("index", "--no-cache", "--verbose", "--notes", str(notes))
    assert all(f"skipped e{number}.txt: empty file" in loud.stdout for number in range(8))


def test_other_encodings_and_a_binary_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "gbk.txt").write_bytes("余弦退火让学习率按余弦曲线下降。".encode("gbk"))
    (notes / "utf16.md").write_bytes("# 正则化\n权重衰减等价于 L2 正则化。\n".encode("utf-16"))
    (notes / "photo.txt").write_bytes(b"\x89PNG\x00\x00" + bytes(range(256)))
    result = qabot(
        "ask",
        "--json",
        "--notes",
        str(notes),
        stdin="余弦退火怎么调整学习率？\n权重衰减等价于什么\n",
    )
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert "余弦曲线" in records[0]["answer"]
    assert records[1]["citations"][0]["title"] == "正则化"
    assert "L2" in records[1]["answer"]
    assert result.stderr.count("photo.txt") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "--bogus"], "No such option"),
        (["ask", "--notes", "/nonexistent/notes", "x"], "notes folder not found"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = qabot(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_config_exits_2(tmp_path: Path) -> None:
    result = qabot("index", env={"QABOT_RETRIEVER__K1": "fast"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("qabot: error: bad config: retriever.k1")


@pytest.mark.parametrize("command", [[], ["ask"], ["repl"], ["index"]])
def test_help_everywhere(command: list[str]) -> None:
    result = qabot(*command, "--help")
    assert result.returncode == 0
    assert "--notes" in result.stdout or "Commands" in result.stdout


def test_no_arguments_prints_the_help() -> None:
    result = qabot()
    assert result.returncode == 0, result.stderr
    assert "Usage: qabot" in result.stdout and "Commands:" in result.stdout
    assert "error" not in result.stderr


@pytest.mark.parametrize("command", [[], ["ask"], ["repl"], ["index"], ["eval"], ["telegram"]])
def test_help_shows_no_type_beside_a_flag(command: list[str]) -> None:
    result = qabot(*command, "--help")
    assert result.returncode == 0
    assert "<bool>" not in result.stdout


def test_ctrl_c_says_it_was_interrupted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qabot.cli import app

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(app.QAPipeline, "from_settings", interrupted)
    monkeypatch.setattr(sys, "argv", ["qabot", "index", "--no-cache"])
    with pytest.raises(SystemExit) as exit_:
        app.main()
    assert exit_.value.code == 130
    assert capsys.readouterr().err.strip() == "qabot: interrupted"
