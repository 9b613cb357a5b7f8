"""The report template (``themes/<vi>/report.toml``): words, order and geometry of a report.

Kept with the theme so the report shares the VI (colours from ``theme.toml``'s ``[vi]``);
a template that does not validate is refused with the file and key named.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sitegroup.errors import ConfigError, ConfigProblem
from sitegroup.models.records import FIELDS, RECORD_KINDS

__all__ = ["KindSection", "ReportTemplate", "load_template"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PageSpec(_Model):
    margin_x: float = Field(ge=20, le=120)
    margin_top: float = Field(ge=40, le=160)
    margin_bottom: float = Field(ge=40, le=160)
    body_size: float = Field(ge=7, le=14)
    line_gap: float = Field(ge=1, le=12)
    label_width: float = Field(ge=60, le=200)


class WatermarkSpec(_Model):
    text: str = Field(min_length=1, max_length=12)
    angle: float = Field(ge=-80, le=80)
    opacity: float = Field(gt=0.02, le=0.5)
    tile_width: float = Field(ge=80, le=400)
    tile_height: float = Field(ge=60, le=400)


class EdgeSpec(_Model):
    left: str
    right: str


class MetaSpec(_Model):
    fields: list[tuple[str, str]]
    qr_caption: str


class SubjectSpec(_Model):
    heading: str
    legal: list[tuple[str, str]]
    natural: list[tuple[str, str]]


class SummarySpec(_Model):
    heading: str
    none: str


class KindSection(_Model):
    kind: str
    heading: str
    title_field: str
    fields: list[str]

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in RECORD_KINDS:
            raise ValueError(f"未知的信息类别 {value!r}，可选 {', '.join(RECORD_KINDS)}")
        return value


class NoticeSpec(_Model):
    heading: str
    paragraphs: list[str] = Field(min_length=1)


class ReportTemplate(_Model):
    title: str
    subtitle: str
    page: PageSpec
    watermark: WatermarkSpec
    header: EdgeSpec
    footer: EdgeSpec
    meta: MetaSpec
    subject: SubjectSpec
    summary: SummarySpec
    kinds: list[KindSection]
    notice: NoticeSpec
    #: The theme's VI tokens (colours), filled in by :func:`load_template`.
    vi: dict[str, Any] = Field(default_factory=dict)

    def colour(self, token: str) -> str:
        return str(self.vi[token])


def _check_fields(template: ReportTemplate) -> list[str]:
    problems = []
    for i, section in enumerate(template.kinds):
        known = {spec.key for spec in FIELDS[section.kind]}  # type: ignore[index]
        for key in [section.title_field, *section.fields]:
            if key not in known:
                problems.append(f"kinds[{i}]: {section.kind} 没有字段 {key!r}")
    if sorted(s.kind for s in template.kinds) != sorted(RECORD_KINDS):
        problems.append(f"kinds: 应当各有一节 {', '.join(RECORD_KINDS)}")
    return problems


def load_template(theme_path: Path, vi: dict[str, Any]) -> ReportTemplate:
    """The theme's ``report.toml``, validated; :class:`ConfigError` names every problem."""
    path = theme_path / "report.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([ConfigProblem(path, "-", f"无法读取报告模板：{exc}")]) from exc
    try:
        template = ReportTemplate.model_validate({**data, "vi": dict(vi)})
    except ValidationError as exc:
        raise ConfigError(
            [
                ConfigProblem(path, ".".join(str(p) for p in err["loc"]), err["msg"])
                for err in exc.errors()
            ]
        ) from None
    problems = _check_fields(template)
    if problems:
        raise ConfigError([ConfigProblem(path, p.split(":")[0], p) for p in problems])
    return template
