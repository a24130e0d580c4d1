"""The parts of a benchmark that run inside Django, each in its own process so that each corpus gets
its own settings (data dir, database). Run as ``python bench/djangoside.py COMMAND ...`` with the
environment from ``bench.server.bench_env``; prints one JSON object on its last line.

Commands:
  load PATH [RECORDS]   time load_archive, then rebuild_index (when the search app has it)
  users N               N users with API tokens (and the default entity types, if any)
  records N             add synthetic records until there are at least N
  names N               add Russian-named records (bench.corpus.russian_records) until there are
                        at least N, written straight to the tables with their derived rows
  expansion Q.json      record-name expansion (names.lexicon + ranking.rewrite) per query: ms, statements
  suggest K             entity suggestions over K documents (the loaded ones): ms per document
  docs K                K document slugs with a few short passages each (annotation targets)
  direct QUERIES.json   run the search workload through the backend directly (no HTTP)
  plain-index DIR IX    index a corpus folder with plain Whoosh (same schema) into IX
  plain-search IX Q.json  the search workload through plain Whoosh
  profile Q.json OUT    pyinstrument report of the search workload through the Django stack
  pending               count and clear index tasks left queued by the load (rebuild covered them)
  hostile Q.json        each hostile query through the search service in-process (no HTTP): status, ms
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command, get_commands  # noqa: E402


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def cmd_load(path: str, records: str | None = None) -> dict:
    from io import StringIO

    out = StringIO()
    t0 = time.perf_counter()
    args = [path, "--no-progress"] + (["--records", records] if records else [])
    call_command("load_archive", *args, stdout=out)
    load_s = time.perf_counter() - t0
    index_s = None
    if "rebuild_index" in get_commands():
        t0 = time.perf_counter()
        call_command("rebuild_index", stdout=StringIO())
        index_s = time.perf_counter() - t0
    from archive_site.models import Document

    return {
        "load_s": load_s,
        "index_s": index_s,
        "index_bytes": dir_size(Path(settings.SEARCH_INDEX_DIR)),
        "documents": Document.objects.count(),
        "report": out.getvalue().strip(),
    }


def cmd_pending() -> dict:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return {"pending": 0}
    pending = DBTaskResult.objects.filter(status="READY")
    count = pending.count()
    pending.delete()
    return {"pending": count}


def cmd_users(n: str) -> dict:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    User = get_user_model()  # noqa: N806
    tokens = []
    for i in range(int(n)):
        user, _ = User.objects.get_or_create(username=f"bench{i}")
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    return {"tokens": tokens}


def cmd_records(n: str) -> dict:
    from archive_site.models import Record
    from bench.corpus import generated_records

    target = int(n)
    have = Record.objects.count()
    t0 = time.perf_counter()
    if have < target:
        specs = generated_records(target)[have:target]
        batch = []
        for spec in specs:
            record = Record(**spec)
            record.search_names = "|".join(name.lower() for name in record.all_names())  # as save() does
            batch.append(record)
        Record.objects.bulk_create(batch, batch_size=2000)
        tail_model = getattr(sys.modules["archive_site.models"], "RecordNameTail", None)
        if tail_model is not None:  # the derived autocomplete rows, as saving a record writes them
            tail_model.objects.bulk_create((row for r in batch for row in tail_model.rows_for(r)), batch_size=5000)
    return {"records": Record.objects.count(), "seconds": time.perf_counter() - t0}


def _bulk(model, fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` (values of ``fields``) into ``model``'s table: COPY on PostgreSQL, one
    executemany on SQLite (the ORM's bulk_create is several times slower at a million rows)."""
    from django.db import connection

    table = model._meta.db_table
    cols = ", ".join(f'"{model._meta.get_field(f).column}"' for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})", rows)


def _name_rows(start: int, count: int) -> dict[str, list[tuple]]:
    """Rows for records ``start`` .. ``start + count`` of ``russian_records``, record ids counted
    from 0 (the caller adds the first id): the record and the rows saving it would derive
    (autocomplete tails, the search's names, the suggestions' keys)."""
    from archive_site.models import RecordMatchKey, name_tails
    from bench.corpus import russian_records
    from search import names

    out: dict[str, list[tuple]] = {"records": [], "tails": [], "names": [], "words": [], "keys": []}
    for rid, spec in enumerate(russian_records(start + count, start=start)):
        label, aliases, kind = spec["label"], spec["aliases"], spec["kind"]
        all_names = [label, *aliases]
        out["records"].append((rid, spec["key"], kind, label, json.dumps(aliases, ensure_ascii=False), "", "", "", "{}",
                               "|".join(x.lower() for x in all_names)))
        out["tails"].extend((rid, t, label, kind, True) for t in sorted(name_tails(all_names)))
        found, words = names.values_for(rid, kind, label, aliases, True)
        out["names"].extend(found)
        out["words"].extend((rid, w, True) for w in words)
        out["keys"].extend(RecordMatchKey.values_for(rid, label, aliases, kind, True))
    return out


