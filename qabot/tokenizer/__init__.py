"""Text to BM25 terms: jieba for Chinese, whole English and alphanumeric names, bigrams.

Example:
    >>> Tokenizer().terms("梯度檢查點是什麼？")
    ['梯度', '检查点', '梯度²', '度检²', '检查²', '查点²']
"""

from qabot.tokenizer.jieba_cut import inner_words
from qabot.tokenizer.terms import (
    BIGRAM_MARK,
    CJK_CHAR,
    default_stopwords,
    is_bigram,
    run_together,
    split_joined,
    split_version,
)
from qabot.tokenizer.tokenizer import WORD_CHAR, Token, Tokenizer

__all__ = [
    "BIGRAM_MARK",
    "CJK_CHAR",
    "WORD_CHAR",
    "Token",
    "Tokenizer",
    "default_stopwords",
    "inner_words",
    "is_bigram",
    "run_together",
    "split_joined",
    "split_version",
]
