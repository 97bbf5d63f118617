"""AccountabilityCase (R6): the staff member is heard before a supervisor decides.

Opened by a breached time limit (R4.7, R7.2) or by a supervisor; outlives the request that
opened it. All I/O (policy, calendar, directory, database, notifications) is in activities.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.accountability_activities import UNKNOWN_STAFF, AccountabilityActivities
    from cablecare.failures import Closed, InvalidInput, NotPermitted, NotReady, refusals
    from workflows.accountability.activity_io import (
        OpenCaseInput,
        OpenCaseResult,
        RecordDecisionInput,
        RecordStatementInput,
    )
    from workflows.accountability.messages import (
        QUERY_STATUS,
        UPDATE_DECIDE,
        UPDATE_SUBMIT_STATEMENT,
        WORKFLOW_NAME,
        AccountabilityCaseInput,
        AccountabilityState,
        AccountabilityStatus,
        DecideUpdate,
        Decision,
        SubmitStatementUpdate,
    )
    from workflows.accountability.outcome import (
        NO_SANCTION_EN,
        NO_SANCTION_ZH,
        effective_aggravating,
        final_severity,
    )
    from workflows.accountability.wording import deadline_text, details_text

DB_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name=WORKFLOW_NAME)
class AccountabilityCase:
    @workflow.init
    def __init__(self, data: AccountabilityCaseInput) -> None:
        self._data = data
        self._opened: OpenCaseResult | None = None  # policy, deadline, deciders: set once
        self._recorded = False  # the decision is in the database and the staff member told
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
        opened = self._opened = await self._open()
        self._status.statement_due_at = opened.statement_due_at
        self._status.prior_violations = opened.prior_violations
        self._show()
        # R6.8: wait for the statement until its deadline; a missed deadline lets the decision go.
        try:
            await workflow.wait_condition(
                lambda: self._status.statement_at is not None,
                timeout=max(opened.statement_due_at - workflow.now(), timedelta(seconds=1)),
                timeout_summary=f"{opened.statement_working_days} working-day statement deadline",
            )
        except TimeoutError:
            self._status.statement_missed = True
            self._status.state = AccountabilityState.READY_FOR_DECISION
            self._show()
            await self._record_statement(
                RecordStatementInput(case_id=data.case_id, statement_missed=True)
            )
        await workflow.wait_condition(lambda: self._recorded)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status

    async def _open(self) -> OpenCaseResult:
        try:
            return await workflow.execute_activity_method(
                AccountabilityActivities.open_accountability_case,
                OpenCaseInput(
                    workflow_id=workflow.info().workflow_id,
                    case=self._data,
                    opened_at=self._status.opened_at,
                ),
                start_to_close_timeout=DB_TIMEOUT,
                summary="open case: statement deadline, prior violations, deciders",
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == UNKNOWN_STAFF:
                # Bad input: fail the case at once with the reason, never retry it.
                raise ApplicationError(
                    cause.message, type=UNKNOWN_STAFF, non_retryable=True
                ) from err
            raise

    async def _record_statement(self, data: RecordStatementInput) -> None:
        await workflow.execute_activity_method(
            AccountabilityActivities.record_accountability_statement,
            data,
            start_to_close_timeout=DB_TIMEOUT,
            summary="record statement" if data.statement else "record missed statement deadline",
        )

    def _show(self) -> None:
        workflow.set_current_details(details_text(self._status))

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> AccountabilityStatus:
        return self._status

    @workflow.update(name=UPDATE_SUBMIT_STATEMENT)
    async def submit_statement(self, update: SubmitStatementUpdate) -> AccountabilityStatus:
        """R6.8: the responsible staff member is heard."""
        self._status.statement = update.statement
        self._status.statement_at = workflow.now()
        if self._status.state == AccountabilityState.AWAITING_STATEMENT:
            self._status.state = AccountabilityState.READY_FOR_DECISION
        self._show()
        await workflow.wait_condition(lambda: self._opened is not None)  # the row exists
        await self._record_statement(
            RecordStatementInput(
                case_id=self._data.case_id,
                statement=update.statement,
                statement_at=self._status.statement_at,
            )
        )
        return self._status

    @submit_statement.validator
    @refusals
    def _check_statement(self, update: SubmitStatementUpdate) -> None:
        if self._status.decision is not None:
            raise Closed("This case has already been decided; a statement can no longer be added.")
        if update.staff_id != self._data.staff_id:
            raise NotPermitted(
                f"Only the staff member concerned ({self._data.staff_id}) may give the statement."
            )
        if not update.statement.strip():
            raise InvalidInput("The statement is empty; write what happened.")
        if self._status.statement_at is not None:
            raise ValueError("A statement was already given for this case; it cannot be replaced.")

    @workflow.update(name=UPDATE_DECIDE)
    async def decide(self, update: DecideUpdate) -> AccountabilityStatus:
        """R6.5 outcome, R6.6 heavier (repeat violations found automatically), R6.7 lighter."""
        assert self._opened is not None  # the validator refuses before opening
        opened = self._opened
        aggravating = effective_aggravating(
            update.aggravating, opened.prior_violations, opened.aggravating_violation_count
        )
        final = final_severity(update.severity, aggravating, update.mitigating)
        outcome = next((o for o in opened.outcomes if o.severity == final), None)
        decision = Decision(
            supervisor_id=update.supervisor_id,
            requested_severity=update.severity,
            final_severity=final,
            outcome_zh=outcome.outcome_zh if outcome else NO_SANCTION_ZH,
            outcome_en=outcome.outcome_en if outcome else NO_SANCTION_EN,
            aggravating=aggravating,
            mitigating=list(dict.fromkeys(update.mitigating)),
            note=update.note,
            decided_at=workflow.now(),
        )
        # Set before the activity so that a second decision is refused while this one records.
        self._status.decision = decision
        self._status.state = AccountabilityState.DECIDED
        self._show()
        await workflow.execute_activity_method(
            AccountabilityActivities.record_accountability_decision,
            RecordDecisionInput(
                workflow_id=workflow.info().workflow_id,
                case_id=self._data.case_id,
                staff_id=self._data.staff_id,
                decision=decision,
            ),
            start_to_close_timeout=DB_TIMEOUT,
            summary="record decision, tell the staff member",
        )
        self._recorded = True
        return self._status

    @decide.validator
    @refusals
    def _check_decision(self, update: DecideUpdate) -> None:
        if self._status.decision is not None:
            raise Closed("This case has already been decided; a second decision is not possible.")
        if self._opened is None:
            raise NotReady("The case is still being opened; try again in a moment.")
        if update.supervisor_id not in self._opened.supervisors:
            raise NotPermitted(
                f"The decision needs a supervisor: {update.supervisor_id} is not a supervisor "
                "who may decide this case."
            )
        if self._status.state == AccountabilityState.AWAITING_STATEMENT:
            raise ValueError(
                "The staff member must be heard first (R6.8): they have until "
                f"{deadline_text(self._opened.statement_due_at)} to give a statement. Decide "
                "once the statement is in or that time has passed."
            )
