"""The zh/en catalogue: complete, consistent, and chosen as documented."""

from __future__ import annotations

import dataclasses
import string

import pytest

from qabot.chat.strings import (
    CATALOGUE,
    EN,
    ZH,
    Notice,
    choose_language,
    locale_language,
    notice_of,
)
from qabot.pipeline import QAPipeline


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(EN)])
def test_every_sentence_exists_in_both_languages_with_the_same_placeholders(field: str) -> None:
    en, zh = getattr(EN, field), getattr(ZH, field)
    if isinstance(en, tuple):
        assert [name for name, _ in en] == [name for name, _ in zh]
        assert all(text for _, text in (*en, *zh))
    else:
        assert en and zh and en != zh
        assert fields(en) == fields(zh)


@pytest.mark.parametrize(
    ("fixed", "personal", "text", "language"),
    [
        ("zh", "en", "What is AdamW?", "zh"),
        (None, "en-US", "梯度检查点?", "en"),
        (None, "zh-hant", "What is AdamW?", "zh"),
        (None, "zh_CN.UTF-8", "", "zh"),
        (None, "de", "梯度检查点?", "zh"),
        (None, None, "What is AdamW?", "en"),
        (None, None, "", "en"),
    ],
)
def test_language_is_fixed_else_personal_else_the_script(
    fixed: str | None, personal: str | None, text: str, language: str
) -> None:
    assert choose_language(fixed, personal, text) == language


def test_locale_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert locale_language() is None
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert locale_language() is None
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert locale_language() == "zh_CN.UTF-8"


def test_every_notice_the_core_gives_is_recognized(seeds_pipeline: QAPipeline) -> None:
    limit = seeds_pipeline.settings.reader.max_question_chars
    given = {
        Notice.EMPTY: seeds_pipeline.ask("🙂"),
        Notice.VAGUE: seeds_pipeline.ask("为什么?"),
        Notice.CUT: seeds_pipeline.ask("梯度检查点是什么" * limit),
        Notice.NO_MORE: seeds_pipeline.ask("梯度检查点是什么", page=99),
    }
    for kind, answer in given.items():
        assert notice_of(answer.notice)[0] is kind, answer.notice
        assert ZH.notice(answer.notice) != answer.notice
    assert notice_of(given[Notice.CUT].notice)[1] == limit
    assert set(CATALOGUE) == {"zh", "en"}
