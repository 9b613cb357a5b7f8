"""sitegroup.feeds: deterministic RSS 2.0 and Atom output, checked with feedparser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import feedparser
import pytest

from sitegroup.feeds import (
    DEFAULT_AUTHOR,
    FeedItem,
    FeedMeta,
    render_atom,
    render_rss,
    to_shanghai,
)

SITE = "https://credit.hangzhou.gov.cn"
ATOM_NS = "http://www.w3.org/2005/Atom"

META = FeedMeta(
    id=f"{SITE}/xydt/",
    title="信用中国(浙江杭州) - 信用动态",
    link=f"{SITE}/xydt/",
    self_rss=f"{SITE}/xydt/rss.xml",
    self_atom=f"{SITE}/xydt/atom.xml",
    description="信用中国(浙江杭州)信用动态栏目",
)

ITEMS = (
    FeedItem(
        id="tag:creditchina.gov.cn,2026:toutiao/credit-law-2026",
        title="国家发展改革委部署推进社会信用体系建设高质量发展",
        link=f"{SITE}/toutiao/credit-law-2026.html",
        published=date(2026, 11, 23),
        summary="会议要求进一步健全信用法规制度。",
        content_html="<p>会议指出，<strong>社会信用体系</strong>建设取得积极成效。</p>",
        author="信用中国",
        categories=("头版", "政策"),
    ),
    FeedItem(
        id=f"{SITE}/xydt/2026-11-20-repair.html",
        title="杭州市开展信用修复专项服务",
        link=f"{SITE}/xydt/2026-11-20-repair.html",
        published=datetime(2026, 11, 20, 9, 30),  # noqa: DTZ001 - naive = Shanghai time
        summary="帮助经营主体依法依规修复信用。",
    ),
    FeedItem(
        id=f"{SITE}/xydt/2026-11-21-meeting.html",
        title="全市信用工作推进会召开",
        link=f"{SITE}/xydt/2026-11-21-meeting.html",
        published=datetime(2026, 11, 21, 2, 0, tzinfo=UTC),  # 10:00 in Shanghai
    ),
)


def test_rss_parses_cleanly_with_chinese_titles_and_absolute_links() -> None:
    parsed = feedparser.parse(render_rss(META, ITEMS))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "信用中国(浙江杭州) - 信用动态"
    assert parsed.feed.link == f"{SITE}/xydt/"
    assert parsed.feed.language == "zh-CN"
    assert [e.title for e in parsed.entries] == [i.title for i in ITEMS]
    assert all(e.link.startswith("https://") for e in parsed.entries)
    assert [e.id for e in parsed.entries] == [i.id for i in ITEMS]
    first = parsed.entries[0]
    assert first.summary == "会议要求进一步健全信用法规制度。"
    assert "社会信用体系" in first.content[0].value
    assert first.author == "信用中国"
    assert [t.term for t in first.tags] == ["头版", "政策"]


def test_atom_parses_cleanly_with_feed_author() -> None:
    parsed = feedparser.parse(render_atom(META, ITEMS))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "信用中国(浙江杭州) - 信用动态"
    assert parsed.feed.id == META.id
    assert parsed.feed.author == "信用中国(浙江杭州)"
    assert parsed.feed.generator == "sitegroup"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"alternate": META.link, "self": META.self_atom}
    assert [e.title for e in parsed.entries] == [i.title for i in ITEMS]
    assert [e.id for e in parsed.entries] == [i.id for i in ITEMS]
    assert [e.link for e in parsed.entries] == [i.link for i in ITEMS]
    assert parsed.entries[0].author == "信用中国"


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_items_keep_the_given_order(render) -> None:
    # feedgen prepends by default; the given order must survive either way round.
    for order in (ITEMS, tuple(reversed(ITEMS))):
        parsed = feedparser.parse(render(META, order))
        assert [e.id for e in parsed.entries] == [i.id for i in order]


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_same_input_gives_same_bytes(render) -> None:
    first = render(META, ITEMS)
    second = render(FeedMeta(**vars(META)), [FeedItem(**vars(i)) for i in ITEMS])
    assert first == second
    assert first.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    assert "信用动态".encode() in first  # UTF-8, not character references
    assert b"\n  <" in first  # pretty printed


def test_dates_are_shanghai_and_build_date_is_newest_item() -> None:
    rss = render_rss(META, ITEMS).decode()
    assert "<lastBuildDate>Mon, 23 Nov 2026 00:00:00 +0800</lastBuildDate>" in rss
    assert "<pubDate>Fri, 20 Nov 2026 09:30:00 +0800</pubDate>" in rss
    assert "<pubDate>Sat, 21 Nov 2026 10:00:00 +0800</pubDate>" in rss
    assert "<generator>sitegroup</generator>" in rss
    assert "python-feedgen" not in rss

    atom = render_atom(META, ITEMS).decode()
    root = ET.fromstring(atom.encode())
    assert root.findtext(f"{{{ATOM_NS}}}updated") == "2026-11-23T00:00:00+08:00"
    assert "python-feedgen" not in atom

    # The newest item decides, even when it is not the first one.
    late = FeedItem(
        id="tag:example.org,2026:late",
        title="晚到的条目",
        link=f"{SITE}/late.html",
        published=date(2026, 12, 1),
    )
    rss_late = render_rss(META, (*ITEMS, late)).decode()
    assert "<lastBuildDate>Tue, 01 Dec 2026 00:00:00 +0800</lastBuildDate>" in rss_late


def test_to_shanghai() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert to_shanghai(date(2026, 1, 2)) == datetime(2026, 1, 2, tzinfo=shanghai)
    assert to_shanghai(date(2026, 1, 2)).isoformat() == "2026-01-02T00:00:00+08:00"
    naive = datetime(2026, 1, 2, 3, 4)  # noqa: DTZ001 - naive input is the point
    assert to_shanghai(naive).isoformat() == "2026-01-02T03:04:00+08:00"
    aware = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)
    assert to_shanghai(aware).isoformat() == "2026-01-02T04:00:00+08:00"


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_empty_feed_is_valid_and_fixed(render) -> None:
    data = render(META, [])
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries == []
    assert parsed.feed.title == META.title
    assert data == render(META, ())
    text = data.decode()
    assert "2000-01-01T00:00:00+08:00" in text or "Sat, 01 Jan 2000 00:00:00 +0800" in text


def test_rss_has_atom_self_link() -> None:
    root = ET.fromstring(render_rss(META, ITEMS))
    channel = root.find("channel")
    assert channel is not None
    self_links = [
        link for link in channel.findall(f"{{{ATOM_NS}}}link") if link.get("rel") == "self"
    ]
    assert len(self_links) == 1
    assert self_links[0].get("href") == META.self_rss
    assert channel.findtext("link") == META.link


def test_guid_permalink_only_when_id_is_the_link() -> None:
    root = ET.fromstring(render_rss(META, ITEMS))
    guids = [item.find("guid") for item in root.iter("item")]
    assert [g.get("isPermaLink") for g in guids if g is not None] == ["false", "true", "true"]


def test_feed_author_fallback() -> None:
    meta = FeedMeta(**{**vars(META), "title": "头版"})
    assert feedparser.parse(render_atom(meta, ITEMS)).feed.author == DEFAULT_AUTHOR
    meta = FeedMeta(**{**vars(META), "author": "杭州市信用办"})
    assert feedparser.parse(render_atom(meta, ITEMS)).feed.author == "杭州市信用办"


@pytest.mark.parametrize(
    "bad",
    ["/xydt/a.html", "xydt/a.html", "ftp://example.org/a", "https:///a", "", " https://a.cn/"],
)
@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_relative_item_link_is_rejected(render, bad: str) -> None:
    item = FeedItem(id="tag:example.org,2026:x", title="标题", link=bad, published=date(2026, 1, 1))
    with pytest.raises(ValueError, match="absolute"):
        render(META, [item])


@pytest.mark.parametrize("field", ["link", "self_rss", "self_atom"])
def test_relative_feed_urls_are_rejected(field: str) -> None:
    meta = FeedMeta(**{**vars(META), field: "/xydt/"})
    with pytest.raises(ValueError, match=field):
        render_rss(meta, ITEMS)
    with pytest.raises(ValueError, match=field):
        render_atom(meta, ITEMS)


def test_item_id_must_be_a_uri() -> None:
    item = FeedItem(id="toutiao-1", title="标题", link=f"{SITE}/a.html", published=date(2026, 1, 1))
    with pytest.raises(ValueError, match="id"):
        render_rss(META, [item])
