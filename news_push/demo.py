"""The demo push shipped in ``demo/``: one definition for ``sitegroup push demo`` (``make
demo``), the tests and the benches, so they cannot drift apart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from news_push.job import PushResult, run_headlines, run_records
from sitegroup.models.records import RecordKind
from sitegroup.search.backend import SearchBackend
from sitegroup.store import Store
from sitegroup.tenants.registry import Group

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
#: The demo record files and the kind of their rows (None: a kind column in the file).
DEMO_RECORDS: tuple[tuple[str, RecordKind | None], ...] = (
    ("licenses.csv", "license"),
    ("penalties-gb18030.csv", "penalty"),
    ("penalties-legacy.csv", "penalty"),
    ("lists.jsonl", None),
)


def push_demo(
    *,
    store: Store,
    group: Group,
    today: date,
    index: SearchBackend | None = None,
    demo_dir: Path = DEMO_DIR,
) -> list[PushResult]:
    """Push the demo headlines, then each demo record file; one result per file."""
    results = [run_headlines(demo_dir / "headlines", store=store, group=group)]
    for name, kind in DEMO_RECORDS:
        path = demo_dir / "records" / name
        results.append(
            run_records(path, store=store, group=group, today=today, kind=kind, index=index)
        )
    return results
