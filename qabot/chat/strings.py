"""Every sentence the bot and the REPL say, in Chinese and English, and how to choose.

(Over 300 lines: it is the catalogue itself, both languages side by side, so that a
sentence and its translation are read and changed together.)

One typed catalogue: :class:`Strings` has a field per sentence, and :data:`CATALOGUE`
one instance per language, so a sentence missing in one language is an error at
import time, not a blank message. Placeholders are ``str.format`` fields.

The language follows a fixed setting if there is one, else the person's own language
(Telegram's ``language_code``, or the locale for the REPL), else the script of what
they wrote: a question with Chinese characters gets Chinese.

The core's notices (hints for unusable questions, "the question was cut") are English
sentences of :mod:`qabot.pipeline` and the reader; :func:`notice_of` recognizes each
one so adapters can say it in the chosen language.

Example:
    >>> strings = CATALOGUE[choose_language(None, "zh-hans", "")]
    >>> strings.slow_down.format(limit=6)
    '慢一点：每分钟最多问 6 个问题。'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from qabot.pipeline import EMPTY_HINT, VAGUE_HINT

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_CUT = re.compile(r"Your question was cut to its first (\d+) characters\.")
_NO_MORE = "No more results."


@dataclass(frozen=True, slots=True)
class Strings:
    """One language's sentences; see the English ones for what each is for."""

    # Answers
    not_covered: str
    closest_topics: str
    sources: str
    no_sources: str
    follow_up: str
    empty_hint: str
    vague_hint: str
    cut_notice: str
    no_more_results: str
    also_in: str
    # Buttons and what pressing them says
    more_button: str
    back_button: str
    sources_button: str
    page_sent_below: str
    expired: str
    vote_thanks: str
    # Telegram
    help: str
    help_examples: str
    ask_usage: str
    greeting: str
    non_text_hint: str
    refusal: str
    slow_down: str
    slow_down_pages: str
    inline_type_a_question: str
    asked: str
    admins_only: str
    reload_running: str
    reload_started: str
    reload_failed: str
    reloaded: str
    # Index statistics
    stats: str
    index_stats: str
    index_built: str
    skipped: str
    more_skipped: str
    helpful_rate: str
    # The REPL
    repl_banner: str
    repl_help: str
    unknown_command: str
    more_before_asking: str
    more_after_abstention: str
    no_more_for_question: str
    sources_before_asking: str
    more_hint: str
    history_off: str
    notes_reindexed: str
    reindex_failed: str
    command_descriptions: tuple[tuple[str, str], ...]

    def notice(self, notice: str) -> str:
        """A core notice in this language (one it does not know, as it is)."""
        kind, limit = notice_of(notice)
        if kind is None:
            return notice
        return {
            Notice.EMPTY: self.empty_hint,
            Notice.VAGUE: self.vague_hint,
            Notice.CUT: self.cut_notice.format(limit=limit),
            Notice.NO_MORE: self.no_more_results,
        }[kind]


