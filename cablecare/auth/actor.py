"""The verified actor of one message, and how it travels (a Temporal header).

The token rides in the Temporal header `ACTOR_HEADER` (not in the payload, not in gRPC
metadata): every SDK and the `temporal` CLI (`--headers cablecare_actor='"<jwt>"'`) can set it,
and it reaches the worker's interceptor with the message. Header keys must be identifiers for
the CLI, hence the underscore.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

ACTOR_HEADER = "cablecare_actor"


@dataclass(frozen=True)
class Actor:
    """Who a message acts for, as verified: never the token itself."""

    staff_id: str  # the token's subject: a staff id, or a service identity's name
    token_id: str  # the token's `jti`: traces a recorded decision back to one login
    service: bool = False  # a system acting on its own (services.toml), not a person


@dataclass(frozen=True)
class Verdict:
    """What the interceptor concluded about one message: an actor, or why it is refused."""

    actor: Actor | None = None
    refusal: str | None = None
    auth_off: bool = False  # CABLECARE_AUTH=off: nobody was checked


# Set by the worker interceptor around each handler (per asyncio task, so concurrent updates
# never see each other's actor); read by workflow code through `current_verdict()`.
_VERDICT: contextvars.ContextVar[Verdict | None] = contextvars.ContextVar(
    "cablecare_actor_verdict", default=None
)


def current_verdict() -> Verdict | None:
    return _VERDICT.get()


def current_actor() -> Actor | None:
    verdict = _VERDICT.get()
    return verdict.actor if verdict is not None else None


def set_verdict(verdict: Verdict | None) -> contextvars.Token[Verdict | None]:
    return _VERDICT.set(verdict)


def reset_verdict(token: contextvars.Token[Verdict | None]) -> None:
    try:
        _VERDICT.reset(token)
    except ValueError:
        # A workflow evicted from the cache has its coroutines closed from outside their task:
        # that context is gone with the task, so there is nothing left to reset.
        pass
