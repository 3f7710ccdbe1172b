"""`lingxi user add | invite | reset-password`: the deployment's people, invitations, resets.

``add`` makes staff and couriers; ``invite`` prints a one-time link that lets a person join a
household (or the deployment) with a name and a password of their own; ``reset-password``
prints a one-time link that sets a new password and signs out every session (no mail server
is needed: the operator hands the link over).
"""

from __future__ import annotations

import secrets
import sys
from enum import StrEnum
from typing import Annotated

import typer

from lingxi import commerce
from lingxi.cli._common import console, database, emit_json, handle_errors, settings
from lingxi.data.repos import courier, identity
from lingxi.errors import InvalidInputError

__all__ = ["app"]

app = typer.Typer(
    help="Deployment staff and couriers, invitations and password resets.", no_args_is_help=True
)


class DeploymentRole(StrEnum):
    """The roles ``user add`` creates (household members sign up in their household)."""

    STAFF = "staff"
    COURIER = "courier"


@app.command("add")
@handle_errors
def add(
    email: Annotated[str, typer.Argument(help="The person's e-mail (their sign-in).")],
    role: Annotated[DeploymentRole, typer.Option(help="staff: the operations board; courier.")],
    name: Annotated[str | None, typer.Option(help="Display name (default: the e-mail).")] = None,
    vehicle: Annotated[
        str | None, typer.Option(help="Couriers: the vehicle they drive (its name, e.g. van-1).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of stdin (else one is generated and "
            "printed once).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Add a staff member or a courier to the deployment's household."""
    if vehicle is not None and role != DeploymentRole.COURIER:
        raise InvalidInputError.for_field("vehicle", "given only with --role courier", vehicle)
    generated = not password_stdin
    password = secrets.token_urlsafe(15) if generated else sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidInputError.for_field("password", "a line on stdin", "")
    with database().session() as session:
        customer_id = identity.create_customer(
            session,
            household_id=identity.deployment_household(session),
            email=email,
            display_name=name or email.strip(),
            password=password,
            role=role.value,
        )
        if vehicle is not None:
            courier.assign_vehicle(session, customer_id=customer_id, vehicle_name=vehicle)
    doc: dict[str, object] = {"customer_id": customer_id, "email": email.strip().lower()}
    doc["role"] = role.value
    if vehicle is not None:
        doc["vehicle"] = vehicle
    if generated:
        doc["password"] = password
    if as_json:
        emit_json(doc)
        return
    console.print(f"added {doc['email']} ({role.value}), customer {customer_id}")
    if generated:
        console.print(f"password (shown once): {password}", highlight=False)


class InviteRole(StrEnum):
    """The roles an invitation can hand out."""

    ADULT = "adult"
    CHILD = "child"
    STAFF = "staff"
    COURIER = "courier"


@app.command("invite")
@handle_errors
def invite(
    email: Annotated[str, typer.Argument(help="Who is invited (their sign-in e-mail).")],
    role: Annotated[
        InviteRole, typer.Option(help="adult or child (with --household); staff or courier.")
    ],
    household: Annotated[
        int | None,
        typer.Option("--household", help="The household to join (needed for adult and child)."),
    ] = None,
    ttl_minutes: Annotated[
        int | None,
        typer.Option(help="Minutes the link works (default LINGXI_AUTH__INVITE_TTL_S).", min=1),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Print a one-time, expiring invitation link: the invitee sets a name and a password."""
    conf = settings()
    made = commerce.invite(
        database(),
        None,
        email,
        role.value,
        household_id=household,
        ttl_s=ttl_minutes * 60 if ttl_minutes else conf.auth.invite_ttl_s,
        public_url=conf.public_url,
    )
    doc = {
        "email": made.email,
        "household_id": made.household_id,
        "role": made.role,
        "expires_at": made.expires_at.isoformat(),
        "link": made.link,
        "token": made.token,
    }
    if as_json:
        emit_json(doc)
        return
    console.print(
        f"invitation for {made.email} ({made.role}, household {made.household_id}), "
        f"valid until {made.expires_at:%Y-%m-%d %H:%M} UTC; works once:",
        highlight=False,
    )
    console.print(made.link, highlight=False, soft_wrap=True)


@app.command("reset-password")
@handle_errors
def reset_password(
    email: Annotated[str, typer.Argument(help="The account's e-mail.")],
    ttl_minutes: Annotated[
        int | None,
        typer.Option(help="Minutes the link works (default LINGXI_AUTH__RESET_TTL_S).", min=1),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Print a one-time password-reset link (POST /api/auth/reset with its token)."""
    conf = settings()
    link = commerce.request_password_reset(
        database(),
        email,
        ttl_s=ttl_minutes * 60 if ttl_minutes else conf.auth.reset_ttl_s,
        public_url=conf.public_url,
    )
    doc = {
        "email": link.email,
        "expires_at": link.expires_at.isoformat(),
        "link": link.link,
        "token": link.token,
    }
    if as_json:
        emit_json(doc)
        return
    console.print(
        f"password reset for {link.email}, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC; "
        "works once and signs out every session:",
        highlight=False,
    )
    console.print(link.link, highlight=False, soft_wrap=True)
