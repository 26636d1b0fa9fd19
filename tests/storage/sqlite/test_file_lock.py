"""The SQLite singleton lock: an exclusive flock beside the database file, one holder at a
time (separate opens conflict even within one process), lost when its file is replaced."""

from __future__ import annotations

from pathlib import Path

from storage.sqlite.file_lock import FileLock


async def test_one_holder_and_release_lets_another_take_it(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    first, second = FileLock.beside(db, "poller"), FileLock.beside(db, "poller")
    assert first.path == tmp_path / "bot.sqlite3.poller.lock"
    assert await first.try_acquire()
    assert await first.try_acquire()  # already held: still held
    assert not await second.try_acquire()
    await first.release()
    assert not await first.held()
    assert await second.try_acquire()
    await second.release()


async def test_a_removed_lock_file_counts_as_lost(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "x.lock"), FileLock(tmp_path / "x.lock")
    assert await first.try_acquire()
    (tmp_path / "x.lock").unlink()  # a cleaner; another process could lock a new file
    assert await second.try_acquire()
    assert not await first.held()
    await second.release()
