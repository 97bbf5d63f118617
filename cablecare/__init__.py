"""cablecare: a cable-TV operator's service commitments as durable Temporal workflows."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
