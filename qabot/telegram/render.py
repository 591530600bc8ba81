"""Render the core's answers as Telegram HTML messages, each under 4096 characters.

Telegram counts a message's length in UTF-16 code units (an emoji or a rare CJK
character counts twice), so every length here is measured that way.

All note text is escaped; tags are only ever added around whole pieces of text, and
a message is split between blocks, or inside a block's text with its tags repeated,
so no message is ever cut inside a tag.

Example:
    >>> from qabot.schema import Answer
    >>> render_answer(Answer("?", "", True, [], closest_topics=["AdamW"]))
    ["The notes don't cover this.\\nClosest topics: AdamW"]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from qabot.schema import Answer, Citation, IndexStats

MESSAGE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of text and the tags that wrap it, rendered as one unit if it fits."""

    text: str
    open_tags: str = ""
    close_tags: str = ""

    def html(self, text: str | None = None) -> str:
        body = escape(self.text if text is None else text, quote=False)
        return f"{self.open_tags}{body}{self.close_tags}"


def render_answer(answer: Answer, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The answer in bold, then numbered sources; abstentions and hints plainly."""
    blocks: list[Block] = []
    if answer.notice:
        blocks.append(Block(answer.notice, "<i>", "</i>"))
    if answer.abstained:
        if answer.notice is None:
            topics = "; ".join(answer.closest_topics)
            text = "The notes don't cover this." + (f"\nClosest topics: {topics}" if topics else "")
            blocks.append(Block(text))
        return pack(blocks, limit)
    if answer.answer:
        blocks.append(Block(answer.answer, "<b>", "</b>"))
    if answer.citations:
        blocks.append(Block("Sources:", "<i>", "</i>"))
        blocks.extend(Block(_source_line(c)) for c in answer.citations)
    return pack(blocks, limit)


def render_sources(answer: Answer, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Every citation with its full quoted snippet."""
    blocks: list[Block] = []
    for citation in answer.citations:
        blocks.append(Block(_source_line(citation), "<b>", "</b>"))
        blocks.append(Block(citation.text, "<blockquote>", "</blockquote>"))
    return pack(blocks or [Block("No sources for this answer.")], limit)


def render_stats(stats: IndexStats) -> str:
    """Files, notes, snippets and duplicates merged, as one line of plain text."""
    return (
        f"{stats.files} files, {stats.notes} notes, {stats.snippets} snippets "
        f"({stats.duplicates_merged} duplicates merged, {len(stats.skipped)} files skipped)"
    )


def render_status(stats: IndexStats, built_at: float, shown_skipped: int = 10) -> list[str]:
    """``/stats``: the counts, when the index was built, and which files were skipped why."""
    built = datetime.fromtimestamp(built_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    blocks = [Block(render_stats(stats)), Block(f"Index built {built}.")]
    blocks.extend(Block(f"skipped {s.source}: {s.reason}") for s in stats.skipped[:shown_skipped])
    if len(stats.skipped) > shown_skipped:
        blocks.append(Block(f"… and {len(stats.skipped) - shown_skipped} more skipped files"))
    return pack(blocks)


def pack(blocks: list[Block], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join blocks with newlines into as few messages under ``limit`` as possible."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _fit(block, limit):
            joined = f"{current}\n{piece}" if current else piece
            if utf16_len(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _fit(block: Block, limit: int) -> list[str]:
    """The block as one piece, or its text cut so each piece fits with its tags."""
    whole = block.html()
    if utf16_len(whole) <= limit:
        return [whole]
    pieces: list[str] = []
    text = block.text
    while text:
        low, high = 1, len(text)
        while low < high:  # longest prefix whose escaped form fits
            middle = (low + high + 1) // 2
            if utf16_len(block.html(text[:middle])) <= limit:
                low = middle
            else:
                high = middle - 1
        pieces.append(block.html(text[:low]))
        text = text[low:]
    return pieces


def utf16_len(text: str) -> int:
    """The length Telegram measures: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _source_line(citation: Citation) -> str:
    also = f" (also in {', '.join(citation.also_in)})" if citation.also_in else ""
    return f"[{citation.n}] {citation.source}:{citation.line} — {citation.title}{also}"
