"""Records and headlines for store and push tests, built through the real model code."""

from __future__ import annotations

from datetime import date
from typing import Any

from sitegroup.models.headlines import Headline
from sitegroup.models.records import Record, make_record
from sitegroup.models.uscc import check_character

TODAY = date(2026, 11, 23)


def uscc(region: str, serial: int) -> str:
    """A valid 统一社会信用代码 for an enterprise registered in ``region``."""
    body = f"91{region}{serial:08d}X"[:17].replace("X", "A")
    return body + check_character(body)


SOURCE = uscc("330100", 1)


def penalty_fields(n: int, region: str = "330782", **extra: str) -> dict[str, str]:
    """Valid 行政处罚 fields (English keys) for subject ``n`` in ``region``."""
    return {
        "subject_name": f"义乌市测试贸易有限公司{n:03d}",
        "subject_type": "法人及非法人组织",
        "uscc": uscc(region, n),
        "document_no": f"义综执罚〔2026〕{n}号",
        "violation_type": "违反价格管理规定",
        "facts": "未明码标价",
        "basis": "《价格法》第十三条",
        "penalty_category": "罚款",
        "content": "罚款人民币五千元",
        "fine": "0.5",
        "decided_on": "2026-10-01",
        "authority": "义乌市市场监督管理局",
        "authority_code": SOURCE,
        "source_unit": "义乌市市场监督管理局",
        "source_code": SOURCE,
        "region_code": region,
        **extra,
    }


def penalty(
    n: int,
    *,
    region: str = "330782",
    decided: str = "2026-10-01",
    until: str = "",
    withdraw: bool = False,
    **extra: str,
) -> Record:
    fields: dict[str, Any] = penalty_fields(n, region, decided_on=decided, **extra)
    if until:
        fields["disclosure_until"] = until
    return make_record("penalty", fields, withdraw=withdraw, today=TODAY)


def headline(
    n: int, *, title: str | None = None, retracted: bool = False, day: int = 1
) -> Headline:
    return Headline.create(
        id=f"h-{n}",
        title=title or f"头版要闻第{n}条",
        date=date(2026, 11, day),
        summary="摘要",
        body_md=f"第{n}条正文。",
        source_url=f"https://www.creditchina.gov.cn/toutiao/h-{n}.html",
        retracted=retracted,
    )
