"""The failures a caller sees: one stable `type` per kind of refusal (issue 9.7, 13.5).

A business refusal does not get better by trying again, so it travels as a non-retryable
`ApplicationError` with a type from `ErrorType` (docs/integration.md lists them). Rules
modules keep raising `ValueError` with the reason in a dispatcher's words; a subclass of
`Refusal` says which kind it is, and a plain `ValueError` is an `InvalidState` refusal.
Server and infrastructure errors are never converted: they stay retryable.

The failure converter also keeps failures readable and clean: a pydantic validation error
becomes `InvalidInput` with one line per field and no input values (failure messages are
stored in clear and shown in the UI), and no failure carries a stack trace (file paths of the
worker are no business of a caller's; the worker's own log keeps them).

Pure apart from temporalio and pydantic: workflow code imports it inside the sandbox.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from pydantic import ValidationError
from temporalio.api.failure.v1 import Failure
from temporalio.converter import (
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadConverter,
)
from temporalio.exceptions import ApplicationError


class ErrorType(StrEnum):
    """Stable `type` of a refusal or a failed case; never renamed (the contract)."""

    INVALID_INPUT = "InvalidInput"  # a field is missing, malformed, out of range or unstorable
    INVALID_STATE = "InvalidState"  # the case's current state does not allow the message
    NOT_PERMITTED = "NotPermitted"  # the acting staff member may not do this (role, company)
    CLOSED = "Closed"  # the case is closed; nothing more can change it
    NOT_READY = "NotReady"  # the case is still being opened: the one refusal worth retrying
    INTAKE_REFUSED = "IntakeRefused"  # unknown subscriber or staff at intake
    DUPLICATE_REQUEST = "DuplicateRequest"  # the request id already has a case (issue 9.5)
    DEADLINE_UNCOMPUTABLE = "DeadlineUncomputable"  # the calendar cannot place the deadline
    LATE_NOTICE = "LateNotice"  # a maintenance plan without the lead time (R9.5)
    UNKNOWN_STAFF = "UnknownStaff"  # an accountability case names unknown staff


RETRYABLE = frozenset({ErrorType.NOT_READY})


class Refusal(ValueError):
    """A business refusal of a known kind. Raise a subclass; the message is the reason."""

    type: ClassVar[ErrorType] = ErrorType.INVALID_STATE


class InvalidInput(Refusal):
    type = ErrorType.INVALID_INPUT


class InvalidState(Refusal):
    type = ErrorType.INVALID_STATE


class NotPermitted(Refusal):
    type = ErrorType.NOT_PERMITTED


class Closed(Refusal):
    type = ErrorType.CLOSED


class NotReady(Refusal):
    type = ErrorType.NOT_READY


def describe_validation(err: ValidationError) -> str:
    """`field: reason` per problem, without the input values (they may be personal data)."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in err.errors()
    )


def refusal(err: ValueError) -> ApplicationError:
    """The failure a caller sees for a refusal raised by a validator or a rule."""
    if isinstance(err, ValidationError):
        return ApplicationError(
            describe_validation(err), type=ErrorType.INVALID_INPUT.value, non_retryable=True
        )
    kind = err.type if isinstance(err, Refusal) else ErrorType.INVALID_STATE
    return ApplicationError(str(err), type=kind.value, non_retryable=kind not in RETRYABLE)


F = TypeVar("F", bound=Callable[..., Any])


def refusals(fn: F) -> F:
    """Decorator for update validators: a `ValueError` leaves as a typed `ApplicationError`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValueError as err:
            raise refusal(err) from None

    return wrapper  # type: ignore[return-value]


def _clean(failure: Failure) -> None:
    while True:
        failure.stack_trace = ""
        if not failure.HasField("cause"):
            return
        failure = failure.cause


class _Clean:
    """Mixin for the SDK's failure converters (see the module docstring)."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        if isinstance(exception, ValidationError):
            converted = ApplicationError(
                describe_validation(exception),
                type=ErrorType.INVALID_INPUT.value,
                non_retryable=True,
            )
            converted.__traceback__ = exception.__traceback__
            exception = converted
        super().to_failure(exception, payload_converter, failure)  # type: ignore[misc]

    def _error_to_failure(self, error: Any, payload_converter: Any, failure: Failure) -> None:
        # Runs before the encoded variant moves message and stack trace into its payload.
        super()._error_to_failure(error, payload_converter, failure)  # type: ignore[misc]
        _clean(failure)


class CleanFailureConverter(_Clean, DefaultFailureConverter):
    pass


class CleanEncodedFailureConverter(_Clean, DefaultFailureConverterWithEncodedAttributes):
    pass