EN = Strings(
    not_covered="The notes don't cover this.",
    closest_topics="Closest topics: {topics}",
    sources="Sources:",
    no_sources="No sources for this answer.",
    follow_up="(following up: {topic})",
    empty_hint="Ask a question in words, for example: DeepSeek-V3 的总参数量是多少?",
    vague_hint=(
        "Your question names no topic to search for; add the subject, e.g. “what is AdamW?”."
    ),
    cut_notice="Your question was cut to its first {limit} characters.",
    no_more_results="No more results.",
    also_in="also in {places}",
    more_button="More",
    back_button="Back",
    sources_button="Sources",
    page_sent_below="That answer belongs to someone else; your page is below.",
    expired="This button has expired; please ask again.",
    vote_thanks="Thanks for the feedback!",
    help=(
        "I answer questions from the study group's notes, quoting them with sources.\n"
        "I know {stats}.\n\n"
        "In a private chat, just send your question. In a group, use /ask followed by "
        "your question, mention me, or reply to one of my answers to follow up. Reply "
        "to a classmate's message with /ask to answer it. In any chat, type @{bot} and "
        "a question to pick an answer to send."
    ),
    help_examples="Examples:",
    ask_usage="Ask like this: /ask {example}",
    greeting=(
        "Hello! I answer questions from the study group's notes, quoting them with "
        "sources. Ask with /ask followed by your question, mention me, or reply to my "
        "answers to follow up. /help says more."
    ),
    non_text_hint=(
        "I read text: type your question, or send a photo with the question as its caption."
    ),
    refusal="Sorry, I only answer in the study group I was set up for.",
    slow_down="Slow down a little, please: at most {limit} questions a minute.",
    slow_down_pages="Slow down a little, please: at most {limit} pages a minute.",
    inline_type_a_question="Type a question about the notes",
    asked="Q: {question}",
    admins_only="Only the bot's admins may reload the notes.",
    reload_running="A reload is already running.",
    reload_started="Rebuilding the index; I keep answering meanwhile.",
    reload_failed="Reload failed, still using the old index: {error}",
    reloaded="Reloaded: {stats}",
    stats=(
        "{files} files, {notes} notes, {snippets} snippets "
        "({duplicates} duplicates merged, {skipped} files skipped)"
    ),
    index_stats=(
        "{files} files, {notes} notes, {before} snippets → {snippets} after dedup "
        "({duplicates} duplicates merged), {skipped} files skipped, {ignored} ignored"
    ),
    index_built="Index built {time}.",
    skipped="skipped {source}: {reason}",
    more_skipped="… and {count} more skipped files",
    helpful_rate="Helpful: {helpful} of {votes} votes ({percent}%).",
    repl_banner="qabot: ask about the notes. /help for commands, Ctrl-D to leave.",
    repl_help=(
        "Type a question and press Enter; a question that names no topic (“why?”) or "
        "starts with “it” or “that” follows up the one before. Commands:\n"
        "  /more     the next results for the last question\n"
        "  /back     the results before\n"
        "  /sources  the full quoted snippets of the last answer\n"
        "  /stats    what is indexed: files, notes, snippets, skipped files\n"
        "  /help     this text\n"
        "  /quit     leave (or Ctrl-D)"
    ),
    unknown_command="Unknown command {command}. /help lists the commands.",
    more_before_asking="Nothing to show more of: ask a question first.",
    more_after_abstention="No more results: the notes don't cover that question.",
    no_more_for_question="No more results for that question.",
    sources_before_asking="No sources yet: ask a question first.",
    more_hint="/more for the next results",
    history_off="History is off: cannot write {where} ({reason}).",
    notes_reindexed="Notes changed: re-indexed {files} files, {snippets} snippets.",
    reindex_failed="Notes changed, but re-indexing failed ({error}); using the old index.",
    command_descriptions=(
        ("ask", "Ask a question about the notes"),
        ("help", "What I know and how to ask"),
        ("stats", "What is indexed"),
        ("reload", "Rebuild the index (admins)"),
    ),
)

