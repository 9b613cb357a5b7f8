"""Local handling (属地办理): what a handler sees and does, and the audit entry of each step.

States: 已受理 → 已分派 → 办理中 → 已办结 (维持/更正/撤销, or 查证属实/查无实据) → 已反馈,
plus 转办 (back to 已分派 at another site) and internal 备注. Every step is one transaction:
the guarded status update (``… WHERE status = <expected>``, so of two handlers acting at
once only one succeeds), its ``case_events`` row and its audit entry.

A handler sees the cases (and records) of its site's region and of the regions below it. A
case outside answers exactly like a missing one, so numbers cannot be probed; the attempt
is audited as ``denied``. Every request takes the audit lock first (see
:func:`sitegroup.cases.audit.lock`), so what it reads and what it logs agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from sitegroup import clock
from sitegroup.cases import audit
from sitegroup.cases.calendar import days_overdue
from sitegroup.cases.desk import CaseDesk
from sitegroup.cases.handlers import Handler, region_clause
from sitegroup.cases.model import (
    ACTION_LABELS,
    ANSWERED,
    CASE_KINDS,
    CONCLUDED,
    DISPATCHED,
    IN_PROGRESS,
    RECEIVED,
    REPAIR_RESULTS,
    RESULTS,
    STATUS_LABELS,
    clean_text,
)
from sitegroup.clock import beijing_iso
from sitegroup.regions import RegionTable
from sitegroup.search import SearchBackend
from sitegroup.store import Store
from sitegroup.store.tables import case_attachments, case_events, cases, records
from sitegroup.tenants.registry import Group, Site

CASE_NOT_FOUND = "没有找到本地区的案件 {number}"
RECORD_NOT_FOUND = "没有找到本地区的信用记录 {key}"
COMMENT_MAX = 2000
PAGE_SIZE_MAX = 100
CLOSED = frozenset({CONCLUDED, ANSWERED})
#: The submitter's fields in ``cases.data`` (beside the subject's name and code).
SUBMITTED_FIELDS = ("record", "reason", "correction", "contact_name", "phone", "email")


class HandlingError(Exception):
    """A handler request refused; ``status`` is the HTTP status the API answers with."""

    status = 400
    code = "handling_error"

    def __init__(
        self, message: str, field: str | None = None, problems: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems = problems or ({field: message} if field else {})


class CaseMissing(HandlingError):
    status, code = 404, "case_not_found"


class RecordMissing(HandlingError):
    status, code = 404, "record_not_found"


class AttachmentMissing(HandlingError):
    status, code = 404, "attachment_not_found"


class TransitionRefused(HandlingError):
    """The action is not allowed in the case's current state."""

    status, code = 409, "illegal_transition"


class ConcurrentChange(HandlingError):
    """Another handler changed the case between reading and writing it."""

    status, code = 409, "case_changed"


class InvalidAction(HandlingError):
    status, code = 422, "invalid_action"


@dataclass(frozen=True)
class Actor:
    """Who makes a request, and from where (the audit log's 办理人 and 来源地址)."""

    handler: Handler
    client: str


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str | None  # None: the status stays


TRANSITIONS: dict[str, Transition] = {
    "start": Transition(ACTION_LABELS["start"], frozenset({DISPATCHED}), IN_PROGRESS),
    "conclude": Transition(ACTION_LABELS["conclude"], frozenset({IN_PROGRESS}), CONCLUDED),
    "answer": Transition(ACTION_LABELS["answer"], frozenset({CONCLUDED}), ANSWERED),
    "forward": Transition(
        ACTION_LABELS["forward"], frozenset({DISPATCHED, IN_PROGRESS}), DISPATCHED
    ),
    "note": Transition(
        ACTION_LABELS["note"], frozenset({RECEIVED, DISPATCHED, IN_PROGRESS, CONCLUDED}), None
    ),
}
#: What ``comment`` means for each action, and whether it is required.
COMMENTS: dict[str, tuple[str, bool]] = {
    "start": ("办理说明", False),
    "conclude": ("办结意见", True),
    "answer": ("答复内容", True),
    "forward": ("转办理由", True),
    "note": ("备注内容", True),
}


