"""The notes folder is a boundary: a group ``/ask`` never quotes a file outside it
(issue 12, B3), run end to end: the real bot, PTB and the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from harness import ErrorCollector, FakeUser, TelegramProxy, async_test, running_application

from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.telegram.bot import build_application

SECRET = "sk-test-123"


@pytest.fixture
def boundary_notes(tmp_path: Path) -> Path:
    """Notes whose folder holds a file symlink and a folder symlink to secrets outside."""
    home = tmp_path / "home"
    (home / "keys").mkdir(parents=True)
    (home / ".env").write_text(f"QABOT_API_KEY={SECRET}  # 部署密钥\n", encoding="utf-8")
    (home / "keys" / "deploy.md").write_text(f"# 部署密钥\n\nAPI_KEY={SECRET}\n", encoding="utf-8")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "deploy.txt").write_text("部署前先检查配置文件里的 API_KEY 是否已设置。\n", "utf-8")
    (notes / "env.txt").symlink_to(home / ".env")
    (notes / "keys").symlink_to(home / "keys", target_is_directory=True)
    return notes


@async_test
async def test_a_group_ask_never_quotes_a_secret_behind_a_symlink(
    proxy: TelegramProxy,
    bot_token: str,
    make_user: Callable[..., FakeUser],
    boundary_notes: Path,
) -> None:
    settings = Settings(
        notes_dir=boundary_notes,
        index={"cache": False},
        telegram={"token": bot_token, "base_url": proxy.base_url},
    )
    pipeline = QAPipeline.from_settings(settings)
    group = make_user(chat_type="group", user_id=21)
    app = build_application(settings, pipeline)
    with ErrorCollector(app) as errors:
        async with running_application(app):
            for question in ("API_KEY 是什么", "QABOT_API_KEY 部署密钥", SECRET):
                await group.send_command("/ask", question, mention_bot=True)
            replies = await group.wait_for_replies(3, timeout=20)
    errors.assert_clean()
    texts = [reply["text"] for reply in replies]
    assert "配置文件" in texts[0]  # the bot answers from the notes inside the folder
    assert not any(SECRET in text for text in texts), texts
    assert not any("env.txt" in text or "keys/" in text for text in texts), texts
