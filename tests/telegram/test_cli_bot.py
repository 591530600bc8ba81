"""``qabot telegram`` as a user runs it: a subprocess with only a token and a base URL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from harness import FakeUser, TelegramProxy, async_test
from html_check import check_html

REPO = Path(__file__).resolve().parents[2]


# Set per test by the bot_state_files fixture; kept so no test writes into the repository.
STATE_FILES = ("QABOT_TELEGRAM__STATE_FILE", "QABOT_TELEGRAM__FEEDBACK_FILE")


def start_bot(token: str, base_url: str, **env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    state = {name: os.environ[name] for name in STATE_FILES}
    settings = {
        "QABOT_TELEGRAM__TOKEN": token,
        "QABOT_TELEGRAM__BASE_URL": base_url,
        **state,
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "qabot", "telegram"],
        cwd=REPO,
        env={**clean, **settings},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def wait_exit(process: subprocess.Popen[str], within: float) -> float:
    start = time.monotonic()
    while process.poll() is None:
        assert time.monotonic() - start < within, "bot did not exit in time"
        await asyncio.sleep(0.1)
    return time.monotonic() - start


@async_test(timeout=120)
async def test_group_ask_with_only_token_and_base_url_then_clean_shutdown(
    proxy: TelegramProxy, bot_token: str, make_user: Callable[..., FakeUser]
) -> None:
    bot = start_bot(bot_token, proxy.base_url, QABOT_LOG_LEVEL="INFO")
    try:
        await proxy.wait_for_call("getUpdates", timeout=60)
        group = make_user(chat_type="supergroup", user_id=77)
        await group.send_command("/ask", "DeepSeek-V3 的总参数量是多少?", mention_bot=True)
        reply = await group.wait_for_reply(timeout=20)
        bot.send_signal(signal.SIGTERM)
        took = await wait_exit(bot, within=10)
    finally:
        bot.kill()
    _, stderr = bot.communicate()
    text = check_html(reply["text"])
    assert "671B" in text and "[1] " in text and "also in" in text
    assert proxy.calls("setMyCommands")
    assert bot.returncode == 0, stderr
    assert took < 10
    assert "HTTP Request" in stderr and "<token>" in stderr  # httpx logged, redacted
    assert bot_token not in stderr and bot_token.split(":")[1] not in stderr


@async_test(timeout=120)
async def test_rejected_token_is_one_line_and_exit_2(proxy: TelegramProxy, bot_token: str) -> None:
    proxy.inject_server_error("getMe", count=10, status=401)
    bot = start_bot(bot_token, proxy.base_url)
    await wait_exit(bot, within=60)
    _, stderr = bot.communicate()
    assert bot.returncode == 2
    assert stderr.strip().splitlines()[-1].startswith("qabot: error: Telegram rejected the bot")
    assert "Traceback" not in stderr
    assert bot_token not in stderr


def test_missing_token_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qabot", "telegram"],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("QABOT_")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "qabot: error: no bot token: set QABOT_TELEGRAM__TOKEN, or telegram.token in the config"
    )


@async_test(timeout=120)
async def test_an_html_error_page_at_start_is_one_short_line(
    proxy: TelegramProxy, bot_token: str
) -> None:
    proxy.inject_html_page("getMe", count=10, status=502)
    bot = start_bot(
        bot_token,
        proxy.base_url,
        QABOT_TELEGRAM__API_RETRIES="0",
        QABOT_TELEGRAM__BOOTSTRAP_RETRIES="0",
    )
    await wait_exit(bot, within=60)
    _, stderr = bot.communicate()
    assert bot.returncode == 2
    lines = stderr.strip().splitlines()
    assert lines[-1].startswith("qabot: error: cannot reach the Bot API: Bad Gateway (502)")
    assert all(len(line) < 250 and "<" not in line for line in lines), lines


@async_test(timeout=180)
async def test_buttons_and_follow_ups_work_after_a_restart(
    proxy: TelegramProxy, bot_token: str, make_user: Callable[..., FakeUser]
) -> None:
    user = make_user(user_id=78, language_code="zh-hans")
    first = start_bot(bot_token, proxy.base_url)
    try:
        await proxy.wait_for_call("getUpdates", timeout=60)
        await user.send_message("梯度检查点是什么？")
        answer = await user.wait_for_reply(timeout=20)
        first.send_signal(signal.SIGTERM)
        await wait_exit(first, within=10)
    finally:
        first.kill()
    second = start_bot(bot_token, proxy.base_url)
    try:
        await proxy.wait_for_call("setMyCommands", count=2 * 3, timeout=60)  # started again
        await user.press_button(answer, text="更多")
        more = await user.wait_for_edit(answer, timeout=20)
        await user.send_message("为什么？", reply_to=answer)
        follow_up = await user.wait_for_reply(timeout=20)
        second.send_signal(signal.SIGTERM)
        await wait_exit(second, within=10)
    finally:
        second.kill()
    assert first.returncode == second.returncode == 0
    assert "[4] " in more["text"]
    assert check_html(follow_up["text"]).startswith("（接上题：梯度检查点）")
