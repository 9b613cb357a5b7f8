"""In-memory batching of accepted hits, flushed to the store at least every second.

Requests only append to a list; a background thread swaps the list out and counts it in one
transaction. If the store is down, the batch goes back to the front of the queue and is
retried at the next tick; past ``max_pending`` waiting hits new ones are refused (HTTP 503)
instead of dropped. ``close()`` (the API's shutdown) flushes everything that is waiting.

What a hard crash (SIGKILL, power loss) can lose: the hits of one worker that arrived since
its last flush — at most ``interval`` seconds of them, plus a batch whose transaction had not
committed yet. Nothing that was flushed is lost or counted twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sitegroup.hits.ledger import FlushOutcome, HitLedger
from sitegroup.hits.visits import Hit, day_of, minute_of

log = logging.getLogger("sitegroup.hits")

#: Seconds between dedup-window and salt clean-ups.
PRUNE_EVERY = 60.0


class HitBufferFull(RuntimeError):
    """Too many hits wait for a store that does not answer."""


class HitBuffer:
    """Batches hits for one process; the flusher thread starts with the first hit."""

    def __init__(
        self,
        ledger: HitLedger,
        *,
        interval: float = 1.0,
        max_pending: int = 200_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        self.interval = interval
        self.max_pending = max_pending
        self.clock = clock
        self._pending: list[Hit] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = 0.0
        self.received = 0
        self.counted = 0
        self.failures = 0

    # -- the request side -------------------------------------------------------------

    def cached_salt(self, now: float) -> str | None:
        """Today's salt if this worker has it (no store access)."""
        return self.ledger.cached_salt(day_of(minute_of(now)))

    def salt(self, now: float | None = None) -> str:
        """Today's salt (Beijing day), from the cache or the store."""
        return self.ledger.salt(day_of(minute_of(self.clock() if now is None else now)))

    def add(self, hit: Hit) -> None:
        """Queue one hit; ``HitBufferFull`` when the store has not answered for a while."""
        with self._lock:
            if len(self._pending) >= self.max_pending:
                raise HitBufferFull(f"{len(self._pending)} 条访问记录等待写入，数据库暂时无法写入")
            self._pending.append(hit)
            self.received += 1
        if self._thread is None:
            self._start()

    @property
    def pending(self) -> int:
        return len(self._pending)

    # -- the flusher ------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="hit-flusher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()
            self.maintain()

    def flush(self) -> FlushOutcome | None:
        """Count what is waiting now; on a store error keep it for the next try."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return None
            try:
                outcome = self.ledger.record(batch)
            except Exception as exc:  # any driver error: keep the hits, retry next tick
                self.failures += 1
                with self._lock:
                    self._pending[:0] = batch
                log.warning("访问统计写入失败，%d 条将在下次重试：%s", len(batch), exc)
                return None
            self.counted += outcome.counted
            return outcome

    def maintain(self) -> None:
        """Every minute: drop expired dedup rows and old salts; prepare tomorrow's salt."""
        now = self.clock()
        if now - self._last_prune < PRUNE_EVERY:
            return
        try:
            self.ledger.prune(now)
            self.salt(now + 600)  # the next day's salt is ready before midnight
            self._last_prune = now
        except Exception as exc:
            log.warning("访问统计清理失败：%s", exc)

    def close(self, timeout: float = 30.0) -> None:
        """Stop the flusher and flush everything waiting (graceful shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline:
            if self.flush() is None and self._pending:
                time.sleep(0.2)
        if self._pending:
            log.error("关闭时仍有 %d 条访问记录未能写入数据库", len(self._pending))