def cmd_names(n: str, cache: str | None = None) -> dict:
    """Russian-named records (``bench.corpus.russian_records``) until there are at least N, with
    the rows saving them would derive, written in chunks straight to the tables (COPY on
    PostgreSQL). With CACHE (a folder), each chunk's rows are kept there as made and read back by
    the next run (the same records for SQLite and PostgreSQL, made once)."""
    import pickle

    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from archive_site.models import Record, RecordMatchKey, RecordName, RecordNameTail, RecordNameWord
    from search import names

    target = int(n)
    have = Record.objects.count()
    made = Record.objects.filter(key__startswith="ru-").count()
    next_id = (Record.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    now = timezone.now()
    stamp = now if connection.vendor == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    tables = {
        "records": (Record, ("id", "key", "kind", "label", "aliases", "description", "start_date", "end_date",
                             "external_ids", "search_names", "created", "modified")),
        "tails": (RecordNameTail, ("record_id", "tail", "label", "kind", "live")),
        "names": (RecordName, names.NAME_FIELDS),
        "words": (RecordNameWord, ("record_id", "word", "live")),
        "keys": (RecordMatchKey, RecordMatchKey.FIELDS),
    }
    if connection.vendor == "sqlite":  # a big page cache: the indexes take random inserts
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -800000")
            cursor.execute("PRAGMA foreign_keys = OFF")
    t0 = time.perf_counter()
    counts = dict.fromkeys(tables, 0)
    chunk = 20_000
    end = made + max(0, target - have)
    for start in range(made, end, chunk):
        count = min(chunk, end - start)
        path = Path(cache) / f"ru-{start}-{count}.pickle" if cache else None
        if path is not None and path.exists():
            rows = pickle.loads(path.read_bytes())
        else:
            rows = _name_rows(start, count)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
        rows["records"] = [(r[0], *r[1:], stamp, stamp) for r in rows["records"]]
        with transaction.atomic():
            for name, (model, fields) in tables.items():
                _bulk(model, fields, [(r[0] + next_id, *r[1:]) for r in rows[name]])
                counts[name] += len(rows[name])
        next_id += count
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('archive_site_record', 'id'), "
                           "(SELECT max(id) FROM archive_site_record))")
            cursor.execute("VACUUM ANALYZE")  # statistics, and the visibility map index-only scans need
        else:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("ANALYZE")
    return {"records": Record.objects.count(), "seconds": time.perf_counter() - t0, "rows": counts}


