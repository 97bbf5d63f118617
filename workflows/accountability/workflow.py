"""AccountabilityCase ((六) 責任追究制): each party is heard before their case is decided.

(六)5 pursues both the post holder (崗位責任人) and the responsible lead (相關負責人); each has
their own hearing ((六)8), their own deciders ((六)4: their superior or the supervision office)
and their own decision. The status's top-level fields are the post holder's (as before issue
11); `lead` holds the lead's. The case ends when every party is decided.

Opened by a violation of a case (R4.7, (六)2) or by a supervisor; outlives the request that
opened it. All I/O (policy, calendar, directory, database, notifications) is in activities.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.accountability_activities import UNKNOWN_STAFF, AccountabilityActivities
    from cablecare.auth.actor import current_actor
    from cablecare.failures import (
        Closed,
        ErrorType,
        InvalidInput,
        NotPermitted,
        NotReady,
        refusals,
    )
    from workflows.accountability.activity_io import (
        OpenCaseInput,
        OpenCaseResult,
        RecordDecisionInput,
        RecordStatementInput,
        RecordWithdrawalInput,
    )
    from workflows.accountability.messages import (
        QUERY_STATUS,
        UPDATE_DECIDE,
        UPDATE_SUBMIT_STATEMENT,
        UPDATE_WITHDRAW,
        WORKFLOW_NAME,
        AccountabilityCaseInput,
        AccountabilityState,
        AccountabilityStatus,
        DecideUpdate,
        Decision,
        PartyRole,
        PartyStatus,
        SubmitStatementUpdate,
        WithdrawUpdate,
    )
    from workflows.accountability.outcome import (
        NO_SANCTION_EN,
        NO_SANCTION_ZH,
        effective_aggravating,
        final_severity,
    )
    from workflows.accountability.wording import deadline_text, details_text

DB_TIMEOUT = timedelta(seconds=30)
# Cases started before issue 11 heard and decided the post holder only; their histories replay
# that way. From this patch on the responsible lead is a party too ((六)5).
PATCH_BOTH_PARTIES = "accountability-both-parties"


def _token_id() -> str | None:
    """The verified sender's token id (worker/identity.py checked `supervisor_id` is them)."""
    actor = current_actor()
    return actor.token_id if actor is not None else None


