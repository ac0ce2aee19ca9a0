"""A helpdesk's own sidebar endpoint (Help Scout's Dynamic App, Gorgias's widget data, ...), framework-free.

Some helpdesks show clvdesk beside the ticket by calling clvdesk themselves, each in its own shape and
signed its own way. A helpdesk package answers those calls with a SidebarApp; the web process mounts every
one at /apps/<helpdesk>/<path> and only carries requests and answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class AppRequest:
    """One request to /apps/<helpdesk>/<path>; `headers` looks names up case-insensitively."""

    method: str
    path: str  # below /apps/<helpdesk>/, without a leading slash ("" for the root)
    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str]
    request_id: str


@dataclass(frozen=True)
class AppAnswer:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def json(cls, status: int, payload: object) -> AppAnswer:
        return cls(status, "application/json", json.dumps(payload, separators=(",", ":")).encode())

    @classmethod
    def error(cls, status: int, code: str, message: str) -> AppAnswer:
        return cls.json(status, {"error": code, "message": message})


class SidebarApp(Protocol):
    def handle(self, request: AppRequest) -> AppAnswer:
        """The answer to one call; a bad signature or body is a 4xx AppAnswer, never an exception."""