def cmd_expansion(queries_path: str) -> dict:
    """Record-name expansion as a search does it (``names.lexicon()`` then ``ranking.rewrite`` of
    the parsed query), per query: milliseconds and SQL statements; the parse is not timed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search import names, ranking
    from search.parser import parse

    queries = json.loads(Path(queries_path).read_text())
    parsed = [parse(q) for q in queries]
    for p in parsed[:20]:  # warm up (connection, statement caches), as a running server would be
        ranking.rewrite(p.tree, names.lexicon())
    latencies, statements, expanded = [], 0, 0
    for p in parsed:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            rewritten = ranking.rewrite(p.tree, names.lexicon())
            latencies.append((time.perf_counter() - t0) * 1000)
        statements += len(ctx.captured_queries)
        expanded += any(w.record_names for w in rewritten.words)
    return {"latencies_ms": latencies, "statements_per_query": round(statements / len(parsed), 2),
            "queries_expanded": expanded, "queries": len(parsed)}


def cmd_suggest(k: str) -> dict:
    """Entity suggestions (``annotations.suggestions.match``) over the first K documents, each
    three times: the median per document, and how many spans it found."""
    from annotations import suggestions
    from archive_site.models import Document

    docs = list(Document.objects.order_by("slug")[: int(k)])
    for doc in docs[:1]:
        suggestions.match(doc.text)
    per_doc, spans, chars = [], 0, 0
    for doc in docs:
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            found, _ = suggestions.match(doc.text)
            runs.append((time.perf_counter() - t0) * 1000)
        per_doc.append(statistics.median(runs))
        spans += len(found)
        chars += len(doc.text)
    return {"latencies_ms": per_doc, "documents": len(docs), "spans": spans, "chars": chars}


def cmd_docs(k: str) -> dict:
    """Targets for annotations: for K documents, passages of 20-60 characters at word starts."""
    from archive_site.models import Document

    targets = []
    for doc in Document.objects.order_by("slug")[: int(k)]:
        text = doc.text
        step = max(1, len(text) // 40)
        for start in range(0, max(1, len(text) - 80), step):
            while start < len(text) and not text[start].isalnum():
                start += 1
            end = min(len(text), start + 20 + (start % 40))
            if end > start:
                targets.append({"slug": doc.slug, "start": start, "end": end, "exact": text[start:end],
                                "prefix": text[max(0, start - 32):start], "suffix": text[end:end + 32]})
    return {"targets": targets}


def cmd_direct(queries_path: str) -> dict:
    """The search workload through ``get_search_backend().search`` (no HTTP, no DRF)."""
    from bench.adapters import direct_search

    queries = json.loads(Path(queries_path).read_text())
    search = direct_search()
    if search is None:
        return {"skipped": "no search backend"}
    for q in queries[:10]:  # warm up (open the index, caches), as a running server would be
        search(q)
    latencies, errors, hits = [], 0, 0
    for q in queries:
        t0 = time.perf_counter()
        try:
            hits += search(q)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors += 1
            if errors == 1:
                print(f"direct search error: {exc!r}", file=sys.stderr)
        latencies.append((time.perf_counter() - t0) * 1000)
    return {"latencies_ms": latencies, "errors": errors, "hits": hits,
            "median_ms": statistics.median(latencies) if latencies else None}


def cmd_plain_index(folder: str, index_dir: str) -> dict:
    from bench import plain_whoosh

    return plain_whoosh.index_corpus(Path(folder), Path(index_dir))


def cmd_plain_search(index_dir: str, queries_path: str) -> dict:
    from bench import plain_whoosh

    return plain_whoosh.search_workload(Path(index_dir), json.loads(Path(queries_path).read_text()))


def cmd_profile(queries_path: str, out_path: str, url: str = "/api/search/") -> dict:
    """Profile the search workload in-process (Django test client, no HTTP) with pyinstrument;
    write the text report to ``out_path``. The same queries, after a warm-up."""
    from urllib.parse import urlencode

    from django.test import Client
    from pyinstrument import Profiler

    from bench.adapters import api_params

    queries = json.loads(Path(queries_path).read_text())
    client = Client(HTTP_HOST="127.0.0.1")
    for q in queries[:10]:
        client.get(url + "?" + urlencode(api_params(q)))
    profiler = Profiler(interval=0.0005)
    t0 = time.perf_counter()
    with profiler:
        for q in queries:
            client.get(url + "?" + urlencode(api_params(q)))
    seconds = time.perf_counter() - t0
    Path(out_path).write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return {"seconds": seconds, "per_query_ms": seconds / len(queries) * 1000, "report": out_path}


def cmd_hostile(queries_path: str) -> dict:
    """Each query of ``bench.hostile`` through ``search.services.search`` (parse, backend, policy,
    rows), as the API calls it but without HTTP and DRF: 200, 400 (QueryError) or 500 (anything
    else), and the milliseconds it took."""
    from search import services

    try:
        from search.errors import QueryError
    except ImportError:  # a tree before search.errors
        from search.backends.base import QueryError

    queries = json.loads(Path(queries_path).read_text())
    services.search(user=None, text="Stalin")  # open the index, as a running server has
    out = []
    for q in queries:
        status, detail = 200, ""
        t0 = time.perf_counter()
        try:
            services.search(user=None, text=q["q"])
        except QueryError as exc:
            status, detail = 400, str(exc)
        except Exception as exc:  # noqa: BLE001 - reported as an error of the search
            status, detail = 500, repr(exc)
        out.append({"label": q["label"], "status": status, "ms": round((time.perf_counter() - t0) * 1000, 2),
                    "detail": detail[:300]})
    return {"queries": out}


COMMANDS = {"profile": cmd_profile, "load": cmd_load, "plain-index": cmd_plain_index, "plain-search": cmd_plain_search, "users": cmd_users, "records": cmd_records, "docs": cmd_docs,
            "direct": cmd_direct, "names": cmd_names, "expansion": cmd_expansion, "suggest": cmd_suggest, "pending": cmd_pending, "hostile": cmd_hostile}

if __name__ == "__main__":
    result = COMMANDS[sys.argv[1]](*sys.argv[2:])
    sys.stdout.write("\n" + json.dumps(result) + "\n")
