"""Load and faults: the numbers of docs/reliability.md, measured over loopback.

Load: ``python -m qabot telegram`` runs as a subprocess against telegram-test-api
(with the test suite's compat proxy in its own process in front). 200 simulated users
each ask their share of 5,000 questions from ``tests/data/seed_questions.jsonl``, one
at a time: send, wait for the reply, send the next. The emulator's history is copied
as the run goes (it forgets messages after 30-60 s), then every question is matched to
its replies by ``reply_to_message_id``: answered exactly once, with the text the core
gives for it.
Reported: throughput; p50/p95/p99 latency, both as the user saw it (send → reply
seen, polling every 0.5 s) and as the emulator stamped it (question stored → reply
stored, in ms); the bot's RSS (``/proc/<pid>/status`` VmRSS) after 500 and after
5,000 answers, which must stay within 10 %.

Faults: the scenarios of ``tests/telegram/test_faults.py`` (the same code), with the
bot in this process as in the tests.

Usage:
    .venv/bin/python benchmarks/bench_load.py                       # ~7 min, writes the doc
    .venv/bin/python benchmarks/bench_load.py --only load           # ~5 min
    .venv/bin/python benchmarks/bench_load.py --users 20 --questions 500 --no-write  # smoke
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "telegram")]  # the harness is not a package

from harness import (  # noqa: E402
    Emulator,
    FakeUser,
    TelegramProxy,
    bypass_proxies_for_loopback,
    ensure_emulator_installed,
    make_bot_token,
)
from harness_user import to_bot_reply  # noqa: E402
from load_tools import HistoryCopy, LoopbackClient, percentile, proc_status, update_doc  # noqa: E402

from qabot.chat.strings import EN  # noqa: E402
from qabot.config import load_settings  # noqa: E402
from qabot.pipeline import QAPipeline  # noqa: E402
from qabot.telegram.render import render_answer  # noqa: E402

DOC = REPO / "docs" / "reliability.md"
QUESTION_SET = REPO / "tests" / "data" / "seed_questions.jsonl"
RSS_TOLERANCE = 0.10
STORE_SECONDS = 30  # the emulator keeps messages 30-60 s; the copy is taken every 10 s
TABLE_HEAD = "| Case | What was tried | Times | Result |\n|---|---|---|---|\n"


# -- processes -----------------------------------------------------------------------
def serve_proxy(upstream: str) -> None:
    """``--serve-proxy URL``: run the compat proxy until stdin closes; print its port.

    In its own process so that its threads do not compete for one GIL with 200 users.
    """
    with TelegramProxy(upstream) as proxy:
        print(proxy.port, flush=True)
        sys.stdin.read()


def start_proxy(upstream: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-proxy", upstream],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, f"http://127.0.0.1:{int(process.stdout.readline())}/bot"


def start_bot(token: str, base_url: str, log: Any) -> subprocess.Popen[bytes]:
    """The bot as a user runs it; limits raised because the emulator has no flood limit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QABOT_")}
    env |= {
        "QABOT_TELEGRAM__TOKEN": token,
        "QABOT_TELEGRAM__BASE_URL": base_url,
        "QABOT_TELEGRAM__QUESTIONS_PER_MINUTE": "100000",
        "QABOT_TELEGRAM__API_REQUESTS_PER_SECOND": "100000",
    }
    command = [sys.executable, "-m", "qabot", "telegram"]
    return subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stderr=log)


# -- users ---------------------------------------------------------------------------
@dataclasses.dataclass
class PooledUser(FakeUser):
    """A FakeUser on one shared :class:`LoopbackClient`: 200 users polling stay cheap."""

    client: LoopbackClient | None = None

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        assert self.client is not None
        return (await self.client.post(path, payload))["result"]


@dataclasses.dataclass
class LoadRun:
    users: int
    questions: int
    seen: list[float] = dataclasses.field(default_factory=list)  # send → reply seen, s
    stamped: list[float] = dataclasses.field(default_factory=list)  # emulator clock, s
    timeouts: int = 0
    elapsed: float = 0.0
    rss: dict[int, int] = dataclasses.field(default_factory=dict)  # answered → KiB
    cpu: dict[int, float] = dataclasses.field(default_factory=dict)  # answered → s
    peak_rss: int = 0
    outcome: Counter[str] = dataclasses.field(default_factory=Counter)
    bot_errors: list[str] = dataclasses.field(default_factory=list)
    aborted: bool = False  # the --deadline passed before every user was done
    cpu_seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # per process
    load_average: float = 0.0  # the machine's, at the end: others may share it


