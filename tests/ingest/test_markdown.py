"""Markdown read as a document: one test per class of problem real notes showed."""

from __future__ import annotations

import re

import pytest

from qabot.ingest.document import Document, ParsedNote
from qabot.ingest.markdown import parse_markdown
from qabot.ingest.splitter import SentenceSplitter

# One file with every class of problem seen in real notes.
NOTE = """\
---
title: 优化器笔记
---
# 优化器

这里的诀窍是框架的*延后初始化*（defers initialization），
即直到数据第一次通过模型传递时，框架才会动态地推断出每个层的大小。
之后就不用再指定输入维度了。

```python
# 输出层参数
growth_rate = 64, 32
def box_iou(a, b):
    \"\"\"计算两个锚框的交并比。\"\"\"
```

## Adam

Adam 的 **一阶矩** 系数 $\\beta_1 = 0.9$，见 [原论文](https://arxiv.org/abs/1412.6980) 与\
 :numref:`sec_adam`。

![Adam 的更新](img/adam.svg)

| 参数 | 默认值 |
|---|---|
| $\\beta_2$ | 0.999 |
| 学习率 | 1e-3<br>常用 |

比较 &lt;AdamW&gt; 和&#x20;SGD：<div id="refer-anchor-1"></div>AdamW 解耦权重衰减。

$$
m_t = \\beta_1 m_{t-1} + (1 - \\beta_1) g_t
$$
"""

MARKUP = re.compile(r"\*\*|(?<![`$])\*\w|\]\(|!\[|<br|<div|&#|&lt;|&gt;|^\s*[-*+] |^#|:numref:")


def notes(text: str = NOTE) -> list[ParsedNote]:
    return parse_markdown(text)


def by_text(fragment: str, found: list[ParsedNote] | None = None) -> ParsedNote:
    return next(note for note in found or notes() if fragment in note.text)


def test_hard_wrapped_paragraphs_are_one_note_joined_without_a_break() -> None:
    note = by_text("延后初始化")
    assert note.text == (
        "这里的诀窍是框架的延后初始化（defers initialization），"
        "即直到数据第一次通过模型传递时，框架才会动态地推断出每个层的大小。"
        "之后就不用再指定输入维度了。"
    )
    english = by_text("wrapped", parse_markdown("A line that is\nwrapped here."))
    assert english.text == "A line that is wrapped here."


def test_each_sentence_cites_its_own_line_and_raw_span() -> None:
    document = Document("a.md", NOTE, notes())
    snippets = document.snippets(SentenceSplitter(min_chars=4, max_chars=200))
    last = next(s for s in snippets if s[1] == "之后就不用再指定输入维度了。")
    _, text, start, end, line = last
    assert NOTE[start:end] == text
    assert line == NOTE[:start].count("\n") + 1 == 8


def test_code_is_one_verbatim_note_of_kind_code_never_a_title() -> None:
    found = notes()
    code = by_text("growth_rate", found)
    assert code.kind == "code" and code.cut == "whole"
    assert code.text.splitlines()[0] == "# 输出层参数"
    assert '"""计算两个锚框的交并比。"""' in code.text
    assert NOTE[code.start : code.end] == code.text
    assert not any("输出层参数" in note.title for note in found)
    assert [n.title for n in found if "延后初始化" in n.text] == ["优化器"]


def test_indented_code_in_a_list_is_code_too() -> None:
    text = "- 用法：\n\n      import torch\n      x = torch.ones(2)\n"
    kinds = {note.text: note.kind for note in parse_markdown(text)}
    assert kinds == {"用法：": "prose", "import torch\nx = torch.ones(2)": "code"}


def test_no_markup_leaks_but_inline_code_and_maths_stay_verbatim() -> None:
    found = notes()
    adam = by_text("一阶矩", found)
    assert adam.text == "Adam 的 一阶矩 系数 $\\beta_1 = 0.9$，见 原论文 与。"
    compare = by_text("比较", found)
    assert compare.text == "比较 <AdamW> 和 SGD：\nAdamW 解耦权重衰减。"
    for note in found:
        if note.kind == "prose":
            assert not MARKUP.search(note.text), note.text
        assert not MARKUP.search(note.title), note.title


