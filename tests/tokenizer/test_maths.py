from collections.abc import Callable
from pathlib import Path

import pytest

from qabot.config import Settings
from qabot.pipeline import QAPipeline
from qabot.tokenizer import Tokenizer
from qabot.tokenizer.maths import fold_maths, maths_text


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer()


@pytest.mark.parametrize("typed", ["β1", "beta1", "beta 1", "Β1", r"$\beta_1$", r"\beta_{1}"])
def test_a_greek_letter_meets_its_latex_and_its_name(tokenizer: Tokenizer, typed: str) -> None:
    assert "beta1" in tokenizer.terms(typed)


def test_layout_and_symbol_commands_are_no_words(tokenizer: Tokenizer) -> None:
    terms = tokenizer.terms(r"$3 \times 3$, $\frac{a}{b} \cdot \text{EWA}_t \leq \infty$")
    assert not {"times", "frac", "cdot", "text", "leq", "infty"} & set(terms)
    assert "ewa" in terms


def test_function_names_and_unknown_commands_are_kept(tokenizer: Tokenizer) -> None:
    terms = tokenizer.terms(r'$\log x + \tanh(x)$ print("\nPRINT")')
    assert {"log", "tanh", "nprint"} <= set(terms)


def test_offsets_point_at_what_was_written(tokenizer: Tokenizer) -> None:
    text = r"其中 $\sigma$ 与 σ2 是标准差"
    tokens = tokenizer.tokenize(text)
    assert [text[t.start : t.end] for t in tokens if t.text.startswith("sigma")] == [
        r"\sigma",
        "σ2",
    ]
    folded, origin = fold_maths(text)
    assert folded == maths_text(text) and origin is not None and len(origin) == len(folded)
    assert fold_maths("没有公式") == ("没有公式", None)


def test_a_question_typed_with_beta_finds_the_latex_note(
    notes_folder: Callable[[dict[str, str]], Path],
) -> None:
    folder = notes_folder(
        {
            "adam.md": "# Adam\n\n"
            "Adam 结合了动量和自适应学习率。\n\n"
            r"其中，$\eta$ 是学习率，$\beta_1$ 和 $\beta_2$ 是超参数，通常分别设为0.9和0.999。"
            "\n",
            "sgd.md": "# SGD\n\nSGD 每次只用一小批样本计算梯度。\n",
        }
    )
    pipeline = QAPipeline.from_settings(Settings(notes_dir=folder, index={"cache": False}))
    answer = pipeline.ask("β1 一般设为多少?")
    assert not answer.abstained
    assert "通常分别设为0.9和0.999" in answer.answer
