"""Pushed headlines and records on the built pages: partition, partial = full, verify, feeds."""

from __future__ import annotations

import filecmp
import re
import shutil
from pathlib import Path

import feedparser
import pytest

from sitegroup.build.runner import DataSource, build_group
from sitegroup.build.verify import verify_group
from sitegroup.models.idcard import ID_NUMBER_PATTERN, id_check_character, is_valid_id_number
from sitegroup.models.records import Record, make_record
from sitegroup.store import Store, open_store
from sitegroup.tenants.loader import load_group
from sitegroup.theme import Theme
from tests.conftest import DEMO_TENANTS
from tests.store.factories import SOURCE, TODAY, headline, penalty

NATURAL_ID = "33078219800101002X"


def natural_person_penalty() -> Record:
    number = NATURAL_ID[:17] + id_check_character(NATURAL_ID[:17])
    return make_record(
        "penalty",
        {
            "subject_name": "张某某",
            "subject_type": "自然人",
            "id_type": "身份证",
            "id_number": number,
            "document_no": "义综执罚〔2026〕900号",
            "violation_type": "占道经营",
            "facts": f"当事人（身份证号 {number}）占道经营",
            "basis": "《城市市容和环境卫生管理条例》",
            "penalty_category": "警告",
            "content": "警告",
            "decided_on": "2026-11-01",
            "authority": "义乌市综合行政执法局",
            "authority_code": SOURCE,
            "source_unit": "义乌市综合行政执法局",
            "source_code": SOURCE,
            "region_code": "330782",
        },
        today=TODAY,
    )


class Pushed:
    def __init__(self, root: Path, theme: Theme) -> None:
        self.url = f"sqlite:///{root / 'store.sqlite3'}"
        self.store: Store = open_store(self.url)
        self.theme = theme
        self.group = load_group(DEMO_TENANTS, theme)
        self.out = root / "build"
        self.data = DataSource(self.url)

    def build(self, **kw: object):
        result = build_group(self.group, self.theme, self.out, data=self.data, workers=1, **kw)
        assert not result.failed, result.failed
        return result

    def verify(self):
        return verify_group(
            self.group,
            self.theme,
            self.out,
            self.store,
            headline_window=30,
            records_limit=200,
        )

    def page(self, site: str, rel: str = "index.html") -> str:
        return (self.out / site / rel).read_text(encoding="utf-8")


@pytest.fixture
def pushed(tmp_path: Path, theme: Theme) -> Pushed:
    p = Pushed(tmp_path, theme)
    p.store.apply_headlines(
        [headline(i, day=i) for i in range(1, 4)], source="h", source_sha256="1"
    )
    p.store.apply_records(
        [
            penalty(1, region="330782"),  # 义乌
            penalty(2, region="330106"),  # 杭州西湖区: no site, shown by 杭州
            penalty(3, region="320200"),  # 无锡
            natural_person_penalty(),
        ],
        source="r",
        source_sha256="1",
        today=TODAY,
    )
    p.build()
    return p


def record_keys(html: str) -> set[str]:
    return set(re.findall(r'data-record="([^"]+)"', html))


def test_every_site_shows_the_headlines_from_the_main_site(pushed: Pushed) -> None:
    for site in pushed.group:
        home = pushed.page(site.id)
        assert "头版要闻第3条" in home, site.id
        assert 'href="/main/news/headlines/h-3.html"' in home
        news = pushed.page(site.id, "news/index.html")
        assert "来自信用中国" in news and "头版要闻第1条" in news
    article = pushed.page("main", "news/headlines/h-3.html")
    assert "第3条正文" in article and "查看原文" in article


def test_a_record_appears_on_its_site_and_every_ancestor(pushed: Pushed) -> None:
    key = penalty(1, region="330782").key
    shown = {
        s.id
        for s in pushed.group
        if key in record_keys(pushed.page(s.id, "disclosure/penalties/index.html"))
    }
    assert shown == {"zhejiang-yiwu", "zhejiang", "main"}
    west_lake = penalty(2, region="330106").key
    shown = {
        s.id
        for s in pushed.group
        if west_lake in record_keys(pushed.page(s.id, "disclosure/penalties/index.html"))
    }
    assert shown == {"zhejiang-hangzhou", "zhejiang", "main"}


def test_no_unmasked_id_number_in_any_built_file(pushed: Pushed) -> None:
    number = natural_person_penalty().fields["id_number"]
    seen_masked = False
    for path in pushed.out.rglob("*"):
        if not path.is_file() or ".cache" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        assert number not in text, path
        for m in ID_NUMBER_PATTERN.finditer(text):
            # Hex digests (file hashes, record keys) hold 18-digit runs by chance; a real
            # ID number also has a valid birth date and check digit.
            if is_valid_id_number(m.group()):
                pytest.fail(f"ID number {m.group()} in {path}")
        seen_masked |= "张某某" in text
    assert seen_masked


