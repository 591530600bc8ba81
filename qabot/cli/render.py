"""Render the core's answers and stats for a person in a terminal, with rich.

Example:
    >>> from rich.console import Console
    >>> console = Console(width=80, color_system=None)
    >>> render_answer(console, Answer("?", "", True, [], notice="Ask in words."))
    Ask in words.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from qabot.ingest.skipped import summarize_skipped
from qabot.schema import Answer, Citation, IndexStats

NOT_COVERED = "The notes don't cover this."


def render_answer(console: Console, answer: Answer) -> None:
    """The answer, its cited sentence highlighted, then numbered sources."""
    if answer.notice:
        console.print(escape(answer.notice), style="dim" if not answer.abstained else None)
    if answer.abstained:
        if answer.notice is None:
            console.print(NOT_COVERED, style="bold")
            if answer.closest_topics:
                topics = "; ".join(escape(topic) for topic in answer.closest_topics)
                console.print(f"Closest topics in the notes: {topics}")
        return
    if answer.answer:
        console.print(f"[bold yellow]{escape(answer.answer)}[/]")
    for citation in answer.citations:
        console.print(_source_line(citation), highlight=False)
    if answer.has_more:
        console.print("[dim]/more for the next results[/]")


def render_sources(console: Console, answer: Answer | None) -> None:
    """The full quoted snippet of every citation of ``answer``."""
    if answer is None or not answer.citations:
        console.print("No sources yet: ask a question first.")
        return
    for citation in answer.citations:
        console.print(_source_line(citation), highlight=False)
        console.print(f"    “{escape(citation.text)}”", highlight=False)


def render_stats(console: Console, stats: IndexStats, verbose: bool = False) -> None:
    """Files, notes, snippets before and after dedup, skipped and ignored files; the
    skipped files one by one, or summarized per cause when many (``verbose``: all)."""
    console.print(
        f"{stats.files} files, {stats.notes} notes, "
        f"{stats.snippets_before_dedup} snippets → {stats.snippets} after dedup "
        f"({stats.duplicates_merged} duplicates merged), {len(stats.skipped)} files skipped, "
        f"{stats.ignored} ignored",
        highlight=False,
    )
    if verbose:
        lines = [f"skipped {entry.source}: {entry.reason}" for entry in stats.skipped]
    else:
        lines = summarize_skipped(stats.skipped)
    for line in lines:
        console.print(f"  {escape(line)}")


def _source_line(citation: Citation) -> str:
    where = f"{citation.source}:{citation.line}"
    also = escape(", ".join(citation.also_in))
    also = f"  [dim](also in {also})[/]" if also else ""
    return f"[cyan][{citation.n}][/] {escape(where)} — {escape(citation.title)}{also}"
