"""Update validators: why a message is refused, in words a dispatcher understands.

They run before anything is written to history, so a refused update leaves no trace.
Each raises ValueError with the reason; rule IDs say which commitment the refusal protects.
The subclass says the kind of refusal, the stable error type a caller sees (cablecare/failures.py).
"""

from __future__ import annotations

from datetime import datetime

from cablecare.domain import CaseState, Kind, Role
from cablecare.failures import Closed, InvalidInput, NotPermitted, Refusal
from workflows.certification.validity import refuse_if_not_certified
from workflows.service_request.case import ACTIVE_STATES, Case
from workflows.service_request.messages import (
    AcknowledgeUpdate,
    AnswerLeadershipUpdate,
    AssignUpdate,
    CancelUpdate,
    DecideExtensionUpdate,
    ForceMajeureUpdate,
    NetworkBuiltUpdate,
    RecordCallbackUpdate,
    RecordTrackingUpdate,
    ReferUpdate,
    ReportProgressUpdate,
    ReportToLeaderUpdate,
    ReportUnreachableUpdate,
    RequestExtensionUpdate,
    ResolveUpdate,
    ScheduleVisitUpdate,
    SubmitMaterialsUpdate,
)


def _refuse(reason: str, kind: type[Refusal] = Refusal) -> None:
    raise kind(reason)


def _open(case: Case) -> None:
    if case.final:
        _refuse(f"request {case.snap.request_id} is already {case.snap.state.value}", Closed)


def _known(case: Case, staff_id: str) -> None:
    if not case.known_staff(staff_id):
        _refuse(f"staff {staff_id} is not known for this request's company", NotPermitted)


def _role(case: Case, staff_id: str, role: Role, rule: str) -> None:
    if not case.has_role(staff_id, role):
        # 13.5: name the company: staff of the other company are the usual reason, and the
        # roster holds only this company's certified staff.
        _refuse(
            f"staff {staff_id} is not a certified {role.value} of the {case.ctx.company.value} "
            f"company that handles this request ({rule})",
            NotPermitted,
        )


def _solving(case: Case) -> None:
    _open(case)
    s = case.snap
    if s.state == CaseState.AWAITING_MATERIALS:
        _refuse(f"materials still missing: {', '.join(s.missing_materials)} (R4.1)")
    if s.state == CaseState.AWAITING_NETWORK:
        _refuse("the network at this address is not built yet; the clock has not started ((四)4)")
    if s.state not in ACTIVE_STATES:
        _refuse(f"request {s.request_id} is {s.state.value}, not being worked on")


def _the_technician(case: Case, technician_id: str) -> None:
    assigned = case.snap.technician_id
    if assigned is None:
        _refuse("no technician is assigned to this request yet")
    if technician_id != assigned:
        _refuse(
            f"technician {technician_id} is not assigned to this request (assigned: {assigned})",
            NotPermitted,
        )


def submit_materials(case: Case, u: SubmitMaterialsUpdate, now: datetime) -> None:
    _open(case)
    _known(case, u.by)
    required = {m.code for m in case.ctx.policy.required_materials(case.snap.kind)}
    unknown = [i for i in u.items if i not in required]
    if unknown:
        expected = (
            f"expected one of: {', '.join(sorted(required))}"
            if required
            else f"a {case.snap.kind.value} request needs no materials"
        )
        _refuse(
            f"unknown material code(s) {', '.join(unknown)} for {case.snap.kind.value}; {expected}",
            InvalidInput,
        )


def acknowledge(case: Case, u: AcknowledgeUpdate, now: datetime) -> None:
    _open(case)
    _known(case, u.by)
    if case.snap.kind != Kind.COMPLAINT:
        _refuse("only complaints are acknowledged (R9.2)")
    if case.snap.acknowledged_at is not None:
        _refuse("this complaint was already acknowledged")


def refer(case: Case, u: ReferUpdate, now: datetime) -> None:
    _open(case)
    _known(case, u.by)


def assign(case: Case, u: AssignUpdate, now: datetime) -> None:
    _open(case)
    if case.snap.state in (CaseState.RESOLVED, CaseState.AWAITING_CALLBACK):
        _refuse("the request is resolved; a callback problem reopens it (R5.2)")
    _role(case, u.by, Role.DISPATCHER, "only a dispatcher reassigns")
    refuse_if_not_certified(case.ctx.certificates, u.technician_id, Role.TECHNICIAN.value, now)
    _role(case, u.technician_id, Role.TECHNICIAN, "R8.1")
    if u.technician_id == case.snap.technician_id:
        _refuse(f"technician {u.technician_id} is already assigned")


def schedule_visit(case: Case, u: ScheduleVisitUpdate, now: datetime) -> None:
    _solving(case)
    _the_technician(case, u.technician_id)
    if u.window_end <= now:
        _refuse("the visit window is already over")


def report_progress(case: Case, u: ReportProgressUpdate, now: datetime) -> None:
    _solving(case)
    _the_technician(case, u.technician_id)


