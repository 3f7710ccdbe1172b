"""Settings: the only module that reads the environment.

Variables use the ``LINGXI_`` prefix and ``__`` for nesting, e.g. ``LINGXI_DB__URL``,
``LINGXI_LLM__BASE_URL``, ``LINGXI_MQTT__URL``. Nothing is built at import time:
call :func:`get_settings` (cached) or construct :class:`Settings` explicitly.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "AuthSettings",
    "DatabaseSettings",
    "DispatchSettings",
    "GuideSettings",
    "HomeSettings",
    "IntegrationSettings",
    "LLMSettings",
    "MQTTSettings",
    "RateLimitSettings",
    "RaySettings",
    "Settings",
    "get_settings",
    "masked_url",
]

_PLACEHOLDER_SECRETS = {"changethis", "change-me", "secret", ""}


class DatabaseSettings(BaseModel):
    """Where the one shared data layer lives."""

    url: str = Field(default="sqlite:///var/lingxi.db", repr=False)
    """SQLAlchemy URL (may hold a password: shown only through :func:`masked_url`); SQLite (embedded default) or ``postgresql+psycopg://...``."""
    echo: bool = False
    pool_size: int = Field(default=5, ge=1, le=100)
    """Connections kept open per process (PostgreSQL only)."""
    max_overflow: int | None = Field(default=None, ge=0, le=200)
    """Extra connections opened under load and closed after; ``None`` means 2 x ``pool_size``."""
    pool_timeout_s: float = Field(default=5.0, gt=0, le=300)
    """Wait for a free connection before answering 503 (instead of queueing without end)."""
    pool_recycle_s: int = Field(default=1800, ge=-1)
    """Reopen connections older than this (outlives server-side idle timeouts); -1 never."""


class MQTTSettings(BaseModel):
    """The device bus. Without a URL the in-process driver is used."""

    url: str | None = Field(default=None, repr=False)
    """``mqtt://host:1883``; ``None`` selects the in-process driver (may hold a password)."""
    discovery_prefix: str = "homeassistant"
    base_topic: str = "lingxi"
    username: str | None = None
    password: SecretStr | None = None
    command_timeout_s: float = Field(default=5.0, gt=0, le=60)
    """How long a command waits for the device's new state; later it is withdrawn (never
    carried out late) and the request is answered 503."""


class LLMSettings(BaseModel):
    """An optional OpenAI-compatible server (vLLM, Ollama, llama.cpp, DashScope) serving Qwen."""

    base_url: str | None = None
    model: str = "qwen3-8b"
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=20.0, gt=0)
    enable_thinking: bool = False

    @property
    def configured(self) -> bool:
        """True when a server is configured."""
        return bool(self.base_url)


class GuideSettings(BaseModel):
    """Shopping guide knobs that depend on the deployment (not algorithm params)."""

    catalogue_path: Path | None = None
    """Override for the catalogue CSV; default is the one shipped in the package."""
    model_dir: Path = Path("var/models")
    vector_search: Literal["auto", "numpy"] = "auto"
    """``auto``: pgvector when the PostgreSQL server has the extension, else in-process."""
    cny_per_usd: float = Field(default=7.2, gt=0, le=1000)
    """Yuan per US$: a budget in 块/元/¥ (or a bare number in Chinese) is converted to the
    catalogue's US$ at this rate, and Chinese shoppers see ¥ prices computed with it."""


class CatalogueSettings(BaseModel):
    """Operators' catalogues: where product images live, how large an uploaded import may be."""

    images_dir: Path | None = None
    """Product images are served only from this folder (an import names files inside it);
    unset: every product shows its generated placeholder. URL images are never fetched."""
    max_import_bytes: int = Field(default=20_000_000, ge=1024, le=2_000_000_000)
    """The largest catalogue file ``POST /api/catalogue/import`` accepts (413 past it)."""


class DispatchSettings(BaseModel):
    """Delivery scheduling deployment settings."""

    time_limit_s: float = Field(default=2.0, gt=0)
    osm_path: Path | None = None
    """Override for the road network extract; default is the shipped demo city."""
    city: str | None = None
    """The active city (one imported by ``lingxi city import``); wins over ``lingxi city use``.
    Unset: the city chosen with ``lingxi city use``, else the demo city (Monaco)."""
    solver_processes: int = Field(default=1, ge=0, le=64)
    """Worker processes for the API's planning and traffic re-plans (PyVRP holds the GIL while
    it searches, so in a request thread it would stall every other request); 0 = in-thread."""
    eta_stale_after_s: int = Field(default=600, ge=10, le=86_400)
    """A parcel on its way whose ETA was last updated longer ago than this is shown as stale
    (the web app says when it was updated and that it may be out of date)."""
    owntracks: bool = False
    """Record couriers' positions published by OwnTracks (``owntracks/<user>/<device>``) on
    the MQTT broker (``LINGXI_MQTT__URL``)."""


