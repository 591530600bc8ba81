"""The CC-CEDICT glossary: which translations count, and how a question grows."""

import gzip
from pathlib import Path

import pytest

from qabot.reader.glossary import Glossary, default_glossary, expand

# Lines in CC-CEDICT's format: traditional, simplified, [pinyin], /sense/sense/.
ENTRIES = """\
# CC-CEDICT test extract
硬件 硬件 [ying4 jian4] /hardware/
硬體 硬体 [ying4 ti3] /(computing) hardware/
電腦硬件 电脑硬件 [dian4 nao3 ying4 jian4] /computer hardware/
建造 建造 [jian4 zao4] /to build; to construct/
修 修 [xiu1] /to build/
參數 参数 [can1 shu4] /parameter/
問題 问题 [wen4 ti2] /question/problem/issue/
難點 难点 [nan2 dian3] /difficulty/crux/obstacle/sticking point/problem/
負載均衡 负载均衡 [fu4 zai4 jun1 heng2] /load balancing/
"""


@pytest.fixture
def glossary(tmp_path: Path) -> Glossary:
    path = tmp_path / "cedict.txt.gz"
    path.write_bytes(gzip.compress(ENTRIES.encode("utf-8")))
    return Glossary(path)


def test_a_gloss_counts_only_when_it_is_exactly_the_word(glossary: Glossary) -> None:
    # "(computing) hardware" is the word with a remark; "computer hardware" is not.
    assert glossary.translations("hardware") == ("硬件", "硬体")
    assert glossary.translations("build") == ("建造",)  # one-character 修 is too vague


def test_only_the_principal_senses_count(glossary: Glossary) -> None:
    # 问题's second sense is "problem"; 难点's fifth is too far down to count.
    assert glossary.translations("problem") == ("问题",)


def test_plural_and_inflected_forms_find_their_stem(glossary: Glossary) -> None:
    assert glossary.translations("parameters") == ("参数",)
    assert glossary.translations("builds") == ("建造",)
    assert glossary.translations("parametres") == ()


def test_expand_keeps_only_translations_the_notes_hold(glossary: Glossary) -> None:
    terms = ["hardware", "build", "rosenblatt", "37b"]
    found = expand(terms, {"硬体", "罗森布拉特"}, glossary)
    # "build" is a dictionary word the notes hold no translation of: a word, not a name;
    # "rosenblatt" is unknown to the dictionary, "37b" is not a word.
    assert found == {"build": [], "hardware": ["硬体"]}


def test_words_the_notes_contain_are_not_translated(glossary: Glossary) -> None:
    assert expand(["hardware"], {"hardware", "硬件"}, glossary) == {}


def test_a_pair_of_words_is_looked_up_as_a_phrase(glossary: Glossary) -> None:
    terms = ["load", "balancing", "loadbalancing"]
    assert expand(terms, {"负载均衡"}, glossary)["loadbalancing"] == ["负载均衡"]


def test_the_limit_caps_translations_per_word(glossary: Glossary) -> None:
    assert expand(["hardware"], {"硬件", "硬体"}, glossary, limit=1) == {"hardware": ["硬件"]}


def test_the_shipped_dictionary_loads_and_translates() -> None:
    glossary = default_glossary()
    assert glossary is default_glossary()
    assert "硬件" in glossary.translations("hardware")
    assert glossary.translations("rosenblatt") == ()


def test_of_equally_principal_senses_the_notes_most_used_word_comes_first(
    glossary: Glossary,
) -> None:
    # 硬件 and 硬体 both gloss "hardware" in their first sense; the notes use 硬体 more.
    notes = {"硬件", "硬体"}
    usage = {"硬件": 1, "硬体": 5}.get
    assert expand(["hardware"], notes, glossary, limit=1) == {"hardware": ["硬件"]}
    assert expand(["hardware"], notes, glossary, 1, usage=lambda w: usage(w, 0)) == {
        "hardware": ["硬体"]
    }
