from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.reader.quote import LEANS_BACK
from qabot.schema import Answer

Make = Callable[[dict[str, str | bytes]], Path]


def test_a_sentence_leaning_on_the_one_before_brings_it_and_reads_in_note_order(
    notes_folder: Make,
) -> None:
    before, best = "Dropout 在训练时随机丢弃神经元。", "而测试时使用整个模型，不再丢弃神经元。"

    def answer(note: str) -> Answer:
        folder = notes_folder({"d.txt": note + "\n"})
        settings = Settings(notes_dir=folder, index={"cache": False})
        return QAPipeline.from_settings(settings).ask("测试时还要用整个模型吗？")

    leaning = answer(before + best)
    assert leaning.answer == f"{before} {best}"
    assert [c.text for c in leaning.citations[:2]] == [best, before]
    standing = best.removeprefix("而")
    assert answer(before + standing).answer == standing


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("而在测试时不再丢弃。", True),
        ("因此它收敛更快。", True),
        ("这就是原因。", True),
        ("It was proposed in 2017.", True),
        ("即使数据很少也能训练。", False),
        ("故障排查先看日志。", False),
        ("其他方法更慢。", False),
        ("Dropout 随机丢弃神经元。", False),
        ("Items are sorted.", False),
    ],
)
def test_what_leans_on_the_sentence_before(sentence: str, leans: bool) -> None:
    assert (LEANS_BACK.match(sentence) is not None) is leans
