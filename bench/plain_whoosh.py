"""The baseline: the same texts and queries through plain Whoosh, no Django in between.

Same schema and analyzer as the search app (imported from ``search`` when it exposes them, see
``bench.adapters``), one writer for the whole corpus, one searcher kept open, the same page size,
and highlights for the hits of the page only.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from whoosh import index as whoosh_index

from archive_site.text import normalise_text

from . import adapters


def schema():
    return adapters.search_app_schema() or adapters.fallback_schema()


def _entries(folder: Path) -> list[dict]:
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data["documents"] if isinstance(data, dict) else data


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def index_corpus(folder: Path, index_dir: Path, *, limitmb: int = 256) -> dict:
    """Read, normalise and index every text of ``folder`` with one writer; time it all."""
    sch = schema()
    index_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    ix = whoosh_index.create_in(str(index_dir), sch)
    writer = ix.writer(limitmb=limitmb)
    docs = chars = 0
    for number, entry in enumerate(_entries(folder), start=1):
        text = normalise_text((folder / entry["file"]).read_text(encoding="utf-8"))
        writer.add_document(**adapters.doc_fields(sch, number, entry, text))
        docs += 1
        chars += len(text)
    writer.commit()
    seconds = time.perf_counter() - t0
    return {"docs": docs, "chars": chars, "seconds": seconds, "index_bytes": dir_size(index_dir),
            "docs_per_s": docs / seconds, "mb_per_s": chars / 1e6 / seconds}


class PlainSearcher:
    def __init__(self, index_dir: Path, page_size: int = adapters.PAGE_SIZE):
        self.ix = whoosh_index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        names = self.ix.schema.names()
        self.text_field = "body" if "body" in names else "text"
        self.parser = adapters.plain_parser(self.ix.schema)
        self.page_size = page_size

    def search(self, query: dict) -> tuple[int, int]:
        """Parse, filter, one page of hits, Whoosh's own highlights for that page."""
        q = self.parser.parse(query["q"])
        flt = adapters.plain_filter(self.ix.schema, query)
        page = self.searcher.search_page(q, 1, pagelen=self.page_size, filter=flt, terms=True)
        snippets = 0
        for hit in page:
            snippets += len(hit.highlights(self.text_field, top=3))
        return page.total, snippets

    def close(self) -> None:
        self.searcher.close()


def search_workload(index_dir: Path, queries: list[dict]) -> dict:
    s = PlainSearcher(index_dir)
    try:
        for q in queries[:10]:
            s.search(q)
        latencies, hits = [], 0
        for q in queries:
            t0 = time.perf_counter()
            hits += s.search(q)[0]
            latencies.append((time.perf_counter() - t0) * 1000)
    finally:
        s.close()
    return {"latencies_ms": latencies, "hits": hits, "median_ms": statistics.median(latencies)}
