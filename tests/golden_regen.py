"""Regenerate tests/golden/ from tests/golden_tenants/ (`make golden`); review the diff."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitegroup.build.runner import ASSETS_DIR, build_group  # noqa: E402
from sitegroup.tenants.loader import load_group  # noqa: E402
from sitegroup.theme import load_theme  # noqa: E402

TENANTS = ROOT / "tests" / "golden_tenants"
GOLDEN = ROOT / "tests" / "golden"
#: Build bookkeeping, not output a visitor sees; and the shared assets, which are the
#: theme's static files under their hashed names (``test_golden`` compares them with those).
IGNORED = {".sitegroup-build.json", ".cache", ".staging", ASSETS_DIR}


def build_tiny_group(out: Path) -> None:
    """Build the tiny national/province/city/county group into ``out``."""
    theme = load_theme()
    result = build_group(load_group(TENANTS, theme), theme, out, workers=1)
    if result.failed:
        raise SystemExit(f"golden build failed: {result.failed}")


def output_files(root: Path) -> dict[str, Path]:
    """Every published file below ``root`` by relative path."""
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and not IGNORED & set(p.relative_to(root).parts)
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        build_tiny_group(out)
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, path in output_files(out).items():
            target = GOLDEN / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    print(f"golden output regenerated in {GOLDEN.relative_to(ROOT)}")  # noqa: T201


if __name__ == "__main__":
    main()