def question_set() -> list[str]:
    lines = QUESTION_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines if line.strip()]


def expected_replies(questions: list[str]) -> dict[str, list[str]]:
    """What the bot must send for each question: the core's answer, rendered."""
    pipeline = QAPipeline.from_settings(load_settings(REPO / "config" / "qabot.toml"))
    return {q: render_answer(pipeline.ask(q), EN) for q in set(questions)}  # users are "en"


async def ask_in_turn(
    user: FakeUser, questions: list[str], pages: dict[str, int], run: LoadRun, timeout: float
) -> None:
    for question in questions:
        sent = time.monotonic()
        await user.send_message(question)
        try:
            await user.wait_for_replies(pages[question], timeout=timeout)
        except TimeoutError:
            run.timeouts += 1  # the history check at the end says what became of it
            continue
        run.seen.append(time.monotonic() - sent)


def record(pid: int, run: LoadRun, mark: int) -> None:
    status = proc_status(pid)
    run.rss[mark] = int(status["VmRSS"])
    run.cpu[mark] = status["cpu"]


async def watch(pid: int, run: LoadRun, mark: int) -> None:
    """Read the bot's RSS and CPU time once ``mark`` questions are done."""
    while len(run.seen) + run.timeouts < mark:
        await asyncio.sleep(0.05)
    record(pid, run, mark)


def check_history(
    entries: list[dict[str, Any]], expected: dict[str, list[str]], run: LoadRun
) -> None:
    """Match every question to its replies by reply_to_message_id; count the outcomes."""
    entries = sorted(entries, key=lambda entry: int(entry["time"]))
    asked: dict[tuple[int, int], tuple[str, int]] = {}
    replies: dict[tuple[int, int], list[str]] = {}
    for entry in entries:
        message = entry["message"]
        if "chat_id" in message:  # a bot message
            reply = to_bot_reply(entry)
            key = (reply["chat_id"], reply["reply_to_message_id"] or 0)
            replies.setdefault(key, []).append(reply["text"] or "")
            stamp = int(entry["time"])
        else:
            key = (int(message["chat"]["id"]), int(entry["messageId"]))
            asked[key] = (message["text"], int(entry["time"]))
            continue
        if key in asked:
            run.stamped.append((stamp - asked[key][1]) / 1000)
    for key, (text, _) in asked.items():
        got = replies.pop(key, [])
        want = expected[text]
        if len(got) < len(want):
            run.outcome["lost"] += 1
        elif len(got) > len(want):
            run.outcome["duplicated"] += 1
        elif got != want:
            run.outcome["wrong text"] += 1
        else:
            run.outcome["answered once"] += 1
    run.outcome["replies to no question"] = sum(len(texts) for texts in replies.values())


