"""What staff read about a case: deadlines and the UI's current details. Pure, sandbox-safe."""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.accountability.messages import AccountabilityStatus


def deadline_text(due: datetime) -> str:
    """A deadline as staff say it: an end-of-day deadline (R4.4) reads "2026-03-05 24:00"."""
    if (due.hour, due.minute, due.second) == (0, 0, 0):
        return f"{(due - timedelta(days=1)).date().isoformat()} 24:00"
    return due.strftime("%Y-%m-%d %H:%M")


def details_text(s: AccountabilityStatus) -> str:
    """The Temporal UI's current details: state, ids and the statement deadline (no names)."""
    due = deadline_text(s.statement_due_at) if s.statement_due_at else "being computed"
    lines = [f"**{s.state.value}** · staff {s.staff_id} · rule {s.rule}"]
    lines.append(f"statement due {due}" + (" (missed)" if s.statement_missed else ""))
    if s.decision is not None:
        final = s.decision.final_severity
        lines.append(f"decided: {final.value if final else 'no sanction'}")
    return "\n\n".join(lines)
