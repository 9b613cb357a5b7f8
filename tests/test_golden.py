"""The tiny group (national + province + city + county) builds exactly to tests/golden/.

After an intended change run `make golden` and review the diff in the commit.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from sitegroup.build.runner import ASSETS_DIR
from sitegroup.theme import load_theme
from tests.golden_regen import GOLDEN, build_tiny_group, output_files


def test_tiny_group_matches_golden(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_tiny_group(out)
    # The shared assets are the theme's static files under their content-hashed names.
    theme = load_theme()
    assets = out / ASSETS_DIR
    built_assets = {p.relative_to(assets).as_posix() for p in assets.rglob("*") if p.is_file()}
    assert built_assets == set(theme.assets.values())
    for logical, hashed in theme.assets.items():
        assert (assets / hashed).read_bytes() == (theme.static_path / logical).read_bytes()
    built = output_files(out)
    golden = output_files(GOLDEN)
    assert sorted(built) == sorted(golden), "file lists differ; run `make golden` if intended"
    for rel, path in built.items():
        new, old = path.read_bytes(), golden[rel].read_bytes()
        if new != old:
            diff = "\n".join(
                difflib.unified_diff(
                    old.decode(errors="replace").splitlines(),
                    new.decode(errors="replace").splitlines(),
                    f"golden/{rel}",
                    f"built/{rel}",
                    lineterm="",
                    n=1,
                )
            )
            raise AssertionError(
                f"{rel} differs from golden (run `make golden` if intended):\n{diff[:3000]}"
            )
