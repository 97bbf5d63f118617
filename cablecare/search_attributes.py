"""Custom search attributes of docs/contract.md. They carry no personal data.

Registered by `cablecare dev` (dev-server flags), by the tests, and by
`cablecare search-attributes apply` on a real cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.common import (
    SearchAttributeKey,
)

if TYPE_CHECKING:  # workflow code imports this module: keep the client out of the sandbox
    from temporalio.client import Client

CS_KIND = SearchAttributeKey.for_keyword("CsKind")
CS_STATE = SearchAttributeKey.for_keyword("CsState")
CS_AREA_ID = SearchAttributeKey.for_keyword("CsAreaId")
CS_OWNER_ID = SearchAttributeKey.for_keyword("CsOwnerId")
CS_TECHNICIAN_ID = SearchAttributeKey.for_keyword("CsTechnicianId")
CS_PRIORITY = SearchAttributeKey.for_keyword("CsPriority")
CS_DUE_AT = SearchAttributeKey.for_datetime("CsDueAt")
CS_BREACHED = SearchAttributeKey.for_bool("CsBreached")

ALL_KEYS = (
    CS_KIND,
    CS_STATE,
    CS_AREA_ID,
    CS_OWNER_ID,
    CS_TECHNICIAN_ID,
    CS_PRIORITY,
    CS_DUE_AT,
    CS_BREACHED,
)


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    types = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool"}
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}={types[key.indexed_value_type.name]}"]
    return flags


class SearchAttributeConflict(RuntimeError):
    """An attribute exists on the cluster with another type: it cannot be changed in place."""


async def apply_search_attributes(client: Client) -> list[str]:
    """Create the missing Cs* attributes in the client's namespace; return the names created.

    Idempotent: attributes that exist with the right type are left alone. One that exists with
    another type is an error (Temporal cannot retype an attribute; an operator must decide).
    """
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )

    existing = (
        await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    ).custom_attributes
    wrong = [
        f"{key.name} is {IndexedValueType.Name(existing[key.name])}, "
        f"the contract needs {key.indexed_value_type.name}"
        for key in ALL_KEYS
        if key.name in existing and existing[key.name] != int(key.indexed_value_type)
    ]
    if wrong:
        raise SearchAttributeConflict("; ".join(wrong))
    missing = {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
        for key in ALL_KEYS
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)
