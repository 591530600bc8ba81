"""The two reading stages: note ranking, then sentence scores inside the best notes."""

from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.build import build_index
from qabot.config import ReaderSettings, Settings
from qabot.index import NotesIndex
from qabot.reader.expansion import Expansion, Sources, expand_query
from qabot.reader.sentence_scorer import SentenceScorer, asked_words
from qabot.retriever.note_glossary import NoteGlossary
from qabot.retriever.note_ranker import NoteRanker
from qabot.store.jieba_cache import make_tokenizer
from qabot.tokenizer import Tokenizer

Make = Callable[[dict[str, str | bytes]], Path]

BIRD = (
    "新西兰鸲鹟是新西兰特有的一种小鸟。新西兰鸲鹟原住在北岛的森林里。"
    "羽毛呈深灰黑色，腹部颜色较浅。新西兰鸲鹟以昆虫为食。\n"
)
FISH = "截尾鹦嘴鱼是一种热带鱼。它生活于较混浊的礁湖。\n"
SETTINGS = Settings(index={"cache": False})


@pytest.fixture
def built(notes_folder: Make) -> tuple[NotesIndex, Tokenizer]:
    folder = notes_folder({"birds.txt": BIRD + FISH, "copy.txt": BIRD})
    return build_index(folder, SETTINGS), make_tokenizer(SETTINGS)


def test_copies_of_a_note_are_one_document(built: tuple[NotesIndex, Tokenizer]) -> None:
    index, tokenizer = built
    ranker = NoteRanker(index.arrays.note_ranker, index.note_snippets)
    assert len(index.notes) == 3
    assert len(ranker.first_note) == 2
    top = ranker.top(tokenizer.terms("新西兰鸲鹟"), 5)
    assert [doc for doc, _ in top] == [ranker.doc_of_note[0]]
    assert ranker.doc_of_note[0] == ranker.doc_of_note[2]


def test_local_idf_prefers_the_sentence_with_the_rare_term(
    built: tuple[NotesIndex, Tokenizer],
) -> None:
    index, tokenizer = built
    question = "新西兰鸲鹟身体呈什么颜色?"
    terms = tokenizer.terms(question)
    ranker = NoteRanker(index.arrays.note_ranker, index.note_snippets)
    notes = ranker.top(terms, 3)

    def best(weights: ReaderSettings) -> str:
        sid = SentenceScorer(index, weights).rank(question, terms, notes, ranker)[0][0]
        return index.snippets[sid].text

    # Headings out of it: the title names the topic, the words local IDF weighs down.
    assert best(ReaderSettings(bigram_weight=1.0, title_credit=0)).startswith("羽毛呈深灰黑色")
    # Without local IDF the topic name, in most sentences, wins over the colour.
    plain = ReaderSettings(local_idf=False, char_weight=0.0, bigram_weight=1.0, title_credit=0)
    assert not best(plain).startswith("羽毛呈深灰黑色")


def test_answer_type_breaks_a_tie(notes_folder: Make) -> None:
    folder = notes_folder({"a.txt": "模型的参数很多。模型的参数有 671B。\n"})
    index = build_index(folder, SETTINGS)
    tokenizer = make_tokenizer(SETTINGS)
    question = "模型的参数有多少?"
    terms = tokenizer.terms(question)
    ranker = NoteRanker(index.arrays.note_ranker, index.note_snippets)
    notes = ranker.top(terms, 1)
    ranked = SentenceScorer(index, ReaderSettings()).rank(question, terms, notes, ranker)
    assert index.snippets[ranked[0][0]].text == "模型的参数有 671B。"
    untyped = SentenceScorer(index, ReaderSettings(answer_type_weight=0.0))
    assert ranked[0][1] - untyped.rank(question, terms, notes, ranker)[0][1] == pytest.approx(0.2)


def test_a_question_word_in_the_heading_path_earns_a_sentence_credit(notes_folder: Make) -> None:
    """The sentence under "LoRA › Rank" never writes LoRA: the heading does for it."""
    folder = notes_folder(
        {
            "lora.md": "# LoRA\n\nLoRA（Low-Rank Adaptation）是一种参数高效微调技术。\n\n"
            "## Rank\n\n经验上，4或者8的rank通常能保持模型性能。\n",
        }
    )
    index = build_index(folder, SETTINGS)
    question = "LoRA 的 rank 一般设多少?"
    without = sentence_scores(index, question, ReaderSettings(title_credit=0))
    credited = sentence_scores(index, question, ReaderSettings())
    rank, lora = (
        "经验上，4或者8的rank通常能保持模型性能。",
        "LoRA（Low-Rank Adaptation）是一种参数高效微调技术。",
    )
    assert credited[rank] > without[rank]
    assert credited[lora] == without[lora]  # it holds both words itself


@pytest.mark.parametrize(
    ("question", "label", "answer"),
    [
        (
            "门控网络里 Softmax 做什么?",
            "应用 Softmax 函数",
            "门控网络用 Softmax 函数把分数变成概率。",
        ),
        (
            "为什么会有 GQA?",
            "MHA为什么需要继续发展出MQA和GQA",
            "GQA 让一组头共享 KV，显存占用更小。",
        ),
        ("Softmax 是什么?", "Softmax 函数的公式如下：", "Softmax 函数把分数变成和为一的概率。"),
        (
            "Adam 的 β1 通常设为多少?",
            "$m_t = \\beta_1 m_{t-1} + (1 - \\beta_1) g_t$",
            "Adam 的 $\\beta_1$ 通常设为 0.9。",
        ),
    ],
)
def test_labels_questions_and_announcements_do_not_answer(
    notes_folder: Make, question: str, label: str, answer: str
) -> None:
    """Each label adds words to the question's, yet cannot answer it by itself."""
    index = build_index(notes_folder({"a.md": f"# 笔记\n\n{label}\n\n{answer}\n"}), SETTINGS)
    penalized = sentence_scores(index, question, ReaderSettings())
    plain = sentence_scores(index, question, ReaderSettings(restatement_penalty=0))
    assert plain[label] - penalized[label] == pytest.approx(1.0)
    assert plain[answer] == penalized[answer]


