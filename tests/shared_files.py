"""Files from ../shared (vendor contracts, reference data): developers and CI have the folder beside the
project, a fresh clone does not. Their terms do not let clvdesk ship them (README: Tests), so a test that
needs one skips and names it, and every other test runs without it."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


def shared_path(relative: str) -> Path | None:
    """The file ../shared/`relative`, or None when it is not there."""
    path = SHARED_DIR / relative
    return path if path.is_file() else None


def _missing(relative: str) -> str:
    return f"needs ../shared/{relative}, which is not shipped with clvdesk (README: Tests)"


def shared_file(relative: str) -> Path:
    """The file ../shared/`relative`, for a fixture; when it is not there, the tests using it skip naming it."""
    path = shared_path(relative)
    if path is None:
        pytest.skip(_missing(relative))
    return path


def needs_shared(relative: str) -> pytest.MarkDecorator:
    """Mark a test that checks what the file ../shared/`relative` says: it skips, naming it, without it."""
    return pytest.mark.skipif(shared_path(relative) is None, reason=_missing(relative))
