"""Worker processes that never outlive the process that started them.

A worker left behind by a killed ``qabot index`` keeps its memory (a tokenizer and
jieba's dictionary, ~300 MB) and blocks for ever writing its result to a pipe nobody
reads. On Linux the kernel kills a worker the moment its parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a watchdog thread notices within a second.
Either way a parent that died before the worker got this far is noticed at once.

Ctrl-C is the parent's to handle: a worker ignores SIGINT, so the terminal's signal
to the whole process group does not make every worker print a traceback.

Example:
    >>> ProcessPoolExecutor(initializer=die_with_parent, initargs=(os.getpid(),))  # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

# From <linux/prctl.h>.
_PR_SET_PDEATHSIG = 1
# How often the watchdog thread looks at its parent where prctl is missing.
_WATCHDOG_SECONDS = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid``, its parent, ends; call it first
    thing in a worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _kill_me_with_parent():
        threading.Thread(
            target=_watch_parent, args=(parent_pid,), name="qabot-parent-watch", daemon=True
        ).start()
    # The parent may have died before the line above took effect.
    if os.getppid() != parent_pid:
        os._exit(1)


def _kill_me_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; whether it agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc prctl (an unusual libc)
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_WATCHDOG_SECONDS)
    os._exit(1)