async def load(users: int, total: int, poll: float, timeout: float, deadline: float) -> LoadRun:
    run = LoadRun(users, total)
    questions = question_set()
    expected = expected_replies(questions)
    pages = {q: len(texts) for q, texts in expected.items()}
    token = make_bot_token()
    log_path = Path(tempfile.mkstemp(prefix="qabot-bot-", suffix=".log")[1])
    with Emulator(store_timeout=STORE_SECONDS) as emulator, log_path.open("wb") as log:
        proxy, base_url = start_proxy(emulator.url)
        bot = start_bot(token, base_url, log)
        client = LoopbackClient(emulator.url)
        history = HistoryCopy(client, token)
        copying = asyncio.create_task(history.keep_copying(STORE_SECONDS / 3))
        try:
            # Warm up (index load, jieba's dictionary) outside the measurement.
            warm = PooledUser(emulator.url, token, user_id=1, track_ids=False, client=client)
            await warm.send_message(questions[0])
            await warm.wait_for_replies(pages[questions[0]], timeout=120)
            record(bot.pid, run, 0)
            crowd = [
                PooledUser(emulator.url, token, user_id=10_000 + i, track_ids=False,
                           poll_interval=poll, client=client)
                for i in range(users)
            ]  # fmt: skip
            shares = [
                [questions[(i * 7 + k) % len(questions)] for k in range(i, total, users)]
                for i in range(users)
            ]
            watcher = asyncio.create_task(watch(bot.pid, run, 500))
            pids = {"bot": bot.pid, "proxy": proxy.pid, "emulator": emulator.pid or 0}
            cpu_before = {name: proc_status(pid)["cpu"] for name, pid in pids.items()}
            cpu_before["users"] = time.process_time()
            start = time.monotonic()
            pairs = zip(crowd, shares, strict=True)
            asking = asyncio.gather(*(ask_in_turn(u, s, pages, run, timeout) for u, s in pairs))
            try:
                await asyncio.wait_for(asking, deadline)
            except TimeoutError:  # bounded: count what was done, the rest is lost
                run.aborted = True
            run.elapsed = time.monotonic() - start
            record(bot.pid, run, total)
            cpu_after = {name: proc_status(pid)["cpu"] for name, pid in pids.items()}
            cpu_after["users"] = time.process_time()
            run.cpu_seconds = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
            run.load_average = os.getloadavg()[0]
            watcher.cancel()
            if 500 not in run.rss:
                run.rss[500] = run.rss[total]
            run.peak_rss = int(proc_status(bot.pid)["VmHWM"])
            await asyncio.sleep(2)  # a late duplicate would land now
            copying.cancel()
            await history.copy()
            check_history(list(history.entries.values()), expected, run)
            # The warm-up question is not one of the `total`.
            run.outcome["answered once"] -= 1
        finally:
            copying.cancel()
            await client.aclose()
            bot.terminate()
            bot.wait(15)
            proxy.stdin.close()  # type: ignore[union-attr]
            proxy.wait(15)
    text = log_path.read_text(errors="replace")
    run.bot_errors = [line for line in text.splitlines() if line.startswith(("ERROR", "CRITICAL"))]
    return run


def load_section(run: LoadRun) -> str:
    answered = run.outcome["answered once"]
    lost = run.questions - answered
    growth = (run.rss[run.questions] - run.rss[500]) / run.rss[500]
    cpu = (run.cpu[run.questions] - run.cpu[0]) / run.questions

    kinds = Counter(run.bot_errors).most_common(3)
    errors = f" ({', '.join(f'{n} × `{line}`' for line, n in kinds)})" if kinds else ""
    cpu_use = ", ".join(f"{name} {seconds:.0f}" for name, seconds in run.cpu_seconds.items())

    def ms(values: list[float]) -> str:
        return " / ".join(f"{percentile(values, p) * 1000:.0f}" for p in (0.5, 0.95, 0.99))

    rows = [
        (
            "Load: many users at once",
            f"{run.users} users in private chats, each asking its share of "
            f"{run.questions:,} seed questions one after another (next sent when the "
            "reply is seen), against `python -m qabot telegram` as a subprocess",
            f"{run.questions:,}",
            f"answered exactly once with the expected text {answered:,}, "
            f"duplicated {run.outcome['duplicated']}, wrong text {run.outcome['wrong text']}, "
            f"**lost {lost}**",
        ),
        (
            "Load: memory",
            "bot RSS (VmRSS) after 500 and after all answers",
            "1 run",
            f"{run.rss[500] / 1024:.1f} MiB → {run.rss[run.questions] / 1024:.1f} MiB "
            f"({growth:+.1%}; target within ±{RSS_TOLERANCE:.0%}: "
            f"{'met' if abs(growth) <= RSS_TOLERANCE else '**missed**'})",
        ),
    ]
    table = "\n".join(f"| {' | '.join(row)} |" for row in rows)
    return (
        f"{TABLE_HEAD}{table}\n\n"
        f"- Throughput: **{run.questions / run.elapsed:.1f} questions/s** "
        f"({run.questions:,} in {run.elapsed:.0f} s, {run.users} users). CPU seconds used "
        f"meanwhile: {cpu_use}, on {os.cpu_count()} cores; 1-minute load average at the "
        f"end {run.load_average:.1f}.\n"
        f"- Latency p50 / p95 / p99, send → reply seen (users poll every 0.5 s): "
        f"**{ms(run.seen)} ms**.\n"
        f"- Latency p50 / p95 / p99, question stored → reply stored (emulator clock): "
        f"**{ms(run.stamped)} ms**.\n"
        f"- Bot memory: {run.rss[0] / 1024:.1f} MiB after the warm-up question, "
        f"{run.rss[500] / 1024:.1f} MiB after 500, {run.rss[run.questions] / 1024:.1f} MiB after "
        f"{run.questions:,}, peak {run.peak_rss / 1024:.1f} MiB; CPU {cpu * 1000:.1f} ms per "
        "question.\n"
        f"- Waits for a reply that timed out: {run.timeouts}; replies to no question: "
        f"{run.outcome['replies to no question']}; ERROR lines in the bot's log: "
        f"{len(run.bot_errors)}{errors}{'; **stopped at the deadline**' if run.aborted else ''}.\n"
    )


