"""Settings, from five sources; each one overrides the one before.

1. defaults in this module;
2. ``config/qabot.toml`` (or the file named by ``--config`` / ``QABOT_CONFIG``);
3. ``.env`` in the working folder;
4. ``QABOT_*`` environment variables, nested with ``__`` (``QABOT_RETRIEVER__K1=1.2``);
5. command-line flags, passed to :func:`load_settings` as overrides.

Example:
    >>> settings = load_settings(config_file=None, notes_dir="seeds")
    >>> settings.retriever.top_k
    3
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from qabot.config_errors import ConfigError, TomlFile, describe_validation_error

DEFAULT_CONFIG_FILE = Path("config/qabot.toml")


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise PydanticCustomError(
            "regex",
            "invalid regex {pattern}: {reason}",
            {"pattern": repr(pattern), "reason": str(error)},
        ) from None
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]
"""A setting that is a regular expression: checked when the settings load, so a bad
one is a config error naming its key, in every adapter, before any note is read."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestSettings(_Section):
    """How notes are read and cut into snippets."""

    extensions: list[str] = [".txt", ".md", ".ipynb"]
    # Paths to leave out, in gitignore syntax, after the defaults (hidden files and
    # folders, node_modules/) and the notes folder's .qabotignore.
    ignore: list[str] = []
    # Read files and folders that symlinks lead to outside the notes folder. A risk:
    # anything the link reaches (~/.ssh, .env) can then be quoted.
    follow_symlinks_outside: bool = False
    # Lines matching any of these regexes are feed banners, not notes.
    boilerplate_patterns: list[Regex] = [r"^[A-Z][A-Z0-9 ]{2,60}$"]
    min_snippet_chars: int = Field(8, ge=1)
    max_snippet_chars: int = Field(200, ge=20)
    # Caps that bound memory: a larger file is skipped (and reported) unread, and a
    # longer line is cut into several notes.
    max_file_mb: float = Field(20, gt=0)
    max_note_chars: int = Field(20_000, ge=100)
    # Char 3-gram Jaccard similarity at or above which two snippets count as one.
    near_duplicate_threshold: float = Field(0.8, gt=0, le=1)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)


class TokenizerSettings(_Section):
    """How text becomes BM25 terms; the same for notes and questions."""

    traditional_to_simplified: bool = True
    extra_stopwords: list[str] = []
    # Also drop the extended list: light verbs, adverbs, question phrasing (用, 一般, 哪篇).
    extended_stopwords: bool = True
    # Also index the character bigrams of Chinese runs, so differently cut words still meet.
    char_bigrams: bool = True
    # jieba's search mode: long words also yield the shorter words inside them.
    search_mode: bool = False
    # The same for notes only: a question's word meets the long words holding it
    # (数据 meets 数据类型), while a long word asked still asks for itself.
    index_search_mode: bool = True


class RetrieverSettings(_Section):
    """rank-bm25's BM25Okapi parameters, and how many results to use."""

    k1: float = Field(1.5, ge=0)
    b: float = Field(0.75, ge=0, le=1)
    epsilon: float = Field(0.25, ge=0)
    top_k: int = Field(3, ge=1, le=20)
    candidates: int = Field(50, ge=1)


class IndexSettings(_Section):
    """Where the built index is cached between runs, and how it is built."""

    # Relative to the working folder. The cache is keyed on the notes' contents and
    # the settings, so it is rebuilt by itself when either changes.
    cache_dir: Path = Path(".qabot-cache")
    cache: bool = True
    # Processes that tokenize a large folder; 0 means one per available core.
    workers: int = Field(0, ge=0)