def resolve(case: Case, u: ResolveUpdate, now: datetime) -> None:
    _solving(case)
    s = case.snap
    allowed = (
        u.by in (s.technician_id, s.owner_id)
        or case.has_role(u.by, Role.DISPATCHER)
        or case.has_role(u.by, Role.SUPERVISOR)
    )
    if not allowed:
        _refuse(
            f"staff {u.by} may not resolve this request "
            "(the technician, the owner, a dispatcher or a supervisor may)",
            NotPermitted,
        )


def report_unreachable(case: Case, u: ReportUnreachableUpdate, now: datetime) -> None:
    _open(case)
    if not u.report.strip():
        _refuse("a written report is required to deem the request completed (R4.5)", InvalidInput)
    s = case.snap
    if u.attempted_at is not None:
        if u.attempted_at > now:
            _refuse("the attempt cannot be in the future ((四)5)")
        if u.attempted_at < s.received_at:
            _refuse("the attempt cannot be before the request was received ((四)5)")
    if s.technician_id is not None:
        _the_technician(case, u.technician_id)
    elif u.technician_id != s.owner_id and not case.has_role(u.technician_id, Role.TECHNICIAN):
        _refuse(
            f"staff {u.technician_id} is neither a certified technician nor the owner (R4.5)",
            NotPermitted,
        )
    if s.state in (CaseState.RESOLVED, CaseState.AWAITING_CALLBACK):
        _refuse("the request is already resolved")


def request_extension(case: Case, u: RequestExtensionUpdate, now: datetime) -> None:
    _solving(case)
    _known(case, u.by)
    if case.snap.pending_extension is not None:
        _refuse("an extension request is already waiting for a leader (R4.6)")


def decide_extension(case: Case, u: DecideExtensionUpdate, now: datetime) -> None:
    _open(case)
    _role(case, u.leader_id, Role.LEADER, "R4.6: only a leader approves an extension")
    if case.snap.pending_extension is None:
        _refuse("there is no extension request to decide")


def declare_force_majeure(case: Case, u: ForceMajeureUpdate, now: datetime) -> None:
    _solving(case)
    _role(case, u.leader_id, Role.LEADER, "R9.4: only a leader declares force majeure")
    if case.snap.clock.paused:
        _refuse("force majeure is already declared; the clock is suspended")


def end_force_majeure(case: Case, u: ForceMajeureUpdate, now: datetime) -> None:
    _open(case)
    _role(case, u.leader_id, Role.LEADER, "R9.4")
    if not case.snap.clock.paused:
        _refuse("no force majeure is in effect")


def record_callback(case: Case, u: RecordCallbackUpdate, now: datetime) -> None:
    _open(case)
    _role(case, u.agent_id, Role.CALLBACK, "R5.3")
    if case.snap.state != CaseState.AWAITING_CALLBACK:
        _refuse(f"no callback is due: the request is {case.snap.state.value}")
    if u.reached and u.satisfied is None:
        _refuse("say whether the customer was satisfied (R5.3)", InvalidInput)
    if not u.reached and u.problem_found:
        _refuse("a problem cannot be found when the customer was not reached", InvalidInput)


def cancel(case: Case, u: CancelUpdate, now: datetime) -> None:
    _open(case)
    _known(case, u.by)


def record_tracking(case: Case, u: RecordTrackingUpdate, now: datetime) -> None:
    """(五)1: the service desk (a callback agent, a counter clerk or a dispatcher) tracks it."""
    _open(case)
    if not any(case.has_role(u.by, r) for r in (Role.CALLBACK, Role.COUNTER, Role.DISPATCHER)):
        if u.by != case.snap.owner_id:
            _refuse(f"staff {u.by} is not on the service desk of this request ((五)1)")
    if case.snap.tracked_at is not None:
        _refuse("this work order was already tracked")


def report_to_leader(case: Case, u: ReportToLeaderUpdate, now: datetime) -> None:
    _open(case)
    _known(case, u.by)
    if not case.ctx.leaders:
        _refuse("no leader is on record for this request's company ((二)8)")


def answer_leadership(case: Case, u: AnswerLeadershipUpdate, now: datetime) -> None:
    _role(case, u.leader_id, Role.LEADER, "(二)7: only a leader answers")
    q = next((x for x in case.snap.leadership_questions if x.seq == u.question_seq), None)
    if q is None:
        _refuse(f"there is no question #{u.question_seq} to leadership on this request")
    elif q.answer is not None:
        _refuse(f"question #{u.question_seq} was already answered")


def report_network_built(case: Case, u: NetworkBuiltUpdate, now: datetime) -> None:
    _open(case)
    if not case.snap.network_pending:
        _refuse("this request is not waiting for network construction ((四)4)")
    allowed = case.has_role(u.by, Role.NETWORK) or case.has_role(u.by, Role.DISPATCHER)
    if not allowed:
        _refuse(f"staff {u.by} is not in the network department or a dispatcher ((四)4)")