# -- faults --------------------------------------------------------------------------
async def faults() -> list[Any]:
    """The three scenarios of tests/telegram/test_faults.py, each with a fresh bot."""
    from test_faults import make_bot, run_malformed, run_outage, run_storm

    pipeline = QAPipeline.from_settings(load_settings(REPO / "config" / "qabot.toml"))
    runs = []
    with Emulator() as emulator:
        for scenario in ("outage", "storm", "malformed"):
            token = make_bot_token()
            with TelegramProxy(emulator.url) as proxy:
                app = make_bot(token, proxy, pipeline)
                people = [FakeUser(emulator.url, token, user_id=20_000 + i) for i in range(4)]
                if scenario == "outage":
                    runs.append(await run_outage(app, proxy, people[:3]))
                elif scenario == "storm":
                    runs.append(await run_storm(app, proxy, people))
                else:
                    runs.append(await run_malformed(app, proxy, people[0]))
            print(runs[-1].summary(), flush=True)
    return runs


def faults_section(runs: list[Any]) -> str:
    rows = []
    for run in runs:
        asked = sum(run.asked.values())
        phases = ", ".join(f"{n} {phase}" for phase, n in run.asked.items())
        faults = ", ".join(
            f"{n} of {run.calls[method]} {method} calls" for method, n in sorted(run.faults.items())
        )
        result = f"answered {sum(run.answered.values())}, **lost {run.lost}**"
        if run.recovery_seconds is not None:
            result += (
                f"; recovered {run.recovery_seconds:.1f} s after the API came back (first "
                f"good getUpdates), all queued questions answered {run.backlog_seconds:.1f} s after"
            )
        if run.lost or run.handler_errors:
            result += f"; handler errors logged: {len(run.handler_errors)}"
        rows.append(f"| {run.case} | faults served: {faults} | {asked} ({phases}) | {result} |")
    return TABLE_HEAD + "\n".join(rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--poll", type=float, default=0.5, help="user poll interval, s")
    parser.add_argument("--reply-timeout", type=float, default=120.0)
    parser.add_argument("--deadline", type=float, default=900.0, help="load phase cap, s")
    parser.add_argument("--only", choices=["load", "faults"])
    parser.add_argument("--no-write", action="store_true", help="print, leave the doc alone")
    parser.add_argument("--serve-proxy", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_proxy:
        serve_proxy(args.serve_proxy)
        return 0
    if args.questions < 500:
        parser.error("--questions must be at least 500 (RSS is compared after 500)")
    # The in-process bot of the fault scenarios would otherwise log every request.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(name)s: %(message)s")
    bypass_proxies_for_loopback()
    ensure_emulator_installed()
    ok = True
    if args.only in (None, "load"):
        limits = (args.poll, args.reply_timeout, args.deadline)
        run = asyncio.run(load(args.users, args.questions, *limits))
        body = load_section(run)
        print(body, "\n".join(run.bot_errors[:10]), sep="\n")
        growth = abs(run.rss[args.questions] - run.rss[500]) / run.rss[500]
        ok &= run.outcome["answered once"] == args.questions and growth <= RSS_TOLERANCE
        if not args.no_write:
            update_doc(DOC, "load", body)
    if args.only in (None, "faults"):
        runs = asyncio.run(faults())
        body = faults_section(runs)
        print(body)
        if not args.no_write:
            update_doc(DOC, "faults", body)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
