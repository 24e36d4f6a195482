"""Reading settings from the environment: a wrong value stops the process at start with the
variable's name, rather than misbehaving later."""

import os
import re

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_rate(name: str, default: str) -> str:
    """A rate in DRF's form ("120/min", "5/s"); empty means no limit."""
    raw = os.environ.get(name, default).strip()
    if raw and not re.fullmatch(r"\d+/[smhd][a-z]*", raw):
        raise ImproperlyConfigured(f"{name} must look like '120/min' (or be empty), got {raw!r}")
    return raw


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]
