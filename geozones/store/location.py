"""Where the store is, without opening it (no SQLAlchemy import: ``geozones check`` asks this on every run)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATABASE_URL_ENV", "HOME_ENV", "default_sqlite_path", "geozones_home", "store_exists"]

DATABASE_URL_ENV = "GEOZONES_DATABASE_URL"
HOME_ENV = "GEOZONES_HOME"


def geozones_home() -> Path:
    """``$GEOZONES_HOME``, else the platform's user data folder for geozones."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("geozones", appauthor=False))


def default_sqlite_path() -> Path:
    """Where the embedded database lives when no URL is set."""
    return geozones_home() / "geozones.sqlite"


def store_exists(url: str | None = None) -> bool:
    """Whether a store is configured or already created (never creates one)."""
    if url or os.environ.get(DATABASE_URL_ENV):
        return True
    return default_sqlite_path().exists()
