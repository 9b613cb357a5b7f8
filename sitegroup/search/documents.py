"""What the search index holds for a record: its public view plus the keys to find and order it.

An :class:`IndexDoc` is computed once here and stored by every backend the same way, so
the backends cannot disagree about what matches or in which order.

Order (documented in ``docs/search.md``):

* ``rank`` — name matches: shorter names first (the query covers more of the name, and an
  exact name match is the shortest possible), then newest decision, then a fixed
  per-record tie-breaker. Packed into one 63-bit integer so the embedded index can use it
  as the row id and read matches in order without a sort.
* ``newest`` — everything else (codes, document numbers, browsing): newest decision first,
  then the same tie-breaker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sitegroup.models.records import RECORD_KINDS, Record, RecordKind, public_record
from sitegroup.models.uscc import is_valid_uscc
from sitegroup.partition import region_path
from sitegroup.regions import NATIONAL_CODE, RegionTable
from sitegroup.search.text import bigram_tokens, normalize

__all__ = [
    "EPOCH",
    "KIND_INDEX",
    "MAX_NAME_LEN",
    "IndexDoc",
    "day_number",
    "doc_id",
    "doc_key",
    "index_doc",
]

EPOCH = date(1970, 1, 1)
MAX_NAME_LEN = 127
KIND_INDEX: dict[RecordKind, int] = {kind: i for i, kind in enumerate(RECORD_KINDS)}
_SEQ_BITS = 38
_DAY_BITS = 16


def doc_id(key: str) -> str:
    """The ``[a-z0-9]`` document id of a record key."""
    return "r" + hashlib.sha256(key.encode()).hexdigest()[:32]


def day_number(day: date) -> int:
    """Days since 1970-01-01 (what the index stores and filters dates by)."""
    return (day - EPOCH).days


def doc_key(document_no: str) -> str:
    """The lookup key of a 决定文书号: bracket style, spaces and case do not matter."""
    norm = normalize(document_no)
    return "d" + hashlib.sha256(norm.encode()).hexdigest()[:24] if norm else ""


@dataclass(frozen=True, slots=True)
class IndexDoc:
    """One record as every search backend stores it."""

    key: str
    """The record key (store identity)."""
    doc_id: str
    """``[a-z0-9]`` id derived from the key (Meilisearch ids are restricted)."""
    kind: RecordKind
    code: str
    """Subject code, upper case ("" for natural persons: never an ID number)."""
    doc_key: str
    regions: tuple[str, ...]
    """The record's region and the regions above it, without the nation (nearest first)."""
    name_len: int
    day: int
    seq: int
    tokens: tuple[str, ...]
    data: dict[str, Any]
    """The public view returned to callers (ID numbers masked), plus ``region_name``."""

    @property
    def kind_index(self) -> int:
        return KIND_INDEX[self.kind]

    @property
    def rank(self) -> int:
        """(name length, newest, tie-breaker, kind) packed in 63 bits; smaller ranks first."""
        inverted_day = (1 << _DAY_BITS) - 1 - self.day
        return (
            (self.name_len << (_DAY_BITS + _SEQ_BITS + 2))
            | (inverted_day << (_SEQ_BITS + 2))
            | (self.seq << 2)
            | self.kind_index
        )

    @property
    def newest(self) -> int:
        """(newest, tie-breaker, kind) packed; smaller first."""
        inverted_day = (1 << _DAY_BITS) - 1 - self.day
        return (inverted_day << (_SEQ_BITS + 2)) | (self.seq << 2) | self.kind_index


def region_name(code: str) -> str:
    """Full name of a region with its parents (浙江省金华市义乌市), or the code if unknown."""
    table = RegionTable.default()
    region = table.get(code)
    if region is None:
        return code
    names = [r.name for r in table.ancestors(code) if r.code != NATIONAL_CODE]
    return "".join([*reversed(names), region.name])


def index_doc(record: Record) -> IndexDoc:
    """The index document of a stored record (whatever its status: callers filter)."""
    digest = hashlib.sha256(record.key.encode()).hexdigest()
    name = normalize(record.subject_name)
    data = public_record(record)
    code = data["subject_code"].upper() if is_valid_uscc(data["subject_code"]) else ""
    data["region_name"] = region_name(record.region_code)
    return IndexDoc(
        key=record.key,
        doc_id=doc_id(record.key),
        kind=record.kind,
        code=code or data["subject_code"].upper(),
        doc_key=doc_key(record.document_no),
        regions=tuple(c for c in region_path(record.region_code) if c != NATIONAL_CODE),
        name_len=min(len(name), MAX_NAME_LEN),
        # The packed rank keeps 16 bits of day: 1970-01-01 … 2149-06-06; anything outside
        # (a typo such as 1905) is clamped the same way on every backend.
        day=min(max(day_number(record.decided_on), 0), (1 << _DAY_BITS) - 1),
        seq=int(digest[32:42], 16) & ((1 << _SEQ_BITS) - 1),
        tokens=tuple(bigram_tokens(name)),
        data=data,
    )