def test_a_sentence_opening_with_the_definition_of_the_word_asked_about_wins(
    notes_folder: Make,
) -> None:
    """Both sentences define 量化 (是 right after it); only one is about it."""
    mentions = "大模型部署时常用许多种压缩技术，其中的量化是把浮点数变成整数的做法。"
    opens = "量化是大模型压缩的关键技术，它降低参数的精度。"
    index = build_index(notes_folder({"a.md": f"# 笔记\n\n{mentions}\n\n{opens}\n"}), SETTINGS)
    question = "什么是大模型的量化?"
    cued = sentence_scores(index, question, ReaderSettings())
    plain = sentence_scores(index, question, ReaderSettings(definition_weight=0))
    assert cued[opens] - plain[opens] == pytest.approx(0.5)
    assert cued[mentions] == plain[mentions]
    # A word of the question the sentence lacks: not the definition asked for.
    assert SentenceScorer(index, ReaderSettings()).defines(
        next(sid for sid, s in enumerate(index.snippets) if s.text == opens),
        [["大", "模型", "量化"]],
    )
    assert not SentenceScorer(index, ReaderSettings()).defines(
        next(sid for sid, s in enumerate(index.snippets) if s.text == opens), [["显卡", "量化"]]
    )


def test_an_english_definition_question_reads_the_notes_term_for_its_words(
    notes_folder: Make,
) -> None:
    """Asked in English over notes pairing 权重衰减 with weight decay, the question asks
    what 权重衰减 is: the sentence opening with its definition earns the definition weight."""
    glossary = "权重衰减（weight decay）在 AdamW 中与梯度分开处理。"
    opens = "减少过拟合：权重衰减是一种正则化技术。"
    index = build_index(notes_folder({"a.md": f"# 笔记\n\n{glossary}\n\n{opens}\n"}), SETTINGS)
    question = "What is weight decay?"
    terms = make_tokenizer(SETTINGS).terms(question)
    sources = Sources(note_glossary=NoteGlossary(index.arrays.glossary))
    expansion = expand_query(question, terms, index.bm25.vocabulary, ReaderSettings(), sources)
    query = terms + list(expansion.weights)
    ranker = NoteRanker(index.arrays.note_ranker, index.note_snippets)
    notes = ranker.top(query, 3)
    sid = next(sid for sid, s in enumerate(index.snippets) if s.text == opens)

    def score(settings: ReaderSettings) -> float:
        ranked = SentenceScorer(index, settings).rank(question, query, notes, ranker, expansion)
        return dict(ranked)[sid]

    assert score(ReaderSettings()) - score(ReaderSettings(definition_weight=0)) == pytest.approx(
        0.5
    )


def test_asked_words_read_the_question_and_the_terms_standing_for_its_words() -> None:
    expansion = Expansion(
        {"权重": 1.0, "衰减": 1.0, "权重²": 1.0},
        {"weight": [("权重", 1.0), ("衰减", 1.0), ("权重²", 1.0)], "decay": [("衰减", 1.0)]},
    )
    query = ["weight", "decay", "weightdecay", "权重", "衰减", "权重²"]
    assert asked_words(query, expansion) == [["weight", "decay"], ["权重", "衰减"]]
    # A homophone is a guess at the word, not what it stands for.
    guessed = Expansion({"量化": 0.5}, {"亮化": [("量化", 0.5)]})
    assert asked_words(["亮化", "目标", "量化"], guessed) == [["亮化", "目标"]]


def test_a_formula_answers_a_question_asking_for_the_formula(notes_folder: Make) -> None:
    formula = "$m_t = \\beta_1 m_{t-1} + (1 - \\beta_1) g_t$"
    folder = notes_folder({"a.md": f"# Adam\n\n{formula}\n\nAdam 的动量项很常用。\n"})
    ranked = sentence_scores(build_index(folder, SETTINGS), "Adam 动量 m_t 的公式是什么?")
    assert next(iter(ranked)) == formula


def test_a_sentence_without_the_number_asked_for_scores_less(notes_folder: Make) -> None:
    index = build_index(notes_folder({"a.txt": "模型的参数很多。模型的参数有 671B。\n"}), SETTINGS)
    off = ReaderSettings(untyped_penalty=0)
    number, plain = "模型的参数有多少?", "模型的参数很多。"
    penalty = sentence_scores(index, number, off)[plain] - sentence_scores(index, number)[plain]
    assert penalty == pytest.approx(0.3)
    # A reason can be worded in too many ways to tell its absence: no penalty.
    reason = "模型的参数为什么很多?"
    assert sentence_scores(index, reason) == sentence_scores(index, reason, off)


def sentence_scores(
    index: NotesIndex, question: str, settings: ReaderSettings | None = None
) -> dict[str, float]:
    """The score of each sentence of the question's three best notes, best first."""
    terms = make_tokenizer(SETTINGS).terms(question)
    ranker = NoteRanker(index.arrays.note_ranker, index.note_snippets)
    scorer = SentenceScorer(index, settings or ReaderSettings())
    ranked = scorer.rank(question, terms, ranker.top(terms, 3), ranker)
    return {index.snippets[sid].text: score for sid, score in ranked}
