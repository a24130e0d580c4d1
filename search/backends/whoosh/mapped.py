"""Reading a compound segment from its memory map without copying it.

Whoosh maps a compound segment file (``*.seg``: every merged segment) into memory and serves each
part through ``BufferFile``, which wraps the mapped bytes in ``io.BytesIO`` for its file methods.
``BytesIO`` copies a memoryview it is given, so every searcher opened copied the whole segment
into private memory (at 100,000 documents, 360 MB per searcher, and a third of a second each
time a thread's searcher was refreshed after an index change). ``MappedBufferFile`` keeps
Whoosh's direct reads from the map (``get``) and gives the file methods a cursor over the same
map, so a searcher costs the pages it reads, shared with every other searcher through the page
cache."""

from __future__ import annotations

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

PEEK_BYTES = 512


class MemoryCursor:
    """A read-only, seekable file over a buffer (a memoryview of the map), without a copy."""

    def __init__(self, buf) -> None:
        self._buf = buf
        self._pos = 0
        self._size = len(buf)

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = self._size if size is None or size < 0 else min(self._size, start + size)
        self._pos = max(start, end)
        return bytes(self._buf[start:end])

    def peek(self, size: int = 1) -> bytes:
        # With peek, pickle.load (block headers) reads ahead once instead of once per opcode;
        # those pickles are small, and peek may return less than asked (pickle then reads on).
        return bytes(self._buf[self._pos : self._pos + min(max(1, size), PEEK_BYTES)])

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        end = self._pos
        while end < limit:  # lines are short where Whoosh reads them (pickles, headers)
            chunk = bytes(self._buf[end : min(limit, end + 256)])
            found = chunk.find(b"\n")
            if found != -1:
                end += found + 1
                break
            end += len(chunk)
        return self.read(end - self._pos)

    def __iter__(self):
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._buf = b""
        self._size = self._pos = 0


class MappedBufferFile(BufferFile):
    def __init__(self, buf, name=None, onclose=None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = MemoryCursor(buf)


def install() -> None:
    """Make compound segments open through MappedBufferFile (the only place Whoosh hands a map
    to BufferFile); idempotent."""
    compound.BufferFile = MappedBufferFile
