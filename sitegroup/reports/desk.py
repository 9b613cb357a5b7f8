"""Issuing and verifying credit reports.

Issuing is one transaction: a ledger row takes the next number, the report is rendered
with that number (in the text, the watermark and the QR code), and the row gets the
SHA-256 of the exact PDF and an HMAC over its facts. A failure rolls it all back: nothing
is stored for a report nobody received.

Verifying needs no copy of the PDF. By number and code: the code is an HMAC of the number,
so only the key holder can print a valid one. By upload: the number is read from the
file's metadata and the file's SHA-256 compared with the ledger — one changed byte and
the report is *altered*. A ledger row whose signature does not check (edited in the
database, or written with another key) never verifies as authentic.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import sqlalchemy as sa

from sitegroup.clock import CST, beijing, beijing_iso
from sitegroup.config import Settings, sqlite_path
from sitegroup.errors import SitegroupError
from sitegroup.reports.content import NATURAL, ReportContent, gather
from sitegroup.reports.render import Renderer, ReportMeta
from sitegroup.store.tables import reports
from sitegroup.tenants.registry import Site

__all__ = [
    "CODE_ALPHABET",
    "Issued",
    "KeyMissing",
    "ReportDesk",
    "Signer",
    "Verdict",
    "VerifyInputError",
    "format_code",
    "report_key",
]

log = logging.getLogger(__name__)

NUMBER_PREFIX = "BG"
NUMBER_RE = re.compile(r"^BG\d{8}\d{8,}$")
#: Verification codes: no 0/O, 1/I/L (read from paper and typed by hand).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MIN_KEY_LENGTH = 32
_INFO_NUMBER = re.compile(rb"/ReportNo\s*<FEFF((?:[0-9A-Fa-f]{4}){1,40})>")
VERIFY_PATH = "services/verify/"

Status = Literal["authentic", "altered", "unknown"]


class KeyMissing(SitegroupError):
    """Production mode without a report key: the API refuses to start."""


class VerifyInputError(SitegroupError, ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def report_key(settings: Settings) -> bytes:
    """The HMAC key: from settings; in development, a random one kept beside the store."""
    if settings.report_key is not None:
        key = settings.report_key.get_secret_value()
        if len(key) < MIN_KEY_LENGTH:
            raise KeyMissing(
                f"SITEGROUP_REPORT_KEY 太短（{len(key)} 个字符）：报告签名密钥至少 "
                f"{MIN_KEY_LENGTH} 个字符，可用 python -c 'import secrets; "
                "print(secrets.token_hex(32))' 生成"
            )
        return key.encode()
    if settings.mode == "production":
        raise KeyMissing(
            "生产模式（SITEGROUP_MODE=production）必须设置 SITEGROUP_REPORT_KEY："
            f"信用报告的签名密钥，至少 {MIN_KEY_LENGTH} 个字符，所有 API 实例相同；"
            "可用 python -c 'import secrets; print(secrets.token_hex(32))' 生成"
        )
    store_file = sqlite_path(settings.database_url)
    path = (store_file.parent if store_file else Path("var")) / "report-signing.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        log.warning(
            "开发模式：已生成信用报告签名密钥 %s（生产环境请设置 SITEGROUP_REPORT_KEY）", path
        )
    return path.read_text().strip().encode()


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


class Signer:
    """HMAC-SHA256 with the report key: verification codes and ledger signatures."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self.key_id = hashlib.sha256(b"sitegroup-report-key\x1f" + key).hexdigest()[:16]

    def code(self, report_no: str) -> str:
        digest = hmac.new(self._key, f"code\x1f{report_no}".encode(), hashlib.sha256).digest()
        value = int.from_bytes(digest[:10], "big")
        chars = []
        for _ in range(CODE_LENGTH):
            value, rest = divmod(value, len(CODE_ALPHABET))
            chars.append(CODE_ALPHABET[rest])
        return "".join(chars)

    def sign(self, facts: dict[str, Any]) -> str:
        canonical = json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hmac.new(self._key, canonical.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Issued:
    report_no: str
    code: str
    pdf: bytes
    content: ReportContent


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    message: str
    report: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, **(self.report or {})}


def _facts(row: Any) -> dict[str, Any]:
    """What the signature covers: every column but the signature itself."""
    return {
        "report_no": row.report_no,
        "site": row.site,
        "subject_ref": row.subject_ref,
        "subject_name": row.subject_name,
        "subject_type": row.subject_type,
        "records": row.records,
        "issued_at": beijing_iso(row.issued_at),
        "data_cutoff": beijing_iso(row.data_cutoff) if row.data_cutoff else None,
        "size": row.size,
        "content_sha256": row.content_sha256,
        "key_id": row.key_id,
    }


def _shown(moment: datetime) -> str:
    """A moment as a person reads it on the report (Beijing time, to the second)."""
    return f"{beijing(moment):%Y-%m-%d %H:%M:%S}"


def normalize_code(code: str) -> str:
    return re.sub(r"[\s\-]", "", code).upper()


