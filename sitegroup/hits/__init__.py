"""The click tracker: page views of every site counted once per visitor and page in 30 minutes,
aggregated per site, page and minute; statistics for one site, a site with its descendants,
or the whole group. See ``docs/stats.md``.
"""

from sitegroup.hits.buffer import HitBuffer, HitBufferFull
from sitegroup.hits.ledger import HitLedger
from sitegroup.hits.visits import Hit, HitError, HitRules, is_bot

__all__ = ["Hit", "HitBuffer", "HitBufferFull", "HitError", "HitLedger", "HitRules", "is_bot"]
