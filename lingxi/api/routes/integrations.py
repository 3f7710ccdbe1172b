"""`POST /api/integrations/orders`: a shop's order webhook, signed with HMAC-SHA256.

The shop signs the raw body with the shared secret (``LINGXI_INTEGRATIONS__WEBHOOK_SECRET``)
and sends ``X-Lingxi-Signature: sha256=<hex>`` and a unique ``X-Lingxi-Event-Id``, as
Shopify and Stripe webhooks do. A wrong or missing signature is 401. An event id seen before
gets the first answer again (200, ``Idempotent-Replayed: true``) and never a second order;
the same id with another body is 409. The order's ``external_id`` is idempotent on its own
too: a new event for an order already taken in answers 200 with that order.

No browser sends this request and no cookie authenticates it, so the CSRF check does not
apply (:data:`lingxi.api.middleware.HMAC_PATHS`); the HMAC is its authentication.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError
from starlette.concurrency import run_in_threadpool

from lingxi import commerce
from lingxi.api.deps import DatabaseDep, SettingsDep
from lingxi.api.routes.orders import OrderPublic
from lingxi.api.services import DeliveryPlannerDep
from lingxi.commerce import MAX_LINES, MAX_QUANTITY
from lingxi.errors import ConflictError, InvalidInputError, UnauthorizedError, UnavailableError

__all__ = ["EVENT_HEADER", "SIGNATURE_HEADER", "router", "sign"]

router = APIRouter(prefix="/api/integrations", tags=["integrations"])

SIGNATURE_HEADER = "X-Lingxi-Signature"
EVENT_HEADER = "X-Lingxi-Event-Id"
_EVENT_ID = re.compile(r"^[\x21-\x7e]{1,200}$")


def sign(secret: str, body: bytes) -> str:
    """The ``X-Lingxi-Signature`` value of ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookAddress(BaseModel):
    """The delivery address and its point."""

    line1: Annotated[str, Field(min_length=1, max_length=300)]
    city: Annotated[str, Field(min_length=1, max_length=300)]
    postcode: Annotated[str, Field(max_length=20)] = ""
    country: Annotated[str, Field(min_length=2, max_length=2)] = "MC"
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class WebhookItem(BaseModel):
    """A SKU of the catalogue and how many."""

    sku: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)] = 1


class WebhookOrder(BaseModel):
    """An order from the shop: who (an e-mail or a household), where, what, and when."""

    model_config = ConfigDict(extra="ignore")

    external_id: Annotated[str, Field(min_length=1, max_length=200)]
    customer_email: Annotated[str, Field(min_length=3, max_length=320)] | None = None
    household_id: Annotated[StrictInt, Field(ge=1, le=2**31 - 1)] | None = None
    customer_name: Annotated[str, Field(max_length=200)] = ""
    address: WebhookAddress
    items: Annotated[list[WebhookItem], Field(min_length=1, max_length=MAX_LINES)]
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None


class IntakePublic(BaseModel):
    """The order made for the event (``created``), or the one made before (``duplicate``)."""

    status: Literal["created", "duplicate"]
    external_id: str
    order: OrderPublic


def _verify(secret: str, body: bytes, sent: str | None) -> None:
    if not sent:
        raise UnauthorizedError(
            f"The {SIGNATURE_HEADER} header is missing: sign the raw body with HMAC-SHA256.",
            code="bad_signature",
            header=SIGNATURE_HEADER,
        )
    if not hmac.compare_digest(sent.strip().encode(), sign(secret, body).encode()):
        raise UnauthorizedError(
            f"The {SIGNATURE_HEADER} header does not match the body: expected sha256=<hex "
            "HMAC-SHA256 of the raw body under the shared secret>.",
            code="bad_signature",
            header=SIGNATURE_HEADER,
        )


def _incoming(body: bytes) -> commerce.IncomingOrder:
    try:
        doc = WebhookOrder.model_validate_json(body)
    except ValidationError as err:
        raise RequestValidationError(err.errors()) from None
    a = doc.address
    return commerce.IncomingOrder(
        external_id=doc.external_id.strip(),
        lines=tuple(commerce.IncomingLine(i.sku.strip(), i.quantity) for i in doc.items),
        address=commerce.IncomingAddress(a.line1, a.city, a.lat, a.lon, a.postcode, a.country),
        customer_email=doc.customer_email.strip().lower() if doc.customer_email else None,
        household_id=doc.household_id,
        customer_name=doc.customer_name,
        window_start=doc.window_start,
        window_end=doc.window_end,
    )


@router.post(
    "/orders",
    status_code=201,
    responses={200: {"model": IntakePublic, "description": "A replay, or an order taken before."}},
)
async def receive_order(
    request: Request,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    planner: DeliveryPlannerDep,
) -> IntakePublic:
    """Take in one order from the shop (HMAC-signed); it is confirmed and gets its delivery."""
    secret = settings.integrations.webhook_secret
    if secret is None:
        raise UnavailableError(
            "The order webhook is off: set LINGXI_INTEGRATIONS__WEBHOOK_SECRET to turn it on.",
            code="not_configured",
        )
    body = await request.body()
    _verify(secret.get_secret_value(), body, request.headers.get(SIGNATURE_HEADER))
    event_id = request.headers.get(EVENT_HEADER, "")
    if not _EVENT_ID.match(event_id):
        raise InvalidInputError.for_field(
            EVENT_HEADER, "1 to 200 printable ASCII characters", event_id
        )
    digest = hashlib.sha256(body).hexdigest()
    seen = await run_in_threadpool(commerce.webhook_answer, db, event_id)
    if seen is not None:
        if not hmac.compare_digest(seen.body_sha256, digest):
            raise ConflictError(
                f"The event id {event_id!r} was already used with another body.",
                field=EVENT_HEADER,
                value=event_id,
            )
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
        return IntakePublic.model_validate_json(seen.response)
    incoming = _incoming(body)
    result = await run_in_threadpool(
        lambda: commerce.take_order(
            db,
            incoming,
            source="webhook",
            create_customers=settings.integrations.create_customers,
            planner=planner,
        )
    )
    assert result.order is not None  # take_order always returns the order it made or found
    status: Literal["created", "duplicate"] = (
        "created" if result.status == "created" else "duplicate"
    )
    answer = IntakePublic(
        status=status,
        external_id=result.external_id,
        order=OrderPublic.model_validate(result.order.to_dict()),
    )
    response.status_code = 201 if status == "created" else 200
    await run_in_threadpool(
        lambda: commerce.keep_webhook_answer(
            db,
            event_id,
            body_sha256=digest,
            status_code=response.status_code,
            response=answer.model_dump_json(),
        )
    )
    return answer