class ReaderSettings(_Section):
    """How the answer is chosen, and when to abstain instead."""

    # Share of the question's term weight (IDF) the evidence must contain.
    min_coverage: float = Field(0.4, ge=0, le=1)
    max_sentences: int = Field(2, ge=1, le=5)
    max_question_chars: int = Field(1000, ge=10)
    # Notes ranked by BM25 whose sentences are scored (0: rank sentences by BM25 alone).
    candidate_notes: int = Field(10, ge=0, le=50)
    # Sentence score: note score (share of the best note's) times note_weight, plus term
    # coverage, plus char_weight times character coverage, plus answer_type_weight for the
    # number, date, reason or definition a question asks for, minus restatement_penalty
    # for a sentence that cannot answer by itself (only repeats the question, asks, or
    # ends with a colon).
    note_weight: float = Field(2.0, ge=0)
    char_weight: float = Field(0.5, ge=0)
    # A question word only in a sentence's heading path (not the sentence) earns it this
    # share of the word's weight: headings name what the sentences under them are about.
    title_credit: float = Field(0.5, ge=0, le=1)
    answer_type_weight: float = Field(0.2, ge=0)
    # For 什么是 X / what is X: a sentence that opens by defining the question's last
    # word (X 是…, X 是指…) and holds its others earns this on top, and notes holding
    # one join the candidates from a pool four times candidate_notes deep.
    definition_weight: float = Field(0.5, ge=0)
    # For a question asking for a number, a date or a 《title》, a sentence giving none
    # scores this much less.
    untyped_penalty: float = Field(0.3, ge=0)
    restatement_penalty: float = Field(1.0, ge=0)
    # Plus this times the sentence's own BM25 score (a share of the best candidate's).
    sentence_bm25_weight: float = Field(0.0, ge=0)
    # A second sentence of the best one's note joins the answer when it scores within
    # this much of it (0: only a following sentence holding missing words joins).
    runner_up_margin: float = Field(0.25, ge=0)
    # Weigh question terms by how rare they are among the note's own sentences.
    local_idf: bool = True
    # Weight of character bigrams against words, in note ranking and sentence scores.
    bigram_weight: float = Field(0.25, ge=0)
    # Times a note's title terms are added to it for note ranking.
    title_repeats: int = Field(2, ge=0, le=5)
    # Abstention evidence: the answer's whole note, or only the answer sentences.
    coverage_scope: Literal["note", "answer"] = "note"
    # Credit a missing Chinese word earns, times the share of its characters found.
    char_credit: float = Field(0.5, ge=0, le=1)
    # How much more an English or alphanumeric word that no note has weighs.
    unseen_name_weight: float = Field(2.0, ge=1)
    # A long Chinese word weighs as itself and the dictionary words inside it.
    inner_words: bool = True
    # English terms the notes pair with Chinese (权重衰减（weight decay）), mined when
    # indexing, bring their Chinese terms to a question that names them.
    note_glossary: bool = True
    # English words the notes lack are translated (CC-CEDICT) into up to this many of
    # the notes' Chinese words, added to the question; 0 turns translation off.
    translations: int = Field(1, ge=0, le=10)
    # How much a dictionary translation counts, in ranking and as coverage evidence.
    dictionary_weight: float = Field(0.75, ge=0, le=1)
    # How much a homophone counts (a notes' word read like a question word they lack).
    homophone_weight: float = Field(0.5, ge=0, le=1)


class WebhookSettings(_Section):
    """Webhook mode, instead of long polling, when ``url`` is set."""

    url: str | None = None
    listen: str = "127.0.0.1"
    port: int = Field(8443, ge=1, le=65535)
    secret_token: SecretStr | None = None


