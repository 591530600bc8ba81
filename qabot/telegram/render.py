"""Render the core's answers as Telegram HTML messages, each under 4096 characters.

Telegram counts a message's length in UTF-16 code units (an emoji or a rare CJK
character counts twice), so every length here is measured that way.

All note text is escaped; tags are only ever added around whole pieces of text, and
a message is split between blocks, or inside a block's text with its tags repeated,
so no message is ever cut inside a tag. Sentences cited from one place are listed
under that place, once.

Example:
    >>> from qabot.chat.strings import EN
    >>> from qabot.schema import Answer
    >>> render_answer(Answer("?", "", True, [], closest_topics=["AdamW"]), EN)
    ["The notes don't cover this.\\nClosest topics: AdamW"]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from qabot.chat.citations import CODE_KINDS, Place, by_place, excerpt, is_code_answer
from qabot.chat.feedback import HelpfulRate
from qabot.chat.strings import Notice, Strings, notice_of
from qabot.ingest.splitter import CODE_SPAN
from qabot.schema import Answer, IndexStats

MESSAGE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of text and the tags that wrap it, rendered as one unit if it fits.

    With ``inline_code``, the text's inline code and maths (kept verbatim, delimiters
    and all) are shown as code: a span cut in two when a block is split has lost a
    delimiter, so it is shown plain, and tags stay balanced.
    """

    text: str
    open_tags: str = ""
    close_tags: str = ""
    inline_code: bool = False

    def html(self, text: str | None = None) -> str:
        body = escape(self.text if text is None else text, quote=False)
        if self.inline_code:
            body = CODE_SPAN.sub(r"<code>\g<0></code>", body)
        return f"{self.open_tags}{body}{self.close_tags}"


def render_answer(
    answer: Answer, strings: Strings, understood: str | None = None, limit: int = MESSAGE_LIMIT
) -> list[str]:
    """What it followed up, the answer in bold, then sources; abstentions and hints plainly."""
    blocks: list[Block] = []
    if understood:
        blocks.append(Block(strings.follow_up.format(topic=understood), "<i>", "</i>"))
    if answer.notice:
        blocks.append(Block(strings.notice(answer.notice), "<i>", "</i>"))
    if answer.abstained:
        # A hint stands in for the answer; a cut question's abstention is still said.
        if answer.notice is None or notice_of(answer.notice)[0] is Notice.CUT:
            blocks.append(Block(strings.not_covered))
            if answer.closest_topics:
                topics = "; ".join(answer.closest_topics)
                blocks.append(Block(strings.closest_topics.format(topics=topics)))
        return pack(blocks, limit)
    if answer.answer:
        if is_code_answer(answer):
            blocks.append(Block(answer.answer, "<pre>", "</pre>"))
        else:
            blocks.append(Block(answer.answer, "<b>", "</b>", inline_code=True))
    if answer.citations:
        blocks.append(Block(strings.sources, "<i>", "</i>"))
        for place in by_place(answer.citations):
            blocks.append(Block(_place_line(place, strings)))
            blocks.extend(
                Block(f"  [{c.n}] {excerpt(c.text)}", inline_code=True) for c in place.citations
            )
    return pack(blocks, limit)


def render_sources(answer: Answer, strings: Strings, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Every citation with its full quoted snippet, under its place."""
    blocks: list[Block] = []
    for place in by_place(answer.citations):
        blocks.append(Block(_place_line(place, strings), "<b>", "</b>"))
        for citation in place.citations:
            if citation.kind in CODE_KINDS:
                blocks.append(Block(f"[{citation.n}]"))
                blocks.append(Block(citation.text, "<pre>", "</pre>"))
            else:
                quoted = f"[{citation.n}] {citation.text}"
                blocks.append(Block(quoted, "<blockquote>", "</blockquote>", inline_code=True))
    return pack(blocks or [Block(strings.no_sources)], limit)


def render_stats(stats: IndexStats, strings: Strings) -> str:
    """Files, notes, snippets and duplicates merged, as one line of plain text."""
    return strings.stats.format(
        files=stats.files,
        notes=stats.notes,
        snippets=stats.snippets,
        duplicates=stats.duplicates_merged,
        skipped=len(stats.skipped),
    )


def render_status(
    stats: IndexStats,
    built_at: float,
    strings: Strings,
    helpful: HelpfulRate | None = None,
    shown_skipped: int = 10,
) -> list[str]:
    """``/stats``: the counts, the build time, the skipped files, and the helpful rate."""
    built = datetime.fromtimestamp(built_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    blocks = [Block(render_stats(stats, strings)), Block(strings.index_built.format(time=built))]
    blocks.extend(
        Block(strings.skipped.format(source=s.source, reason=s.reason))
        for s in stats.skipped[:shown_skipped]
    )
    if len(stats.skipped) > shown_skipped:
        count = len(stats.skipped) - shown_skipped
        blocks.append(Block(strings.more_skipped.format(count=count)))
    if helpful is not None and helpful.votes:
        rate = strings.helpful_rate.format(
            helpful=helpful.helpful, votes=helpful.votes, percent=helpful.percent
        )
        blocks.append(Block(rate))
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


def _place_line(place: Place, strings: Strings) -> str:
    also = f" ({strings.also_in.format(places=', '.join(place.also_in))})" if place.also_in else ""
    return f"{place.where} — {place.title}{also}"
