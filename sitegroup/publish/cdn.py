"""CDN invalidation: the list every publish reports, and the CloudFront call when configured."""

from __future__ import annotations

import hashlib
from typing import Any

from sitegroup.publish.targets import PublishError

#: Above this many paths one wildcard is cheaper and faster than the list (CloudFront
#: allows 3,000 file paths in progress per distribution; each path is billed).
MAX_PATHS = 1000


def cloudfront_batch(paths: list[str]) -> list[str]:
    """The paths to send: the list itself, or ``/*`` when it is long."""
    unique = sorted(set(paths))
    return unique if len(unique) <= MAX_PATHS else ["/*"]


def invalidate_cloudfront(distribution: str, paths: list[str], *, reference: str) -> dict[str, Any]:
    """Ask CloudFront to drop the changed paths (endpoint and credentials as boto3 finds them).

    ``reference`` makes the call idempotent: the same publish retried creates no second
    invalidation.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    items = cloudfront_batch(paths)
    if not items:
        return {"distribution": distribution, "paths": 0}
    caller = hashlib.sha256(f"{reference}|{'|'.join(items)}".encode()).hexdigest()[:32]
    try:
        response = (
            boto3.session.Session()
            .client("cloudfront")
            .create_invalidation(
                DistributionId=distribution,
                InvalidationBatch={
                    "Paths": {"Quantity": len(items), "Items": items},
                    "CallerReference": caller,
                },
            )
        )
    except (BotoCoreError, ClientError) as exc:
        raise PublishError(
            f"文件已发布，但 CloudFront 分发 {distribution} 的缓存刷新失败：{exc}；"
            "刷新列表见发布报告（invalidation）"
        ) from exc
    invalidation = response["Invalidation"]
    return {
        "distribution": distribution,
        "id": invalidation["Id"],
        "status": invalidation["Status"],
        "paths": len(items),
    }
