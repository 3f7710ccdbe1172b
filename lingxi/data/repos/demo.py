"""The demo data set: catalogue, households, orders, fleet and homes. Idempotent.

Loading twice neither duplicates nor loses anything: products are upserted by SKU,
households, depots, vehicles, areas and entities are matched by their natural keys,
and orders are only created together with their household.

The demo accounts' passwords are published (``households.yaml``): production refuses to load
them and refuses to serve while one of them can sign in (:func:`demo_accounts_that_sign_in`,
:func:`disable_demo_accounts`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lingxi.data.base import utcnow
from lingxi.data.database import Database
from lingxi.data.models import (
    Area,
    AuthToken,
    Customer,
    Depot,
    Device,
    Entity,
    EntityState,
    Household,
    Role,
    Vehicle,
)
from lingxi.data.repos import catalog, courier, identity, orders
from lingxi.errors import ConflictError
from lingxi.text import load_yaml

__all__ = [
    "DEMO_DOMAIN",
    "DEMO_STEPS",
    "demo_accounts_that_sign_in",
    "demo_file",
    "disable_demo_accounts",
    "ensure_no_demo_sign_in",
    "load_demo",
]

DEMO_STEPS = ("catalogue", "fleet", "households", "homes")
DEMO_DOMAIN = "@demo.lingxi"
"""Every demo account's e-mail ends so (its password is published)."""


def demo_file(name: str) -> Path:
    """Path of a file shipped in ``lingxi/data/demo``."""
    return Path(str(resources.files("lingxi.data") / "demo" / name))


def _read_yaml(name: str) -> Any:
    return load_yaml(demo_file(name).read_text(encoding="utf-8"))


def _load_fleet(session: Session, spec: dict[str, Any]) -> dict[str, int]:
    d = spec["depot"]
    depot = session.scalar(select(Depot).where(Depot.name == d["name"]))
    created = 0
    if depot is None:
        depot = Depot(name=d["name"], lat=d["lat"], lon=d["lon"])
        session.add(depot)
        session.flush()
        created += 1
    for v in spec["vehicles"]:
        if session.scalar(select(Vehicle.id).where(Vehicle.name == v["name"])) is None:
            session.add(Vehicle(depot_id=depot.id, **v))
            created += 1
    session.flush()
    return {"depots_and_vehicles_created": created}


def _product_id(session: Session, ref: dict[str, Any]) -> int:
    product = catalog.find_product(session, brand=ref["brand"], name_contains=ref["name_contains"])
    if product is None:
        raise LookupError(f"demo data refers to a product not in the catalogue: {ref}")
    return product.id


def _place_order(
    session: Session,
    household_id: int,
    customer_id: int,
    address_id: int | None,
    spec: dict[str, Any],
) -> None:
    lines = [
        orders.LineRequest(_product_id(session, line), line.get("quantity", 1))
        for line in spec["lines"]
    ]
    start = utcnow() - timedelta(days=spec.get("days_ago", 0), hours=3)
    order = orders.create_order(
        session,
        household_id=household_id,
        customer_id=customer_id,
        lines=lines,
        address_id=address_id,
        placed_at=start - timedelta(hours=1),
    )
    if spec.get("status", "pending") == "pending":
        return
    order = orders.confirm_order(
        session, household_id=household_id, order_id=order.id, confirmed_at=start
    )
    shipment_id = order.shipments[0].id
    path = {
        "created": [],
        "out_for_delivery": [
            ("picked_up", "Fontvieille depot"),
            ("out_for_delivery", "Fontvieille depot"),
        ],
        "delivered": [
            ("picked_up", "Fontvieille depot"),
            ("out_for_delivery", "Fontvieille depot"),
            ("delivered", "Front door"),
        ],
    }[spec.get("tracking", "created")]
    for i, (status, place) in enumerate(path, start=1):
        orders.add_tracking_event(
            session,
            shipment_id=shipment_id,
            status=status,
            place=place,
            occurred_at=start + timedelta(minutes=40 * i),
        )


def _load_households(session: Session, spec: dict[str, Any]) -> dict[str, int]:
    created = 0
    for h in spec["households"]:
        if session.scalar(select(Household.id).where(Household.name == h["name"])) is not None:
            continue
        created += 1
        household_id = identity.create_household(
            session, name=h["name"], settings=h.get("settings")
        )
        members: dict[str, tuple[int, int | None]] = {}
        for m in h["members"]:
            customer_id = identity.create_customer(
                session,
                household_id=household_id,
                email=m["email"],
                display_name=m["display_name"],
                password=m["password"],
                role=Role(m["role"]),
                locale=m.get("locale", "en"),
            )
            for purpose in m.get("consents", []):
                identity.grant_consent(session, customer_id=customer_id, purpose=purpose)
            if "profile" in m:
                identity.update_profile(session, customer_id=customer_id, **m["profile"])
            address_id = None
            if "address" in m:
                address_id = identity.add_address(session, customer_id=customer_id, **m["address"])
            members[m["email"]] = (customer_id, address_id)
            for kind, key in (("purchase", "purchases"), ("view", "views")):
                for ref in m.get(key, []):
                    catalog.add_interaction(
                        session,
                        customer_id=customer_id,
                        product_id=_product_id(session, ref),
                        kind=kind,
                        occurred_at=utcnow() - timedelta(days=ref.get("days_ago", 0)),
                    )
        for o in h.get("orders", []):
            customer_id, address_id = members[o["member"]]
            _place_order(session, household_id, customer_id, address_id, o)
    for m in spec.get("staff", []):
        if identity.find_customer_by_email(session, email=m["email"]) is None:
            staff_id = identity.create_customer(
                session,
                household_id=identity.deployment_household(session),
                email=m["email"],
                display_name=m["display_name"],
                password=m["password"],
                role=m["role"],
            )
            if m.get("vehicle"):
                courier.assign_vehicle(session, customer_id=staff_id, vehicle_name=m["vehicle"])
    # Other customers' parcels, so the day's delivery plan has real routes.
    if session.scalar(select(Household.id).where(Household.name == "Monaco customers")) is None:
        household_id = identity.create_household(session, name="Monaco customers")
        customer_id = identity.create_customer(
            session,
            household_id=household_id,
            email="customers@demo.lingxi",
            display_name="Monaco customers",
        )
        for i, stop in enumerate(spec.get("other_stops", [])):
            address_id = identity.add_address(
                session,
                customer_id=customer_id,
                label=f"stop-{i + 1}",
                line1=stop["line1"],
                city="Monaco",
                lat=stop["lat"],
                lon=stop["lon"],
            )
            ref = {"brand": "CLINIQUE", "name_contains": "Moisture Surge"}
            _place_order(
                session,
                household_id,
                customer_id,
                address_id,
                {"status": "confirmed", "lines": [ref]},
            )
    session.flush()
    return {"households_created": created}


