"""``qabot eval`` run as a user would run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def qabot(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    env["QABOT_INDEX__CACHE"] = "false"
    return subprocess.run(
        [sys.executable, "-m", "qabot", "eval", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_question_set_report_and_skipped_lines(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"q": "DeepSeek-V3 的总参数量是多少?", "note": "研究团队开发了 DeepSeek-V3", '
        '"answer": "671B"}\n'
        "{broken\n"
        '{"q": "红烧肉怎么做?", "none": true}\n',
        encoding="utf-8",
    )
    out = tmp_path / "report.json"
    result = qabot(str(questions), "--report", str(out))
    assert result.returncode == 0, result.stderr
    assert "note@1           1.000" in result.stdout
    assert "answer@1         1.000" in result.stdout
    assert "abstain accuracy 1.000" in result.stdout
    assert f"{questions}:2:" in result.stderr and "line skipped" in result.stderr
    assert "Traceback" not in result.stderr
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["mode"] == "questions" and saved["summary"]["skipped"] == 1
    assert saved["summary"]["kinds"] == {}
    assert [r["line"] for r in saved["records"]] == [1, 3]


def test_squad_mode_writes_a_report(tmp_path: Path) -> None:
    data = {
        "data": [
            {
                "paragraphs": [
                    {
                        "context": "AdamW 把权重衰减从梯度更新中解耦出来。它成了默认优化器。",
                        "qas": [
                            {"question": "AdamW 解耦了什么?", "answers": [{"text": "权重衰减"}]}
                        ],
                    }
                ]
            }
        ]
    }
    squad = tmp_path / "s.json"
    squad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "r.json"
    result = qabot("--squad", str(squad), "--report", str(out))
    assert result.returncode == 0, result.stderr
    assert "answer@1         1.000" in result.stdout
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["questions"] == 1


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    for args, message in [
        ((str(tmp_path / "missing.jsonl"),), "file not found"),
        (("--squad", str(tmp_path / "missing.json")), "file not found"),
        (("--offtopic", str(tmp_path / "missing.txt")), "file not found"),
        ((), "give one of"),
        (("x.jsonl", "--squad", "y.json"), "give one of"),
    ]:
        result = qabot(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
        assert result.stderr.startswith("qabot: error:")
