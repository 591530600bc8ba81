from collections.abc import Callable
from pathlib import Path

from qabot.chat.examples import ExampleQuestions
from qabot.config import Settings
from qabot.pipeline import QAPipeline


def test_examples_name_the_notes_own_topics_and_are_answered(
    notes_folder: Callable[[dict[str, str]], Path],
) -> None:
    folder = notes_folder(
        {
            "a.md": "# Zorbax-7\nZorbax-7 是一种学习率调度。\nZorbax-7 的周期每次翻倍。\n",
            "b.md": "# Quillon\nQuillon 优化器用于稀疏梯度。\n",
            "c.txt": "The 和 this 是英文的虚词。\n",  # capitalized, but no names
        }
    )
    pipeline = QAPipeline.from_settings(Settings(notes_dir=folder))
    examples = ExampleQuestions(count=3)
    chinese = examples.for_pipeline(pipeline, "zh")
    assert chinese[0] == "Zorbax-7 是什么？" and "Quillon 是什么？" in chinese
    assert not any(word in question for question in chinese for word in ("The", "this"))
    assert all(not pipeline.ask(question).abstained for question in chinese)
    assert examples.for_pipeline(pipeline, "en")[0] == "What is Zorbax-7?"
