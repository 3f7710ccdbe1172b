"""Settings: the only module that reads the environment.

Variables use the ``LINGXI_`` prefix and ``__`` for nesting, e.g. ``LINGXI_DB__URL``,
``LINGXI_LLM__BASE_URL``, ``LINGXI_MQTT__URL``. Nothing is built at import time:
call :func:`get_settings` (cached) or construct :class:`Settings` explicitly.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "AuthSettings",
    "DatabaseSettings",
    "DispatchSettings",
    "GuideSettings",
    "HomeSettings",
    "LLMSettings",
    "MQTTSettings",
    "RaySettings",
    "Settings",
    "get_settings",
]

_PLACEHOLDER_SECRETS = {"changethis", "change-me", "secret", ""}


class DatabaseSettings(BaseModel):
    """Where the one shared data layer lives."""

    url: str = "sqlite:///var/lingxi.db"
    """SQLAlchemy URL; SQLite (embedded default) or ``postgresql+psycopg://...``."""
    echo: bool = False
    pool_size: int = Field(default=5, ge=1, le=100)
    """Connections kept open per process (PostgreSQL only)."""


class MQTTSettings(BaseModel):
    """The device bus. Without a URL the in-process driver is used."""

    url: str | None = None
    """``mqtt://host:1883``; ``None`` selects the in-process driver."""
    discovery_prefix: str = "homeassistant"
    base_topic: str = "lingxi"
    username: str | None = None
    password: SecretStr | None = None


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


class DispatchSettings(BaseModel):
    """Delivery scheduling deployment settings."""

    time_limit_s: float = Field(default=2.0, gt=0)
    osm_path: Path | None = None
    """Override for the road network extract; default is the shipped demo city."""


class HomeSettings(BaseModel):
    """Smart-home deployment settings."""

    confirm_domains: tuple[str, ...] = ("lock", "cover", "climate")
    """Domains whose actions need a confirmation turn (or a role that allows it)."""
    fusion_window_s: float = Field(default=8.0, gt=0)
    stt_url: str | None = None
    """An OpenAI-compatible server for ``/v1/audio/transcriptions``; else the offline ``[voice]`` extra."""
    stt_model: str = "whisper-1"


class AuthSettings(BaseModel):
    """Sign-in and sessions."""

    secret_key: SecretStr = SecretStr("changethis")
    session_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    demo_login: bool = True
    """Allow the local-only one-click demo sign-in (``make run``). Turn off in production."""


class RaySettings(BaseModel):
    """Optional scale-out; off when ``address`` is unset."""

    address: str | None = None


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
    db: DatabaseSettings = DatabaseSettings()
    mqtt: MQTTSettings = MQTTSettings()
    llm: LLMSettings = LLMSettings()
    guide: GuideSettings = GuideSettings()
    dispatch: DispatchSettings = DispatchSettings()
    home: HomeSettings = HomeSettings()
    auth: AuthSettings = AuthSettings()
    ray: RaySettings = RaySettings()

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.environment == "production":
            if self.auth.secret_key.get_secret_value() in _PLACEHOLDER_SECRETS:
                raise ValueError(
                    "LINGXI_AUTH__SECRET_KEY must be set to a real secret in production."
                )
            if self.auth.demo_login:
                raise ValueError("LINGXI_AUTH__DEMO_LOGIN must be false in production.")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment and ``.env``."""
    return Settings()
