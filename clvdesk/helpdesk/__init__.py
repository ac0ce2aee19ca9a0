"""The helpdesks clvdesk serves: one registry entry each, the one place a new helpdesk is named."""

from __future__ import annotations

from collections.abc import Mapping

from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskError, HelpdeskRequestError, HelpdeskUnavailable
from clvdesk.helpdesk.interface import Helpdesk
from clvdesk.helpdesk.zendesk import ZENDESK

REGISTRY: Mapping[str, Helpdesk] = {entry.name: entry for entry in (ZENDESK,)}


class UnknownHelpdesk(KeyError):
    """No helpdesk of that name is registered."""


def helpdesk(name: str) -> Helpdesk:
    """The registry entry named `name`."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownHelpdesk(f"no helpdesk {name!r}; clvdesk knows {', '.join(REGISTRY)}") from None


__all__ = ["REGISTRY", "AmbiguousWrite", "Helpdesk", "HelpdeskError", "HelpdeskRequestError", "HelpdeskUnavailable",
           "UnknownHelpdesk", "helpdesk"]
