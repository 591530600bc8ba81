"""qabot: answers questions from a study group's notes, quoting them with citations."""

import sys

# jieba imports pkg_resources (deprecated; ~120 ms, a tenth of a one-shot `qabot ask`)
# only to open its own data files, and opens them by path when that import fails. So
# jieba is imported here, first, with pkg_resources kept out for that one import.
if "jieba" not in sys.modules and "pkg_resources" not in sys.modules:
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba  # noqa: F401
    finally:
        del sys.modules["pkg_resources"]
