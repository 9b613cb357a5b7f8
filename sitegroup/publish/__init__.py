"""``sitegroup publish``: built sites to a local folder or S3-protocol storage behind a CDN."""

from sitegroup.publish.headers import HeaderRules, content_type, headers_for
from sitegroup.publish.runner import (
    MANIFEST,
    PublishResult,
    RetryPolicy,
    journal_path,
    publish_group,
    read_manifest,
)
from sitegroup.publish.targets import Layout, PublishError, S3Options, TargetURL, parse_target

__all__ = [
    "MANIFEST",
    "HeaderRules",
    "Layout",
    "PublishError",
    "PublishResult",
    "RetryPolicy",
    "S3Options",
    "TargetURL",
    "content_type",
    "headers_for",
    "journal_path",
    "parse_target",
    "publish_group",
    "read_manifest",
]
