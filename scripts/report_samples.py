"""Render the sample reports shown in README (docs/report-samples/*.png) from the demo data.

Run: .venv/bin/python scripts/report_samples.py   (a throw-away store in a temp folder)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "report-samples"
COMPANY = "91320211MAWHCUCB4G"  # 无锡博创商贸有限公司: five licences and a red-list entry
PERSON = "丁明"  # a natural person with one penalty


def sitegroup(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "sitegroup", *args], env=env, cwd=ROOT, check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/store.sqlite3"
        env = {**os.environ, "SITEGROUP_DATABASE_URL": url}
        sitegroup("push", "demo", env=env)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            person = conn.execute(
                sa.text("SELECT key FROM records WHERE subject_name = :n"), {"n": PERSON}
            ).scalar_one()
        engine.dispose()
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.png"):
            old.unlink()
        for name, code, site in (
            ("legal-person", COMPANY, "jiangsu-wuxi"),
            ("natural-person", person, "shaanxi"),
        ):
            pdf = Path(tmp) / f"{name}.pdf"
            sitegroup("report", "issue", code, "--site", site, "--out", str(pdf), env=env)
            subprocess.run(["pdftoppm", "-r", "90", "-png", str(pdf), str(OUT / name)], check=True)
        for png in sorted(OUT.glob("*.png")):  # a palette keeps each page near 100 KB
            Image.open(png).convert("RGB").quantize(64).save(png, optimize=True)
            print(png.relative_to(ROOT), png.stat().st_size)


if __name__ == "__main__":
    main()
