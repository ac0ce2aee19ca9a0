"""Segment names read the same everywhere: the Python labels equal the sidebar's English locale file."""

import json
from pathlib import Path

from clvdesk.clv.segments import SEGMENT_LABELS, SEGMENTS

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "locales"


def test_every_segment_has_the_label_the_sidebar_shows():
    assert list(SEGMENT_LABELS) == list(SEGMENTS)
    assert SEGMENT_LABELS == json.loads((ASSETS / "en.json").read_text())["segments"]
    assert SEGMENT_LABELS["cant_lose_them"] == "Can't lose them"
