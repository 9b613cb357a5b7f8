"""From the group's ``[publish]`` config and command-line overrides to a layout and rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sitegroup.publish.headers import DEFAULT_CACHE_CONTROL, HeaderRules
from sitegroup.publish.targets import Layout, S3Options, parse_target

#: Where ``sitegroup publish`` writes without any configuration: a folder for nginx.
DEFAULT_TARGET = "public"


@dataclass(frozen=True)
class PublishSetup:
    layout: Layout
    rules: HeaderRules
    jobs: int
    cloudfront: str | None


def publish_setup(
    config: Any = None,
    *,
    target: str | None = None,
    assets_target: str | None = None,
    endpoint_url: str | None = None,
    precompress: bool | None = None,
    jobs: int | None = None,
    cloudfront: str | None = None,
) -> PublishSetup:
    """Command-line values win over the config, the config over the defaults.

    Raises ValueError (with the offending value named) for a bad target.
    """

    def pick(value: Any, key: str, default: Any = None) -> Any:
        if value is not None:
            return value
        configured = getattr(config, key, None) if config is not None else None
        return configured if configured is not None else default

    cache = dict(DEFAULT_CACHE_CONTROL)
    if config is not None:
        cache.update({k: v for k, v in config.cache_control.model_dump().items() if v})
    rules = HeaderRules(cache_control=cache, precompress=bool(pick(precompress, "precompress")))
    n_jobs = int(pick(jobs, "jobs", 16))
    url = parse_target(pick(target, "target", DEFAULT_TARGET))
    assets_text = pick(assets_target, "assets_target")
    s3 = S3Options(
        endpoint_url=pick(endpoint_url, "endpoint_url"), region=pick(None, "region"), jobs=n_jobs
    )
    layout = Layout(
        url,
        assets_url=parse_target(assets_text) if assets_text else None,
        s3=s3,
        rules=rules,
    )
    return PublishSetup(layout, rules, n_jobs, pick(cloudfront, "cloudfront_distribution"))
