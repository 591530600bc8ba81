"""Check Telegram HTML ourselves: the emulator never parses it."""

from __future__ import annotations

from html.parser import HTMLParser

from qabot.telegram.render import MESSAGE_LIMIT, utf16_len

ALLOWED_TAGS = {"b", "i", "blockquote", "code", "pre"}


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS, f"unexpected tag <{tag}>"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(message: str) -> str:
    """Assert ``message`` is balanced, known-tag HTML under the limit; return its text."""
    parser = _Balance()
    parser.feed(message)
    parser.close()
    assert parser.stack == [], f"unclosed {parser.stack}"
    assert utf16_len(message) <= MESSAGE_LIMIT
    return "".join(parser.text)
