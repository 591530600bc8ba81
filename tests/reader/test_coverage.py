from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.build import build_index
from qabot.config import ReaderSettings, Settings
from qabot.index import NotesIndex
from qabot.reader.coverage import CoverageMeter, _words
from qabot.reader.expansion import Expansion
from qabot.store.jieba_cache import make_tokenizer
from qabot.tokenizer import Tokenizer

Make = Callable[[dict[str, str | bytes]], Path]

NOTES = (
    "SeedThinkingv1.5 是 ByteDance 的推理模型。它总共有 200B 参数。\n"
    '"Anchorfree"是一种目标检测方法。它不再使用锚框。\n'
    "交叉熵的降低与正确率的提升有关联。\n"
    "Python 的垃圾回收以引用计数为主。\n"
)
SETTINGS = Settings(index={"cache": False})


@pytest.fixture
def built(notes_folder: Make) -> tuple[NotesIndex, Tokenizer]:
    return build_index(notes_folder({"a.txt": NOTES}), SETTINGS), make_tokenizer(SETTINGS)


def coverage(built: tuple[NotesIndex, Tokenizer], question: str, rule: ReaderSettings) -> float:
    index, tokenizer = built
    terms = tokenizer.terms(question)
    best = index.bm25.top_k(terms, 1)[0][0]
    return CoverageMeter(index, rule).coverage(terms, [best])


@pytest.mark.parametrize(
    "question",
    [
        "Seed-Thinking-v1.5 有多少参数?",
        "SeedThinking-v1.5 有多少参数?",
        "SeedThinking 有多少参数?",
        "anchor free 是什么?",
    ],
)
def test_names_written_apart_or_joined_count_as_covered(
    built: tuple[NotesIndex, Tokenizer], question: str
) -> None:
    assert coverage(built, question, ReaderSettings()) == pytest.approx(1.0)


def test_a_paraphrased_chinese_word_earns_part_credit(built: tuple[NotesIndex, Tokenizer]) -> None:
    question = "交叉熵降低了准确率会提升吗"  # the note says 正确率
    strict = coverage(built, question, ReaderSettings(char_credit=0.0))
    lenient = coverage(built, question, ReaderSettings(char_credit=0.5))
    assert 0 < strict < lenient < 1


def test_a_long_word_weighs_as_the_words_inside_it(notes_folder: Make) -> None:
    """红烧肉 means 红烧 and 烧肉 too: a note sharing only the question's 好吃 covers less of
    it than when 红烧肉 weighs one word; a long word the note holds is covered either way."""
    notes = NOTES + "上次那家店不好吃。\n红烧肉是一道家常菜。\n"
    built = build_index(notes_folder({"a.txt": notes}), SETTINGS), make_tokenizer(SETTINGS)
    index, tokenizer = built
    terms = tokenizer.terms("红烧肉怎么做才好吃?")
    shop = next(sid for sid, s in enumerate(index.snippets) if "那家店" in s.text)

    def shop_coverage(rule: ReaderSettings) -> float:
        return CoverageMeter(index, rule).coverage(terms, [shop])

    assert 0 < shop_coverage(ReaderSettings()) < shop_coverage(ReaderSettings(inner_words=False))
    assert coverage(built, "红烧肉是什么?", ReaderSettings()) == pytest.approx(1.0)


def test_an_unknown_name_weighs_more(built: tuple[NotesIndex, Tokenizer]) -> None:
    question = "Python GIL 是什么?"
    plain = coverage(built, question, ReaderSettings(unseen_name_weight=1.0))
    weighted = coverage(built, question, ReaderSettings(unseen_name_weight=2.0))
    assert weighted < plain < 1


def test_the_note_is_wider_evidence_than_the_answer(built: tuple[NotesIndex, Tokenizer]) -> None:
    index, tokenizer = built
    terms = tokenizer.terms("ByteDance 的推理模型总共有多少参数?")
    first = index.note_snippets[0][0]  # "SeedThinkingv1.5 是 ByteDance 的推理模型。"
    note = CoverageMeter(index, ReaderSettings(coverage_scope="note")).coverage(terms, [first])
    answer = CoverageMeter(index, ReaderSettings(coverage_scope="answer")).coverage(terms, [first])
    assert answer < note == pytest.approx(1.0)


def test_a_translation_covers_its_word_in_part_and_never_alone(
    built: tuple[NotesIndex, Tokenizer],
) -> None:
    index, tokenizer = built
    terms = tokenizer.terms("garbage collection 以引用计数为主?")
    meter = CoverageMeter(index, ReaderSettings())
    best = index.bm25.top_k(terms, 1)[0][0]
    untranslated = meter.coverage(terms, [best])
    dictionary = Expansion(
        {"回收": 0.5}, {"collection": [("回收", 0.5)]}, {"garbage", "collection"}
    )
    translated = meter.coverage([*terms, "回收"], [best], dictionary)
    # "collection" is covered by 回收; "garbage", a dictionary word, weighs as
    # a word, not as an unknown name.
    assert untranslated < translated < 1
    # Covered by nothing but a translation: no evidence at all ("the capital of
    # Australia" is no question about 资金).
    alone = tokenizer.terms("garbage collection?")
    assert meter.coverage([*alone, "回收"], [best], dictionary) == 0.0
    # The notes' own glossary is evidence of their own.
    glossary = Expansion({"回收": 1.0}, {"collection": [("回收", 1.0)]})
    assert meter.coverage([*alone, "回收"], [best], glossary) > 0


def test_a_name_glued_to_its_version_counts_as_the_name_and_the_version() -> None:
    # The tokenizer yields the glued form and both parts; each part is covered by
    # itself or by the glued form, as for two words in a row ("yolo v1", "yolov1").
    glued = _words(["seedthinkingv1.5", "seedthinking", "v1.5"])
    assert glued == {
        "seedthinking": {"seedthinking", "seedthinkingv1.5"},
        "v1.5": {"v1.5", "seedthinkingv1.5"},
    }
    assert set(_words(["yolo", "v1", "yolov1"])) == {"yolo", "v1"}
