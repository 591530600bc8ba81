from collections.abc import Callable
from pathlib import Path

from qabot.config import Settings
from qabot.pipeline import QAPipeline

Make = Callable[[dict[str, str | bytes]], Path]


def test_answer_is_a_verbatim_sentence_with_all_its_places(small_pipeline: QAPipeline) -> None:
    answer = small_pipeline.ask("梯度检查点保存什么？")
    assert not answer.abstained
    assert answer.answer.startswith("梯度检查点只保存部分激活值。")
    first = answer.citations[0]
    assert (first.source, first.line, first.also_in) == ("a.txt", 2, ["copy.txt:3"])
    text = (small_pipeline.index.folder / first.source).read_text(encoding="utf-8")
    assert text[first.start : first.end] == first.text


def test_next_sentence_joins_when_it_covers_missing_terms(small_pipeline: QAPipeline) -> None:
    answer = small_pipeline.ask("梯度检查点 重新计算")
    assert answer.answer == "梯度检查点只保存部分激活值。 反向传播时重新计算其余激活值。"
    assert [c.n for c in answer.citations] == [1, 2, 3]


def test_abstains_when_terms_are_missing_and_names_closest_topics(
    small_pipeline: QAPipeline,
) -> None:
    answer = small_pipeline.ask("学习率衰减和红烧肉做法")
    assert answer.abstained
    assert answer.answer == ""
    assert answer.citations == []
    assert answer.closest_topics[0] == "学习率预热让训练开始时学习率逐步增大"


def test_coverage_threshold_is_configurable(notes_folder: Make, small_notes: str) -> None:
    folder = notes_folder({"a.txt": small_notes})
    strict = QAPipeline.from_settings(Settings(notes_dir=folder, reader={"min_coverage": 1.0}))
    loose = QAPipeline.from_settings(Settings(notes_dir=folder, reader={"min_coverage": 0.1}))
    question = "AdamW 和 LAMB 谁更好"
    assert strict.ask(question).abstained
    assert not loose.ask(question).abstained


def test_pages_continue_the_ranking_without_repeats(small_pipeline: QAPipeline) -> None:
    first = small_pipeline.ask("训练 学习率 激活值 AdamW")
    assert first.has_more
    second = small_pipeline.ask("训练 学习率 激活值 AdamW", page=1)
    assert second.citations[0].n == len(first.citations) + 1
    assert not {c.text for c in first.citations} & {c.text for c in second.citations}


def test_a_runner_up_of_the_note_that_scores_as_well_joins(
    notes_folder: Make, small_notes: str
) -> None:
    folder = notes_folder({"a.txt": small_notes})
    question = "激活值"  # both sentences of the 梯度检查点 note hold it
    first, second = "梯度检查点只保存部分激活值。", "反向传播时重新计算其余激活值。"
    alone = QAPipeline.from_settings(Settings(notes_dir=folder, reader={"runner_up_margin": 0}))
    assert alone.ask(question).answer == first
    both = QAPipeline.from_settings(Settings(notes_dir=folder, reader={"runner_up_margin": 0.25}))
    assert both.ask(question).answer == f"{first} {second}"


def test_an_english_question_finds_chinese_notes_through_translations(
    notes_folder: Make, small_notes: str
) -> None:
    notes = "感知机 (Perceptron) 1957 年,罗森布拉特用硬件建造了感知机。\n" + small_notes
    folder = notes_folder({"a.txt": notes})
    question = "Where did Rosenblatt build the perceptron in hardware?"
    plain = QAPipeline.from_settings(Settings(notes_dir=folder, reader={"translations": 0}))
    assert plain.ask(question).abstained
    answer = QAPipeline.from_settings(Settings(notes_dir=folder)).ask(question)
    assert answer.answer == "感知机 (Perceptron) 1957 年,罗森布拉特用硬件建造了感知机。"


def test_a_translation_alone_never_carries_an_answer(notes_folder: Make, small_notes: str) -> None:
    # CC-CEDICT glosses 本钱 as "capital": the dictionary finds this note, but no word
    # of the question but through a translation.
    notes = "创业的本钱来自家人。投资人也出了一部分钱。\n" + small_notes
    folder = notes_folder({"a.txt": notes})
    pipeline = QAPipeline.from_settings(Settings(notes_dir=folder))
    assert pipeline.ask("What is the capital of Australia?").abstained
    assert not pipeline.ask("创业的本钱来自哪里?").abstained


def test_a_homophone_typo_finds_the_word_meant(notes_folder: Make, small_notes: str) -> None:
    notes = "检测模型在图像上画出边界框。\n" + small_notes
    folder = notes_folder({"a.txt": notes})
    question = "检侧是什么?"
    plain = QAPipeline.from_settings(Settings(notes_dir=folder, reader={"homophone_weight": 0}))
    assert "边界框" not in plain.ask(question).answer
    answer = QAPipeline.from_settings(Settings(notes_dir=folder)).ask(question)
    assert "边界框" in answer.answer


def test_a_long_note_defining_the_word_asked_about_joins_the_candidates(
    notes_folder: Make,
) -> None:
    """Note BM25 ranks the short notes naming 量化 first; the definition is in a long one."""
    short = {f"s{n}.md": f"# 粒度{n}\n\n大模型的量化粒度{n}有几种。\n" for n in range(12)}
    long = (
        "# 笔记\n\n量化是大模型领域中的一项关键技术，它通过降低模型参数的精度，"
        "将浮点数转换为整数或定点数，从而实现模型的压缩和优化。\n"
    )
    folder = notes_folder({**short, "long.md": long})

    def answer(settings: Settings) -> str:
        return QAPipeline.from_settings(settings).ask("什么是大模型的量化?").answer

    settings = Settings(notes_dir=folder, index={"cache": False})
    assert answer(settings).startswith("量化是大模型领域中的一项关键技术")
    off = settings.model_copy(
        update={"reader": settings.reader.model_copy(update={"definition_weight": 0})}
    )
    assert not answer(off).startswith("量化是大模型领域中的一项关键技术")
