"""Fixtures for end-to-end tests of the Telegram adapter against a local emulator.

No internet and no real token are needed: ``emulator`` installs telegram-test-api
with npm when ``emulator/node_modules`` is missing and runs it on a loopback port for
the whole session; each test gets a fresh ``proxy`` (no faults, no recorded calls)
and a fresh ``bot_token`` (the emulator keeps each token's messages apart).

Usage::

    @async_test
    async def test_x(base_url: str, bot_token: str, fake_user: FakeUser) -> None:
        app = ApplicationBuilder().token(bot_token).base_url(base_url).build()
        ...
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The harness modules sit beside this file; make them importable under any
# --import-mode (this directory must not be a package: it would shadow `telegram`).
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from harness import (  # noqa: E402
    Emulator,
    EmulatorError,
    FakeUser,
    TelegramProxy,
    bypass_proxies_for_loopback,
    ensure_emulator_installed,
    make_bot_token,
)
from telegram.ext import Application  # noqa: E402

from qabot.config import Settings  # noqa: E402
from qabot.pipeline import QAPipeline  # noqa: E402
from qabot.telegram.bot import build_application  # noqa: E402


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The telegram-test-api process, shared by the session (tests may kill/restart it)."""
    bypass_proxies_for_loopback()
    try:
        ensure_emulator_installed()
        instance = Emulator().start()
    except EmulatorError as exc:
        # Not a skip: CI has Node.js, so a missing npm is a broken setup to fix.
        pytest.fail(f"Telegram emulator unavailable: {exc}", pytrace=False)
    yield instance
    instance.stop()


@pytest.fixture
def proxy(emulator: Emulator) -> Iterator[TelegramProxy]:
    """A fresh compatibility/fault-injection proxy in front of the emulator."""
    if not emulator.is_running:  # an earlier test killed it and failed before restarting
        emulator.start()
    with TelegramProxy(emulator.url) as instance:
        yield instance
    assert not instance.internal_errors, f"proxy bugs: {instance.internal_errors!r}"


@pytest.fixture(autouse=True)
def bot_state_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's bot keeps its button, conversation and vote files in its own folder."""
    folder = tmp_path / "bot-state"
    monkeypatch.setenv("QABOT_TELEGRAM__STATE_FILE", str(folder / "state.sqlite"))
    monkeypatch.setenv("QABOT_TELEGRAM__FEEDBACK_FILE", str(folder / "feedback.sqlite"))
    return folder


@pytest.fixture
def bot_token() -> str:
    """A unique fake bot token; its numeric prefix is the bot's id."""
    return make_bot_token()


@pytest.fixture
def base_url(proxy: TelegramProxy) -> str:
    """PTB's ``base_url``: ``http://127.0.0.1:<proxy port>/bot``."""
    return proxy.base_url


@pytest.fixture
def make_user(emulator: Emulator, bot_token: str, proxy: TelegramProxy) -> Callable[..., FakeUser]:
    """Factory of users of this test's bot: ``make_user(chat_type="group", user_id=7)``."""

    def factory(**kwargs: Any) -> FakeUser:
        return FakeUser(emulator.url, bot_token, proxy=proxy, **kwargs)

    return factory


@pytest.fixture
def fake_user(make_user: Callable[..., FakeUser]) -> FakeUser:
    """Alice, in a private chat with this test's bot."""
    return make_user()


@pytest.fixture
def make_bot(
    proxy: TelegramProxy, bot_token: str, seeds_pipeline: QAPipeline
) -> Callable[..., Application]:
    """Factory of this test's bot over ``seeds/``: ``make_bot(questions_per_minute=2)``.

    Keyword arguments are ``telegram`` settings; ``pipeline=`` answers from other notes.
    """

    def factory(pipeline: QAPipeline | None = None, **telegram: Any) -> Application:
        pipeline = pipeline or seeds_pipeline
        settings = Settings(
            notes_dir=pipeline.settings.notes_dir,
            telegram={"token": bot_token, "base_url": proxy.base_url, **telegram},
        )
        return build_application(settings, pipeline)

    return factory
