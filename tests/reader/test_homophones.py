"""Homophone typos: a word the notes lack meets theirs that sounds the same."""

import pytest

from qabot.reader.homophones import Homophones

NOTES = {"检测", "截断", "登录", "设计", "定律", "量化", "并行", "消失", "录词²", "背景"}


@pytest.fixture(scope="module")
def homophones() -> Homophones:
    return Homophones()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("检侧", "检测"),
        ("截段", "截断"),
        ("登陆", "登录"),
        ("设记", "设计"),
        ("定率", "定律"),
        ("亮化", "量化"),
        ("并形", "并行"),
        ("陆词²", "录词²"),
    ],
)
def test_one_character_read_the_same_tone_included(
    homophones: Homophones, typed: str, meant: str
) -> None:
    assert homophones.alike(typed, NOTES.__contains__) == [meant]


def test_other_tones_and_other_sounds_do_not_meet(homophones: Homophones) -> None:
    assert homophones.alike("消逝", NOTES.__contains__) == []  # shì, not shī
    assert homophones.alike("北京", NOTES.__contains__) == []  # běijīng, not bèijǐng
    assert homophones.alike("梯度", NOTES.__contains__) == []


def test_only_characters_the_notes_use_are_tried(homophones: Homophones) -> None:
    assert homophones.alike("检侧", NOTES.__contains__, used={"检"}) == []
    assert homophones.alike("检侧", NOTES.__contains__, used={"检", "测"}) == ["检测"]