def _load_homes(session: Session, spec: dict[str, Any]) -> dict[str, int]:
    created = 0
    now = utcnow()
    for household_name, home in spec.items():
        household_id = session.scalar(select(Household.id).where(Household.name == household_name))
        if household_id is None:
            continue
        areas: dict[str, Area] = {
            a.area_id: a
            for a in session.scalars(select(Area).where(Area.household_id == household_id))
        }
        for a in home["areas"]:
            if a["area_id"] not in areas:
                area = Area(household_id=household_id, **a)
                session.add(area)
                areas[a["area_id"]] = area
                created += 1
            elif not areas[a["area_id"]].names:  # loaded before homes had names per language
                areas[a["area_id"]].names = a.get("names", {})
        session.flush()
        existing = {
            e.entity_id: e
            for e in session.scalars(select(Entity).where(Entity.household_id == household_id))
        }
        for e in home["entities"]:
            if e["entity_id"] in existing:
                if not existing[e["entity_id"]].names:
                    existing[e["entity_id"]].names = e.get("names", {})
                continue
            area = areas[e["area"]]
            device = Device(
                household_id=household_id,
                area_id=area.id,
                name=e["name"],
                manufacturer="Lingxi demo",
            )
            session.add(device)
            session.flush()
            entity = Entity(
                household_id=household_id,
                entity_id=e["entity_id"],
                domain=e["entity_id"].split(".", 1)[0],
                name=e["name"],
                names=e.get("names", {}),
                aliases=e.get("aliases", []),
                device_id=device.id,
                area_id=area.id,
                device_class=e.get("device_class"),
                capabilities=e.get("capabilities", {}),
            )
            session.add(entity)
            session.flush()
            initial = home.get("initial_states", {}).get(e["entity_id"])
            if initial:
                session.add(
                    EntityState(
                        entity_pk=entity.id,
                        state=str(initial["state"]),
                        attributes=initial.get("attributes", {}),
                        changed_at=now,
                        source="device",
                    )
                )
            created += 1
    session.flush()
    return {"home_rows_created": created}


def load_demo(db: Database, *, on_step: Callable[[str], None] | None = None) -> dict[str, int]:
    """Load (or top up) the demo data; returns what was created. Safe to run again."""
    report: dict[str, int] = {}
    households = _read_yaml("households.yaml")
    steps: dict[str, Callable[[Session], dict[str, int]]] = {
        "catalogue": lambda s: catalog.upsert_products(
            s, records=catalog.read_catalogue_csv(demo_file("cosmetics.csv"))
        ),
        "fleet": lambda s: _load_fleet(s, households),
        "households": lambda s: _load_households(s, households),
        "homes": lambda s: _load_homes(s, _read_yaml("home.yaml")),
    }
    for name in DEMO_STEPS:
        if on_step:
            on_step(name)
        with db.session() as session:
            counts = steps[name](session)
        report.update({f"{name}_{k}" if name == "catalogue" else k: v for k, v in counts.items()})
    with db.session() as session:
        report["products"] = catalog.count_products(session)
    return report


def demo_accounts_that_sign_in(session: Session) -> list[str]:
    """E-mails of demo accounts that still have a (published) password, sorted."""
    return sorted(
        session.scalars(
            select(Customer.email).where(
                Customer.email.endswith(DEMO_DOMAIN), Customer.password_hash.is_not(None)
            )
        )
    )


def disable_demo_accounts(session: Session) -> list[str]:
    """Remove the demo accounts' passwords and end their sessions; the e-mails disabled.

    The data stays (orders, homes); nobody can sign in as a demo member any more.
    """
    emails = demo_accounts_that_sign_in(session)
    demo_ids = select(Customer.id).where(Customer.email.endswith(DEMO_DOMAIN))
    session.execute(
        update(Customer).where(Customer.id.in_(demo_ids)).values(password_hash=None),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(AuthToken)
        .where(AuthToken.customer_id.in_(demo_ids), AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return emails


def ensure_no_demo_sign_in(session: Session) -> None:
    """Raise while a demo account can sign in (checked before serving in production).

    Raises
    ------
    ConflictError
        Some ``*@demo.lingxi`` account still has its published password.
    """
    emails = demo_accounts_that_sign_in(session)
    if emails:
        shown = ", ".join(emails[:3]) + (f" and {len(emails) - 3} more" if len(emails) > 3 else "")
        raise ConflictError(
            f"Refusing to serve in production: the demo accounts {shown} can sign in with their "
            "published passwords. Run `lingxi demo disable`, or use a database without the demo "
            "data.",
            field="email",
            accounts=emails,
        )
