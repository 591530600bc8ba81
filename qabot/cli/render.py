"""Render the core's answers and stats for a person in a terminal, with rich.

Every string from the notes or the user is escaped, so ``[bold]`` in a note is shown
as written. Sentences cited from one place are listed under that place, once.

Example:
    >>> from rich.console import Console
    >>> from qabot.chat.strings import EN
    >>> console = Console(width=80, color_system=None)
    >>> render_answer(console, Answer("?", "", True, [], notice="Ask in words."), EN)
    Ask in words.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from qabot.chat.citations import CODE_KINDS, Place, by_place, excerpt, is_code_answer
from qabot.chat.feedback import HelpfulRate
from qabot.chat.strings import Notice, Strings, notice_of
from qabot.ingest.skipped import summarize_skipped
from qabot.ingest.splitter import CODE_SPAN
from qabot.schema import Answer, IndexStats


def render_answer(
    console: Console,
    answer: Answer,
    strings: Strings,
    understood: str | None = None,
    more_hint: bool = False,
) -> None:
    """The answer, highlighted, then its sources; ``understood``: the topic followed up."""
    if understood:
        console.print(strings.follow_up.format(topic=understood), style="dim", markup=False)
    if answer.notice:
        style = "dim" if not answer.abstained else None
        console.print(strings.notice(answer.notice), style=style, markup=False)
    if answer.abstained:
        # A hint stands in for the answer; a cut question's abstention is still said.
        if answer.notice is None or notice_of(answer.notice)[0] is Notice.CUT:
            console.print(strings.not_covered, style="bold", markup=False)
            if answer.closest_topics:
                topics = "; ".join(answer.closest_topics)
                console.print(strings.closest_topics.format(topics=topics), markup=False)
        return
    if answer.answer:
        if is_code_answer(answer):
            console.print(_code(answer.answer))
        else:
            console.print(f"[bold yellow]{_marked(answer.answer)}[/]")
    for place in by_place(answer.citations):
        console.print(_place_line(place, strings), highlight=False)
        for citation in place.citations:
            console.print(f"  [cyan][{citation.n}][/] {_marked(excerpt(citation.text))}")
    if more_hint and answer.has_more:
        console.print(strings.more_hint, style="dim", markup=False)


def render_sources(console: Console, answer: Answer | None, strings: Strings) -> None:
    """The full quoted snippet of every citation of ``answer``, under its place."""
    if answer is None or not answer.citations:
        console.print(strings.sources_before_asking, markup=False)
        return
    for place in by_place(answer.citations):
        console.print(_place_line(place, strings), highlight=False)
        for citation in place.citations:
            if citation.kind in CODE_KINDS:
                console.print(f"  [cyan][{citation.n}][/]")
                console.print(_code(citation.text))
            else:
                quoted = f"  [cyan][{citation.n}][/] “{_marked(citation.text)}”"
                console.print(quoted, highlight=False)


def render_stats(
    console: Console,
    stats: IndexStats,
    strings: Strings,
    helpful: HelpfulRate | None = None,
    verbose: bool = False,
) -> None:
    """Files, notes, snippets before and after dedup, skipped and ignored files, and the
    helpful rate; the skipped files one by one, or one line per cause when many
    (``verbose``: all)."""
    line = strings.index_stats.format(
        files=stats.files,
        notes=stats.notes,
        before=stats.snippets_before_dedup,
        snippets=stats.snippets,
        duplicates=stats.duplicates_merged,
        skipped=len(stats.skipped),
        ignored=stats.ignored,
    )
    console.print(line, highlight=False, markup=False)
    if verbose:
        lines = [strings.skipped.format(source=s.source, reason=s.reason) for s in stats.skipped]
    else:
        lines = summarize_skipped(stats.skipped)
    for line in lines:
        console.print(f"  {line}", markup=False)
    if helpful is not None and helpful.votes:
        rate = strings.helpful_rate.format(
            helpful=helpful.helpful, votes=helpful.votes, percent=helpful.percent
        )
        console.print(rate, markup=False)


def _place_line(place: Place, strings: Strings) -> str:
    also = strings.also_in.format(places=", ".join(place.also_in)) if place.also_in else ""
    also = f"  [dim]({escape(also)})[/]" if also else ""
    return f"{escape(place.where)} — {escape(place.title)}{also}"


def _marked(text: str) -> str:
    """``text`` as rich markup: escaped, its inline code and maths shown as code."""
    pieces: list[str] = []
    end = 0
    for span in CODE_SPAN.finditer(text):
        pieces += [escape(text[end : span.start()]), f"[bold cyan]{escape(span.group())}[/]"]
        end = span.end()
    return "".join([*pieces, escape(text[end:])])


def _code(text: str) -> Syntax:
    """A code block or formula, highlighted by the language it looks like."""
    return Syntax(
        text, Syntax.guess_lexer("note", text), word_wrap=True, background_color="default"
    )
