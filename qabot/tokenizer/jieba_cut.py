"""jieba's cut, copied for speed: the same words as ``jieba.cut`` (HMM on), faster.

Kept hand-written for a measured reason: tokenizing is the slow step of indexing.
Doing jieba's ``get_DAG``, ``calc`` and ``__cut_DAG`` in one pass made the tokenizer
about 1.6x faster per core, and unrolling finalseg's Viterbi saved a further ~25% of
its CPU per character (issue 5; docs/performance.md has the tokenizing rates). It
reads ``jieba.dt``'s FREQ, so user dictionaries still apply; hypothesis tests
(``tests/tokenizer/test_jieba_cut.py``) compare it with ``jieba.tokenize`` and
``finalseg.cut``, which would catch a change in jieba.

Example:
    >>> import jieba
    >>> jieba.dt.check_initialized()
    >>> cut("梯度检查点", jieba.dt)
    ['梯度', '检查点']
"""

from __future__ import annotations

from math import log

import jieba
from jieba import finalseg

from qabot.tokenizer.terms import Span


def cut(block: str, dictionary: jieba.Tokenizer) -> list[str]:
    """The words ``dictionary.cut`` (HMM on) cuts a block of Chinese and alphanumerics into.

    jieba's ``get_DAG``, ``calc`` and ``__cut_DAG`` in one pass, with the same
    arithmetic in the same order, so the same route and the same words, but faster.
    """
    frequencies = dictionary.FREQ
    frequency = frequencies.get
    log_total = log(dictionary.total)
    size = len(block)
    # From each character: the best route's log probability, and where its first word
    # ends. Ties go to the longer word, as with jieba's max() of (score, end) pairs.
    score = [0.0] * (size + 1)
    until = [0] * size
    for k in range(size - 1, -1, -1):
        best, end = 0.0, 0
        j = k + 1
        while j <= size and (count := frequency(block[k:j])) is not None:
            if count:
                value = log(count) - log_total + score[j]
                if not end or value >= best:
                    best, end = value, j
            j += 1
        if not end:  # no word starts here: the character alone, counted once (log 1 = 0)
            best, end = -log_total + score[k + 1], k + 1
        score[k], until[k] = best, end
    # Characters the route leaves single run together, for the HMM to cut unless the
    # run is itself a word.
    words: list[str] = []
    single = position = 0
    while position < size:
        end = until[position]
        if end - position > 1:
            if position - single == 1:  # a character alone, as most are: no HMM
                words.append(block[single])
            elif single < position:
                words += _singles(block[single:position], frequencies)
            words.append(block[position:end])
            single = end
        position = end
    if single < size:
        words += _singles(block[single:], frequencies)
    return words


def _singles(run: str, frequencies: dict[str, int]) -> list[str]:
    """A run of characters the route leaves single, as jieba's ``__cut_DAG`` cuts it."""
    if len(run) == 1 or frequencies.get(run):
        return list(run)
    if not finalseg.re_han.fullmatch(run):
        return list(finalseg.cut(run))  # rare: only Chinese characters take the fast path
    words = _hmm_cut(run)
    if force_split := finalseg.Force_Split_Words:  # words taken out with jieba.del_word
        return [piece for word in words for piece in (word if word in force_split else (word,))]
    return words


def _hmm_cut(run: str) -> list[str]:
    """The words ``finalseg.cut`` cuts a run of Chinese characters into, before forced splits.

    finalseg's ``viterbi`` with its four states (Begin, Middle, End, Single) unrolled,
    with the same sums in the same order and the same ties (its ``max()`` of
    (probability, state) pairs takes the state later in the alphabet), but faster.
    """
    low = finalseg.MIN_FLOAT
    start, trans, emit_p = finalseg.start_P, finalseg.trans_P, finalseg.emit_P
    emit_b, emit_m, emit_e, emit_s = emit_p["B"], emit_p["M"], emit_p["E"], emit_p["S"]
    e_b, s_b = trans["E"].get("B", low), trans["S"].get("B", low)
    m_m, b_m = trans["M"].get("M", low), trans["B"].get("M", low)
    b_e, m_e = trans["B"].get("E", low), trans["M"].get("E", low)
    s_s, e_s = trans["S"].get("S", low), trans["E"].get("S", low)
    char = run[0]
    b = start["B"] + emit_b.get(char, low)
    m = start["M"] + emit_m.get(char, low)
    e = start["E"] + emit_e.get(char, low)
    s = start["S"] + emit_s.get(char, low)
    # For each later character, the state each of B, M, E, S comes from (0-3 for BMES).
    steps: list[tuple[int, int, int, int]] = []
    for char in run[1:]:
        emit = emit_b.get(char, low)
        x, y = e + e_b + emit, s + s_b + emit
        if y >= x:
            new_b, from_b = y, 3
        else:
            new_b, from_b = x, 2
        emit = emit_m.get(char, low)
        x, y = m + m_m + emit, b + b_m + emit
        if x >= y:
            new_m, from_m = x, 1
        else:
            new_m, from_m = y, 0
        emit = emit_e.get(char, low)
        x, y = b + b_e + emit, m + m_e + emit
        if y >= x:
            new_e, from_e = y, 1
        else:
            new_e, from_e = x, 0
        emit = emit_s.get(char, low)
        x, y = s + s_s + emit, e + e_s + emit
        if x >= y:
            s, from_s = x, 3
        else:
            s, from_s = y, 2
        b, m, e = new_b, new_m, new_e
        steps.append((from_b, from_m, from_e, from_s))
    # Walk back from the best last state, E or S; a word ends at each E or S.
    state = 3 if s >= e else 2
    words: list[str] = []
    end = len(run)
    for index in range(len(run) - 1, 0, -1):
        state = steps[index - 1][state]
        if state >= 2:
            words.append(run[index:end])
            end = index
    words.append(run[:end])
    words.reverse()
    return words


def search_grams(word: str, start: int, frequencies: dict[str, int]) -> list[Span]:
    """The dictionary words of two and three characters inside a long word, as
    ``jieba.tokenize`` gives them in search mode (before the word itself)."""
    return [
        (word[i : i + n], start + i, start + i + n)
        for n in (2, 3)
        if len(word) > n
        for i in range(len(word) - n + 1)
        if frequencies.get(word[i : i + n])
    ]


def inner_words(word: str) -> list[str]:
    """The dictionary words inside a long word, once each, as search mode adds them
    (红烧肉 → 红烧, 烧肉); none for a word of two characters."""
    dictionary = jieba.dt
    dictionary.check_initialized()
    return list(dict.fromkeys(inner for inner, _, _ in search_grams(word, 0, dictionary.FREQ)))