def test_clean_text_maps_back_to_the_raw_span_it_came_from() -> None:
    adam = by_text("一阶矩")
    clean = adam.text.index("$\\beta_1")
    start, end = adam.offsets.span(clean, clean + len("$\\beta_1 = 0.9$"))
    assert NOTE[start:end] == "$\\beta_1 = 0.9$"
    link = adam.text.index("原论文")
    start, end = adam.offsets.span(link, link + 3)
    assert NOTE[start:end] == "原论文"
    entity = by_text("比较")
    start, end = entity.offsets.span(3, 10)  # "<AdamW>"
    assert NOTE[start:end] == "&lt;AdamW&gt;"


def test_image_only_and_link_only_blocks_are_not_notes() -> None:
    text = (
        "# 参考\n\n![图](a.png)\n\n[1] [Attention Is All You Need](https://arxiv.org/x)\n\n"
        "- [第一章](ch1.md)\n- [第二章](ch2.md)\n  - [2.1 小节](ch2.md#s1)\n\n"
        '<p align="center"><img src="logo.png"></p>\n\n'
        "- https://github.com/huggingface/peft\n- <https://arxiv.org/abs/2106.09685>\n\n"
        "真正的笔记内容。\n"
    )
    assert [note.text for note in parse_markdown(text)] == ["真正的笔记内容。"]


def test_a_table_of_contents_file_has_no_notes() -> None:
    toc = "# 目录\n\n* [简介](intro.md)\n* [优化器](opt/README.md)\n    * [Adam](opt/adam.md)\n"
    assert parse_markdown(toc) == []


def test_table_rows_read_as_header_cell_pairs() -> None:
    rows = [note.text for note in notes() if note.cut == "bounded"]
    assert rows == ["参数: $\\beta_2$; 默认值: 0.999", "参数: 学习率; 默认值: 1e-3\n常用"]
    table = "| 年份 | 参数量 | 论文 |\r\n|---|---|---|\r\n| 2019 | 1.5 | |\r\n| [x](a.md) | | |\r\n"
    assert [note.text for note in parse_markdown(table)] == ["年份: 2019; 参数量: 1.5"]


def test_display_maths_is_one_verbatim_note_of_kind_math() -> None:
    maths = by_text("m_t")
    assert maths.kind == "math"
    assert maths.text == "$$\nm_t = \\beta_1 m_{t-1} + (1 - \\beta_1) g_t\n$$"
    assert NOTE[maths.start : maths.end] == maths.text


def test_a_list_item_keeps_its_nested_items_and_a_blockquote_is_one_note() -> None:
    text = (
        "## 正则化\n\n- 权重衰减\n  - L2 惩罚项\n  - AdamW 解耦\n- 暂退法（dropout）\n\n"
        "> 引用第一行，\n> 引用第二行。\n>\n> 第二段。\n"
    )
    assert [(note.title, note.text) for note in parse_markdown(text)] == [
        ("正则化", "权重衰减\nL2 惩罚项\nAdamW 解耦"),
        ("正则化", "暂退法（dropout）"),
        ("正则化", "引用第一行，引用第二行。\n第二段。"),
    ]


def test_titles_are_heading_paths() -> None:
    text = "# 模型压缩\n\n## 知识蒸馏\n\n学生模型模仿教师。\n\n## 剪枝\n\n去掉小权重。\n"
    assert [note.title for note in parse_markdown(text)] == [
        "模型压缩 › 知识蒸馏",
        "模型压缩 › 剪枝",
    ]


def test_a_paragraph_of_one_bold_phrase_is_a_sub_heading() -> None:
    text = (
        "# ReLU\n\n## 变种\n\n**优点**：\n\n- 计算简单。\n\n**缺点**\n\n神经元会死。\n\n"
        "**加粗的整句话也是正文。**\n\n## 其他\n\n正文。\n"
    )
    assert [(note.title, note.text) for note in parse_markdown(text)] == [
        ("ReLU › 变种 › 优点", "计算简单。"),
        ("ReLU › 变种 › 缺点", "神经元会死。"),
        ("ReLU › 变种 › 缺点", "加粗的整句话也是正文。"),
        ("ReLU › 其他", "正文。"),
    ]


