import codecs

import pytest

from qabot.ingest.encoding import UndecodableError, decode_note_bytes

TEXT = "梯度检查点(Gradient Checkpointing) 用计算换显存。"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
    ],
)
def test_decodes_common_note_encodings(data: bytes, encoding: str) -> None:
    decoded = decode_note_bytes(data)
    assert decoded.text == TEXT
    assert decoded.encoding == encoding


def test_binary_is_refused() -> None:
    with pytest.raises(UndecodableError, match="binary"):
        decode_note_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def test_a_few_bad_bytes_in_utf8_are_replaced_not_fatal() -> None:
    data = ("正常的笔记内容。" * 50).encode() + b"\xff" + "后面还有内容。".encode()
    decoded = decode_note_bytes(data)
    assert decoded.replaced == 1
    assert decoded.text.endswith("后面还有内容。")


def test_big5_traditional_chinese_is_read() -> None:
    text = "梯度檢查點是一種用計算換記憶體的方法，在訓練大型模型時非常常見。" * 3
    assert decode_note_bytes(text.encode("big5")).text == text
