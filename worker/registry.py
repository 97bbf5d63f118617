"""What the worker runs: every workflow class and every activity, with dependencies injected.

Add a new workflow or activity class here and both `cablecare worker`, `cablecare dev` and the
tests pick it up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from activities.db import SessionFactory
from cablecare.settings import Settings


def workflow_classes() -> list[type]:
    return []


def activity_callables(settings: Settings) -> Sequence[Callable[..., Any]]:
    sessions = SessionFactory(settings.database_url)
    _ = sessions
    return []
