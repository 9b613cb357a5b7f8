"""What the API's routers share: settings, the group, the index and the store (per app)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from search_api.errors import ApiError
from sitegroup.cases import CaseDesk
from sitegroup.cases.limits import IntakeLimits
from sitegroup.cases.workflow import HandlingDesk
from sitegroup.config import Settings
from sitegroup.hits import HitBuffer, HitLedger, HitRules
from sitegroup.hits.stats import StatsService
from sitegroup.regions import RegionTable
from sitegroup.reports import ReportSetup, open_reports
from sitegroup.reports.desk import ReportDesk
from sitegroup.search import SearchBackend, open_index
from sitegroup.tenants.registry import Group, Site
from sitegroup.theme import Theme


@dataclass
class Services:
    settings: Settings
    group: Group
    index: SearchBackend
    _store: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: The theme the group was loaded with, if this app loaded it.
    _theme: Theme | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        group: Group | None = None,
        index: SearchBackend | None = None,
        store: Any = None,
    ) -> Services:
        theme = None
        if group is None:
            from sitegroup.tenants.loader import load_group
            from sitegroup.theme import load_theme

            theme = load_theme()
            group = load_group(settings.tenants_dir, theme)
        index = index if index is not None else open_index(settings)
        return cls(settings, group, index, store, _theme=theme)

    @cached_property
    def regions(self) -> RegionTable:
        return RegionTable.default()

    def site(self, site_id: str | None) -> Site:
        site_id = site_id or self.group.root
        if site_id not in self.group:
            raise ApiError(
                404, "unknown_site", f"未知站点“{site_id[:40]}”：请检查 site 参数", "site"
            )
        return self.group[site_id]

    @property
    def store(self) -> Any:
        """The store, opened on first use (the API starts even when it is down)."""
        with self._lock:
            if self._store is None:
                from sitegroup.store import open_store

                self._store = open_store(self.settings.database_url)
            return self._store

    @cached_property
    def allowed_origins(self) -> frozenset[str]:
        """``scheme://host`` of every site: where pages that report hits live."""
        origins = set()
        for site in self.group:
            parts = urlsplit(site.url)
            if parts.scheme and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
        return frozenset(origins)

    @cached_property
    def theme(self) -> Theme:
        """The VI theme (read once per app: loading fingerprints every static asset)."""
        from sitegroup.theme import load_theme

        return self._theme if self._theme is not None else load_theme()

    @cached_property
    def vi(self) -> dict[str, Any]:
        """The theme's VI tokens (colours and fonts of server-drawn charts)."""
        return dict(self.theme.vi)

    @cached_property
    def stats_cache(self) -> dict[Any, tuple[float, dict[str, Any]]]:
        return {}

    @cached_property
    def hit_rules(self) -> HitRules:
        return HitRules((site.id, site.url) for site in self.group)

    @cached_property
    def hits(self) -> HitBuffer:
        """This worker's batch of accepted hits (flushed to the store every second)."""
        return HitBuffer(
            self.hit_ledger,
            interval=self.settings.hits_flush_interval,
            max_pending=self.settings.hits_max_pending,
        )

    @cached_property
    def hit_ledger(self) -> HitLedger:
        return HitLedger(self.store.engine)

    @cached_property
    def stats(self) -> StatsService:
        return StatsService(self.group, self.hit_ledger)

    @cached_property
    def cases(self) -> CaseDesk:
        """The 异议投诉 window: intake, dispatch and the submitter's follow-up."""
        return CaseDesk(self.store.engine, self.group, self.regions)

    @cached_property
    def handling(self) -> HandlingDesk:
        """The handlers' side (属地办理): region-scoped reads and actions, all audited."""
        return HandlingDesk(self.store, self.group, self.regions, index=self.index, desk=self.cases)

    @cached_property
    def intake_limits(self) -> IntakeLimits:
        """The per-address limit on new cases (first used in a worker thread: it may open
        the store)."""
        return IntakeLimits(
            self.store.engine,
            self.hit_ledger.salt,
            per_hour=self.settings.cases_per_ip_hour,
            per_day=self.settings.cases_per_ip_day,
        )

    @cached_property
    def report_setup(self) -> ReportSetup:
        """Fonts, template and signing key of the credit report (checked at app start)."""
        return open_reports(self.settings, self.theme)

    @cached_property
    def reports(self) -> ReportDesk:
        """Issues and verifies credit reports (the ledger is in the store)."""
        return self.report_setup.desk(self.store.engine, self.group)

    def close(self) -> None:
        """Flush waiting hits, then close the index and the store (graceful shutdown)."""
        if "hits" in self.__dict__:
            self.hits.close()
        self.index.close()
        if self._store is not None:
            self._store.close()
