"""Code blocks: never the answer to a prose question, the answer to a question about code."""

from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.pipeline import QAPipeline

Make = Callable[[dict[str, str | bytes]], Path]

NOTE = """# AdamW

权重衰减（weight decay）是一种正则化技术，有助于减少过拟合。

```python
# 权重衰减 weight decay
optimizer = AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
```

## Dropout

暂退法（dropout）在训练时随机丢弃一部分神经元。

```python
dropout = nn.Dropout(p=0.5)
```
"""


@pytest.fixture
def pipeline(notes_folder: Make) -> QAPipeline:
    folder = notes_folder({"adamw.md": NOTE})
    return QAPipeline.from_settings(Settings(notes_dir=folder, index={"cache": False}))


@pytest.mark.parametrize("question", ["权重衰减是什么?", "What is weight decay?", "dropout 是什么"])
def test_a_prose_question_is_answered_from_prose(pipeline: QAPipeline, question: str) -> None:
    answer = pipeline.ask(question)
    assert not answer.abstained
    assert all(citation.kind == "prose" for citation in answer.citations)
    assert "=" not in answer.answer


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("权重衰减的代码怎么写?", "weight_decay=0.01"),
        ("dropout 怎么写?", "nn.Dropout(p=0.5)"),
        ("weight_decay 设成多少?", "weight_decay=0.01"),
    ],
)
def test_a_question_about_code_gets_the_code_block(
    pipeline: QAPipeline, question: str, code: str
) -> None:
    answer = pipeline.ask(question)
    assert code in answer.answer
    assert answer.citations[0].kind == "code"
    assert answer.to_dict()["citations"][0]["kind"] == "code"
