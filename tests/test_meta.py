"""Meta-tests: every column kind and base column has its template; every demo tenant loads."""

from __future__ import annotations

from sitegroup.tenants.loader import load_group
from tests.conftest import DEMO_TENANTS


def test_every_column_template_exists(theme) -> None:
    templates = {p.stem for p in theme.templates_path.glob("*.html")}
    for column in theme.all_base_columns():
        assert column.template in templates, column.id
        if column.kind == "articles":
            assert column.article_template in templates, column.id
    assert {"base", "404", "_record", "_record_list", "_group_nav", "_footer"} <= templates


def test_every_demo_tenant_loads(theme) -> None:
    group = load_group(DEMO_TENANTS, theme)
    folders = {p.name for p in DEMO_TENANTS.iterdir() if p.is_dir()}
    assert set(group.sites) == folders
    assert len(group) >= 13
