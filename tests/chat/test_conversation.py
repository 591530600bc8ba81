"""The conversation layer: what follows up what, and how an earlier topic is carried."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.chat.conversation import Conversations
from qabot.chat.service import AnswerService
from qabot.chat.store import ChatStore
from qabot.config import Settings
from qabot.pipeline import QAPipeline

Make = Callable[[dict[str, str | bytes]], Path]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def talk(seeds_pipeline: QAPipeline, clock: Clock) -> Conversations:
    store = ChatStore(None, ttl=86400, clock=clock)
    return Conversations(AnswerService(seeds_pipeline.settings, seeds_pipeline), store, 900)


@pytest.mark.parametrize(
    ("question", "follows"),
    [
        ("为什么?", True),
        ("还有呢？", True),
        ("它每个 token 激活多少参数?", True),
        ("这个怎么用", True),
        ("那 AdamW 呢", True),
        ("What is it used for?", True),
        ("that one?", True),
        ("DeepSeek-V3 的总参数量是多少?", False),
        ("What is AdamW?", False),
        ("thatch roofs", False),
        ("🙂", False),  # nothing to ask: the empty-question hint, not a follow-up
    ],
)
def test_what_leans_on_an_earlier_question(
    talk: Conversations, question: str, follows: bool
) -> None:
    assert talk.follows_up(question) is follows


def test_a_follow_up_carries_the_topic_per_person_and_chat(talk: Conversations) -> None:
    first = talk.ask(1, 10, "DeepSeek-V3 的总参数量是多少?", "zh")
    assert first.understood is None and first.turn.topic == "DeepSeek-V3 总参数量"
    why = talk.ask(1, 10, "为什么?", "zh")
    assert why.understood == "DeepSeek-V3 总参数量"
    assert "DeepSeek-V3" in why.answer.answer and why.answer.answer != first.answer.answer
    assert talk.ask(1, 11, "为什么?", "zh").answer.notice  # someone else: no context
    assert talk.ask(2, 10, "为什么?", "zh").answer.notice  # another chat: no context
    pronoun = talk.ask(1, 10, "它每个 token 激活多少参数?", "zh")
    assert pronoun.understood == "DeepSeek-V3 总参数量" and "37B" in pronoun.answer.answer
    chained = talk.ask(1, 10, "还有呢?", "zh")
    assert chained.understood == "DeepSeek-V3 总参数量"
    pages = [talk.ask(1, 10, "还有呢?", "zh").answer.page for _ in range(2)]
    assert pages == [chained.answer.page + 1, chained.answer.page + 2]  # on and on


def test_a_follow_up_that_moves_on_starts_a_topic_of_its_own(talk: Conversations) -> None:
    talk.ask(1, 10, "梯度检查点是什么？", "zh")
    moved = talk.ask(1, 10, "那 AdamW 和 Adam 有什么区别？", "zh")
    assert moved.understood is None and "AdamW" in moved.answer.answer
    assert talk.ask(1, 10, "它是什么？", "zh").understood == moved.turn.topic


def test_a_reply_follows_the_answer_it_replies_to_even_when_old(
    talk: Conversations, clock: Clock
) -> None:
    first = talk.ask(1, 10, "梯度检查点是什么？", "zh")
    talk.store.link_answers(first.turn, [500])
    talk.ask(1, 10, "DeepSeek-V3 的总参数量是多少?", "zh")
    clock.now += 3600  # too old for a pronoun, not for a reply
    assert talk.ask(1, 10, "为什么?", "zh").answer.notice
    reply = talk.ask(1, 12, "为什么?", "zh", replying_to=500)
    assert reply.understood == "梯度检查点"


def test_an_edited_question_is_answered_anew_in_the_same_turn(talk: Conversations) -> None:
    asked = talk.ask(1, 10, "梯度检查点是什么？", "zh", asked_message=7)
    talk.store.link_answers(asked.turn, [8, 9])
    found = talk.reask(1, 7, "DeepSeek-V3 的总参数量是多少?", "zh")
    assert found is not None
    reply, answered_by = found
    assert answered_by == [8, 9] and reply.turn.id == asked.turn.id
    assert "671B" in reply.answer.answer
    assert talk.reask(1, 99, "梯度检查点是什么？", "zh") is None  # never answered


def test_the_earlier_topic_weighs_less_than_the_questions_own(notes_folder: Make) -> None:
    folder = notes_folder(
        {
            "zorbax.txt": "Zorbax 调度的周期长度每次翻倍。\n",
            "quillon.txt": "Quillon 调度的周期长度固定不变。\n",
        }
    )
    pipeline = QAPipeline.from_settings(Settings(notes_dir=folder))
    for earlier, said in [("Quillon 调度是什么？", "固定不变"), ("Zorbax 调度是什么？", "翻倍")]:
        assert said in pipeline.ask("它的周期长度呢？", context=earlier).answer
    own_first = pipeline.ask("Zorbax 的周期长度呢？", context="Quillon 调度是什么？")
    assert "翻倍" in own_first.answer  # the question's own name outweighs the carried one
    assert pipeline.ask("为什么？", context="Zorbax 的周期长度呢？").answer == own_first.answer
    assert pipeline.ask("为什么？").notice  # no context: the usual hint
