"""Enum → 中文 labels, spelled once for the code, the templates and the API."""

from __future__ import annotations

LEVEL_LABELS: dict[str, str] = {
    "national": "国家",
    "province": "省级",
    "city": "市级",
    "county": "县级",
}

RECORD_KIND_LABELS: dict[str, str] = {
    "license": "行政许可",
    "penalty": "行政处罚",
    "redlist": "红名单",
    "blacklist": "黑名单",
}
