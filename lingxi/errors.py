"""Lingxi's one error tree.

Every error Lingxi raises on purpose is a :class:`LingxiError`. Each carries a stable
``code`` (snake_case, safe to match on) and ``details`` (the fields involved), and its
message names the field, the rule and the value. The HTTP status and CLI exit code of
each class are mapped in one place each (``lingxi.api.errors`` and ``lingxi.cli``).

.. code-block:: text

    LingxiError(Exception)
    ├── InvalidInputError(LingxiError, ValueError)   caller's fault      -> HTTP 422, exit 2
    ├── NotFoundError(LingxiError, LookupError)      unknown id          -> HTTP 404, exit 2
    ├── ConflictError(LingxiError)                   state forbids it    -> HTTP 409, exit 1
    ├── ConfirmationRequiredError(LingxiError)       needs a yes         -> HTTP 409, exit 1
    ├── UnauthorizedError(LingxiError)               not signed in       -> HTTP 401, exit 2
    │   └── ForbiddenError                           not yours           -> HTTP 403, exit 2
    └── UnavailableError(LingxiError)                a part is down      -> HTTP 503, exit 3
        └── RateLimitedError                         too many requests   -> HTTP 429, exit 3
    LingxiWarning(UserWarning)                       input coerced or suspicious
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfirmationRequiredError",
    "ConflictError",
    "ForbiddenError",
    "InvalidInputError",
    "LingxiError",
    "LingxiWarning",
    "NotFoundError",
    "RateLimitedError",
    "UnauthorizedError",
    "UnavailableError",
]

_MAX_VALUE_REPR = 80


def show_value(value: object) -> str:
    """A short, safe representation of a user-supplied value for an error message."""
    text = repr(value)
    if len(text) > _MAX_VALUE_REPR:
        # Keep both ends: a long path still names its file, a long text its start.
        head = (_MAX_VALUE_REPR - 3) // 2
        text = text[:head] + "..." + text[len(text) - (_MAX_VALUE_REPR - 3 - head) :]
    return text


class LingxiError(Exception):
    """Base of every error Lingxi raises on purpose."""

    code: str = "lingxi_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of this error: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (the solver worker, Ray tasks) whole: the default
        # pickling would rebuild them from the message alone and drop code and details.
        return (_rebuild, (type(self), self.message, self.code, self.details))


def _rebuild(
    cls: type[LingxiError], message: str, code: str, details: dict[str, Any]
) -> LingxiError:
    err = cls.__new__(cls)
    LingxiError.__init__(err, message, code=code, **details)
    if "retry_after_s" in details:
        err.retry_after_s = details["retry_after_s"]  # type: ignore[attr-defined]
    return err


class InvalidInputError(LingxiError, ValueError):
    """The caller's input breaks a rule; the message names the field, rule and value."""

    code = "invalid_input"

    @classmethod
    def for_field(cls, field: str, rule: str, value: object, **details: Any) -> InvalidInputError:
        """Build the canonical message: "The 'field' ... must be RULE. Got VALUE instead."."""
        return cls(
            f"The {field!r} field must be {rule}. Got {show_value(value)} instead.",
            field=field,
            **details,
        )


class NotFoundError(LingxiError, LookupError):
    """An id or name that does not exist (or is not visible to the caller)."""

    code = "not_found"


class ConflictError(LingxiError):
    """The current state forbids the request (an order already shipped, a route locked)."""

    code = "conflict"


class ConfirmationRequiredError(LingxiError):
    """A risky action (unlock, pay, delete data) needs an explicit yes; carries a token."""

    code = "confirmation_required"

    def __init__(self, message: str, *, token: str, **details: Any) -> None:
        super().__init__(message, token=token, **details)
        self.token = token


class UnauthorizedError(LingxiError):
    """The caller is not signed in, or the credentials are wrong."""

    code = "unauthorized"


class ForbiddenError(UnauthorizedError):
    """The caller is signed in but may not do this (another household's data, a role)."""

    code = "forbidden"


class UnavailableError(LingxiError):
    """A part Lingxi depends on (database, broker, LLM, device) is down or timed out."""

    code = "unavailable"


class RateLimitedError(UnavailableError):
    """Too many requests of one kind in a window; ``retry_after_s`` says when to try again."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, **details: Any) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s


class LingxiWarning(UserWarning):
    """Input was coerced or looks suspicious; the call went on."""