def test_a_bold_question_heads_its_answer_and_a_bold_line_heading_nothing_is_text() -> None:
    # Q&A notes ask in bold lines; a bold answer with no text under it is the answer.
    text = (
        "# 随机森林\n\n## 1. 随机性\n\n**Q1：体现在哪里？**\n\n有放回地取样。\n\n"
        "## 2. 为什么不容易过拟合？\n\n**多次随机取样，多次随机选择特征**\n\n## 3. 其他\n\n正文。\n"
    )
    assert [(note.title, note.text) for note in parse_markdown(text)] == [
        ("随机森林 › 1. 随机性 › Q1：体现在哪里？", "有放回地取样。"),
        ("随机森林 › 2. 为什么不容易过拟合？", "多次随机取样，多次随机选择特征"),
        ("随机森林 › 3. 其他", "正文。"),
    ]


def test_an_answer_label_and_line_numbers_opening_a_paragraph_are_not_part_of_it() -> None:
    text = (
        "# BERT\n\n## 2、怎么 mask\n\n问：怎么 mask？\n\n答：随机选 15% 的词。\n\n"
        "> A: It masks words.\n\n2、**思路如下：**\na) 先选词，\n（2）再替换。\n\n"
        "[解析]：先选后换。\n\n【注】：比例可调。\n"
    )
    assert [(note.title, note.text) for note in parse_markdown(text)] == [
        ("BERT › 2、怎么 mask", "问：怎么 mask？"),
        ("BERT › 2、怎么 mask", "随机选 15% 的词。"),
        ("BERT › 2、怎么 mask", "It masks words."),
        ("BERT › 2、怎么 mask", "思路如下：先选词，再替换。"),
        ("BERT › 2、怎么 mask", "先选后换。"),
        ("BERT › 2、怎么 mask", "比例可调。"),
    ]


def test_maths_that_is_one_name_reads_as_the_name_and_a_formula_line_ends_a_paragraph() -> None:
    # Notes put a display formula right under the line that introduces it, as a fence.
    text = "$XGBoost$ 的 $L1$ 项与 $x$ 有关，即\n$$\nF_1 = 2PR\n$$\n得到调和平均。\n"
    found = parse_markdown(text)
    assert [(note.kind, note.text) for note in found] == [
        ("prose", "XGBoost 的 L1 项与 $x$ 有关，即"),
        ("math", "$$\nF_1 = 2PR\n$$"),
        ("prose", "得到调和平均。"),
    ]
    start, end = found[0].offsets.span(0, len("XGBoost"))
    assert text[start:end] == "XGBoost"
    unclosed = parse_markdown("正文，\n$$ x\n继续。\n")
    assert [note.text for note in unclosed] == ["正文， $$ x 继续。"]


@pytest.mark.parametrize(
    ("text", "titles"),
    [
        (
            "大模型推理框架（四）TensorRT-LLM\n\n它是一个开源库。\n",
            ["大模型推理框架（四）TensorRT-LLM"],
        ),
        ("标题行\n\n## 小节\n\n正文。\n", ["标题行 › 小节"]),
        ("这是第一段，有句号。\n\n第二段。\n", ["这是第一段", "第二段"]),
        ("唯一的一行\n", ["唯一的一行"]),
        ("首行标题\n\n# 真标题\n\n正文。\n", ["首行标题", "真标题"]),
    ],
)
def test_a_first_short_plain_line_titles_a_file_without_a_heading(
    text: str, titles: list[str]
) -> None:
    assert [note.title for note in parse_markdown(text)] == titles


def test_front_matter_and_footnotes() -> None:
    text = "---\ntags: [x]\n---\n正文有脚注[^1]。\n\n[^1]: 脚注的解释。\n"
    assert [note.text for note in parse_markdown(text)] == ["正文有脚注。", "脚注的解释。"]


def test_a_bold_marker_commonmark_cannot_pair_is_dropped() -> None:
    text = "所谓**“涌现”**能力，是指**Q4_K_M这种命名。\n"
    assert parse_markdown(text)[0].text == "所谓“涌现”能力，是指Q4_K_M这种命名。"
