"""Build and run the Telegram bot: long polling by default, a webhook when configured.

Example:
    >>> application = build_application(settings, pipeline)  # doctest: +SKIP
    >>> run(settings, pipeline)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.telegram.handlers import Handlers, register_commands
from qabot.telegram.request import BotApiRequest, PollingRequest
from qabot.telegram.state import BotState
from qabot.watch import watch_notes

log = logging.getLogger(__name__)


class BotConfigError(Exception):
    """A missing or rejected token: one line for the user, exit code 2."""


class BotLogFormatter(logging.Formatter):
    """Wraps a formatter so the bot token never reaches a log line.

    httpx logs every request URL at INFO, and Bot API URLs contain the token.
    Network errors (the Bot API is down) and a rejected token are expected failures,
    so unless the level is DEBUG they are logged as one line, without a traceback.
    """

    def __init__(self, inner: logging.Formatter, token: str) -> None:
        super().__init__()
        self.inner = inner
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        error = record.exc_info[1] if record.exc_info else None
        expected = isinstance(error, NetworkError | InvalidToken)
        if expected and logging.getLogger().level > logging.DEBUG:
            record = logging.makeLogRecord(
                {
                    **record.__dict__,
                    "msg": f"{record.getMessage()} ({error.message})",
                    "args": None,
                    "exc_info": None,
                    "exc_text": None,
                }
            )
        return self.inner.format(record).replace(self.token, "<token>")


def redact_token_in_logs(token: str) -> None:
    """Install :class:`BotLogFormatter` on every root handler."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    for handler in root.handlers:
        inner = handler.formatter or logging.Formatter(logging.BASIC_FORMAT)
        if isinstance(inner, BotLogFormatter):  # installed by an earlier bot in this process
            inner = inner.inner
        handler.setFormatter(BotLogFormatter(inner, token))


def build_application(settings: Settings, pipeline: QAPipeline, watch: bool = False) -> Application:
    """The PTB application with every handler, the retry policy and concurrency.

    With ``watch``, the index is rebuilt in the background when the notes change.
    """
    options = settings.telegram
    if options.token is None or not options.token.get_secret_value().strip():
        raise BotConfigError("no bot token: set QABOT_TELEGRAM__TOKEN (or telegram.token)")
    token = options.token.get_secret_value().strip()
    redact_token_in_logs(token)

    state = BotState.from_settings(settings, pipeline)
    stop_watching = asyncio.Event()

    async def start(application: Application) -> None:
        try:
            await register_commands(application, options.language)
        except Exception:  # a missing command menu must not keep the bot from starting
            log.warning("could not register the command list", exc_info=True)
        if watch:
            application.create_task(watch_notes(settings, state.service.reload, stop_watching))

    async def stop(application: Application) -> None:
        stop_watching.set()
        state.store.close()

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(options.base_url)
        .rate_limiter(
            AIORateLimiter(overall_max_rate=options.api_requests_per_second, max_retries=3)
        )
        .concurrent_updates(True)
        # PTB's default pool for the bot's own calls, which the bot's answers share.
        .request(BotApiRequest(retries=options.api_retries, connection_pool_size=256))
        .get_updates_request(
            PollingRequest(
                retry_seconds=options.poll_retry_seconds,
                read_timeout=options.poll_timeout + 5,
                # httpcore can leak the pooled connection of a poll cancelled at shutdown
                # (encode/httpcore#658); a spare one lets the final poll go through.
                connection_pool_size=2,
            )
        )
        .post_init(start)
        .post_stop(stop)
        .build()
    )
    Handlers(state).register(application)
    return application


def run(settings: Settings, pipeline: QAPipeline, watch: bool = False) -> None:
    """Run until SIGINT or SIGTERM; raise :class:`BotConfigError` for a bad token.

    PTB retries the start-up calls ``bootstrap_retries`` times (``-1``: forever).
    """
    application = build_application(settings, pipeline, watch)
    try:
        _serve(application, settings)
    except InvalidToken:
        raise BotConfigError(
            "Telegram rejected the bot token; check QABOT_TELEGRAM__TOKEN"
        ) from None
    except NetworkError as error:
        reason = error.message.replace(application.bot.token, "<token>")
        raise BotConfigError(f"cannot reach the Bot API: {reason}") from None


def _serve(application: Application, settings: Settings) -> None:
    options = settings.telegram
    if options.webhook.url:
        secret = options.webhook.secret_token
        application.run_webhook(
            listen=options.webhook.listen,
            port=options.webhook.port,
            url_path=urlsplit(options.webhook.url).path.lstrip("/"),
            webhook_url=options.webhook.url,
            secret_token=secret.get_secret_value() if secret else None,
            bootstrap_retries=options.bootstrap_retries,
            allowed_updates=Update.ALL_TYPES,  # edits, inline queries, being added to groups
            close_loop=False,
        )
    else:
        application.run_polling(
            poll_interval=options.poll_interval,
            timeout=int(options.poll_timeout),
            bootstrap_retries=options.bootstrap_retries,
            allowed_updates=Update.ALL_TYPES,
            close_loop=False,
        )
