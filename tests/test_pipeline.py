import json

import pytest

from qabot.pipeline import EMPTY_HINT, VAGUE_HINT, QAPipeline


def test_deepseek_question_cites_every_file_with_the_note(seeds_pipeline: QAPipeline) -> None:
    answer = seeds_pipeline.ask("DeepSeek-V3 的总参数量是多少?")
    assert "671B" in answer.answer
    first = answer.citations[0]
    places = {first.source, *(place.split(":")[0] for place in first.also_in)}
    holders = {p.name for p in seeds_pipeline.index.folder.glob("*.txt") if "671B" in p.read_text()}
    assert places == holders
    assert len(holders) >= 2


@pytest.mark.parametrize(
    "question", ["今天北京天气怎么样？", "红烧肉怎么做？", "How do I bake sourdough bread?"]
)
def test_off_topic_questions_abstain(seeds_pipeline: QAPipeline, question: str) -> None:
    answer = seeds_pipeline.ask(question)
    assert answer.abstained
    assert answer.answer == ""


def test_traditional_chinese_question_finds_the_simplified_note(
    seeds_pipeline: QAPipeline,
) -> None:
    answer = seeds_pipeline.ask("梯度檢查點是什麼？")
    assert "梯度检查点" in answer.answer


@pytest.mark.parametrize(
    ("question", "hint"),
    [
        ("", EMPTY_HINT),
        ("   ", EMPTY_HINT),
        ("？！。。", EMPTY_HINT),
        ("🙂🔥🎉", EMPTY_HINT),
        ("*_[", EMPTY_HINT),
        ("\u200f\u200e", EMPTY_HINT),
        ("what is it?", VAGUE_HINT),
    ],
)
def test_unusable_input_gets_a_hint(seeds_pipeline: QAPipeline, question: str, hint: str) -> None:
    answer = seeds_pipeline.ask(question)
    assert answer.abstained
    assert answer.notice == hint


def test_control_characters_and_lone_surrogates_are_cleaned(seeds_pipeline: QAPipeline) -> None:
    answer = seeds_pipeline.ask("梯度\x00检查点\ud800是\x1b什么")
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")
    assert "\x00" not in answer.question and "\ud800" not in answer.question
    assert "梯度检查点" in answer.answer


def test_long_questions_are_cut_with_a_notice(seeds_pipeline: QAPipeline) -> None:
    limit = seeds_pipeline.settings.reader.max_question_chars
    answer = seeds_pipeline.ask("梯度检查点 " * 17_000)  # 102k characters
    assert len(answer.question) == limit
    assert answer.notice is not None and str(limit) in answer.notice


def test_dedup_counts_on_the_bundled_notes(seeds_pipeline: QAPipeline) -> None:
    stats = seeds_pipeline.index.stats
    distinct_lines = {
        line.strip()
        for path in seeds_pipeline.index.folder.glob("*.txt")
        for line in path.read_text(encoding="utf-8").splitlines()[3:]
        if line.strip()
    }
    assert stats.files == 5
    assert stats.notes > len(distinct_lines)
    assert stats.snippets < stats.snippets_before_dedup
    # Each repeated note is indexed once: no two snippets share a normalized text.
    texts = [snippet.text for snippet in seeds_pipeline.index.snippets]
    assert len(texts) == len(set(texts))
