"""Settings, read once from the environment (and a ``.env`` file in the working directory)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_URL = "sqlite:///" + str(Path("instance") / "ita.db")


class ConfigError(Exception):
    """A setting is present but unusable."""


@dataclass(frozen=True)
class Settings:
    """Typed settings; secrets have no defaults (None means not configured)."""

    database_url: str
    line_channel_secret: str | None
    line_channel_access_token: str | None
    line_api_base_url: str
    line_data_api_base_url: str
    timezone: ZoneInfo
    admin_token: str | None
    port: int
    default_agency: str | None
    answer_cache: int = 2048  # answers about results, about measures, matched questions kept per process (0: none)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, read_dotenv: bool = True) -> Settings:
        """Build settings from ``env`` (default: the process environment plus ``./.env``)."""
        if env is None:
            if read_dotenv:
                from dotenv import load_dotenv

                load_dotenv(Path.cwd() / ".env", override=False)
            env = os.environ
        tz_name = env.get("ITA_TIMEZONE") or "Asia/Bangkok"
        try:
            timezone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"ITA_TIMEZONE={tz_name!r} is not a known time zone") from None
        port_text = env.get("PORT") or "8000"
        if not port_text.isdigit():
            raise ConfigError(f"PORT={port_text!r} is not a port number")
        database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        cache_text = (env.get("ITA_ANSWER_CACHE") or "2048").strip()
        if not cache_text.isdigit():
            raise ConfigError(f"ITA_ANSWER_CACHE={cache_text!r} is not a whole number of answers (0 turns it off)")
        return cls(
            database_url=database_url,
            line_channel_secret=env.get("LINE_CHANNEL_SECRET") or None,
            line_channel_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
            line_api_base_url=(env.get("LINE_API_BASE_URL") or "https://api.line.me").rstrip("/"),
            line_data_api_base_url=(env.get("LINE_DATA_API_BASE_URL") or "https://api-data.line.me").rstrip("/"),
            timezone=timezone,
            admin_token=env.get("ITA_ADMIN_TOKEN") or None,
            port=int(port_text),
            default_agency=(env.get("ITA_DEFAULT_AGENCY") or "").strip().upper() or None,
            answer_cache=int(cache_text),
        )