class TelegramSettings(_Section):
    """The Telegram adapter."""

    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    # Seconds between getUpdates calls, and the long-poll timeout of each.
    poll_interval: float = Field(0.0, ge=0)
    poll_timeout: float = Field(10.0, ge=0)
    # While the Bot API is unreachable, poll again this often (PTB alone backs off to 30 s).
    poll_retry_seconds: float = Field(2.0, gt=0, le=60)
    # How often to retry the start-up calls (getMe, deleteWebhook) before giving up.
    bootstrap_retries: int = Field(5, ge=-1)
    # Empty lists allow everyone; otherwise an update must match a listed chat or user.
    allowed_chat_ids: list[int] = []
    allowed_user_ids: list[int] = []
    # Users who may run /reload, checked by user id in any chat.
    admin_user_ids: list[int] = []
    questions_per_minute: int = Field(6, ge=1)
    # Telegram's own flood limit on the bot's requests; PTB's AIORateLimiter keeps to it.
    api_requests_per_second: float = Field(30, gt=0)
    # Retries of a Bot API call that met a 5xx or a network error (waits 0.5, 1, 2, 4, 8 s…).
    api_retries: int = Field(5, ge=0, le=10)
    # How long the buttons of an answer keep working, and a reply to it follows it up.
    button_ttl_seconds: int = Field(86400, ge=60)
    # Button presses (More, Back, Sources) and inline queries one user may make per
    # minute; they are not counted as questions.
    lookups_per_minute: int = Field(30, ge=1)
    # "zh" or "en" for everyone; unset, each user's Telegram language, else the question's.
    language: Literal["zh", "en"] | None = None
    # How long Telegram may cache the answers to an inline query (@bot question).
    inline_cache_seconds: int = Field(300, ge=0)
    # Button and conversation state, kept across restarts (SQLite; relative to the
    # working folder), and the 👍/👎 votes that `qabot eval --feedback` reads.
    state_file: Path = Path(".qabot-state/telegram.sqlite")
    feedback_file: Path = Path(".qabot-state/feedback.sqlite")
    webhook: WebhookSettings = WebhookSettings()


class ChatSettings(_Section):
    """Conversations, in the REPL and the bot."""

    # A question with no topic of its own, or starting with a pronoun, follows up the
    # same person's previous question in the same chat if that is at most this old.
    follow_up_seconds: int = Field(900, ge=0)


class Settings(BaseSettings):
    """All of qabot's settings. See ``config/qabot.toml`` for each option's meaning."""

    model_config = SettingsConfigDict(
        env_prefix="QABOT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
    )

    notes_dir: Path = Path("seeds")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    # With --watch, wait this long after the last change before rebuilding, but never
    # longer than watch_max_wait_ms after the first change of a burst.
    watch_debounce_ms: int = Field(1600, ge=50)
    watch_max_wait_ms: int = Field(10_000, ge=50)
    ingest: IngestSettings = IngestSettings()
    tokenizer: TokenizerSettings = TokenizerSettings()
    retriever: RetrieverSettings = RetrieverSettings()
    index: IndexSettings = IndexSettings()
    reader: ReaderSettings = ReaderSettings()
    telegram: TelegramSettings = TelegramSettings()
    chat: ChatSettings = ChatSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings, dotenv_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)


def load_settings(config_file: Path | None = DEFAULT_CONFIG_FILE, **overrides: Any) -> Settings:
    """Load settings from every source; ``overrides`` are CLI flags (``None`` means unset).

    Unless ``config_file`` is given, ``$QABOT_CONFIG`` or else ``config/qabot.toml`` is
    read; a missing default file is fine, a missing named file is an error. Any bad
    setting raises :class:`ConfigError` with one line naming its key (and, when the
    TOML file set it, the file and line).
    """
    if config_file is DEFAULT_CONFIG_FILE:
        named = os.environ.get("QABOT_CONFIG")
        if named:
            config_file = Path(named)
        elif not DEFAULT_CONFIG_FILE.is_file():
            config_file = None
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file not found: {config_file}")
    # Read here first: pydantic-settings' own reading reports no file, line or key.
    toml = TomlFile.read(config_file) if config_file is not None else None

    flags = {key: value for key, value in overrides.items() if value is not None}
    # pydantic-settings takes the TOML path from the class, so bind it per load.
    bound = type(
        "Settings",
        (Settings,),
        {"model_config": {**Settings.model_config, "toml_file": config_file}},
    )
    try:
        return bound(**flags)
    except ValidationError as error:
        raise ConfigError(f"bad config: {describe_validation_error(error, toml)}") from None
    except (OSError, ValueError) as error:  # a malformed .env, or JSON in a QABOT_* value
        raise ConfigError(f"bad config: {error}") from None