def allowed_actions(status: str) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]


def _choices(kind: str) -> str:
    return "、".join(f"{code}（{label}）" for code, label in RESULTS[kind].items())


@dataclass(frozen=True)
class ActionRequest:
    """A validated handler action."""

    action: str
    comment: str
    result: str | None = None
    changes: Mapping[str, str] | None = None
    to_site: str | None = None


def _absent(value: Any) -> bool:
    return value is None or value == "" or value == {}


def parse_action(raw: Mapping[str, Any], case: Any, group: Group) -> ActionRequest:
    """Check an action against the case's state (409) and its fields (422), in that order."""
    action = raw.get("action")
    if not isinstance(action, str) or action not in TRANSITIONS:
        known = "、".join(f"{n}（{t.label}）" for n, t in TRANSITIONS.items())
        shown = str(action)[:20] if action is not None else ""
        raise InvalidAction(f"未知操作 action“{shown}”：可选 {known}", "action")
    transition = TRANSITIONS[action]
    if case.status not in transition.sources:
        allowed = "、".join(TRANSITIONS[a].label for a in allowed_actions(case.status)) or "无"
        raise TransitionRefused(
            f"当前状态为“{STATUS_LABELS[case.status]}”，不能执行“{transition.label}”；"
            f"可执行：{allowed}",
            "action",
        )
    label, required = COMMENTS[action]
    comment = raw.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise InvalidAction(f"{label}(comment)应为文字", "comment")
    comment = clean_text(comment or "")
    if required and not comment:
        raise InvalidAction(f"请填写{label}(comment)", "comment")
    if len(comment) > COMMENT_MAX:
        raise InvalidAction(
            f"{label}(comment)过长：最多 {COMMENT_MAX} 个字，实际 {len(comment)} 个", "comment"
        )
    result = raw.get("result")
    changes = raw.get("changes")
    to_site = raw.get("to_site")
    if action != "conclude" and not _absent(result):
        raise InvalidAction("只有办结(conclude)需要办结结果 result", "result")
    if action == "conclude":
        if _absent(result):
            raise InvalidAction(f"请选择办结结果(result)：可选 {_choices(case.kind)}", "result")
        if not isinstance(result, str) or result not in RESULTS[case.kind]:
            other = next((k for k, r in RESULTS.items() if result in r), None)
            if other is not None:
                raise InvalidAction(
                    f"办结结果 result“{result}”（{RESULTS[other][result]}）只适用于"
                    f"{CASE_KINDS[other]}；{CASE_KINDS[case.kind]}可选 {_choices(case.kind)}",
                    "result",
                )
            raise InvalidAction(
                f"未知办结结果 result“{str(result)[:20]}”：{CASE_KINDS[case.kind]}可选 "
                f"{_choices(case.kind)}",
                "result",
            )
    if result == "correct":
        if not isinstance(changes, dict) or not changes:
            raise InvalidAction(
                "更正(correct)需提供 changes：要更正的信用记录字段及其新值，"
                '如 {"content": "更正后的处罚内容"}',
                "changes",
            )
        for name, value in changes.items():
            if not isinstance(value, str):
                raise InvalidAction(f"changes 中字段 {name} 的新值应为文字", f"changes.{name}")
    elif not _absent(changes):
        raise InvalidAction("只有办结结果为更正(correct)时才提供 changes", "changes")
    if action == "forward":
        if not isinstance(to_site, str) or not to_site.strip():
            raise InvalidAction("请选择转办站点(to_site)", "to_site")
        to_site = to_site.strip()
        if to_site not in group:
            raise InvalidAction(
                f"未知站点 to_site“{to_site[:40]}”：请填写网站群中的站点标识", "to_site"
            )
        if group[to_site].region_code == case.region_code:
            raise InvalidAction(
                f"案件已由{group[to_site].name}办理：请选择另一个站点转办", "to_site"
            )
    elif not _absent(to_site):
        raise InvalidAction("只有转办(forward)需要转办站点 to_site", "to_site")
    return ActionRequest(
        action,
        comment,
        result=result if action == "conclude" else None,
        changes=dict(changes) if result == "correct" else None,
        to_site=to_site if action == "forward" else None,
    )


