"""Group-wide settings: which store, which index, where things live (env ``SITEGROUP_*``).

Embedded defaults need nothing configured: state in a SQLite file under ``var/``.
Production names PostgreSQL with ``SITEGROUP_DATABASE_URL=postgresql://…``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/sitegroup.sqlite3"


class Settings(BaseSettings):
    """Settings shared by the CLI, the push job, the build and the API."""

    model_config = SettingsConfigDict(env_prefix="SITEGROUP_", extra="ignore")

    #: ``development`` (embedded defaults, a report key made on first use) or ``production``
    #: (the API refuses to start without the secrets production needs).
    mode: Literal["development", "production"] = "development"

    #: ``sqlite:///path`` (default, created and upgraded on first use) or ``postgresql://…``
    #: (upgraded by ``sitegroup db upgrade``).
    database_url: str = DEFAULT_DATABASE_URL
    #: How many of the newest headlines every site shows (头版 block and 信用动态).
    headline_window: int = 30
    #: 公示 list depth: pages of the newest records per kind and site; older ones via 信用查询.
    records_page_size: int = 20
    records_max_pages: int = 10
    #: The group's tenant configs (the API maps a ``site`` id to its region with them);
    #: ``SITEGROUP_TENANTS`` as for the CLI's ``--tenants``.
    tenants_dir: Path = Field(
        default=Path("tenants"),
        validation_alias=AliasChoices("SITEGROUP_TENANTS_DIR", "SITEGROUP_TENANTS", "tenants_dir"),
    )

    #: ``embedded`` (SQLite FTS5 file, no server) or ``meilisearch`` (production).
    search_backend: Literal["embedded", "meilisearch"] = "embedded"
    #: The embedded index file; default: ``search.sqlite3`` beside a SQLite store, else
    #: ``var/search.sqlite3``.
    search_path: Path | None = None
    meili_url: str = "http://127.0.0.1:7700"
    meili_key: str | None = None
    meili_index: str = "records"
    #: Seconds before a Meilisearch request counts as failed (the API answers 503).
    meili_timeout: float = 5.0

    #: Click tracker: seconds between flushes of the in-memory batch to the store (what a
    #: hard crash of one API worker can lose), and how many hits may wait for a store that
    #: does not answer before new ones are refused with 503.
    hits_flush_interval: float = Field(default=1.0, gt=0, le=10)
    hits_max_pending: int = Field(default=200_000, ge=1000)
    #: Days of per-minute counts; older ones are folded into hours by `sitegroup stats
    #: compact` (daily cron), and minute series are refused for them.
    hits_minute_days: int = Field(default=7, ge=1, le=3650)

    #: 异议投诉 intake: files per case (field ``attachments``; PDF, JPEG or PNG by content)
    #: and bytes per file. The whole request may be that many full files plus the fields.
    cases_max_attachments: int = Field(default=3, ge=0, le=20)
    cases_attachment_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=50 * 1024**2)
    #: Accepted cases per client address (keyed hash, never the address) in a rolling hour
    #: and per Beijing day, across all API workers (counted in the store); 0 = no limit.
    cases_per_ip_hour: int = Field(default=5, ge=0)
    cases_per_ip_day: int = Field(default=20, ge=0)

    #: Credit reports: the HMAC key that signs every issued report (at least 32 characters;
    #: required in production, where every API worker must share it). In development a
    #: random key is kept in ``report-signing.key`` beside the SQLite store (or in ``var/``).
    report_key: SecretStr | None = None
    #: The report's CJK faces (``/path/font.ttc:index``); default: fontconfig's Noto Sans
    #: CJK SC (Debian's fonts-noto-cjk).
    report_font: str | None = None
    report_font_bold: str | None = None
    #: The largest PDF accepted by ``POST /api/reports/verify``.
    report_upload_max_bytes: int = Field(default=5 * 1024 * 1024, ge=64 * 1024, le=50 * 1024**2)

    def index_path(self) -> Path:
        """Where the embedded search index lives."""
        if self.search_path is not None:
            return self.search_path
        store_file = sqlite_path(self.database_url)
        return (store_file.parent if store_file else Path("var")) / "search.sqlite3"


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (None for other URLs or in-memory)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix or ":memory:" in url:
        return None
    return Path(url[len(prefix) :])