@workflow.defn(name=WORKFLOW_NAME)
class AccountabilityCase:
    @workflow.init
    def __init__(self, data: AccountabilityCaseInput) -> None:
        self._data = data
        self._opened: OpenCaseResult | None = None  # policy, deadline, deciders: set once
        self._parties: dict[str, PartyStatus] = {
            data.staff_id: PartyStatus(role=PartyRole.POST_HOLDER, staff_id=data.staff_id)
        }
        self._recorded: set[str] = set()  # parties whose decision is in the database
        self._withdrawn = False  # (四)5 withdrawn and recorded
        self._status = AccountabilityStatus(
            case_id=data.case_id,
            staff_id=data.staff_id,
            lead_id=data.lead_id,
            request_id=data.request_id,
            rule=data.rule,
            violation=data.violation,
            state=AccountabilityState.AWAITING_STATEMENT,
            opened_at=workflow.now(),
            statement_due_at=None,
        )

    @workflow.run
    async def run(self, data: AccountabilityCaseInput) -> AccountabilityStatus:
        both = workflow.patched(PATCH_BOTH_PARTIES)  # asked before the first command
        opened = self._opened = await self._open()
        self._status.statement_due_at = opened.statement_due_at
        holder = self._parties[data.staff_id]
        holder.prior_violations, holder.deciders = opened.prior_violations, opened.supervisors
        if both and data.lead_id is not None and data.lead_id != data.staff_id:
            self._parties[data.lead_id] = PartyStatus(
                role=PartyRole.LEAD,
                staff_id=data.lead_id,
                prior_violations=opened.lead_prior_violations,
                deciders=opened.lead_deciders,
            )
        self._show()
        # (六)8: wait for the statements until their deadline; a missed deadline lets the
        # decision go for the party who did not give one.
        try:
            await workflow.wait_condition(
                lambda: (
                    self._withdrawn
                    or all(p.statement_at is not None for p in self._parties.values())
                ),
                timeout=max(opened.statement_due_at - workflow.now(), timedelta(seconds=1)),
                timeout_summary=f"{opened.statement_working_days} working-day statement deadline",
            )
        except TimeoutError:
            for party in list(self._parties.values()):
                if party.statement_at is not None or self._withdrawn:
                    continue
                party.statement_missed = True
                party.state = AccountabilityState.READY_FOR_DECISION
                self._show()
                await self._record_statement(
                    RecordStatementInput(
                        case_id=data.case_id, statement_missed=True, role=party.role
                    )
                )
        await workflow.wait_condition(
            lambda: self._withdrawn or self._recorded >= set(self._parties)
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status

    async def _open(self) -> OpenCaseResult:
        actor = current_actor()  # None with CABLECARE_AUTH=off: nobody is verified
        try:
            return await workflow.execute_activity_method(
                AccountabilityActivities.open_accountability_case,
                OpenCaseInput(
                    workflow_id=workflow.info().workflow_id,
                    case=self._data,
                    opened_at=self._status.opened_at,
                    opened_by_person=actor is not None and not actor.service,
                ),
                start_to_close_timeout=DB_TIMEOUT,
                summary="open case: statement deadline, prior violations, deciders",
            )
        except ActivityError as err:
            cause = err.cause
            refused = (UNKNOWN_STAFF, ErrorType.NOT_PERMITTED)
            if isinstance(cause, ApplicationError) and cause.type in refused:
                # Bad input or an opener without the role: fail the case at once with the
                # reason, never retry it.
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from err
            raise

    async def _record_statement(self, data: RecordStatementInput) -> None:
        await workflow.execute_activity_method(
            AccountabilityActivities.record_accountability_statement,
            data,
            start_to_close_timeout=DB_TIMEOUT,
            summary="record statement" if data.statement else "record missed statement deadline",
        )

    def _show(self) -> None:
        """Mirror the parties into the status: top-level fields are the post holder's."""
        s, holder = self._status, self._parties[self._data.staff_id]
        s.state, s.decision = holder.state, holder.decision
        s.statement, s.statement_at = holder.statement, holder.statement_at
        s.statement_missed, s.prior_violations = holder.statement_missed, holder.prior_violations
        s.lead = next((p for p in self._parties.values() if p.role == PartyRole.LEAD), None)
        workflow.set_current_details(details_text(s))

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> AccountabilityStatus:
        return self._status

    @workflow.update(name=UPDATE_SUBMIT_STATEMENT)
    async def submit_statement(self, update: SubmitStatementUpdate) -> AccountabilityStatus:
        """(六)8: a party is heard (陳述和申辯) before their case is decided."""
        await workflow.wait_condition(lambda: self._opened is not None)  # the row exists
        party = self._parties.get(update.staff_id)
        if party is None:  # the lead of a case opened before both parties were heard
            raise ApplicationError(
                f"{update.staff_id} is not a party to this case.", type="Refused"
            )
        party.statement = update.statement
        party.statement_at = workflow.now()
        if party.state == AccountabilityState.AWAITING_STATEMENT:
            party.state = AccountabilityState.READY_FOR_DECISION
        self._show()
        await self._record_statement(
            RecordStatementInput(
                case_id=self._data.case_id,
                statement=update.statement,
                statement_at=party.statement_at,
                role=party.role,
                token_id=_token_id(),
            )
        )
        return self._status

    @submit_statement.validator
    @refusals
    def _check_statement(self, update: SubmitStatementUpdate) -> None:
        parties = {self._data.staff_id, *([self._data.lead_id] if self._data.lead_id else [])}
        if update.staff_id not in parties:
            raise NotPermitted(
                f"Only the parties concerned ({', '.join(sorted(parties))}) may give a statement."
            )
        if self._status.withdrawn_at is not None:
            raise Closed(f"This case was withdrawn: {self._status.withdrawn_reason}")
        party = self._parties.get(update.staff_id)
        if party is not None and party.decision is not None:
            raise Closed("This case has already been decided; a statement can no longer be added.")
        if not update.statement.strip():
            raise InvalidInput("The statement is empty; write what happened.")
        if party is not None and party.statement_at is not None:
            raise ValueError("A statement was already given for this case; it cannot be replaced.")

    @workflow.update(name=UPDATE_DECIDE)
    async def decide(self, update: DecideUpdate) -> AccountabilityStatus:
        """(六)5 outcome, (六)6 heavier (repeat acts found automatically), (六)7 lighter."""
        assert self._opened is not None  # the validator refuses before opening
        opened = self._opened
        party = self._parties[update.party_id or self._data.staff_id]
        aggravating = effective_aggravating(
            update.aggravating, party.prior_violations, opened.aggravating_violation_count
        )
        final = final_severity(update.severity, aggravating, update.mitigating)
        outcome = next((o for o in opened.outcomes if o.severity == final), None)
        decision = Decision(
            staff_id=party.staff_id,
            role=party.role,
            supervisor_id=update.supervisor_id,
            requested_severity=update.severity,
            final_severity=final,
            outcome_zh=outcome.outcome_zh if outcome else NO_SANCTION_ZH,
            outcome_en=outcome.outcome_en if outcome else NO_SANCTION_EN,
            aggravating=aggravating,
            mitigating=list(dict.fromkeys(update.mitigating)),
            note=update.note,
            decided_at=workflow.now(),
            token_id=_token_id(),
        )
        # Set before the activity so that a second decision is refused while this one records.
        party.decision = decision
        party.state = AccountabilityState.DECIDED
        self._show()
        await workflow.execute_activity_method(
            AccountabilityActivities.record_accountability_decision,
            RecordDecisionInput(
                workflow_id=workflow.info().workflow_id,
                case_id=self._data.case_id,
                staff_id=party.staff_id,
                decision=decision,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            summary="record decision, tell the party",
        )
        self._recorded.add(party.staff_id)
        return self._status

    @decide.validator
    @refusals
    def _check_decision(self, update: DecideUpdate) -> None:
        if self._opened is None:
            raise NotReady("The case is still being opened; try again in a moment.")
        if self._status.withdrawn_at is not None:
            raise Closed(f"This case was withdrawn: {self._status.withdrawn_reason}")
        who = update.party_id or self._data.staff_id
        party = self._parties.get(who)
        if party is None:
            raise InvalidInput(
                f"{who} is not a party to this case (parties: {', '.join(self._parties)})."
            )
        if party.decision is not None:
            raise Closed("This case has already been decided; a second decision is not possible.")
        if update.supervisor_id not in party.deciders:
            raise NotPermitted(
                f"The decision needs a supervisor: {update.supervisor_id} is not a supervisor "
                f"who may decide {who}'s case ((六)4: their superior or the supervision office; "
                f"here {', '.join(party.deciders) or 'nobody on record'})."
            )
        if party.state == AccountabilityState.AWAITING_STATEMENT:
            raise ValueError(
                f"{who} must be heard first (R6.8): they have until "
                f"{deadline_text(self._opened.statement_due_at)} to give a statement. Decide "
                "once the statement is in or that time has passed."
            )

    @workflow.update(name=UPDATE_WITHDRAW)
    async def withdraw(self, update: WithdrawUpdate) -> AccountabilityStatus:
        """(四)5: the breach that opened this case was covered by an on-time attempt."""
        now = workflow.now()
        s = self._status
        s.withdrawn_by, s.withdrawn_at, s.withdrawn_reason = update.by, now, update.reason
        for party in self._parties.values():
            if party.decision is None:
                party.state = AccountabilityState.WITHDRAWN
        self._show()
        await workflow.execute_activity_method(
            AccountabilityActivities.record_accountability_withdrawal,
            RecordWithdrawalInput(
                case_id=self._data.case_id, by=update.by, at=now, reason=update.reason
            ),
            start_to_close_timeout=DB_TIMEOUT,
            summary="record withdrawal",
        )
        self._withdrawn = True
        return self._status

    @withdraw.validator
    @refusals
    def _check_withdraw(self, update: WithdrawUpdate) -> None:
        if self._opened is None:
            raise NotReady("The case is still being opened; try again in a moment.")
        if self._status.withdrawn_at is not None:
            raise Closed("This case was already withdrawn.")
        if all(p.decision is not None for p in self._parties.values()):
            raise Closed("Every party is decided; a decided case is not withdrawn.")
        deciders = {d for p in self._parties.values() for d in p.deciders}
        if update.by not in deciders:
            raise NotPermitted(
                f"{update.by} may not withdraw this case: only a person who may decide it "
                f"((六)4: {', '.join(sorted(deciders)) or 'nobody on record'})."
            )
