"""The index directory: opening it (cached per process, re-opened after a swap), the bounded
writer lock, and rebuilding into a sibling directory that is swapped in atomically.

Layout: ``SEARCH_INDEX_DIR`` (e.g. ``var/index``) is a symlink to a generation directory beside it
(``var/index.g<time>``). A rebuild writes ``var/index.build-<time>``, then renames it to a
generation and replaces the symlink with ``os.replace`` (atomic), so searchers never see a
half-built index. While it builds it holds the live index's write lock, so index tasks wait and
retry, and their changes land in the new index rather than in the one being replaced.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as windex
from whoosh.index import LockError

from search.backends.base import IndexLockedError, Progress

from . import mapped
from .schema import make_schema

mapped.install()

logger = logging.getLogger("search")
MERGE_AT_SEGMENTS = 24
KEEP_GENERATIONS = 2  # the live one and the one before (readers may still hold it open)


class IndexStorage:
    def __init__(self, index_dir, writer_timeout: float = 10.0) -> None:
        self.path = Path(index_dir)
        self.writer_timeout = writer_timeout
        self._lock = threading.Lock()
        self._ix = None
        self._real: str | None = None

    def realpath(self) -> str:
        return os.path.realpath(self.path)

    def open(self, create: bool = False):
        """The live index (None when there is none and ``create`` is false)."""
        real = self.realpath()
        with self._lock:
            if self._ix is not None and self._real == real and os.path.isdir(real):
                return self._ix
            if not (os.path.isdir(real) and windex.exists_in(real)):
                if not create:
                    return None
                real = self._create_live()
            if self._ix is not None:
                self._ix.close()
            self._ix, self._real = windex.open_dir(real), real
            return self._ix

    def _create_live(self) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_dir() and not self.path.is_symlink():  # a plain directory someone made
            windex.create_in(str(self.path), make_schema())
            return self.realpath()
        generation = self._new_dir("g")
        windex.create_in(str(generation), make_schema())
        self._point_to(generation)
        return self.realpath()

    def _new_dir(self, tag: str) -> Path:
        stamp = f"{time.time_ns()}-{os.getpid()}"
        path = self.path.parent / f"{self.path.name}.{tag}{stamp}"
        path.mkdir(parents=True)
        return path

    def _point_to(self, generation: Path) -> None:
        """Make ``self.path`` a symlink to ``generation``, atomically (os.replace)."""
        tmp = self.path.parent / f".{self.path.name}.swap-{os.getpid()}-{time.time_ns()}"
        os.symlink(generation.name, tmp)
        if self.path.exists() and not self.path.is_symlink():
            old = self.path.parent / f"{self.path.name}.old{time.time_ns()}"
            os.rename(self.path, old)  # a plain directory cannot be replaced by a link in one step
        os.replace(tmp, self.path)

    @contextmanager
    def writer(self, **commit_args) -> Iterator:
        """A writer that waits at most ``writer_timeout`` seconds for the lock, then raises
        IndexLockedError; commits on success, cancels on error."""
        deadline = time.monotonic() + self.writer_timeout
        while True:
            ix = self.open(create=True)
            try:
                writer = ix.writer(timeout=max(0.0, deadline - time.monotonic()))
            except LockError as exc:
                raise IndexLockedError(
                    f"The search index at {self.path.name} is locked by another writer; waited "
                    f"{self.writer_timeout:g} s. The change will be retried."
                ) from exc
            if self.realpath() == self._real:
                break
            writer.cancel()  # swapped by a rebuild while we waited: write to the new index
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        if "merge" not in commit_args and "mergetype" not in commit_args and not commit_args.get("optimize"):
            # Small task commits skip merging until segments pile up (merging on every commit made a
            # bulk load of hundreds of records ~4x slower); then Whoosh's usual small-segment merge.
            commit_args["merge"] = len(writer.segments) >= MERGE_AT_SEGMENTS
        writer.commit(**commit_args)

    def rebuild(self, documents: Iterable[dict], progress: Progress | None = None) -> int:
        live = self.open()
        lock = live.lock("WRITELOCK") if live is not None else None
        if lock is not None:
            self._acquire(lock, timeout=max(60.0, self.writer_timeout))
        build = self._new_dir("build-")
        try:
            ix = windex.create_in(str(build), make_schema())
            writer = ix.writer(limitmb=128)
            written = 0
            try:
                for fields in documents:
                    writer.add_document(**fields)
                    written += 1
                    if progress:
                        progress(1)
            except BaseException:
                writer.cancel()
                raise
            writer.commit(optimize=True)  # one segment: fuzzy terms + highlighting stay fast
            ix.close()
            generation = self.path.parent / build.name.replace(".build-", ".g", 1)
            os.rename(build, generation)
            self._point_to(generation)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        finally:
            if lock is not None:
                lock.release()
        self._prune()
        return written

    @staticmethod
    def _acquire(lock, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise IndexLockedError("The search index is locked by another writer; cannot rebuild now.")
            time.sleep(0.1)

    def _prune(self) -> None:
        live = os.path.realpath(self.path)
        prefix = self.path.name + "."
        generations = sorted(
            (p for p in self.path.parent.iterdir()
             if p.name.startswith(prefix) and p.is_dir() and not p.is_symlink() and str(p.resolve()) != live),
            key=lambda p: p.stat().st_mtime,
        )
        for old in generations[: max(0, len(generations) - (KEEP_GENERATIONS - 1))]:
            if ".build-" in old.name and time.time() - old.stat().st_mtime < 3600:
                continue  # another rebuild may be writing it
            shutil.rmtree(old, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            if self._ix is not None:
                self._ix.close()
            self._ix, self._real = None, None
