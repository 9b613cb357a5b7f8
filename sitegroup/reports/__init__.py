"""The unified credit report (信用信息报告): one template for every site, a Pillow
watermark, a signed ledger and verification.

:func:`open_reports` checks everything a report needs — the CJK faces, the template, the
signing key — so the API fails at start, with a clear message, rather than per request.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sitegroup.config import Settings
from sitegroup.reports.desk import ReportDesk, Signer, report_key
from sitegroup.reports.fonts import find_faces
from sitegroup.reports.render import Renderer, load_font
from sitegroup.reports.template import ReportTemplate, load_template
from sitegroup.tenants.registry import Group

__all__ = ["ReportSetup", "open_reports"]


class ReportSetup:
    """Checked once at start; :meth:`desk` binds it to the store when first used."""

    def __init__(self, settings: Settings, theme: Any, *, render: bool = True) -> None:
        self.signer = Signer(report_key(settings))
        self.template: ReportTemplate = load_template(theme.path, dict(theme.vi))
        self.renderer: Renderer | None = None
        if render:  # verifying needs neither the fonts nor the renderer
            faces = find_faces(settings.report_font, settings.report_font_bold)
            self.renderer = Renderer(self.template, faces)
            # Parse the faces now (about a second, once per process), not in a visitor's
            # request.
            for face in faces.values():
                load_font(face)

    def desk(self, engine: sa.Engine, group: Group) -> ReportDesk:
        return ReportDesk(engine, {site.id: site for site in group}, self.renderer, self.signer)


def open_reports(settings: Settings, theme: Any = None, *, render: bool = True) -> ReportSetup:
    if theme is None:
        from sitegroup.theme import load_theme

        theme = load_theme()
    return ReportSetup(settings, theme, render=render)