class HomeSettings(BaseModel):
    """Smart-home deployment settings."""

    heat_limit_c: float = Field(default=24.0, ge=5, le=35)
    """Heating set above this (°C) needs a yes (lingxi.policy, Act.HEAT_ABOVE_LIMIT); a
    household overrides it with ``heat_limit_c`` in its settings."""
    confirm_ttl_s: float = Field(default=120.0, gt=0, le=3600)
    """How long a pending confirmation token stays redeemable."""
    fusion_window_s: float = Field(default=8.0, gt=0)
    stt_url: str | None = None
    """An OpenAI-compatible server for ``/v1/audio/transcriptions``; else the offline ``[voice]`` extra."""
    stt_model: str = "whisper-1"
    timezone: str | None = None
    """IANA zone that clock times in requests are said in ("at nine thirty pm"); None = the
    server's local time."""
    automation_poll_s: float = Field(default=15.0, gt=0, le=3600)
    """How often ``lingxi serve`` looks for automations that are due."""
    learned_tier: bool = True
    """Use the learned tier (e5 embeddings) where the rules leave a gap; False = rules only."""


class AuthSettings(BaseModel):
    """Sign-in and sessions."""

    secret_key: SecretStr = SecretStr("changethis")
    session_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    demo_login: bool = True
    """Allow the local-only one-click demo sign-in (``make run``). Turn off in production."""
    signup: bool | None = None
    """Let anyone create an account (and a household of their own) at ``POST /api/auth/signup``.
    ``None``: on, except in production, where it must be turned on explicitly."""
    invite_ttl_s: int = Field(default=7 * 24 * 3600, ge=60, le=90 * 24 * 3600)
    """How long an invitation link can be used."""
    reset_ttl_s: int = Field(default=30 * 60, ge=60, le=7 * 24 * 3600)
    """How long a password-reset link can be used."""


class RateLimitSettings(BaseModel):
    """Requests allowed per window (``limits`` notation: "10/minute", "5 per 10 seconds")."""

    enabled: bool = True
    login: str = "10/minute"
    """Password sign-in attempts per client address."""
    demo_login: str = "30/minute"
    """One-click demo sign-ins per client address (each mints a session token)."""
    chat: str = "60/minute"
    """Assistant messages per signed-in member."""
    account: str = "10/minute"
    """Sign-ups, invitation acceptances and password resets per client address."""


class IntegrationSettings(BaseModel):
    """Orders coming in from an operator's shop (``POST /api/integrations/orders``)."""

    webhook_secret: SecretStr | None = None
    """The shared secret of the order webhook's HMAC-SHA256 signature; unset: the webhook is off."""
    create_customers: bool = False
    """Create an account (and household) for an order's unknown customer e-mail, instead of
    refusing the order; the person sets a password through ``lingxi user reset-password``."""


class RaySettings(BaseModel):
    """Optional scale-out; off when ``address`` is unset."""

    address: str | None = None
    """A Ray cluster (``auto``, ``host:6379`` or ``ray://host:10001``); ``None`` runs in-process."""
    max_retries: int = Field(default=3, ge=0, le=100)
    """Times a task is re-run when its worker or node dies (application errors are not retried)."""
    local_workers: int = Field(default=1, ge=1, le=256)
    """Without Ray: 1 runs tasks in-process, more runs them in a pool of that many processes."""
    serve_replicas: int = Field(default=2, ge=1, le=64)
    """Replicas of the API under Ray Serve (``lingxi serve --ray``)."""


class Settings(BaseSettings):
    """All of Lingxi's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="LINGXI_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call the API from a browser (``https://shop.example``); none by default."""
    trusted_proxies: tuple[str, ...] = ()
    """Reverse proxies (addresses or networks, ``10.0.0.0/8``) whose ``X-Forwarded-For`` and
    ``X-Forwarded-Proto`` are believed; none by default, so a client cannot pick its own address."""
    public_url: str = "http://127.0.0.1:8000"
    """Where people reach the web app: the base of invitation and password-reset links."""
    db: DatabaseSettings = DatabaseSettings()
    mqtt: MQTTSettings = MQTTSettings()
    llm: LLMSettings = LLMSettings()
    guide: GuideSettings = GuideSettings()
    catalogue: CatalogueSettings = CatalogueSettings()
    dispatch: DispatchSettings = DispatchSettings()
    home: HomeSettings = HomeSettings()
    auth: AuthSettings = AuthSettings()
    ray: RaySettings = RaySettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    integrations: IntegrationSettings = IntegrationSettings()

    @property
    def signup_open(self) -> bool:
        """Whether sign-up is allowed (``auth.signup``; unset: everywhere but production)."""
        if self.auth.signup is None:
            return self.environment != "production"
        return self.auth.signup

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    "LINGXI_TRUSTED_PROXIES must list IP addresses or networks such as "
                    f"10.0.0.0/8; got {item!r}"
                ) from None
        return value

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.environment == "production":
            if self.auth.secret_key.get_secret_value() in _PLACEHOLDER_SECRETS:
                raise ValueError(
                    "LINGXI_AUTH__SECRET_KEY must be set to a real secret in production."
                )
            if self.auth.demo_login:
                raise ValueError("LINGXI_AUTH__DEMO_LOGIN must be false in production.")
        secret = self.integrations.webhook_secret
        if secret is not None and (
            secret.get_secret_value() in _PLACEHOLDER_SECRETS or len(secret.get_secret_value()) < 16
        ):
            raise ValueError(
                "LINGXI_INTEGRATIONS__WEBHOOK_SECRET must be at least 16 characters and not a "
                "placeholder."
            )
        return self


def masked_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (safe to show or log)."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment and ``.env``."""
    return Settings()