def test_partial_update_after_a_push_equals_a_full_build(pushed: Pushed, tmp_path: Path) -> None:
    pushed.store.apply_headlines(
        [headline(9, day=20), headline(2, retracted=True, day=2)], source="h2", source_sha256="2"
    )
    pushed.store.apply_records(
        [penalty(5, region="330782"), penalty(1, region="330782", withdraw=True)],
        source="r2",
        source_sha256="2",
        today=TODAY,
    )
    result = pushed.build(changed_only=True)
    assert result.built == [] and len(result.updated) == len(pushed.group)
    assert not (pushed.out / "main/news/headlines/h-2.html").exists()
    assert "头版要闻第9条" in pushed.page("hubei")

    full = tmp_path / "full"
    build_group(pushed.group, pushed.theme, full, data=pushed.data, workers=1)
    cmp = filecmp.dircmp(pushed.out, full, ignore=[".cache", ".staging"])

    def diffs(d: filecmp.dircmp, prefix: str = "") -> list[str]:
        found = [prefix + f for f in d.diff_files + d.left_only + d.right_only]
        for name, sub in d.subdirs.items():
            found += diffs(sub, prefix + name + "/")
        return found

    assert diffs(cmp) == []
    assert pushed.verify().ok


def test_one_county_push_updates_only_the_county_and_its_ancestors(pushed: Pushed) -> None:
    pushed.store.apply_records(
        [penalty(i, region="330782") for i in range(10, 20)],
        source="r3",
        source_sha256="3",
        today=TODAY,
    )
    result = pushed.build(changed_only=True)
    assert sorted(result.updated) == ["main", "zhejiang", "zhejiang-yiwu"]


def test_verify_catches_stale_and_altered_pages(pushed: Pushed) -> None:
    assert pushed.verify().ok

    page = pushed.out / "zhejiang-yiwu/disclosure/penalties/index.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace("义乌市测试贸易有限公司001", "改名公司")
    )
    drifts = [str(d) for d in pushed.verify().drifts]
    assert any(
        "zhejiang-yiwu/disclosure/penalties/index.html" in d and "被手工改动" in d for d in drifts
    )
    assert any("公示内容与标准版本不一致" in d for d in drifts)

    pushed.build(force=True)
    pushed.store.apply_headlines([headline(7, day=22)], source="h", source_sha256="7")
    drifts = [str(d) for d in pushed.verify().drifts]
    assert any("头版版本不是最新" in d for d in drifts)
    pushed.build(changed_only=True)
    assert pushed.verify().ok


def test_verify_reports_a_withdrawn_record_still_on_a_page(pushed: Pushed, tmp_path: Path) -> None:
    before = tmp_path / "before"
    shutil.copytree(pushed.out, before)
    pushed.store.apply_records(
        [penalty(3, region="320200", withdraw=True)], source="w", source_sha256="w", today=TODAY
    )
    pushed.out = before  # pages not rebuilt since the withdrawal
    drifts = [str(d) for d in pushed.verify().drifts]
    assert any("已撤回，却仍在页面上" in d for d in drifts)


def test_feeds_are_valid_with_absolute_links(pushed: Pushed) -> None:
    for name in ("news", "penalty", "license"):
        for fmt in ("rss", "atom"):
            raw = (pushed.out / "zhejiang" / "feeds" / f"{name}.{fmt}.xml").read_bytes()
            feed = feedparser.parse(raw)
            assert feed.bozo == 0, (name, fmt, feed.get("bozo_exception"))
            for entry in feed.entries:
                assert entry.link.startswith("https://"), entry.link
    news = feedparser.parse((pushed.out / "zhejiang-yiwu/feeds/news.rss.xml").read_bytes())
    titles = [e.title for e in news.entries]
    assert "头版要闻第3条" in titles
    link = next(e.link for e in news.entries if e.title == "头版要闻第3条")
    main_url = pushed.group[pushed.group.root].url
    assert link == f"{main_url}news/headlines/h-3.html"


def test_record_lists_are_bounded_and_point_to_the_query_window(
    tmp_path: Path, theme: Theme
) -> None:
    p = Pushed(tmp_path, theme)
    p.data = DataSource(p.url, records_page_size=5, records_max_pages=2)
    p.store.apply_records(
        [penalty(i, decided=f"2026-10-{i % 28 + 1:02d}") for i in range(1, 16)],
        source="r",
        source_sha256="x",
        today=TODAY,
    )
    p.build()
    first = p.page("zhejiang-yiwu", "disclosure/penalties/index.html")
    assert "共有 15 条有效公示信息" in first and "最新 10 条" in first and "信用查询" in first
    assert (p.out / "zhejiang-yiwu/disclosure/penalties/page/2/index.html").exists()
    assert not (p.out / "zhejiang-yiwu/disclosure/penalties/page/3/index.html").exists()
