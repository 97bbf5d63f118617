"""The severity arithmetic of R6.6 / R6.7: pure functions, no I/O, safe inside the sandbox."""

from __future__ import annotations

from collections.abc import Iterable

from cablecare.domain import AccountabilitySeverity
from workflows.accountability.messages import Aggravating, Mitigating

# R6.7 "or none": the outcome text when mitigation takes a minor case below any sanction.
NO_SANCTION_ZH = "不予处分"
NO_SANCTION_EN = "No sanction"

# R6.5 severities from lightest to heaviest; one step below the lightest is "no sanction".
LADDER: tuple[AccountabilitySeverity, ...] = (
    AccountabilitySeverity.MINOR,
    AccountabilitySeverity.SERIOUS,
    AccountabilitySeverity.GRAVE,
)


def effective_aggravating(
    given: Iterable[Aggravating], prior_violations: int, threshold: int
) -> list[Aggravating]:
    """(六)6 一年內出現兩次以上應予以追究服務責任的行為: in Chinese legal usage 以上 includes the
    number, and the act being decided is one of them, so with the threshold 2 the *second*
    accountable act within a year aggravates (one prior act). It needs nobody to say so.

    Returns the supervisor's circumstances in the enum's order, without duplicates.
    """
    found = set(given)
    if prior_violations + 1 >= threshold:
        found.add(Aggravating.REPEAT_VIOLATIONS)
    return [a for a in Aggravating if a in found]


def final_severity(
    requested: AccountabilitySeverity,
    aggravating: Iterable[Aggravating],
    mitigating: Iterable[Mitigating],
) -> AccountabilitySeverity | None:
    """R6.6 heavier by one step when anything aggravates; R6.7 lighter by one step when
    anything mitigates ("lighter, reduced or none": below minor there is no sanction, None).
    Both together cancel out: the supervisor's requested severity stands. Grave stays grave.
    """
    step = (1 if any(True for _ in aggravating) else 0) - (
        1 if any(True for _ in mitigating) else 0
    )
    index = LADDER.index(requested) + step
    if index < 0:
        return None
    return LADDER[min(index, len(LADDER) - 1)]
