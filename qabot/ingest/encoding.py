"""Turn a note file's bytes into text, whatever encoding a student saved it in.

Order of trust: a byte-order mark; strict UTF-8; strict GB18030 (a superset of GBK
and GB2312) when the result reads as Chinese; UTF-8 with a few bad bytes replaced;
then charset-normalizer's best guess (Big5, UTF-16 without BOM, Latin-1 …).

Example:
    >>> decode_note_bytes("梯度检查点".encode("gbk")).text
    '梯度检查点'
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A file this share of whose UTF-8 is broken is read anyway, with the bad bytes replaced.
_MAX_BAD_UTF8_SHARE = 0.01
_BINARY_SNIFF_BYTES = 8192


class UndecodableError(ValueError):
    """The bytes are binary, or text in no encoding we can read."""


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Decoded text, the encoding used, and how many bad bytes were replaced."""

    text: str
    encoding: str
    replaced: int = 0


def decode_note_bytes(data: bytes) -> DecodedText:
    """Decode ``data`` or raise :class:`UndecodableError` with a short reason."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(encoding), encoding)
            except UnicodeDecodeError as error:
                raise UndecodableError(f"invalid {encoding} after its byte-order mark") from error
    if b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        raise UndecodableError("binary file")
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _reads_as_chinese(text):
            return DecodedText(text, "gb18030")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    replaced = lenient.count("\ufffd")
    if replaced <= max(1, len(data) * _MAX_BAD_UTF8_SHARE):
        return DecodedText(lenient, "utf-8", replaced)
    # Imported here: the last resort, and ~50 ms of every start that never needs it.
    from charset_normalizer import from_bytes

    guess = from_bytes(data).best()
    if guess is None or guess.encoding is None:
        raise UndecodableError("not text in any known encoding")
    return DecodedText(str(guess), guess.encoding)


def _reads_as_chinese(text: str) -> bool:
    """True when nearly every non-ASCII character is a common CJK character or CJK punctuation."""
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii:
        return True
    cjk = sum(
        1
        for ch in non_ascii
        if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
    )
    return cjk / len(non_ascii) >= 0.95
