import pytest

from qabot.reader.answer_type import answer_type
from qabot.tokenizer import Tokenizer, is_bigram

TOKENIZER = Tokenizer()


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("DeepSeek-V3 的总参数量是多少?", "number"),
        ("LLaMA 2 有幾種尺寸?", "number"),
        ("How many parameters does it have?", "number"),
        ("秦始皇是哪一年统一六国的?", "date"),
        ("Prefix-Tuning 是什麼時候發表的?", "date"),
        ("When was it released?", "date"),
        ("什么是梯度检查点?", "definition"),
        ("What is weight decay?", "definition"),
        ("Transformer 为什么用 LayerNorm?", "reason"),
        ("Why is it slow?", "reason"),
        ("它是什么时候发布的?", "date"),
        ("数星星测试用哪本书?", "work"),
        ("Who proposed reference counting?", None),
        ("梯度检查点怎么用?", None),
    ],
)
def test_question_kinds(question: str, kind: str | None) -> None:
    found = answer_type(question)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    ("question", "sentence", "matches"),
    [
        ("参数量是多少?", "总参数量达到 671B。", True),
        ("参数量是多少?", "共有三百个参数。", True),
        ("参数量是多少?", "它采用了 MoE 架构。", False),
        ("哪一年发表的?", "论文于 2021 年发表。", True),
        ("哪一年发表的?", "成化十二年七月生。", True),
        ("哪一年发表的?", "论文发表在顶会上。", False),
        ("为什么用 LayerNorm?", "因为样本之间的特征不可比。", True),
        ("为什么用 LayerNorm?", "LayerNorm 的公式如下：", False),
        ("什么是鞍点?", "鞍点是指目标函数的临界点。", True),
        ("什么是鞍点?", "鞍点", False),
        # Digits of names and of a formula's subscripts are no numbers.
        ("β1 通常设为多少?", "$m_t = \\beta_1 \\cdot m_{t-1}$", False),
        ("β1 通常设为多少?", "$\\beta_1 = 0.9$", True),
        ("用了多少张卡?", "GPT2 用了很多卡。", False),
        ("用了多少张卡?", "它支持 FP32、FP16 和 INT8。", False),
        # 一个 is mostly the article "a", not a count.
        ("一个 warp 有多少线程?", "一个 block 可以包含多个 warp。", False),
        ("一个 warp 有多少线程?", "一个 warp 通常包含32个线程。", True),
        ("有几个专家?", "共有十一个专家。", True),
        ("有几个专家?", "共有两个专家。", True),
        ("用哪本书做基础文本?", "研究人员选用了《红楼梦》。", True),
        ("用哪本书做基础文本?", "研究人员选用了一本古典名著。", False),
        # A definition defines the word asked about: it follows that word, or names it.
        ("什么是内部协变量偏移?", "内部协变量偏移是指每层输入分布的变化。", True),
        ("什么是内部协变量偏移?", "它旨在应对内部协变量偏移问题，是一种技术。", False),
        ("什么是 KV cache?", "KV Cache（键值缓存），即缓存注意力的键和值。", True),
        # 是…的 says how, when or where, not what: "X 是直接加到梯度上的" defines nothing.
        ("什么是权重衰减?", "权重衰减是一种正则化技术。", True),
        ("什么是权重衰减?", "在 Adam 中，权重衰减是直接加到梯度上的，而不是…", False),
        ("什么是权重衰减?", "权重衰减是由 L2 正则化演变来的", False),
        ("什么是气泡?", "空闲的部分被称为“bubble”（气泡）。", True),
        ("AdamW 公式里的 λ 是什么?", "其中 $\\lambda$ 是权重衰减系数：", True),
        ("What is weight decay?", "Weight decay is a regularization technique.", True),
    ],
)
def test_sentences_that_hold_the_answer_type(question: str, sentence: str, matches: bool) -> None:
    kind = answer_type(question)
    subject = [term for term in TOKENIZER.terms(question) if not is_bigram(term)]
    assert kind is not None and kind.matches(sentence, subject) is matches
