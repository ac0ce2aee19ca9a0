"""Zendesk's published OpenAPI description as a check on every request the stand-in receives.

The stand-in is ours, so a test passing against it proves little unless the requests it accepted are ones
Zendesk documents; this validator is that proof. The description lives in ../shared (Zendesk publishes it
under its developer terms, not a licence that lets us ship a copy): without it the stand-in runs
unchecked and the tests of the check itself skip. Known defects of the description (see shared/README.md)
are worked around here: paths carry no ".json" suffix, only Basic auth is declared (so security is not
checked and OAuth requests pass), and ticket custom_fields point at the ticket-field schema.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml
from jsonschema_path import SchemaPath
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V30RequestBodyValidator, V30RequestParametersValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from clvdesk.standins.server import ContractViolation, StandinRequest
from tests.shared_files import shared_path

OAS = "helpdesk/zendesk/oas.yaml"  # in ../shared
ZENDESK_HOST_URL = "https://example.zendesk.com"  # the description's server, https://{subdomain}.{domain}.com
CUSTOM_FIELD_VALUE = {"type": "object", "properties": {"id": {"type": "integer"}, "value": {}}}


@cache
def _validators(path: Path) -> tuple[V30RequestParametersValidator, V30RequestBodyValidator]:
    """Parse the 1.2 MB description once per session; parameters and body are checked, security is not."""
    with path.open("rb") as handle:
        spec = yaml.load(handle, Loader=yaml.CSafeLoader)
    # a ticket update sends {"id", "value"} pairs; the description points at the ticket-field definition
    spec["components"]["schemas"]["TicketUpdateInput"]["properties"]["custom_fields"]["items"] = CUSTOM_FIELD_VALUE
    schema = SchemaPath.from_dict(spec)
    return V30RequestParametersValidator(schema), V30RequestBodyValidator(schema)


class _OpenAPIRequest:
    """A stand-in request as openapi-core reads one: sent to Zendesk's host, without the ".json" suffix."""

    host_url = ZENDESK_HOST_URL

    def __init__(self, request: StandinRequest):
        headers = Headers(request.headers)
        self.path = request.path.removesuffix(".json")
        self.method = request.method.lower()
        self.body = request.body or None
        self.content_type = headers.get("Content-Type", "").lower()
        self.parameters = RequestParameters(query=ImmutableMultiDict(request.query), header=headers)


def _describe(error: Exception) -> str:
    """The schema's complaints, which openapi-core keeps on the cause, else the error itself."""
    details = getattr(error.__cause__, "schema_errors", ())
    return "; ".join(f"{detail.json_path}: {detail.message}" for detail in details) or str(error)


def contract_validator() -> Callable[[StandinRequest], None] | None:
    """A `validate` for ZendeskStandin: raises ContractViolation for a request Zendesk does not document;
    None (no check) when ../shared has no description."""
    path = shared_path(OAS)
    if path is None:
        return None
    validators = _validators(path)

    def validate(request: StandinRequest) -> None:
        for validator in validators:
            errors = list(validator.iter_errors(_OpenAPIRequest(request)))
            if errors:
                raise ContractViolation(f"{request.method} {request.path}: " + "; ".join(map(_describe, errors)))

    return validate
