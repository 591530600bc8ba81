r"""Fold maths to what a person types, so ``β1`` in a question meets ``$\beta_1$`` in a note.

Notes write maths in LaTeX (``$\beta_1 = 0.9$``, ``$\hat{m}_t$``); people type β1,
beta1 or "beta 1". Before text is cut into terms:

- a Greek letter, typed (β) or as a LaTeX command (``\beta``), becomes its name
  (``beta``), so all three meet; a subscript in braces loses them (``\beta_{1}`` →
  ``beta_1``), and the tokenizer's joined-term rule then also yields ``beta1``;
- a symbol command becomes its symbol (``\times`` → ×, ``\leq`` → ≤), and a command
  that only lays maths out (``\frac``, ``\text``, ``\hat``, ``\left``) is dropped:
  neither is a word anyone searches for, and as words they would match English
  questions ("how many times").

Function names (``\log``, ``\max``, ``\tanh``) and unknown commands are kept as
they are. Each character of the folded text maps back to the offset it came from.

Example:
    >>> fold_maths(r"β1 \eta")
    ('beta1 eta', [0, 0, 0, 0, 1, 2, 3, 3, 6])
    >>> maths_text(r"$\beta_{1} \times 2$, \frac{\hat{m}_t}{2}")
    '$beta_1 × 2$, {{m}_t}{2}'
"""

from __future__ import annotations

import re

_GREEK = {
    "alpha": "αΑ",
    "beta": "βΒ",
    "gamma": "γΓ",
    "delta": "δΔ",
    "epsilon": "εΕϵ",
    "zeta": "ζΖ",
    "eta": "ηΗ",
    "theta": "θΘϑ",
    "iota": "ιΙ",
    "kappa": "κΚ",
    "lambda": "λΛ",
    "mu": "μΜµ",
    "nu": "νΝ",
    "xi": "ξΞ",
    "omicron": "οΟ",
    "pi": "πΠϖ",
    "rho": "ρΡϱ",
    "sigma": "σςΣ",
    "tau": "τΤ",
    "upsilon": "υΥ",
    "phi": "φΦϕ",
    "chi": "χΧ",
    "psi": "ψΨ",
    "omega": "ωΩ",
}
_SYMBOLS = {
    "cdot": "·",
    "times": "×",
    "div": "÷",
    "pm": "±",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "equiv": "≡",
    "propto": "∝",
    "infty": "∞",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "partial": "∂",
    "nabla": "∇",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "in": "∈",
    "ldots": "…",
    "cdots": "⋯",
    "dots": "…",
    "otimes": "⊗",
    "odot": "⊙",
    "oplus": "⊕",
    "circ": "∘",
    "mid": "|",
    "prime": "′",
    "lceil": "⌈",
    "rceil": "⌉",
    "lfloor": "⌊",
    "rfloor": "⌋",
}
# Commands that lay maths out: what they wrap stays, they go.
_LAYOUT = (
    *("text", "mathrm", "mathbf", "mathit", "mathcal", "mathbb", "mathsf", "operatorname"),
    *("boldsymbol", "hat", "bar", "tilde", "vec", "dot", "ddot", "overline", "underline"),
    *("widehat", "widetilde", "frac", "dfrac", "tfrac", "sqrt", "left", "right", "big"),
    *("Big", "bigg", "Bigg", "begin", "end", "quad", "qquad", "displaystyle", "limits"),
    "binom",
)

_COMMANDS = {
    **{f"\\{name}": name for name in _GREEK},
    **{f"\\{name.capitalize()}": name for name in _GREEK},
    **{f"\\var{name}": name for name in ("epsilon", "theta", "phi", "pi", "rho", "sigma")},
    **{f"\\{name}": symbol for name, symbol in _SYMBOLS.items()},
    **{f"\\{name}": "" for name in _LAYOUT},
}
_LETTERS = {letter: name for name, letters in _GREEK.items() for letter in letters}
_FOLDABLE = re.compile(
    r"\\[A-Za-z]+"  # a command
    r"|[\u00b5\u0391-\u03a9\u03b1-\u03c9\u03d1\u03d5\u03d6\u03f1\u03f5]"  # a Greek letter
    r"|_\{[A-Za-z0-9]+\}"  # a subscript in braces
)


def fold_maths(text: str) -> tuple[str, list[int] | None]:
    """``text`` with its maths folded, and each character's offset in ``text``
    (``None`` when nothing was folded)."""
    pieces: list[str] = []
    origin: list[int] = []
    position = 0
    for match in _FOLDABLE.finditer(text):
        replacement = _replacement(match.group())
        if replacement is None:
            continue
        start, end = match.span()
        pieces += [text[position:start], replacement]
        # The replacement spans what it replaces: its last character maps to the last.
        origin += [*range(position, start), *[start] * (len(replacement) - 1)]
        origin += [end - 1] if replacement else []
        position = end
    if not pieces:
        return text, None
    pieces.append(text[position:])
    origin += range(position, len(text))
    return "".join(pieces), origin


def maths_text(text: str) -> str:
    """``fold_maths(text)[0]``, without working out the offsets."""
    return _FOLDABLE.sub(_substitute, text)


def _substitute(match: re.Match[str]) -> str:
    replacement = _replacement(match.group())
    return match.group() if replacement is None else replacement


def _replacement(found: str) -> str | None:
    """What a command, Greek letter or braced subscript folds to; ``None`` to keep it."""
    if found[0] == "\\":
        return _COMMANDS.get(found)
    if found[0] == "_":
        return "_" + found[2:-1]
    return _LETTERS[found]
