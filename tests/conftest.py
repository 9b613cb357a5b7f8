"""Shared fixtures: the theme, tiny tenant trees from dicts, and one demo build per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sitegroup.build.runner import build_group
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group
from sitegroup.theme import Theme, load_theme

ROOT = Path(__file__).resolve().parents[1]
DEMO_TENANTS = ROOT / "tenants"
GOLDEN_TENANTS = ROOT / "tests" / "golden_tenants"


def site_toml(region_code: str, *, url: str | None = None, extra: str = "") -> str:
    """A minimal valid site.toml."""
    url = url or f"https://r{region_code}.example.cn/"
    return (
        f'region_code = "{region_code}"\nurl = "{url}"\nsponsor = "测试主办单位"\n'
        f'{extra}\n[filing]\nicp = "测ICP备{region_code}号"\n'
    )


@pytest.fixture(scope="session")
def theme() -> Theme:
    return load_theme()


@pytest.fixture
def make_tenants(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write ``{"hubei/site.toml": "...", ...}`` under a fresh tenants folder."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "tenants"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        root.mkdir(exist_ok=True)
        return root

    return make


@pytest.fixture
def make_group(
    make_tenants: Callable[[dict[str, str]], Path], theme: Theme
) -> Callable[[dict[str, str]], Group]:
    def make(files: dict[str, str]) -> Group:
        return load_group(make_tenants(files), theme)

    return make


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory, theme: Theme) -> Path:
    """The whole demo group, built once for the session."""
    out = tmp_path_factory.mktemp("demo-build")
    result = build_group(load_group(DEMO_TENANTS, theme), theme, out)
    assert not result.failed, result.failed
    return out
