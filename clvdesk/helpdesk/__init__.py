"""The helpdesk clvdesk serves (Zendesk), reached through one small client."""

from clvdesk.helpdesk.zendesk import AmbiguousWrite, HelpdeskError, HelpdeskRequestError, HelpdeskUnavailable, UpdateConflict, ZendeskClient

__all__ = ["AmbiguousWrite", "HelpdeskError", "HelpdeskRequestError", "HelpdeskUnavailable", "UpdateConflict", "ZendeskClient"]
