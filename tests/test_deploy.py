"""The deployment files stay in step with the code (issue 2 item 12)."""

from __future__ import annotations

import re

from cablecare import REPO_ROOT
from cablecare.search_attributes import ALL_KEYS

TYPES = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool"}


def test_compose_registers_every_search_attribute_of_the_contract() -> None:
    script = (REPO_ROOT / "deploy" / "temporal-init.sh").read_text()
    registered = set(re.findall(r"\b(Cs\w+)=(\w+)", script))
    assert registered == {(key.name, TYPES[key.indexed_value_type.name]) for key in ALL_KEYS}


def test_compose_file_holds_no_password() -> None:
    compose = (REPO_ROOT / "docker-compose.yml").read_text()
    for line in compose.splitlines():
        if re.search(r"(PASSWORD|PWD)\s*:", line):
            assert "${POSTGRES_PASSWORD:?" in line, line