def _number(number: str) -> str:
    return number.strip().upper()[:32]


class HandlingDesk:
    """Every handler request, over one store: reads, actions, downloads, record views."""

    def __init__(
        self,
        store: Store,
        group: Group,
        regions: RegionTable | None = None,
        *,
        index: SearchBackend | None = None,
        desk: CaseDesk | None = None,
    ) -> None:
        self.store = store
        self.engine = store.engine
        self.group = group
        self.regions = regions or RegionTable.default()
        self.index = index
        #: The intake desk: who handles a region, and the case header both sides show.
        self._dispatch = desk or CaseDesk(self.engine, group, self.regions)

    def site_of(self, region_code: str) -> Site:
        """The site handling cases of ``region_code``."""
        return self._dispatch.handler_for(region_code)

    # -- the pieces of an answer --------------------------------------------------------

    def _summary(self, row: Any, today: date) -> dict[str, Any]:
        overdue = row.status not in CLOSED and row.due_on is not None and row.due_on < today
        intake = self.group.sites.get(row.intake_site)
        return {
            **self._dispatch.header(row),
            "intake_site": {"site": row.intake_site, "name": intake.name if intake else ""},
            "region_code": row.region_code,
            "overdue": overdue,
            "days_overdue": days_overdue(row.due_on, today) if overdue else 0,
        }

    def _detail(self, conn: sa.Connection, row: Any, today: date) -> dict[str, Any]:
        files = conn.execute(
            sa.select(
                case_attachments.c.id,
                case_attachments.c.name,
                case_attachments.c.media_type,
                case_attachments.c.size,
                case_attachments.c.sha256,
            )
            .where(case_attachments.c.case_id == row.id)
            .order_by(case_attachments.c.id)
        ).all()
        events = conn.execute(
            sa.select(case_events).where(case_events.c.case_id == row.id).order_by(case_events.c.id)
        ).all()
        data = row.data or {}
        result = data.get("result")
        return {
            **self._summary(row, today),
            "subject_code": row.subject_code,
            "submitted": {k: data.get(k, "") for k in SUBMITTED_FIELDS},
            "record": (
                {"key": row.record_key, "url": f"/api/handler/records/{row.record_key}"}
                if row.record_key
                else None
            ),
            "attachments": [
                {
                    "id": f.id,
                    "name": f.name,
                    "media_type": f.media_type,
                    "size": f.size,
                    "sha256": f.sha256,
                    "url": f"/api/handler/cases/{row.number}/attachments/{f.id}",
                }
                for f in files
            ],
            "events": [
                {
                    "id": e.id,
                    "at": beijing_iso(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "action_label": ACTION_LABELS.get(e.action, e.action),
                    "status": e.status,
                    "status_label": STATUS_LABELS[e.status],
                    "region_code": e.region_code,
                    "comment": e.comment,
                    "internal": bool(e.internal),
                }
                for e in events
            ],
            "result": result,
            "reply": data.get("reply"),
            "allowed_actions": [
                {"action": a, "label": TRANSITIONS[a].label} for a in allowed_actions(row.status)
            ],
        }

    # -- access -------------------------------------------------------------------------

    @staticmethod
    def _load(conn: sa.Connection, number: str) -> Any:
        return conn.execute(sa.select(cases).where(cases.c.number == number)).first()

    def _deny(
        self, conn: sa.Connection, actor: Actor, number: str, purpose: str, row: Any, now: datetime
    ) -> CaseMissing:
        """Audit a request for a case the actor may not see; the error says only "not found"."""
        why = (
            "案件不存在"
            if row is None
            else f"案件由{self.site_of(row.region_code).name}办理，不在本地区"
        )
        self._log(conn, actor, "denied", number, f"{purpose}：{why}", now)
        return CaseMissing(CASE_NOT_FOUND.format(number=number), "number")

    def _visible(self, actor: Actor, row: Any) -> bool:
        return row is not None and actor.handler.covers(row.region_code)

    @staticmethod
    def _log(
        conn: sa.Connection, actor: Actor, action: str, target: str, detail: str, now: datetime
    ) -> None:
        audit.append(
            conn,
            handler=actor.handler,
            action=action,
            target=target,
            detail=detail,
            client=actor.client,
            at=now,
        )

    # -- reads --------------------------------------------------------------------------

    def me(self, actor: Actor, *, now: datetime | None = None) -> dict[str, Any]:
        handler = actor.handler
        site = self.group.sites.get(handler.site)
        region = self.regions.get(handler.region_code)
        with self.engine.begin() as conn:
            self._log(conn, actor, "me", f"handler:{handler.id}", "查看本人账号", now or _now())
        return {
            "id": handler.id,
            "name": handler.name,
            "site": {"site": handler.site, "name": site.name if site else ""},
            "region_code": handler.region_code,
            "region_name": region.name if region else "",
        }

    def list_cases(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        kind: str | None = None,
        overdue: bool = False,
        page: int = 1,
        size: int = 20,
        now: datetime | None = None,
        today: date | None = None,
    ) -> dict[str, Any]:
        """The cases of the actor's region, newest first (overdue ones: oldest due first)."""
        if status and status not in STATUS_LABELS:
            raise InvalidAction(
                f"未知状态 status“{status[:20]}”：可选 {', '.join(STATUS_LABELS)}", "status"
            )
        if kind and kind not in CASE_KINDS:
            raise InvalidAction(f"未知类别 kind“{kind[:20]}”：可选 objection、complaint", "kind")
        if not 1 <= page <= 100_000:
            raise InvalidAction("页码 page 应为 1 到 100000 的整数", "page")
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise InvalidAction(f"每页条数 size 应为 1 到 {PAGE_SIZE_MAX} 的整数", "size")
        now = now or _now()
        today = today or clock.today()
        where = [region_clause(cases.c.region_code, actor.handler.region_code)]
        if status:
            where.append(cases.c.status == status)
        if kind:
            where.append(cases.c.kind == kind)
        if overdue:
            where += [cases.c.status.not_in(sorted(CLOSED)), cases.c.due_on < today]
            order = [cases.c.due_on, cases.c.id]
        else:
            order = [cases.c.received_at.desc(), cases.c.id.desc()]
        filters = {"status": status, "kind": kind, "overdue": overdue or None}
        target = "&".join(
            f"{k}={v}" for k, v in [*filters.items(), ("page", page), ("size", size)] if v
        )
        with self.engine.begin() as conn:
            audit.lock(conn)
            total = conn.execute(sa.select(sa.func.count()).where(*where)).scalar_one()
            rows = conn.execute(
                sa.select(cases)
                .where(*where)
                .order_by(*order)
                .limit(size)
                .offset((page - 1) * size)
            ).all()
            self._log(
                conn,
                actor,
                "list",
                target,
                f"案件列表：第 {page} 页 {len(rows)} 件，共 {total} 件",
                now,
            )
        return {
            "total": int(total),
            "page": page,
            "size": size,
            "cases": [self._summary(r, today) for r in rows],
        }

    def detail(
        self, actor: Actor, number: str, *, now: datetime | None = None, today: date | None = None
    ) -> dict[str, Any]:
        """Everything about a case: the submission with its contact, the record, the files,
        every event (internal notes too) and the actions allowed next."""
        number = _number(number)
        now = now or _now()
        with self.engine.begin() as conn:
            audit.lock(conn)
            row = self._load(conn, number)
            if not self._visible(actor, row):
                denied = self._deny(conn, actor, number, "查看案件详情", row, now)
            else:
                denied = None
                self._log(conn, actor, "read", number, "查看案件详情（含联系方式与内部备注）", now)
                body = self._detail(conn, row, today or clock.today())
        if denied is not None:
            raise denied
        return body

    def attachment(
        self, actor: Actor, number: str, attachment_id: int, *, now: datetime | None = None
    ) -> tuple[str, str, bytes]:
        """(name, media type, bytes) of a file of a case in the actor's region."""
        number = _number(number)
        now = now or _now()
        error: HandlingError | None = None
        with self.engine.begin() as conn:
            audit.lock(conn)
            row = self._load(conn, number)
            if not self._visible(actor, row):
                error = self._deny(conn, actor, number, f"下载附件 #{attachment_id}", row, now)
            else:
                file = conn.execute(
                    sa.select(case_attachments).where(
                        case_attachments.c.id == attachment_id,
                        case_attachments.c.case_id == row.id,
                    )
                ).first()
                if file is None:
                    self._log(
                        conn, actor, "refused", number, f"下载附件 #{attachment_id}：不存在", now
                    )
                    error = AttachmentMissing(
                        f"案件 {number} 没有编号为 {attachment_id} 的附件", "attachment"
                    )
                else:
                    detail = f"下载附件 #{file.id} {file.name}（{file.size} 字节）"
                    self._log(conn, actor, "download", number, detail, now)
        if error is not None:
            raise error
        return file.name, file.media_type, bytes(file.content)

    def record(self, actor: Actor, key: str, *, now: datetime | None = None) -> dict[str, Any]:
        """A record's full stored data (unmasked, for verification) and its versions."""
        key = key.strip()[:80]
        now = now or _now()
        with self.engine.begin() as conn:
            audit.lock(conn)
            region = conn.execute(
                sa.select(records.c.region_code).where(records.c.key == key)
            ).scalar()
            visible = region is not None and actor.handler.covers(region)
            if visible:
                self._log(conn, actor, "record", key, "查看信用记录全文（未脱敏）及历史版本", now)
            else:
                why = "记录不存在" if region is None else f"记录属地区 {region}，不在本地区"
                self._log(conn, actor, "denied", key, f"查看信用记录全文：{why}", now)
        if not visible:
            raise RecordMissing(RECORD_NOT_FOUND.format(key=key), "key")
        stored = self.store.get_record(key)
        if stored is None:  # pragma: no cover - records are never deleted
            raise RecordMissing(RECORD_NOT_FOUND.format(key=key), "key")
        return {
            "key": key,
            "kind": stored.record.kind,
            "status": stored.status,
            "version": stored.version,
            "region_code": stored.record.region_code,
            "data": stored.record.to_json(),
            "history": [
                {
                    "version": v["version"],
                    "status": v["status"],
                    "push_id": v["push_id"],
                    "recorded_at": beijing_iso(v["recorded_at"]),
                    "content_hash": v["content_hash"],
                    "data": v["data"],
                }
                for v in self.store.record_history(key)
            ],
        }

    def overdue(self, region_code: str, *, today: date | None = None) -> list[dict[str, Any]]:
        """Open cases of a region past their due date, oldest due first (the operator's
        view: ``sitegroup cases overdue``; not a handler request, so not audited)."""
        today = today or clock.today()
        query = (
            sa.select(cases)
            .where(
                region_clause(cases.c.region_code, region_code),
                cases.c.status.not_in(sorted(CLOSED)),
                cases.c.due_on < today,
            )
            .order_by(cases.c.due_on, cases.c.id)
        )
        with self.engine.connect() as conn:
            return [self._summary(r, today) for r in conn.execute(query)]

    # -- actions ------------------------------------------------------------------------

    def act(
        self,
        actor: Actor,
        number: str,
        raw: Mapping[str, Any],
        *,
        now: datetime | None = None,
        today: date | None = None,
    ) -> dict[str, Any]:
        """Validate and apply one action; answers the updated detail.

        A 更正/撤销 conclusion repairs the record first (its own push transaction), then
        writes the transition: the repair is idempotent, so retrying after a failure between
        the two is safe.
        """
        number = _number(number)
        now = now or _now()
        today = today or clock.today()
        case, request = self._check(actor, number, raw, now)
        repair = None
        if request.result in REPAIR_RESULTS:
            repair = self._repair(actor, case, request, now, today)
        return self._apply(actor, case, request, now=now, today=today, repair=repair)

    def _refuse(
        self, actor: Actor, number: str, error: HandlingError, label: str, now: datetime
    ) -> HandlingError:
        with self.engine.begin() as conn:
            self._log(conn, actor, "refused", number, f"{label}：{error.message}", now)
        return error

    def _check(
        self, actor: Actor, number: str, raw: Mapping[str, Any], now: datetime
    ) -> tuple[Any, ActionRequest]:
        """The case as it is now and the validated request; refusals are audited."""
        action = raw.get("action")
        label = TRANSITIONS[action].label if action in TRANSITIONS else f"操作 {str(action)[:20]}"
        error: HandlingError | None = None
        with self.engine.begin() as conn:
            audit.lock(conn)
            row = self._load(conn, number)
            if not self._visible(actor, row):
                error = self._deny(conn, actor, number, label, row, now)
            else:
                try:
                    request = parse_action(raw, row, self.group)
                except HandlingError as exc:
                    self._log(conn, actor, "refused", number, f"{label}：{exc.message}", now)
                    error = exc
        if error is not None:
            raise error
        return row, request

    def _repair(
        self, actor: Actor, case: Any, request: ActionRequest, now: datetime, today: date
    ) -> dict[str, Any]:
        from sitegroup.cases.repair import RepairError, apply_repair

        if not case.record_key:  # pragma: no cover - every objection names its record
            raise self._refuse(
                actor,
                case.number,
                InvalidAction("该案件没有关联的信用记录，不能更正或撤销", "result"),
                "办结",
                now,
            )
        try:
            outcome = apply_repair(
                self.store,
                self.group,
                record_key=case.record_key,
                result=request.result,  # type: ignore[arg-type]
                changes=request.changes or {},
                case_number=case.number,
                today=today,
                index=self.index,
                regions=self.regions,
            )
        except RepairError as exc:
            error = InvalidAction(str(exc), exc.field, dict(exc.problems))
            raise self._refuse(actor, case.number, error, "办结", now) from exc
        return {
            "push_id": outcome.push_id,
            "changed": outcome.changed,
            "affected": outcome.affected,
            "index_error": outcome.index_error,
        }

    def _apply(
        self,
        actor: Actor,
        case: Any,
        request: ActionRequest,
        *,
        now: datetime,
        today: date,
        repair: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write the transition if the case is still as ``case`` saw it, else 409."""
        transition = TRANSITIONS[request.action]
        status = transition.target or case.status
        region = case.region_code
        comment = request.comment
        data = dict(case.data or {})
        detail = transition.label
        if request.action == "forward":
            source, target = self.site_of(case.region_code), self.group[request.to_site or ""]
            region = target.region_code
            comment = f"由{source.name}转办至{target.name}：{request.comment}"
            detail = f"转办：{source.name} → {target.name}"
        elif request.action == "conclude":
            assert request.result is not None
            label = RESULTS[case.kind][request.result]
            data["result"] = {"code": request.result, "label": label, **(repair or {})}
            detail = f"办结：{label}"
            if repair:
                detail += f"；信用修复推送 #{repair['push_id']}"
        elif request.action == "answer":
            data["reply"] = request.comment
        error: HandlingError | None = None
        with self.engine.begin() as conn:
            audit.lock(conn)
            done = conn.execute(
                cases.update()
                .where(
                    cases.c.id == case.id,
                    cases.c.status == case.status,
                    cases.c.region_code == case.region_code,
                )
                .values(status=status, region_code=region, updated_at=now, data=data)
            ).rowcount
            if done != 1:
                current = self._load(conn, case.number)
                state = STATUS_LABELS[current.status] if current else "未知"
                error = ConcurrentChange(
                    f"案件 {case.number} 刚被其他办理人处理（现为“{state}”）：请刷新后再试",
                    "action",
                )
                self._log(conn, actor, "refused", case.number, f"{transition.label}：{error}", now)
            else:
                conn.execute(
                    case_events.insert().values(
                        case_id=case.id,
                        at=now,
                        actor=actor.handler.name,
                        action=request.action,
                        status=status,
                        region_code=region,
                        comment=comment,
                        internal=request.action == "note",
                    )
                )
                self._log(conn, actor, request.action, case.number, detail, now)
                row = self._load(conn, case.number)
                if actor.handler.covers(region):
                    body = self._detail(conn, row, today)
                else:
                    body = {
                        **self._summary(row, today),
                        "visible": False,
                        "message": f"已转办至{self.site_of(region).name}，本地区不再可见",
                    }
        if error is not None:
            raise error
        return body


def _now() -> datetime:
    return datetime.now(UTC)
