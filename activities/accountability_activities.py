"""(stub, being written) R6 accountability activities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class AccountabilityActivities:
    def __init__(self, sessions: Any, sender: Any, settings: Any) -> None:
        self.sessions = sessions

    def activities(self) -> list[Callable[..., Any]]:
        return []
