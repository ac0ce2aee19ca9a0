"""Files from ../shared (vendor contracts, reference data): developers and CI have the folder beside the
project, a fresh clone does not. Their licences do not allow shipping them here (see ../shared/README.md),
so a test that needs one skips and names it, and every other test runs without it."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


def shared_path(relative: str) -> Path | None:
    """The file ../shared/`relative`, or None when it is not there."""
    path = SHARED_DIR / relative
    return path if path.is_file() else None


def shared_file(relative: str) -> Path:
    """The file ../shared/`relative`; when it is not there the calling test (or fixture) skips, naming it."""
    path = shared_path(relative)
    if path is None:
        pytest.skip(f"needs ../shared/{relative}, which a fresh clone does not have (see README, Tests)")
    return path
