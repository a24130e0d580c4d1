"""Benchmarks: loading + indexing, search, annotations and autocomplete, beside plain Whoosh.

    python bench/run.py            quick mode (about 4 minutes on 2 idle cores): seed archive, generated N=1,000,
                                   a 500-article Wikipedia subset when ../shared/corpus/ has it
    BENCH_FULL=1 python bench/run.py   adds the scaling run: the same search workload over
                                   generated corpora of N=1,000 / 10,000 / 100,000 short
                                   documents (~600 characters each; 30-40 minutes on 2 cores)
    python bench/run.py --report FILE          print the table (and redraw the plot) of a run
    python bench/run.py --merge OUT A.json B.json   one result from the phases of several runs
                                   (e.g. the scaling run and a later quick run), each run's
                                   start time and phases kept under "runs"

Prints a table and writes ``bench/results/latest.json`` (plus ``scaling.png`` when there are
scaling rows). Every run works in its own temporary data dir with its own servers, all stopped at
the end. Other knobs: BENCH_CORPORA (comma list, e.g. ``seed,gen:1000,gen:10000,wiki:2000``),
BENCH_SCALING (comma list of N, default 1000,10000,100000), BENCH_SCALING_CHARS (default 600),
BENCH_WORKERS / BENCH_THREADS (gunicorn), BENCH_PHASES (comma list of
corpora,annotations,records (or autocomplete),hostile,scaling,ingest,relevance; relevance is bench/relevance.py,
about 15 minutes over 10,000 articles: in the full run or by name), BENCH_HOSTILE_CORPORA (default ``seed,gen:10000``),
BENCH_RECORDS (records phase sizes: 10000, or 100000,1000000 with BENCH_FULL), BENCH_RECORDS_CACHE
(a folder keeping the generated records between runs), BENCH_PG_URL (the PostgreSQL database the run
creates and drops), BENCH_POSTGRES=0 (skip PostgreSQL), BENCH_PROFILE=1
(pyinstrument report of the search workload per corpus in bench/results/profile-*.txt),
BENCH_KEEP=1 (keep the temp dir), BENCH_OUT (JSON path).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import corpus as corpora  # noqa: E402
from bench import workloads  # noqa: E402
from bench.hostile import hostile_queries  # noqa: E402
from bench.queries import query_mix  # noqa: E402
from bench.server import PY, Server, bench_env, manage  # noqa: E402

RESULTS = REPO / "bench" / "results"
FULL = os.environ.get("BENCH_FULL", "") not in ("", "0")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/archive_bench")  # made and dropped
# The records phase (autocomplete, record-name expansion, entity suggestions): BENCH_RECORDS.
RECORD_SIZES = [int(n) for n in (os.environ.get("BENCH_RECORDS") or
                                 ("100000,1000000" if FULL else "10000")).split(",") if n.strip()]
PHASES = set((os.environ.get("BENCH_PHASES") or
              "corpora,annotations,autocomplete,hostile,teamwork" + (",scaling,relevance" if FULL else "")).split(","))
HOSTILE_CORPORA = [c.strip() for c in (os.environ.get("BENCH_HOSTILE_CORPORA") or "seed,gen:10000").split(",")
                   if c.strip()]
# The scaling corpora: short generated documents (~600 characters), so that N = 100,000 (about
# 60 MB of text) loads, indexes and runs the workload in well under half an hour on 2 cores.
SCALING = [int(n) for n in (os.environ.get("BENCH_SCALING") or "1000,10000,100000").split(",") if n.strip()]
SCALING_CHARS = int(os.environ.get("BENCH_SCALING_CHARS") or 600)
# The scaling corpora also on the PostgreSQL backend, side by side (BENCH_SEARCH_POSTGRES=0: not).
SEARCH_POSTGRES = os.environ.get("BENCH_SEARCH_POSTGRES", "1") != "0"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def djangoside(env: dict, *args: str, timeout: float = 7200) -> dict:
    proc = subprocess.run([PY, str(REPO / "bench" / "djangoside.py"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"djangoside {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    if proc.stderr.strip():
        sys.stderr.write(proc.stderr[-1500:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def corpus_plan() -> list[str]:
    if os.environ.get("BENCH_CORPORA"):
        return [c.strip() for c in os.environ["BENCH_CORPORA"].split(",") if c.strip()]
    return ["seed", "gen:1000", "wiki:500"]


def build_corpus(spec: str, work: Path) -> corpora.Corpus | None:
    if spec == "seed":
        return corpora.seed_corpus()
    kind, _, arg = spec.partition(":")
    if kind == "wiki":
        return corpora.wikipedia_corpus(work / f"wiki-{arg}", None if arg == "all" else int(arg))
    if kind == "gen":
        n = int(arg)
        return corpora.generated_corpus(work / f"gen-{n}", n, doc_chars=3000)
    if kind == "scale":
        n = int(arg)
        return corpora.generated_corpus(work / f"scale-{n}", n, doc_chars=SCALING_CHARS, name="scaling")
    raise SystemExit(f"unknown corpus {spec!r}")


def summarise_latencies(latencies: list[float]) -> dict:
    import statistics

    return {"median_ms": round(statistics.median(latencies), 2) if latencies else None,
            "p95_ms": round(workloads.percentile(latencies, 0.95), 2) if latencies else None,
            "requests": len(latencies)}


def search_available(server: Server) -> bool:
    status, _ = workloads.Client(server.base).request("GET", "/api/search/?q=stalin")
    return status != 404


def bench_corpus(c: corpora.Corpus, work: Path, queries_file: Path, queries: list[dict]) -> dict:
    row: dict = {"corpus": c.name, "docs": c.docs, "chars": c.chars, "mb": round(c.chars / 1e6, 2)}
    data = work / f"data-{c.name}"
    data.mkdir()
    env = bench_env(data)

    log(f"{c.name}: plain Whoosh indexing {c.docs} docs ({c.chars / 1e6:.1f} MB)")
    plain_ix = work / f"plain-{c.name}"
    plain = djangoside(env, "plain-index", str(c.path), str(plain_ix))
    row["whoosh_index"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in plain.items()}

    manage(env, "migrate", "--noinput", "-v", "0")
    log(f"{c.name}: load_archive + rebuild_index")
    loaded = djangoside(env, "load", str(c.path), str(c.records))
    pending = djangoside(env, "pending")
    total_s = loaded["load_s"] + (loaded["index_s"] or 0)
    row["index"] = {
        "load_s": round(loaded["load_s"], 2), "rebuild_s": loaded["index_s"] and round(loaded["index_s"], 2),
        "total_s": round(total_s, 2), "docs_per_s": round(c.docs / total_s, 1),
        "mb_per_s": round(c.chars / 1e6 / total_s, 3), "index_bytes": loaded["index_bytes"],
        "pending_tasks_cleared": pending["pending"], "rebuild_available": loaded["index_s"] is not None,
    }
    row["index_ratio_vs_whoosh"] = round(row["index"]["docs_per_s"] / plain["docs_per_s"], 2)

    log(f"{c.name}: plain Whoosh search workload")
    psearch = djangoside(env, "plain-search", str(plain_ix), str(queries_file))
    row["search_whoosh"] = {**summarise_latencies(psearch["latencies_ms"]), "hits": psearch["hits"]}
    shutil.rmtree(plain_ix, ignore_errors=True)

    if loaded["index_s"] is None:
        row["search_note"] = "search app not present: no rebuild_index, no /api/search/"
        return row
    log(f"{c.name}: backend search workload (direct)")
    direct = djangoside(env, "direct", str(queries_file))
    if "latencies_ms" in direct:
        row["search_direct"] = {**summarise_latencies(direct["latencies_ms"]), "errors": direct["errors"],
                                "hits": direct["hits"]}

    if os.environ.get("BENCH_PROFILE"):
        prof = djangoside(env, "profile", str(queries_file), str(RESULTS / f"profile-{c.name}.txt"))
        log(f"{c.name}: profile written to {prof['report']} ({prof['per_query_ms']:.1f} ms/query under the profiler)")

    with Server(env) as server:
        if not search_available(server):
            row["search_note"] = "/api/search/ not routed"
            return row
        log(f"{c.name}: API search workload, sequential then 4 clients")
        job = workloads.search_job(queries)
        workloads.run(server.base, job, total=20, concurrency=1)  # warm-up: each worker opens its searcher
        seq = workloads.run(server.base, job, total=len(queries), concurrency=1, time_budget=120)
        conc = workloads.run(server.base, job, total=2 * len(queries), concurrency=4, time_budget=120)
        row["search_api"] = seq.summary()
        row["search_api_4"] = conc.summary()
        row["server_peak_rss_mb"] = server.peak_rss_mb()
    if row["search_api"]["median_ms"] and row["search_whoosh"]["median_ms"]:
        row["search_ratio_api_vs_whoosh"] = round(row["search_api"]["median_ms"] / row["search_whoosh"]["median_ms"], 2)
    return row


def postgres_search(c: corpora.Corpus, work: Path, queries: list[dict]) -> dict:
    """The corpus on the PostgreSQL backend (``SEARCH_BACKEND=postgres``, pooled connections):
    load + rebuild, the workload in-process through the backend, then through the API with one
    client and with 4 (gunicorn's process workers, as for Whoosh)."""
    data = work / f"data-{c.name}-postgres"
    data.mkdir()
    env = bench_env(data, PG_URL, SEARCH_BACKEND="postgres")
    manage(env, "migrate", "--noinput", "-v", "0")
    log(f"{c.name}: PostgreSQL backend: load_archive + rebuild_index")
    loaded = djangoside(env, "load", str(c.path), str(c.records))
    djangoside(env, "pending")
    total_s = loaded["load_s"] + (loaded["index_s"] or 0)
    row: dict = {"index": {"load_s": round(loaded["load_s"], 2), "rebuild_s": loaded["index_s"] and round(loaded["index_s"], 2),
                           "total_s": round(total_s, 2), "docs_per_s": round(c.docs / total_s, 1)}}
    queries_file = work / "queries.json"
    log(f"{c.name}: PostgreSQL backend: search workload (direct)")
    direct = djangoside(env, "direct", str(queries_file))
    if "latencies_ms" in direct:
        row["search_direct"] = {**summarise_latencies(direct["latencies_ms"]), "errors": direct["errors"],
                                "hits": direct["hits"]}
    with Server(env) as server:
        log(f"{c.name}: PostgreSQL backend: API search workload, sequential then 4 clients")
        job = workloads.search_job(queries)
        workloads.run(server.base, job, total=20, concurrency=1)
        row["search_api"] = workloads.run(server.base, job, total=len(queries), concurrency=1, time_budget=120).summary()
        row["search_api_4"] = workloads.run(server.base, job, total=2 * len(queries), concurrency=4,
                                            time_budget=120).summary()
    shutil.rmtree(data, ignore_errors=True)
    return row


def search_backends_table(rows: list[dict]) -> list[str]:
    """Search side by side: the Whoosh backend, the PostgreSQL backend and plain Whoosh."""
    rows = [r for r in rows if r.get("postgres")]
    if not rows:
        return []
    head = ("N", "Whoosh API med / p95 ms", "PostgreSQL API med / p95 ms", "plain Whoosh med / p95 ms",
            "Whoosh 4-client rps", "PostgreSQL 4-client rps", "PostgreSQL med / Whoosh med",
            "load+index s Whoosh / PostgreSQL")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(rows, key=lambda r: r["docs"]):
        w, p, plain = r.get("search_api", {}), r["postgres"].get("search_api", {}), r.get("search_whoosh", {})
        ratio = p["median_ms"] / w["median_ms"] if p.get("median_ms") and w.get("median_ms") else None
        lines.append("| " + " | ".join([
            fmt(r["docs"]), f"{fmt(w.get('median_ms'))} / {fmt(w.get('p95_ms'))}",
            f"{fmt(p.get('median_ms'))} / {fmt(p.get('p95_ms'))}", f"{fmt(plain.get('median_ms'))} / {fmt(plain.get('p95_ms'))}",
            fmt(r.get("search_api_4", {}).get("rps")), fmt(r["postgres"].get("search_api_4", {}).get("rps")),
            fmt(ratio, 2), f"{fmt(r['index']['total_s'])} / {fmt(r['postgres']['index']['total_s'])}",
        ]) + " |")
    return lines


def annotation_phase(work: Path, database_url: str | None, label: str) -> dict:
    data = work / f"data-annotations-{label}"
    data.mkdir()
    env = bench_env(data, database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    seed = corpora.seed_corpus()
    djangoside(env, "load", str(seed.path), str(seed.records))
    djangoside(env, "pending")
    tokens = djangoside(env, "users", "8")["tokens"]
    targets = djangoside(env, "docs", "5")["targets"]
    slugs = sorted({t["slug"] for t in targets})
    out: dict = {"database": label}
    with Server(env) as server:
        probe = workloads.Client(server.base, tokens[0]).request("GET", "/api/annotations/")
        if probe[0] == 404:
            return {"database": label, "note": "annotations API not present"}
        # 8 clients make 1,500 creates (about 10 s): shorter runs moved by +-30% from one to the next.
        for clients, total in ((1, 100), (8, 1500)):
            created: list[str] = []
            log(f"annotations ({label}): create with {clients} client(s)")
            res = workloads.run(server.base, workloads.annotation_create_job(server.base, targets, created),
                                total=total, concurrency=clients, tokens=tokens, time_budget=90)
            out[f"create_{clients}"] = res.summary()
            out[f"index_lag_s_{clients}"] = index_queue_drain_s(data, database_url)
            if created:
                log(f"annotations ({label}): read and list with {clients} client(s)")
                out[f"read_{clients}"] = workloads.run(server.base, workloads.annotation_read_job(created),
                                                       total=total, concurrency=clients, tokens=tokens,
                                                       time_budget=60).summary()
                out[f"list_{clients}"] = workloads.run(server.base, workloads.annotation_list_job(slugs),
                                                       total=100, concurrency=clients,
                                                       tokens=tokens, time_budget=60).summary()
    return out


def index_queue_drain_s(data: Path, database_url: str | None, limit: float = 120) -> float | None:
    """Seconds until the index worker has run every index task queued so far (how far search
    lagged the writes when they stopped); None if it had not caught up within ``limit``."""
    sql = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
    if database_url:
        import psycopg

        def depth() -> int:
            with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
                return conn.execute(sql).fetchone()[0]
    else:
        import sqlite3

        def depth() -> int:
            with sqlite3.connect(data / "archive.sqlite3", timeout=10) as conn:
                return conn.execute(sql).fetchone()[0]
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        try:
            if depth() == 0:
                return round(time.monotonic() - t0, 2)
        except Exception:  # noqa: BLE001 - no task table (an old tree): no figure
            return None
        time.sleep(0.1)
    return None


def _pg_server_and_name() -> tuple[str, str]:
    """The server's maintenance database URL and the bench database's name, from PG_URL."""
    from urllib.parse import urlparse

    u = urlparse(PG_URL)
    return u._replace(scheme="postgresql", path="/postgres").geturl(), u.path.lstrip("/") or "archive_bench"


def postgres_url_available() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    server, name = _pg_server_and_name()
    try:
        with psycopg.connect(server, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception:  # noqa: BLE001 - no server: skip PostgreSQL
        return False


def drop_pg() -> None:
    import psycopg

    server, name = _pg_server_and_name()
    with psycopg.connect(server, connect_timeout=3, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def hostile_phase(work: Path, spec: str) -> dict | None:
    """The hostile queries (``bench/hostile.py``) against one corpus: each through the API, one at
    a time (server time as the client sees it), and through the search service in-process; then
    the slowest from 4 clients at once, and a plain query to check that the workers survived."""
    from urllib.parse import urlencode

    c = build_corpus(spec, work)
    if c is None:
        return None
    queries = hostile_queries()
    queries_file = work / "hostile.json"
    queries_file.write_text(json.dumps(queries))
    data = work / f"data-hostile-{c.name}"
    data.mkdir()
    env = bench_env(data)
    manage(env, "migrate", "--noinput", "-v", "0")
    log(f"hostile ({c.name}): load_archive + rebuild_index ({c.docs} docs)")
    djangoside(env, "load", str(c.path), str(c.records))
    djangoside(env, "pending")
    log(f"hostile ({c.name}): {len(queries)} queries in-process")
    direct = {q["label"]: q for q in djangoside(env, "hostile", str(queries_file))["queries"]}
    row: dict = {"corpus": c.name, "docs": c.docs, "queries": []}
    with Server(env) as server:
        log(f"hostile ({c.name}): {len(queries)} queries through the API")
        client = workloads.Client(server.base, timeout=300)
        client.request("GET", "/api/search/?q=Stalin")  # each worker opens its searcher on first use
        client.request("GET", "/api/search/?q=Trotsky")
        for q in queries:
            t0 = time.perf_counter()
            try:
                status, body = client.request("GET", "/api/search/?" + urlencode({"q": q["q"]}))
            except OSError as exc:  # a worker killed or the request timed out
                status, body = 599, repr(exc).encode()
            ms = (time.perf_counter() - t0) * 1000
            detail = ""
            if status == 400:
                try:
                    detail = json.loads(body).get("detail", "")
                except ValueError:
                    detail = body[:300].decode(errors="replace")
            row["queries"].append({
                "label": q["label"], "q": q["q"], "api_status": status, "api_ms": round(ms, 2), "detail": detail[:300],
                "direct_status": direct[q["label"]]["status"], "direct_ms": direct[q["label"]]["ms"],
            })
        worst = max(row["queries"], key=lambda r: r["api_ms"])
        log(f"hostile ({c.name}): the slowest ({worst['label']}) from 4 clients at once")
        job = workloads.search_job([{"q": worst["q"]}])
        together = workloads.run(server.base, job, total=4, concurrency=4, time_budget=300)
        status, _ = client.request("GET", "/api/search/?q=Stalin")
        row["four_at_once"] = {"label": worst["label"], **together.summary(), "then_plain_query_status": status}
    row["worst_api"] = {k: worst[k] for k in ("label", "api_ms", "api_status")}
    slowest_direct = max(row["queries"], key=lambda r: r["direct_ms"])
    row["worst_direct"] = {"label": slowest_direct["label"], "direct_ms": slowest_direct["direct_ms"],
                           "direct_status": slowest_direct["direct_status"]}
    row["errors"] = sum(1 for r in row["queries"] if r["api_status"] not in (200, 400)
                        or r["direct_status"] not in (200, 400))
    if c.path.is_relative_to(work):
        shutil.rmtree(c.path, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    return row


def records_phase(work: Path) -> list[dict]:
    """Autocomplete, record-name expansion and entity suggestions over RECORD_SIZES records
    (``bench.corpus.russian_records``: Russian names spelt as English, German and French books
    spell them, common surnames shared by thousands), on SQLite and on PostgreSQL. The same
    records for both: made once, kept in the work dir, written straight to the tables."""
    rows = [records_on(work, None, "sqlite")]
    if os.environ.get("BENCH_POSTGRES", "1") != "0" and postgres_url_available():
        try:
            rows.append(records_on(work, PG_URL, "postgresql"))
        finally:
            drop_pg()
    else:
        rows.append({"database": "postgresql", "note": "no PostgreSQL on 127.0.0.1:5432"})
    return [r for sub in rows for r in (sub if isinstance(sub, list) else [sub])]


def records_on(work: Path, database_url: str | None, label: str) -> list[dict]:
    data = work / f"data-records-{label}"
    data.mkdir()
    env = bench_env(data, database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    seed = corpora.seed_corpus()  # the five texts (for suggestions) and their 233 records
    djangoside(env, "load", str(seed.path), str(seed.records))
    djangoside(env, "pending")
    out = []
    for size in RECORD_SIZES:
        log(f"records ({label}): making {size:,} records")
        made = djangoside(env, "names", str(size), os.environ.get("BENCH_RECORDS_CACHE") or str(work / "records-cache"))
        row: dict = {"database": label, "records": made["records"], "fill_s": round(made["seconds"], 1),
                     "rows": made["rows"]}
        generated = size - 233
        prefixes = corpora.russian_prefixes(300, generated)
        queries = corpora.expansion_queries(300, generated)
        queries_file = work / f"expansion-{size}.json"
        queries_file.write_text(json.dumps(queries, ensure_ascii=False))
        log(f"records ({label}): autocomplete over {made['records']:,} records")
        with Server(env, worker=False) as server:
            job = workloads.autocomplete_job(prefixes)
            workloads.run(server.base, job, total=20, concurrency=1)
            row["autocomplete"] = workloads.run(server.base, job, total=len(prefixes), concurrency=1,
                                                time_budget=120).summary()
            row["autocomplete_4"] = workloads.run(server.base, job, total=2 * len(prefixes), concurrency=4,
                                                  time_budget=120).summary()
        log(f"records ({label}): record-name expansion and entity suggestions")
        expansion = djangoside(env, "expansion", str(queries_file))
        row["expansion"] = {**summarise_latencies(expansion.pop("latencies_ms")), **expansion}
        suggest = djangoside(env, "suggest", "5")
        row["suggest"] = {**summarise_latencies(suggest.pop("latencies_ms")), **suggest}
        out.append(row)
    shutil.rmtree(data, ignore_errors=True)
    return out


def records_table(rows: list[dict]) -> list[str]:
    lines = ["| database | records | autocomplete med / p95 ms | autocomplete 4 clients rps, p95 ms | "
             "expansion med / p95 ms | statements per query | suggestions med ms per text (seed, 21k chars) | "
             "records written s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "note" in r:
            lines.append(f"| {r['database']} | - | {r['note']} ||||||")
            continue
        a, a4, e, sg = r.get("autocomplete", {}), r.get("autocomplete_4", {}), r.get("expansion", {}), r.get("suggest", {})
        lines.append(f"| {r['database']} | {fmt(r['records'])} | {fmt(a.get('median_ms'))} / {fmt(a.get('p95_ms'))} | "
                     f"{fmt(a4.get('rps'))}, {fmt(a4.get('p95_ms'))} | {fmt(e.get('median_ms'), 2)} / {fmt(e.get('p95_ms'), 2)} | "
                     f"{fmt(e.get('statements_per_query'), 2)} | {fmt(sg.get('median_ms'))} | {fmt(r.get('fill_s'))} |")
    return lines


def fmt(v, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def table(result: dict) -> str:
    lines = corpus_table(result["corpora"]) if result.get("corpora") else []
    if result.get("scaling"):
        lines.append("")
        lines.extend(scaling_table(result["scaling"]))
        backends = search_backends_table(result["scaling"])
        if backends:
            lines.append("")
            lines.extend(backends)
    ann = result.get("annotations", [])
    if ann:
        lines.append("")
        lines.extend(annotation_table(ann))
    if result.get("hostile"):
        lines.append("")
        lines.extend(hostile_table(result["hostile"]))
    if result.get("relevance"):  # bench/relevance.py
        from bench.relevance import table as relevance_table

        lines.append("")
        lines.extend(relevance_table(result["relevance"]))
    if result.get("teamwork"):
        from bench.teamwork import table as teamwork_table

        lines.extend(teamwork_table(result["teamwork"]))
    auto = result.get("autocomplete")
    if isinstance(auto, list) and auto:  # the records phase: autocomplete, expansion, suggestions
        lines.append("")
        lines.extend(records_table(auto))
    elif auto:  # a run from before the records phase
        lines.append("")
        lines.append("| autocomplete records | median ms | p95 ms | rps |")
        lines.append("|---|---|---|---|")
        for size, a in auto.items():
            lines.append(f"| {int(size):,} | {fmt(a['median_ms'])} | {fmt(a['p95_ms'])} | {fmt(a['rps'])} |")
    return "\n".join(lines)


def hostile_table(rows: list[dict]) -> list[str]:
    lines = ["| hostile query | " + " | ".join(f"{r['corpus']} API ms (status) | in-process ms" for r in rows) + " |",
             "|---|" + "---|---|" * len(rows)]
    labels = [q["label"] for q in rows[0]["queries"]]
    by_corpus = [{q["label"]: q for q in r["queries"]} for r in rows]
    for label in labels:
        cells = []
        for found in by_corpus:
            q = found.get(label, {})
            cells += [f"{fmt(q.get('api_ms'))} ({q.get('api_status', '-')})", fmt(q.get("direct_ms"))]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| corpus | docs | worst API ms | worst query | worst in-process ms | 4 at once: max ms, statuses | "
                 "plain query after | errors |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in rows:
        four = r.get("four_at_once", {})
        lines.append(f"| {r['corpus']} | {fmt(r['docs'])} | {fmt(r['worst_api']['api_ms'])} | {r['worst_api']['label']} | "
                     f"{fmt(r['worst_direct']['direct_ms'])} | {fmt(four.get('p95_ms'))}, {four.get('statuses')} | "
                     f"{four.get('then_plain_query_status')} | {r['errors']} |")
    return lines


def scaling_table(rows: list[dict]) -> list[str]:
    head = ("N", "MB", "load s", "rebuild s", "load+index s", "Whoosh index s", "index ratio", "index MB",
            "API med ms", "API p95", "direct med", "Whoosh med", "Whoosh p95", "API/Whoosh", "4-client rps")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(rows, key=lambda r: r["docs"]):
        api, api4, ix = r.get("search_api", {}), r.get("search_api_4", {}), r["index"]
        lines.append("| " + " | ".join([
            fmt(r["docs"]), fmt(r["mb"]), fmt(ix["load_s"]), fmt(ix["rebuild_s"]), fmt(ix["total_s"]),
            fmt(r["whoosh_index"]["seconds"]), fmt(r["index_ratio_vs_whoosh"], 2), fmt(ix["index_bytes"] / 1e6),
            fmt(api.get("median_ms")), fmt(api.get("p95_ms")), fmt(r.get("search_direct", {}).get("median_ms")),
            fmt(r["search_whoosh"]["median_ms"]), fmt(r["search_whoosh"].get("p95_ms")),
            fmt(r.get("search_ratio_api_vs_whoosh"), 2), fmt(api4.get("rps")),
        ]) + " |")
    return lines


def corpus_table(rows: list[dict]) -> list[str]:
    lines = []
    head = ("corpus", "docs", "MB", "index MB", "load+index doc/s", "Whoosh doc/s", "ratio",
            "API med ms", "API p95", "direct med", "Whoosh med", "API/Whoosh", "4-client rps", "peak RSS MB")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for r in rows:
        api, api4 = r.get("search_api", {}), r.get("search_api_4", {})
        lines.append("| " + " | ".join([
            r["corpus"], fmt(r["docs"]), fmt(r["mb"]), fmt(r["index"]["index_bytes"] / 1e6),
            fmt(r["index"]["docs_per_s"]), fmt(r["whoosh_index"]["docs_per_s"]), fmt(r["index_ratio_vs_whoosh"], 2),
            fmt(api.get("median_ms")), fmt(api.get("p95_ms")), fmt(r.get("search_direct", {}).get("median_ms")),
            fmt(r["search_whoosh"]["median_ms"]), fmt(r.get("search_ratio_api_vs_whoosh"), 2),
            fmt(api4.get("rps")), fmt(r.get("server_peak_rss_mb", {}).get("max_worker")),
        ]) + " |")
    return lines


def annotation_table(ann: list[dict]) -> list[str]:
    lines = ["| annotations | clients | create rps | create med / p95 ms | index lag s | read rps | read p95 | list rps | list p95 | errors |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for a in ann:
        if "note" in a:
            lines.append(f"| {a['database']} | - | {a['note']} ||||||||")
            continue
        for n in (1, 8):
            c, rd, ls = a.get(f"create_{n}", {}), a.get(f"read_{n}", {}), a.get(f"list_{n}", {})
            errors = sum(x.get("errors", 0) for x in (c, rd, ls))
            lines.append(f"| {a['database']} | {n} | {fmt(c.get('rps'))} | {fmt(c.get('median_ms'))} / "
                         f"{fmt(c.get('p95_ms'))} | {fmt(a.get(f'index_lag_s_{n}'))} | {fmt(rd.get('rps'))} | {fmt(rd.get('p95_ms'))} | "
                         f"{fmt(ls.get('rps'))} | {fmt(ls.get('p95_ms'))} | {errors} |")
    by_db = {a["database"]: a for a in ann if "note" not in a}
    sqlite, pg = by_db.get("sqlite", {}).get("create_8", {}), by_db.get("postgresql", {}).get("create_8", {})
    if sqlite.get("rps") and pg.get("rps"):
        lines.append("")
        lines.append(f"PostgreSQL (pooled) / SQLite, create with 8 clients: {pg['rps'] / sqlite['rps']:.2f}x the rate "
                     f"(target 0.8x), p95 {fmt(pg.get('p95_ms'))} ms (target < 150 ms).")
    return lines


def plot(result: dict, path: Path) -> bool:
    rows = sorted(result.get("scaling") or [], key=lambda r: r["docs"])
    if len(rows) < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["docs"] for r in rows]
    xlabel = f"documents (~{round(sum(r['chars'] for r in rows) / sum(n), -1):,.0f} characters each)"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key, label in (("search_api", "API /api/search/"), ("search_direct", "backend direct"), ("search_whoosh", "plain Whoosh")):
        ys = [r.get(key, {}).get("median_ms") for r in rows]
        if all(y is not None for y in ys):
            ax1.plot(n, ys, marker="o", label=label)
    ax1.set(xscale="log", yscale="log", xlabel=xlabel,
            ylabel="median search latency (ms)", title="Search (200-query mix)")
    ax1.legend()
    ax2.plot(n, [r["index"]["total_s"] for r in rows], marker="o", label="load_archive + rebuild_index")
    ax2.plot(n, [r["whoosh_index"]["seconds"] for r in rows], marker="o", label="plain Whoosh writer")
    ax2.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="seconds",
            title="Loading + indexing")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def headline(result: dict) -> dict:
    """The top-level figures: search and indexing for the run's largest corpus (a scaling corpus
    when the run has one), annotations on SQLite, autocomplete over the most records."""
    rows = [*result["corpora"], *result.get("scaling", [])]
    largest = max(rows, key=lambda r: r["docs"]) if rows else {}
    ann = next((a for a in result.get("annotations", []) if a.get("database") == "sqlite"), {})
    auto = result.get("autocomplete") or []
    if isinstance(auto, dict):  # a run from before the records phase
        auto = [{"database": "sqlite", "records": int(k), "autocomplete": v} for k, v in auto.items()]
    biggest = max((r for r in auto if r.get("database") == "sqlite" and "records" in r),
                  key=lambda r: r["records"], default={})
    biggest_auto = biggest.get("autocomplete", {})
    return {
        "corpus": largest.get("corpus"),
        "corpus_docs": largest.get("docs"),
        "corpus_chars": largest.get("chars"),
        "index_bytes": largest.get("index", {}).get("index_bytes"),
        "search_api_median_ms": largest.get("search_api", {}).get("median_ms"),
        "search_api_p95_ms": largest.get("search_api", {}).get("p95_ms"),
        "search_direct_median_ms": largest.get("search_direct", {}).get("median_ms"),
        "search_whoosh_median_ms": largest.get("search_whoosh", {}).get("median_ms"),
        "search_ratio_api_vs_whoosh": largest.get("search_ratio_api_vs_whoosh"),
        "search_api_rps_4": largest.get("search_api_4", {}).get("rps"),
        "index_docs_per_s": largest.get("index", {}).get("docs_per_s"),
        "index_whoosh_docs_per_s": round(largest["whoosh_index"]["docs_per_s"], 1) if largest else None,
        "index_ratio_vs_whoosh": largest.get("index_ratio_vs_whoosh"),
        "server_peak_rss_mb": largest.get("server_peak_rss_mb", {}).get("max_worker"),
        "annotation_create_rps_8": ann.get("create_8", {}).get("rps"),
        "annotation_create_p95_ms_8": ann.get("create_8", {}).get("p95_ms"),
        "annotation_create_errors_8": ann.get("create_8", {}).get("errors"),
        "hostile_worst_api_ms": max((h["worst_api"]["api_ms"] for h in result.get("hostile", [])), default=None),
        "hostile_errors": sum(h["errors"] for h in result.get("hostile", [])) if result.get("hostile") else None,
        "autocomplete_records": biggest.get("records"),
        "autocomplete_median_ms": biggest_auto.get("median_ms"),
        "autocomplete_p95_ms": biggest_auto.get("p95_ms"),
        "expansion_median_ms": biggest.get("expansion", {}).get("median_ms"),
        "expansion_p95_ms": biggest.get("expansion", {}).get("p95_ms"),
    }


def main() -> int:
    started = time.time()
    RESULTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    result: dict = {
        "mode": "full" if FULL or "scaling" in PHASES else "quick",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "query_mix": None, "corpora": [], "scaling": [], "annotations": [], "autocomplete": [], "hostile": [],
    }
    queries = query_mix(200)
    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps(queries))
    result["query_mix"] = {t: sum(q["type"] == t for q in queries) for t in dict.fromkeys(q["type"] for q in queries)}
    try:
        for spec in corpus_plan() if "corpora" in PHASES else []:
            c = build_corpus(spec, work)
            if c is None:
                log(f"{spec}: skipped (../shared/corpus/ not present)")
                result.setdefault("skipped", []).append(spec)
                continue
            result["corpora"].append(bench_corpus(c, work, queries_file, queries))
            if c.path.is_relative_to(work):
                shutil.rmtree(c.path, ignore_errors=True)
        if "scaling" in PHASES:
            result["scaling_doc_chars"] = SCALING_CHARS
            use_pg = SEARCH_POSTGRES and os.environ.get("BENCH_POSTGRES", "1") != "0"
            for n in SCALING:
                c = build_corpus(f"scale:{n}", work)
                row = bench_corpus(c, work, queries_file, queries)
                if use_pg and postgres_url_available():
                    try:
                        row["postgres"] = postgres_search(c, work, queries)
                    finally:
                        drop_pg()
                result["scaling"].append(row)
                shutil.rmtree(c.path, ignore_errors=True)
                shutil.rmtree(work / f"data-{c.name}", ignore_errors=True)
        if "annotations" in PHASES:
            result["annotations"].append(annotation_phase(work, None, "sqlite"))
            if os.environ.get("BENCH_POSTGRES", "1") != "0" and postgres_url_available():
                try:
                    result["annotations"].append(annotation_phase(work, PG_URL, "postgresql"))
                finally:
                    drop_pg()
            else:
                result["annotations"].append({"database": "postgresql", "note": "no PostgreSQL on 127.0.0.1:5432"})
        if PHASES & {"autocomplete", "records"}:
            result["autocomplete"] = records_phase(work)
            print("\n".join(records_table(result["autocomplete"])), flush=True)
        if "teamwork" in PHASES:  # bench/teamwork.py: link all occurrences, record network, agreement
            from bench.teamwork import teamwork_phase

            use_pg = os.environ.get("BENCH_POSTGRES", "1") != "0" and postgres_url_available()
            try:
                result["teamwork"] = teamwork_phase(work, PG_URL if use_pg else None)
            finally:
                if use_pg:
                    drop_pg()
        if "ingest" in PHASES:  # bench/ingest.py: text-layer PDF and OCR pages/s, upload to searchable
            from bench.ingest import ingest_phase
            from bench.ingest import table as ingest_table

            result["ingest"] = ingest_phase(work)
            print(ingest_table(result["ingest"]))
        if "relevance" in PHASES:  # bench/relevance.py: known-item queries over the Wikipedia sample
            from bench.relevance import relevance_phase

            result["relevance"] = relevance_phase(work)
        if "hostile" in PHASES:
            for spec in HOSTILE_CORPORA:
                row = hostile_phase(work, spec)
                if row is not None:
                    result["hostile"].append(row)
    finally:
        result["elapsed_s"] = round(time.time() - started, 1)
        result["phases"] = sorted(PHASES)
        result = {**headline(result), **result}
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = Path(os.environ.get("BENCH_OUT") or RESULTS / "latest.json")
        out.write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"{result['mode']}-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(result, indent=2) + "\n")
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(result))
    if plot(result, RESULTS / "scaling.png"):
        log("wrote bench/results/scaling.png")
    log(f"wrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out} in {result['elapsed_s']} s")
    return 0


def report(path: Path) -> int:
    """Print the table (and redraw the plot) of an earlier run's JSON: ``run.py --report FILE``."""
    result = json.loads(path.read_text())
    print(table(result))
    if plot(result, RESULTS / "scaling.png"):
        log("wrote bench/results/scaling.png")
    return 0


def merge(out: Path, paths: list[Path]) -> int:
    """One result from several runs: each phase taken from the last run that has it (scaling rows
    are combined by N, a later run's row replacing an earlier one's); every run's mode, start,
    duration and phases listed under "runs"."""
    merged: dict = {"corpora": [], "scaling": [], "annotations": [], "autocomplete": [], "hostile": [], "runs": []}
    scaling: dict[int, dict] = {}
    for path in paths:
        part = json.loads(path.read_text())
        merged["runs"].append({k: part.get(k) for k in ("mode", "started", "elapsed_s", "phases")})
        for row in part.get("scaling") or []:
            scaling[row["docs"]] = {**row, "run_started": part.get("started")}
        for key in ("corpora", "annotations", "autocomplete", "hostile", "teamwork", "relevance"):
            if part.get(key):
                merged[key] = part[key]
        for key in ("machine", "query_mix", "scaling_doc_chars", "skipped"):
            if part.get(key):
                merged[key] = part[key]
    merged["scaling"] = [scaling[n] for n in sorted(scaling)]
    merged["mode"] = "+".join(r["mode"] for r in merged["runs"])
    merged["started"] = merged["runs"][0]["started"]
    merged = {**headline(merged), **merged}
    out.write_text(json.dumps(merged, indent=2) + "\n")
    print(table(merged))
    if plot(merged, RESULTS / "scaling.png"):
        log("wrote bench/results/scaling.png")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        sys.exit(report(Path(sys.argv[2])))
    if len(sys.argv) >= 4 and sys.argv[1] == "--merge":
        sys.exit(merge(Path(sys.argv[2]), [Path(a) for a in sys.argv[3:]]))
    sys.exit(main())
