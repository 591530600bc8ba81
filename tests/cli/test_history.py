"""The REPL's history: on where it can be written, off with one notice where not."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from qabot.chat.strings import EN
from qabot.cli.history import GuardedFileHistory

REPO = Path(__file__).resolve().parents[2]
UNWRITABLE = Path("/proc/version")  # open for writing fails, even for root


def repl_in_a_terminal(env: dict[str, str], exchanges: list[tuple[str, str]]) -> str:
    """Run ``qabot repl`` on a pseudo-terminal; type each line and wait for its marker.

    Returns everything the REPL printed.
    """
    leader, follower = pty.openpty()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("QABOT_", "XDG_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "qabot", "repl"],
        cwd=REPO,
        env={**clean, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "NO_COLOR": "1", **env},
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""

    def read_until(marker: bytes, start: int, timeout: float = 60) -> int:
        """Read until ``marker`` shows after ``start``; where it ends."""
        nonlocal output
        deadline = time.monotonic() + timeout
        while (found := output.find(marker, start)) < 0:
            assert time.monotonic() < deadline, f"no {marker!r} in {output[start:][-2000:]!r}"
            if select.select([leader], [], [], 0.1)[0]:
                output += os.read(leader, 65536)
        return found + len(marker)

    try:
        read_until(b"qabot>", 0)
        for line, marker in exchanges:
            typed = len(output)
            os.write(leader, line.encode() + b"\r")
            read_until(b"qabot>", read_until(marker.encode(), typed))  # the next prompt
        os.write(leader, b"\x04")  # Ctrl-D leaves
        process.wait(timeout=20)
    finally:
        process.kill()
        os.close(leader)
    assert process.returncode == 0, output[-2000:]
    return output.decode("utf-8", "replace")


@pytest.mark.parametrize("place", ["home", "history file"])
def test_repl_works_without_a_writable_history(tmp_path: Path, place: str) -> None:
    if place == "home":
        home = tmp_path / "not-a-folder"
        home.write_text("")
        env = {"HOME": str(home)}
    else:
        state = tmp_path / "state"
        (state / "qabot").mkdir(parents=True)
        (state / "qabot" / "history").symlink_to(UNWRITABLE)
        env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(state)}
    exchanges = [("DeepSeek-V3 的总参数量是多少?", "671B"), ("AdamW 是什么", "decoupled")]
    out = repl_in_a_terminal(env, [(q, "[1] ") for q, _ in exchanges])
    assert out.count("History is off") == 1
    assert "Unhandled exception" not in out and "Traceback" not in out
    assert "671B" in out


def test_history_that_fails_later_turns_off_with_one_notice() -> None:
    console = Console(record=True, width=200, color_system=None)
    history = GuardedFileHistory(UNWRITABLE, console, EN)
    history.append_string("梯度检查点是什么？")
    history.append_string("AdamW?")
    assert console.export_text().count("History is off: cannot write /proc/version") == 1
    assert list(history.get_strings()) == ["梯度检查点是什么？", "AdamW?"]
