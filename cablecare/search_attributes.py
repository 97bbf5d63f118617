"""Custom search attributes of CONTRACT.md. They carry no personal data.

Registered by `cablecare dev` (dev-server flags), by the tests, and by
`cablecare search-attributes apply` on a real cluster.
"""

from temporalio.common import (
    SearchAttributeKey,
)

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
