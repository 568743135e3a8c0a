"""Group commit: one writer task turns many small writes from many requests into few transactions.

Callers ``await writer.submit(kind, item)``; the writer drains whatever is queued (up to
``max_batch``), hands each kind's items to its handler inside ONE write transaction run in a
worker thread, commits, and only then resolves the callers' futures with the handler's results.
While one batch commits the next one gathers, so under load batches grow by themselves and at
rest a lone write is committed at once (no timer). If a batch fails, its items are retried one
by one so that a single bad item fails alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from amane.store.database import Database

logger = logging.getLogger(__name__)

BatchHandler = Callable[[Session, Sequence[Any]], Sequence[Any]]
"""Writes ``items`` with ``session`` (no commit) and returns one result per item, in order."""


@dataclass(eq=False, slots=True)
class _Job:
    kind: str
    item: Any
    future: asyncio.Future[Any]


class GroupCommitWriter:
    """Batches writes of registered kinds into shared transactions (see the module docstring)."""

    def __init__(self, db: Database, handlers: dict[str, BatchHandler], *, max_batch: int = 512) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        if not handlers:
            raise ValueError("at least one handler is needed")
        self.db = db
        self.handlers = dict(handlers)
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.items = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="group-commit-writer")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.put(None)
        await self._task
        self._task = None

    async def submit(self, kind: str, item: Any) -> Any:
        """Queue one write; returns the handler's result for it once it is committed."""
        if kind not in self.handlers:
            raise KeyError(f"no handler for {kind!r}; known: {sorted(self.handlers)}")
        if self._task is None:
            raise RuntimeError("the writer is not running (start() it in the app's lifespan)")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(kind, item, future))
        return await future

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                job = self._queue.get_nowait()
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            await self._commit(batch)

    async def _commit(self, batch: list[_Job]) -> None:
        try:
            results = await asyncio.to_thread(self._write, batch)
        except Exception as err:  # the database refused the batch: find the culprit(s)
            if len(batch) == 1:
                logger.warning("write of %s failed: %s", batch[0].kind, err)
                if not batch[0].future.done():
                    batch[0].future.set_exception(err)
                return
            logger.warning("batch of %d writes failed (%s); retrying one by one", len(batch), err)
            for job in batch:
                await self._commit([job])
            return
        self.batches += 1
        self.items += len(batch)
        for job, result in zip(batch, results, strict=True):
            if not job.future.done():
                job.future.set_result(result)

    def _write(self, batch: list[_Job]) -> list[Any]:
        by_kind: dict[str, list[int]] = {}
        for index, job in enumerate(batch):
            by_kind.setdefault(job.kind, []).append(index)
        results: list[Any] = [None] * len(batch)
        with self.db.writing() as session:
            for kind, indexes in by_kind.items():
                out = self.handlers[kind](session, [batch[i].item for i in indexes])
                if len(out) != len(indexes):
                    raise RuntimeError(
                        f"handler {kind!r} returned {len(out)} results for {len(indexes)} items"
                    )
                for i, result in zip(indexes, out, strict=True):
                    results[i] = result
        return results