ZH = Strings(
    not_covered="笔记里没有讲到这个。",
    closest_topics="最接近的主题：{topics}",
    sources="出处：",
    no_sources="这个回答没有出处。",
    follow_up="（接上题：{topic}）",
    empty_hint="请用文字提问，例如：DeepSeek-V3 的总参数量是多少？",
    vague_hint="问题里没有可以查找的主题；请加上主题，例如“AdamW 是什么？”。",
    cut_notice="问题太长，只用了前 {limit} 个字。",
    no_more_results="没有更多结果了。",
    also_in="另见 {places}",
    more_button="更多",
    back_button="上一页",
    sources_button="出处",
    page_sent_below="这是别人的回答；你要的那一页发在下面。",
    expired="这个按钮已过期，请重新提问。",
    vote_thanks="谢谢反馈！",
    help=(
        "我根据学习小组的笔记回答问题，原文引用并注明出处。\n"
        "我知道{stats}。\n\n"
        "私聊时直接发问题即可。在群里，用 /ask 加问题、@我，或回复我的回答来追问。"
        "回复同学的消息并发 /ask，我就回答那条消息。在任何聊天里输入 @{bot} 加问题，"
        "可以挑一个回答发出去。"
    ),
    help_examples="例如：",
    ask_usage="这样问：/ask {example}",
    greeting=(
        "大家好！我根据学习小组的笔记回答问题，原文引用并注明出处。"
        "用 /ask 加问题、@我，或回复我的回答来追问。/help 查看更多。"
    ),
    non_text_hint="我只读文字：请直接输入问题，或者发图片时把问题写在说明里。",
    refusal="抱歉，我只在指定的学习小组里回答问题。",
    slow_down="慢一点：每分钟最多问 {limit} 个问题。",
    slow_down_pages="慢一点：每分钟最多翻 {limit} 页。",
    inline_type_a_question="输入一个关于笔记的问题",
    asked="问：{question}",
    admins_only="只有管理员可以重建索引。",
    reload_running="正在重建索引。",
    reload_started="正在重建索引；期间照常回答。",
    reload_failed="重建失败，继续使用旧索引：{error}",
    reloaded="已重建：{stats}",
    stats=(
        "{files} 个文件，{notes} 条笔记，{snippets} 个片段"
        "（合并重复 {duplicates} 个，跳过文件 {skipped} 个）"
    ),
    index_stats=(
        "{files} 个文件，{notes} 条笔记，{before} 个片段 → 去重后 {snippets} 个"
        "（合并重复 {duplicates} 个），跳过文件 {skipped} 个，忽略 {ignored} 个"
    ),
    index_built="索引建于 {time}。",
    skipped="跳过 {source}：{reason}",
    more_skipped="……另有 {count} 个文件被跳过",
    helpful_rate="有用：{votes} 票中 {helpful} 票（{percent}%）。",
    repl_banner="qabot：提问吧。/help 查看命令，Ctrl-D 退出。",
    repl_help=(
        "输入问题后回车；没有主题的问题（“为什么？”）或以“它”“这个”“那”开头的问题，"
        "会接着上一个问题回答。命令：\n"
        "  /more     上一个问题的更多结果\n"
        "  /back     上一页结果\n"
        "  /sources  上一个回答的完整原文\n"
        "  /stats    索引了什么：文件、笔记、片段、跳过的文件\n"
        "  /help     显示这段说明\n"
        "  /quit     退出（或 Ctrl-D）"
    ),
    unknown_command="没有这个命令：{command}。/help 列出所有命令。",
    more_before_asking="还没有可以翻页的结果：请先提问。",
    more_after_abstention="没有更多结果：笔记里没有讲到那个问题。",
    no_more_for_question="这个问题没有更多结果了。",
    sources_before_asking="还没有出处：请先提问。",
    more_hint="/more 查看更多结果",
    history_off="不保存输入历史：无法写入 {where}（{reason}）。",
    notes_reindexed="笔记有变化：已重新索引 {files} 个文件，{snippets} 个片段。",
    reindex_failed="笔记有变化，但重新索引失败（{error}）；继续使用旧索引。",
    command_descriptions=(
        ("ask", "就笔记提问"),
        ("help", "我知道什么、怎么问"),
        ("stats", "索引了什么"),
        ("reload", "重建索引（管理员）"),
    ),
)

CATALOGUE: dict[Language, Strings] = {"zh": ZH, "en": EN}


def strings_of(language: str) -> Strings:
    """The catalogue of a stored language code (English for one it doesn't know)."""
    return CATALOGUE.get(language, EN)  # type: ignore[call-overload]


class Notice(StrEnum):
    """The kinds of notice the core gives."""

    EMPTY = "empty"  # nothing to search: empty, punctuation, emoji
    VAGUE = "vague"  # only question words
    CUT = "cut"  # the question was cut; the answer follows as usual
    NO_MORE = "no_more"  # a page past the last


def notice_of(notice: str | None) -> tuple[Notice | None, int | None]:
    """Which core notice ``notice`` is (and the limit of a cut one); ``None`` if unknown."""
    if notice == EMPTY_HINT:
        return Notice.EMPTY, None
    if notice == VAGUE_HINT:
        return Notice.VAGUE, None
    if notice == _NO_MORE:
        return Notice.NO_MORE, None
    if notice is not None and (cut := _CUT.fullmatch(notice)):
        return Notice.CUT, int(cut[1])
    return None, None


def choose_language(fixed: str | None, personal: str | None, text: str) -> Language:
    """``fixed`` if set, else the person's language if zh or en, else ``text``'s script."""
    for code in (fixed, personal):
        primary = (code or "").replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary  # type: ignore[return-value]
    return "zh" if _CJK.search(text) else "en"


def locale_language() -> str | None:
    """The terminal user's language, from the environment as gettext reads it."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(":")[0]
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value
    return None
