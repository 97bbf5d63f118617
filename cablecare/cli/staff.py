"""`cablecare staff certify|revoke|list`: the certification register ((七)2c, (八), R8.1).

A certificate is issued after training and assessment, for one role, by a supervisor or
leader; it is valid through its expiry date (the policy's validity by default). Renewal is a
new certificate; revocation ends the current one. Assignment checks validity at the time of
assignment (R8.1), so an expired certificate is refused with its date.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import typer
from sqlmodel import col, select

from activities.db import SessionFactory, init_db
from activities.directory_tables import Staff
from activities.intake_directory import invalidate_directory
from activities.supervision import certification as reg
from activities.supervision import org
from activities.supervision.policy import load_supervision_policy, policy_path_beside
from cablecare.domain import Role
from cablecare.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def staff() -> None:
    """Certification register (R8.1): certify, revoke, list."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} {value!r} is not YYYY-MM-DD") from None


def _today() -> date:
    settings = get_settings()
    tz = load_supervision_policy(policy_path_beside(settings.policy_path)).timezone
    return datetime.now(ZoneInfo(tz)).date()


@app.command("certify")
def certify(
    staff_id: str = typer.Argument(..., help="The employee (staff id)."),
    role: Role = typer.Option(..., "--role", help="The role certified, e.g. technician."),
    by: str = typer.Option(..., "--by", help="The supervisor or leader issuing it ((七)2c)."),
    issued: str | None = typer.Option(None, "--issued", help="YYYY-MM-DD; default today."),
    expires: str | None = typer.Option(
        None, "--expires", help="YYYY-MM-DD; default: the policy's validity after --issued."
    ),
    assessment: str = typer.Option("", "--assessment", help="Training/assessment reference."),
) -> None:
    """Issue or renew a certificate after training and assessment."""
    settings = get_settings()
    policy = load_supervision_policy(policy_path_beside(settings.policy_path))
    init_db(settings.database_url)
    with SessionFactory(settings.database_url)() as session:
        try:
            cert = reg.certify(
                session, staff_id=staff_id, role=role, by=by,
                issued_on=_day(issued, "--issued") or _today(),
                expires_on=_day(expires, "--expires"),
                validity_months=policy.certificate_validity_months, assessment=assessment,
            )  # fmt: skip
        except reg.RegisterError as exc:
            raise _fail(str(exc)) from None
        session.commit()
        invalidate_directory()  # intake's cached register, in this process
        typer.echo(
            f"{staff_id}: {role.value} certificate issued {cert.issued_on}, "
            f"valid through {cert.expires_on}"
        )


@app.command("revoke")
def revoke(
    staff_id: str = typer.Argument(...),
    role: Role = typer.Option(..., "--role"),
    by: str = typer.Option(..., "--by", help="The supervisor or leader revoking it."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the register)."),
    on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD; default today."),
) -> None:
    """Revoke the current certificate of a person for a role."""
    settings = get_settings()
    init_db(settings.database_url)
    with SessionFactory(settings.database_url)() as session:
        try:
            cert = reg.revoke(
                session, staff_id=staff_id, role=role, by=by, reason=reason,
                on=_day(on, "--on") or _today(),
            )  # fmt: skip
        except reg.RegisterError as exc:
            raise _fail(str(exc)) from None
        session.commit()
        invalidate_directory()  # intake's cached register, in this process
        typer.echo(f"{staff_id}: {role.value} certificate revoked from {cert.revoked_on}")


@app.command("list")
def list_register(
    as_staff: str | None = typer.Option(
        None, "--as", help="Show only what this supervisor may see ((四)2)."
    ),
    expiring_within: int | None = typer.Option(
        None, "--expiring-within", min=0, help="Only certificates expiring within N days."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """The register: every person holding a role, with the state of each certificate."""
    settings = get_settings()
    init_db(settings.database_url)
    today = _today()
    rows = []
    with SessionFactory(settings.database_url)() as session:
        try:
            scope = org.visible_branches(session, as_staff)
        except org.ScopeError as exc:
            raise _fail(str(exc)) from None
        register = reg.newest(session)
        for s in session.exec(select(Staff).order_by(col(Staff.staff_id))).all():
            branch = org.company_of_staff(session, s)
            if scope is not None and branch not in scope:
                continue
            valid = set(reg.certified_roles(s, register.get(s.staff_id, {}), today))
            for role in s.roles:
                c = register.get(s.staff_id, {}).get(role)
                if expiring_within is not None and (
                    c is None or (c.expires_on - today).days > expiring_within
                ):
                    continue
                rows.append(
                    {
                        "staff_id": s.staff_id, "branch_id": branch, "area_id": s.area_id,
                        "role": role, "valid": role in valid,
                        "source": "register" if c else
                        ("directory" if role in s.certified_roles else "none"),
                        "issued_on": c.issued_on.isoformat() if c else None,
                        "expires_on": c.expires_on.isoformat() if c else None,
                        "issued_by": c.issued_by if c else None,
                        "revoked_on": c.revoked_on.isoformat() if c and c.revoked_on else None,
                    }
                )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{'staff':<14} {'branch':<10} {'role':<14} {'valid':<6} {'source':<10} expires")
    for r in rows:
        typer.echo(
            f"{r['staff_id']:<14} {r['branch_id'] or '-':<10} {r['role']:<14} "
            f"{'yes' if r['valid'] else 'NO':<6} {r['source']:<10} {r['expires_on'] or '-'}"
        )
