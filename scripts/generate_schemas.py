#!/usr/bin/env python3
"""Regenerate schemas/ (JSON Schema of every contract message) and the field tables of
docs/contract.md from the pydantic models.

.venv/bin/python scripts/generate_schemas.py          # write; lists what changed
.venv/bin/python scripts/generate_schemas.py --check  # exit 1 if schemas/ is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cablecare import REPO_ROOT  # noqa: E402
from cablecare.contract_doc import refresh  # noqa: E402
from cablecare.contract_schemas import expected_files, write  # noqa: E402

TARGET = REPO_ROOT / "schemas"
CONTRACT = REPO_ROOT / "docs" / "contract.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift")
    args = parser.parse_args()
    if args.check:
        stale = [
            path
            for path, content in expected_files().items()
            if not (TARGET / path).exists()
            or (TARGET / path).read_text(encoding="utf-8") != content
        ]
        for path in stale:
            sys.stderr.write(f"out of date: schemas/{path}\n")
        document = CONTRACT.read_text(encoding="utf-8")
        if refresh(document) != document:
            stale.append("contract")
            sys.stderr.write("out of date: the field tables of docs/contract.md\n")
        return 1 if stale else 0
    for path in write(TARGET):
        sys.stdout.write(f"schemas/{path}\n")
    document = CONTRACT.read_text(encoding="utf-8")
    if refresh(document) != document:
        CONTRACT.write_text(refresh(document), encoding="utf-8")
        sys.stdout.write("docs/contract.md\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
