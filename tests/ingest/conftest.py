"""Fixtures of the ingest tests."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest


@pytest.fixture
def unlistable(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """``unlistable("private")``: listing a folder of that name fails with EACCES.

    Tests run as root, where ``chmod 000`` doesn't stop a listing, so the error is faked.
    """

    def make(name: str) -> None:
        real_scandir = os.scandir

        def scandir(path: str) -> object:
            if os.path.basename(path) == name:
                raise PermissionError(13, "Permission denied")
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)

    return make
