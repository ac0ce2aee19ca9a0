"""The helpdesks clvdesk serves: one registry entry each, the one place a new helpdesk is named."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic_settings import BaseSettings

from clvdesk.helpdesk.errors import AmbiguousWrite, HelpdeskError, HelpdeskRequestError, HelpdeskUnavailable
from clvdesk.helpdesk.interface import Helpdesk
from clvdesk.helpdesk.freshdesk import FRESHDESK
from clvdesk.helpdesk.gorgias import GORGIAS
from clvdesk.helpdesk.helpscout import HELPSCOUT
from clvdesk.helpdesk.zendesk import ZENDESK

REGISTRY: Mapping[str, Helpdesk] = {entry.name: entry for entry in (ZENDESK, FRESHDESK, GORGIAS, HELPSCOUT)}


class UnknownHelpdesk(KeyError):
    """No helpdesk of that name is registered."""


def helpdesk(name: str) -> Helpdesk:
    """The registry entry named `name`."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownHelpdesk(f"no helpdesk {name!r}; clvdesk knows {', '.join(REGISTRY)}") from None


def configured(purpose: str) -> dict[str, tuple[Helpdesk, BaseSettings]]:
    """Every registered helpdesk any of whose CLVDESK_<NAME>_* variables is set, with its settings read
    from the environment; SettingsError when there is none, since `purpose` (the web process, the
    worker) would then serve nothing."""
    from clvdesk.settings import SettingsError, load_settings  # settings imports nothing of the helpdesks

    found = {}
    for name, entry in REGISTRY.items():
        settings = load_settings(entry.settings)
        if settings.model_fields_set:
            found[name] = (entry, settings)
    if not found:
        prefixes = ", ".join(entry.settings.model_config["env_prefix"] + "*" for entry in REGISTRY.values())
        raise SettingsError(f"no helpdesk is configured ({prefixes}); {purpose} needs one")
    return found


__all__ = ["REGISTRY", "AmbiguousWrite", "Helpdesk", "HelpdeskError", "HelpdeskRequestError", "HelpdeskUnavailable",
           "UnknownHelpdesk", "configured", "helpdesk"]
