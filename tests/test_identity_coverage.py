"""Issue 10: every message a workflow accepts has an acting rule (an unlisted one is refused
whenever auth is on, so a new update without a rule would be unusable, not open)."""

from __future__ import annotations

from temporalio import workflow

from cablecare.auth.acting import ACTING
from worker.registry import workflow_classes


def test_every_update_and_signal_of_every_workflow_has_an_acting_rule() -> None:
    missing = []
    for cls in workflow_classes():
        defn = workflow._Definition.must_from_class(cls)
        names = ["start", *defn.updates, *(s for s in defn.signals if s is not None)]
        for name in names:
            if f"{defn.name}.{name}" not in ACTING:
                missing.append(f"{defn.name}.{name}")
    assert not missing, f"no acting rule for: {missing}"