class ReportDesk:
    """Issues reports for any site of the group and verifies them, with one key."""

    def __init__(
        self,
        engine: sa.Engine,
        sites: dict[str, Site],
        renderer: Renderer | None,
        signer: Signer,
    ) -> None:
        self.engine = engine
        self.sites = sites
        self.renderer = renderer
        self.signer = signer

    def verify_url(self, site: Site, report_no: str, code: str) -> str:
        base = site.url if site.url.endswith("/") else site.url + "/"
        return f"{base}{VERIFY_PATH}?no={report_no}&code={format_code(code)}"

    def issue(self, ref: str, site: Site, now: datetime | None = None) -> Issued:
        """Issue the report on ``ref`` from ``site`` (see :func:`gather` for the errors).

        Three short steps, so no write lock is held while the PDF is drawn (SQLite has one
        writer): read the subject's records in one snapshot; take the number (a ledger row
        without hash or signature); render, then store hash and signature. A failed render
        deletes the row again. A crash between the last two steps leaves a row that never
        verifies (no signature) for a report nobody received.
        """
        if self.renderer is None:
            raise RuntimeError("this desk was opened to verify reports, not to issue them")
        now = now or datetime.now(UTC)
        with self.engine.connect() as conn, conn.begin():
            content = gather(conn, ref, now.astimezone(CST).date())
        facts: dict[str, Any] = {
            "site": site.id,
            "subject_ref": content.subject.ref,
            "subject_name": content.subject.name[:200],
            "subject_type": content.subject.type[:20],
            "records": content.total,
            "issued_at": now,
            "data_cutoff": content.data_cutoff,
            "key_id": self.signer.key_id,
        }
        with self.engine.begin() as conn:
            report_id = conn.execute(
                reports.insert().values(**facts, size=0, content_sha256="", signature="")
            ).inserted_primary_key[0]
            report_no = f"{NUMBER_PREFIX}{now.astimezone(CST):%Y%m%d}{int(report_id):08d}"
            conn.execute(
                reports.update().where(reports.c.id == report_id).values(report_no=report_no)
            )
        code = self.signer.code(report_no)
        try:
            pdf = self.renderer.render(
                content,
                ReportMeta(
                    report_no=report_no,
                    site_name=site.name,
                    issued_at=f"{_shown(now)}（北京时间）",
                    data_cutoff=_shown(content.data_cutoff) if content.data_cutoff else "—",
                    code=format_code(code),
                    verify_url=self.verify_url(site, report_no, code),
                ),
            )
        except BaseException:
            with self.engine.begin() as conn:
                conn.execute(reports.delete().where(reports.c.id == report_id))
            raise
        facts.update(
            report_no=report_no, size=len(pdf), content_sha256=hashlib.sha256(pdf).hexdigest()
        )
        with self.engine.begin() as conn:
            conn.execute(
                reports.update()
                .where(reports.c.id == report_id)
                .values(
                    size=facts["size"],
                    content_sha256=facts["content_sha256"],
                    signature=self.signer.sign(_facts(SimpleNamespace(**facts))),
                )
            )
        return Issued(report_no, code, pdf, content)

    # -- verification --------------------------------------------------------------------

    def _row(self, report_no: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(reports).where(reports.c.report_no == report_no)).first()

    def _public(self, row: Any) -> dict[str, Any]:
        site = self.sites.get(row.site)
        natural = row.subject_type == NATURAL
        return {
            "report_no": row.report_no,
            "subject": {
                "name": row.subject_name,
                "type": row.subject_type,
                "code": "" if natural else row.subject_ref,
            },
            "site": {"id": row.site, "name": site.name if site else row.site},
            "issued_at": beijing_iso(row.issued_at),
            "data_cutoff": beijing_iso(row.data_cutoff) if row.data_cutoff else None,
            "records": row.records,
        }

    def _signed(self, row: Any) -> bool:
        return row.key_id == self.signer.key_id and hmac.compare_digest(
            row.signature, self.signer.sign(_facts(row))
        )

    def check_code(self, report_no: str, code: str) -> Verdict | None:
        """The verdict on a number and code, or None (unknown number or wrong code: the two
        are never told apart). :class:`VerifyInputError` for malformed input."""
        report_no = report_no.strip().upper()
        if not NUMBER_RE.match(report_no):
            raise VerifyInputError(
                "report_no", f"报告编号“{report_no[:30]}”格式不正确：应为 BG 加 16 位数字"
            )
        code = normalize_code(code)
        if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
            raise VerifyInputError(
                "code", "核验码格式不正确：应为报告首页印制的 8 位字母数字（如 7KQ2-M9XD）"
            )
        row = self._row(report_no)
        if row is None or not hmac.compare_digest(code, self.signer.code(report_no)):
            return None
        if not self._signed(row):
            return Verdict(
                "altered",
                "该报告的登记信息签名不符（登记信息被改动或由其他密钥签发），不能证明报告真实，"
                "请联系出具网站",
                self._public(row),
            )
        return Verdict("authentic", "报告真实有效：编号、核验码与登记信息一致", self._public(row))

    def check_file(self, data: bytes) -> Verdict:
        """The verdict on an uploaded PDF (already checked to be a PDF within limits)."""
        found = _INFO_NUMBER.search(data)
        if found is None:
            return Verdict(
                "unknown",
                "文件中没有信用中国网站群信用报告的编号，无法核验：不是本网站群出具的报告",
            )
        try:
            report_no = bytes.fromhex(found.group(1).decode()).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            report_no = ""
        row = self._row(report_no) if NUMBER_RE.match(report_no) else None
        if row is None:
            return Verdict(
                "unknown",
                f"没有编号为 {report_no[:30] or '（无法识别）'} 的报告登记：不是本网站群出具的报告",
            )
        details = self._public(row)
        if not self._signed(row):
            return Verdict(
                "altered",
                "该报告的登记信息签名不符（登记信息被改动或由其他密钥签发），不能证明报告真实",
                details,
            )
        if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), row.content_sha256):
            return Verdict(
                "altered",
                f"报告 {report_no} 的文件内容与出具时不一致：文件已被改动，内容不可信",
                details,
            )
        return Verdict("authentic", f"报告 {report_no} 真实有效：文件与出具时完全一致", details)
