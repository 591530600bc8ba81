import random
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qabot.build.dedup as dedup
from qabot.arrays import StringTable
from qabot.build.dedup import Deduplicator, normalize, normalize_all


def test_normalize_folds_width_case_and_spaces() -> None:
    assert normalize("ＡdamW   是\t默认") == normalize("adamw 是 默认")


def test_the_full_width_forms_are_what_nfkc_makes_of_them() -> None:
    for point in range(dedup._FULLWIDTH_FIRST, dedup._FULLWIDTH_LAST + 1):
        assert unicodedata.normalize("NFKC", chr(point)) == chr(point - dedup._FULLWIDTH_SHIFT)
    assert unicodedata.normalize("NFKC", chr(dedup._IDEOGRAPHIC_SPACE)) == " "


# Full-width forms next to combining marks, compatibility characters (ﬁ, ㎏, ①),
# a lone surrogate, and the ideographic space.
_AWKWARD = "ＡａＺ！～ｰ\u0301\u0308\u3099かｶﬁ㎏①İß\ud800\u3000 \t\n梯度Ab."


@given(st.lists(st.text(alphabet=_AWKWARD, max_size=8), max_size=12))
def test_normalize_all_is_normalize_of_each_text(texts: list[str]) -> None:
    assert normalize_all(texts) == [normalize(text) for text in texts]


def test_exact_duplicates_are_one_snippet_numbered_by_first_appearance() -> None:
    text = "DeepSeek-V3 总参数量达到 671B,其中每个 token 会激活 37B 个参数。"
    texts = [text, "另一句完全不同的话在这里。", text.upper(), text]
    assert Deduplicator().assign(texts).tolist() == [0, 1, 0, 0]


def test_near_duplicates_merge_above_the_threshold_only() -> None:
    base = "梯度检查点在前向传播时只保存部分激活值，反向传播时再重新计算其余的激活值，用计算换显存"
    near = base.replace("，用计算换显存", "，用计算换显存。")
    far = "学习率预热在训练开始时逐步增大学习率，避免早期梯度过大导致训练不稳定，是常见技巧"
    assert Deduplicator(threshold=0.8).assign([base, near, far]).tolist() == [0, 0, 1]


def test_strict_threshold_keeps_near_duplicates_apart() -> None:
    base = "梯度检查点在前向传播时只保存部分激活值，反向传播时再重新计算其余的激活值"
    near = base + "，这样节省显存"
    assert Deduplicator(threshold=1.0).assign([base, near]).tolist() == [0, 1]


def test_short_snippets_are_never_near_matched() -> None:
    assert Deduplicator(threshold=0.5).assign(["模型参数量", "模型参数"]).tolist() == [0, 1]


def test_texts_whose_hashes_clash_are_still_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "梯度检查点节省显存。",
        "学习率预热。",
        "梯度检查点节省显存。",
        "ADAMW 优化器。",
        "adamw 优化器。",
    ]
    expected = Deduplicator().assign(texts).tolist()
    monkeypatch.setattr(dedup, "hash", lambda key: 0, raising=False)  # every key clashes
    assert Deduplicator().assign(texts).tolist() == expected == [0, 1, 0, 2, 2]


def test_near_duplicates_are_those_a_search_of_every_pair_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Copies of a few random sentences, some with a character added: copies of one
    # sentence are at least 0.9 similar, of different ones about 0, so LSH misses none.
    rng = random.Random(7)
    alphabet = "梯度检查点前向传播保存部分激活值反向重新计算其余学习率预热训练开始逐步增大避免"
    bases = ["".join(rng.choices(alphabet, k=40)) for _ in range(12)]
    texts = [rng.choice(bases) + rng.choice(["", *alphabet]) for _ in range(120)]
    monkeypatch.setattr(dedup, "_SIGNATURE_BATCH", 7)  # signatures in many batches
    assert Deduplicator().assign(texts).tolist() == every_pair(texts, 0.8)
    assert Deduplicator().assign(StringTable.of(texts)).tolist() == every_pair(texts, 0.8)


def every_pair(texts: list[str], threshold: float) -> list[int]:
    """``Deduplicator.assign`` by its definition: each text joins its first exact
    duplicate, or else the most similar earlier kept text (the later of a tie)."""
    grams = [dedup._trigrams(normalize(text)) for text in texts]
    kept: list[int] = []
    owner: list[int] = []
    for item, mine in enumerate(grams):
        exact = next((k for k in kept if normalize(texts[k]) == normalize(texts[item])), None)
        best, best_similarity = exact, threshold
        for other in kept if exact is None else []:
            similarity = len(mine & grams[other]) / len(mine | grams[other])
            if similarity >= best_similarity:
                best, best_similarity = other, similarity
        if best is None:
            kept.append(item)
            best = item
        owner.append(best)
    numbers = {k: n for n, k in enumerate(kept)}
    return [numbers[k] for k in owner]
