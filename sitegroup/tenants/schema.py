"""The ``site.toml`` schema: only what differs per site, nothing of the VI."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: Where the 信用查询 pages find the search API when the main site's ``api_url`` is unset:
#: same origin, as ``sitegroup serve`` and the production reverse proxy serve it.
DEFAULT_API_URL = "/api/"
_URL_PATH = r"/(?:[A-Za-z0-9._~%!$&'()*+,;=:@-]+/)*"
_API_URL_RE = re.compile(rf"(?:https?://[A-Za-z0-9.-]+(?::\d+)?)?{_URL_PATH}")

#: Keys a tenant might try in order to restyle its site. They get a dedicated
#: message instead of a bare "unknown key": the VI is group-wide by policy.
VI_KEYS = frozenset(
    {
        "vi",
        "theme",
        "logo",
        "colors",
        "colours",
        "color",
        "fonts",
        "font",
        "font_stack",
        "font_size",
        "css",
        "style",
        "templates",
        "columns",
        "base_columns",
        "name",
        "title",
        "site_name",
    }
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Contact(_Strict):
    """联系方式 shown in the footer."""

    phone: str | None = Field(default=None, max_length=40, description="联系电话")
    email: str | None = Field(default=None, max_length=120, description="电子邮箱")
    address: str | None = Field(default=None, max_length=120, description="通讯地址")


class Filing(_Strict):
    """备案 numbers required on every government website footer."""

    icp: str = Field(min_length=4, max_length=60, description="ICP备案号")
    psb: str | None = Field(default=None, max_length=60, description="公安机关备案号")


class FeatureColumnConfig(_Strict):
    """A local feature column (地方特色栏目), shown after the base columns."""

    id: str = Field(description="lowercase ASCII slug; also the content folder name")
    title: str = Field(min_length=2, max_length=12, description="栏目名称")
    description: str = Field(default="", max_length=200)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value):
            raise ValueError("栏目 id 只能由小写字母、数字和连字符组成")
        return value


class PublishCacheControl(_Strict):
    """Cache-Control per kind of file; unset kinds keep the defaults of ``sitegroup.publish``."""

    assets: str | None = Field(default=None, max_length=200, description="带指纹的主题资源")
    html: str | None = Field(default=None, max_length=200, description="HTML 页面")
    feeds: str | None = Field(default=None, max_length=200, description="RSS/Atom 订阅")
    other: str | None = Field(default=None, max_length=200, description="图片、sitemap 等")

    @field_validator("assets", "html", "feeds", "other")
    @classmethod
    def _header(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9=, _-]+", value):
            raise ValueError(
                f"Cache-Control 只能含字母、数字、=、逗号、空格和连字符，实际为 {value!r}"
            )
        return value


class PublishConfig(_Strict):
    """Where ``sitegroup publish`` puts the built group (group-wide: main site only)."""

    target: str | None = Field(
        default=None, description="file:///目录 或 s3://存储桶/前缀/（可含 {site}）"
    )
    assets_target: str | None = Field(
        default=None, description="共享资源的位置（按站点分桶时必填）"
    )
    endpoint_url: str | None = Field(default=None, description="S3 协议端点，如 MinIO、OSS、COS")
    region: str | None = Field(default=None, max_length=40)
    precompress: bool = Field(default=False, description="文本文件预先 gzip 压缩")
    cloudfront_distribution: str | None = Field(default=None, max_length=40)
    jobs: int = Field(default=16, ge=1, le=256, description="并行上传数")
    cache_control: PublishCacheControl = PublishCacheControl()

    @field_validator("target", "assets_target")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        from sitegroup.publish.targets import parse_target

        if value is not None:
            parse_target(value)  # ValueError names what is wrong
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?/?", value):
            raise ValueError(f"端点应为 http(s)://主机[:端口]，实际为 {value!r}")
        return value


#: Working days from dispatch to conclusion when the main site's ``[cases]`` says nothing.
DEFAULT_DEADLINE_DAYS = {"objection": 7, "complaint": 15}
MAX_DEADLINE_DAYS = 90


def _deadline(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} 应为整数(工作日数)，实际为 {value!r}")
    if not 1 <= value <= MAX_DEADLINE_DAYS:
        raise ValueError(f"{key} 应在 1 到 {MAX_DEADLINE_DAYS} 个工作日之间，实际为 {value}")
    return value


class DeadlineDays(_Strict):
    """Working days from dispatch by which a case must be concluded, per case kind."""

    objection: int = Field(default=DEFAULT_DEADLINE_DAYS["objection"], description="信用异议")
    complaint: int = Field(default=DEFAULT_DEADLINE_DAYS["complaint"], description="失信投诉")

    @field_validator("objection", "complaint", mode="before")
    @classmethod
    def _days(cls, value: Any, info: ValidationInfo) -> int:
        return _deadline(value, f"deadline_days.{info.field_name}")


def _dates(value: Any, key: str) -> tuple[date, ...]:
    """ISO dates, written as TOML dates or as "YYYY-MM-DD" strings."""
    if not isinstance(value, list | tuple):
        raise ValueError(f'{key} 应为日期列表，如 ["2026-10-01"]')
    out = []
    for i, item in enumerate(value):
        if isinstance(item, date) and not hasattr(item, "hour"):
            out.append(item)
            continue
        try:
            if not (isinstance(item, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", item)):
                raise ValueError
            out.append(date.fromisoformat(item))
        except ValueError:
            raise ValueError(
                f"{key}[{i}] 应为 YYYY-MM-DD 格式的日期，实际为 {str(item)!r}"
            ) from None
    return tuple(sorted(set(out)))


class CasesConfig(_Strict):
    """异议投诉 deadlines (group-wide: main site only): working days are Monday to Friday,
    minus the public ``holidays``, plus the make-up working days (调休上班) in ``workdays``."""

    deadline_days: DeadlineDays = Field(
        default=DeadlineDays(), description="办理时限：自分派之日起的工作日数"
    )
    holidays: tuple[date, ...] = Field(default=(), description="法定节假日(不计工作日)")
    workdays: tuple[date, ...] = Field(default=(), description="调休上班日(计为工作日)")

    @field_validator("holidays", "workdays", mode="before")
    @classmethod
    def _iso_dates(cls, value: Any, info: ValidationInfo) -> tuple[date, ...]:
        return _dates(value, str(info.field_name))

    @model_validator(mode="after")
    def _disjoint(self) -> CasesConfig:
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            days = "、".join(d.isoformat() for d in both)
            raise ValueError(f"日期 {days} 同时出现在 holidays 和 workdays 中：一天只能是其中之一")
        return self


class SiteConfig(_Strict):
    """One tenant's ``site.toml``."""

    region_code: str = Field(description="6-digit GB/T 2260 region code")
    url: str = Field(description="absolute site URL, e.g. https://credit.hubei.gov.cn/")
    sponsor: str = Field(min_length=2, max_length=60, description="主办单位")
    organizer: str | None = Field(default=None, max_length=60, description="承办单位")
    short_name: str | None = Field(
        default=None, min_length=2, max_length=10, description="override of the derived short name"
    )
    contact: Contact = Contact()
    filing: Filing
    feature_columns: tuple[FeatureColumnConfig, ...] = ()
    api_url: str | None = Field(
        default=None,
        description="信用查询 API 的地址：以 / 开头的绝对路径或 http(s) 网址，以 / 结尾；"
        "网站群统一配置，只能写在主站的 site.toml 中",
    )
    publish: PublishConfig | None = Field(
        default=None, description="发布目标与缓存策略；网站群统一配置，只能写在主站的 site.toml 中"
    )
    cases: CasesConfig | None = Field(
        default=None,
        description="异议投诉办理时限与节假日；网站群统一配置，只能写在主站的 site.toml 中",
    )

    @field_validator("region_code")
    @classmethod
    def _region_code(cls, value: str) -> str:
        if not re.fullmatch(r"\d{6}", value):
            raise ValueError(f"行政区划代码应为6位数字，实际为 {value!r}")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*)?", value):
            raise ValueError(f"网址应为以 http:// 或 https:// 开头的绝对地址，实际为 {value!r}")
        return value if value.endswith("/") else value + "/"

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is not None and not _API_URL_RE.fullmatch(value):
            raise ValueError(
                "信用查询接口地址应为以 / 开头的绝对路径(如 /api/)或 http:// 、https:// 开头的"
                f"网址，并以 / 结尾，实际为 {value!r}"
            )
        return value
