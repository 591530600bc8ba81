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
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = Path("config/qabot.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestSettings(_Section):
    """How notes are read and cut into snippets."""

    extensions: list[str] = [".txt", ".md"]
    # Lines matching any of these regexes are feed banners, not notes.
    boilerplate_patterns: list[str] = [r"^[A-Z][A-Z0-9 ]{2,60}$"]
    min_snippet_chars: int = Field(8, ge=1)
    max_snippet_chars: int = Field(200, ge=20)
    # Char 3-gram Jaccard similarity at or above which two snippets count as one.
    near_duplicate_threshold: float = Field(0.8, gt=0, le=1)


class TokenizerSettings(_Section):
    """How text becomes BM25 terms; the same for notes and questions."""

    traditional_to_simplified: bool = True
    extra_stopwords: list[str] = []


class RetrieverSettings(_Section):
    """rank-bm25's BM25Okapi parameters, and how many results to use."""

    k1: float = Field(1.5, ge=0)
    b: float = Field(0.75, ge=0, le=1)
    epsilon: float = Field(0.25, ge=0)
    top_k: int = Field(3, ge=1, le=20)
    candidates: int = Field(50, ge=1)


class ReaderSettings(_Section):
    """How the answer is chosen, and when to abstain instead."""

    # Share of the question's term weight (IDF) the evidence must contain.
    min_coverage: float = Field(0.5, ge=0, le=1)
    max_sentences: int = Field(2, ge=1, le=5)
    max_question_chars: int = Field(1000, ge=10)


class TelegramSettings(_Section):
    """The Telegram adapter."""

    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"


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
    ingest: IngestSettings = IngestSettings()
    tokenizer: TokenizerSettings = TokenizerSettings()
    retriever: RetrieverSettings = RetrieverSettings()
    reader: ReaderSettings = ReaderSettings()
    telegram: TelegramSettings = TelegramSettings()

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


class ConfigError(Exception):
    """Bad configuration, with a one-line message for the user."""


def load_settings(config_file: Path | None = DEFAULT_CONFIG_FILE, **overrides: Any) -> Settings:
    """Load settings from every source; ``overrides`` are CLI flags (``None`` means unset).

    Unless ``config_file`` is given, ``$QABOT_CONFIG`` or else ``config/qabot.toml`` is
    read; a missing default file is fine, a missing named file is an error.
    """
    if config_file is DEFAULT_CONFIG_FILE:
        named = os.environ.get("QABOT_CONFIG")
        if named:
            config_file = Path(named)
        elif not DEFAULT_CONFIG_FILE.is_file():
            config_file = None
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"config file not found: {config_file}")

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
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(f"bad config: {where}: {first['msg']}") from None
    except (OSError, ValueError) as error:  # malformed TOML or .env
        raise ConfigError(f"bad config: {error}") from None
