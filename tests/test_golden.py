"""The tiny group (national + province + city + county) builds exactly to tests/golden/.

After an intended change run `make golden` and review the diff in the commit.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from tests.golden_regen import GOLDEN, build_tiny_group, output_files


def test_tiny_group_matches_golden(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_tiny_group(out)
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
