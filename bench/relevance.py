"""The "relevance" phase: known-item queries over real articles, our search beside plain Whoosh.

Over the first ``BENCH_RELEVANCE_DOCS`` (default 10,000) articles of
``../shared/corpus/wikipedia-en/`` (skipped when absent), queries are made from the articles
themselves, deterministically (seed 1937):

- **passages**: five consecutive words of an article's prose (no number among them, none left
  out between them), typed without quotes; the article
  must come first (a top hit whose text has the same five words side by side counts too: the
  two cannot be told apart);
- **names**: the surname (last word of the title) of a person's article (a title of two to four
  capitalised words whose lead gives a birth year or lifespan), for surnames that end no other
  title; the article must come in the top 3.

Each query runs through ``search.services.search`` in-process (the whole search as the API makes
it: parse, rewrite, policy, backend, rows, snippets, ``matched_as``) and through plain Whoosh on
the same index (the one ``rebuild_index`` wrote: the same postings, schema and analyzer; Whoosh's
own parser and one searcher, its documents only, the same page size and highlights), in
``BENCH_RELEVANCE_ROUNDS`` (3) interleaved rounds, each query's fastest round counting (the
machine's other load only ever adds); then once through ``/api/search/`` of a served copy
(gunicorn, as ``run.py`` serves it). Also the fixed 200-query mix (``bench.queries``) in-process on
the same index, for the speed of ordinary queries, and, with ``BENCH_BEFORE_APP=DIR`` (an older
tree checked out in DIR, e.g. ``git worktree add``), the mix on the seed archive before (DIR) and
after (this tree), in interleaved rounds (``BENCH_BEFORE_WIKI=1``: on the articles too, which
loads and indexes them again with the older tree).

    python bench/relevance.py                   the phase alone: prints the table, writes bench/results/relevance.json
    python bench/relevance.py mix QUERIES_JSON  (inner) the 200-query mix against the search app
                                                of BENCH_APP_ROOT and the data dir of the environment

The inner parts run in subprocesses with the data dir's environment (``bench.server.bench_env``).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path.insert(0, str(Path(os.environ.get("BENCH_APP_ROOT") or REPO)))
    sys.path.insert(1, str(REPO))

from bench import corpus as corpora  # noqa: E402
from bench.server import PY, Server, bench_env, manage  # noqa: E402

DOCS = int(os.environ.get("BENCH_RELEVANCE_DOCS") or 10_000)
PASSAGES = int(os.environ.get("BENCH_RELEVANCE_PASSAGES") or 200)
NAMES = int(os.environ.get("BENCH_RELEVANCE_NAMES") or 200)
ROUNDS = int(os.environ.get("BENCH_RELEVANCE_ROUNDS") or 3)
PAGE = 10
_WORD = re.compile(r"[^\W_]+")  # words and numbers, as the search reads them (FFCC00 is one word)
_LIFESPAN = re.compile(r"\((?:[^()]*?\b(?:born|b\.)\s|[^()]*?\d{3,4}\s*[-–]\s*\d{2,4})")
_TITLE_WORD = re.compile(r"^[A-Z][a-z]+(?:-[A-Z][a-z]+)?$")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] relevance: {msg}", flush=True)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(ms: list[float]) -> dict:
    return {"median_ms": round(statistics.median(ms), 2) if ms else None,
            "p95_ms": round(percentile(ms, 0.95), 2) if ms else None, "n": len(ms)}


# --- queries made from the articles --------------------------------------------------------------


def _prose(text: str) -> list[list[str]]:
    """The article's prose paragraphs as word lists (no headings, lists, categories, references)."""
    out = []
    for para in text.split("\n"):
        para = para.strip()
        if len(para) < 120 or para.startswith(("-", "*", "|", "Category:", "[")) or "Category:" in para:
            continue
        out.append(_WORD.findall(para))  # a reference mark ([12]) is a number between words
    return out


def make_queries(articles: list[dict], seed: int = 1937) -> list[dict]:
    rng = random.Random(f"relevance:{seed}")
    slugs = [a["slug"] for a in articles]
    out: list[dict] = []
    order = list(range(len(articles)))
    rng.shuffle(order)
    for i in order:
        if sum(q["kind"] == "passage" for q in out) >= PASSAGES:
            break
        paragraphs = [p for p in _prose(articles[i]["text"]) if len(p) >= 12]
        if not paragraphs:
            continue
        words = rng.choice(paragraphs)
        # five consecutive words of the text, none of them a number (a passage as a reader would
        # copy it; dropping the numbers would join words the text keeps apart)
        starts = [k for k in range(len(words) - 5) if all(w.isalpha() for w in words[k : k + 5])]
        if not starts:
            continue
        start = rng.choice(starts)
        out.append({"kind": "passage", "q": " ".join(words[start : start + 5]), "slug": slugs[i], "top": 1})
    last_words: dict[str, int] = {}
    people = []
    for a in articles:
        title = re.sub(r"\s*\(.*\)$", "", a["title"]).strip()
        parts = title.split()
        if parts:
            last_words[parts[-1].lower()] = last_words.get(parts[-1].lower(), 0) + 1
        if 2 <= len(parts) <= 4 and all(_TITLE_WORD.match(p) for p in parts) and _LIFESPAN.search(a["text"][:400]):
            people.append((a["slug"], parts[-1]))
    people = [(slug, surname) for slug, surname in people if last_words[surname.lower()] == 1 and len(surname) > 2]
    rng.shuffle(people)
    out += [{"kind": "name", "q": surname, "slug": slug, "top": 3} for slug, surname in people[:NAMES]]
    return out


def read_articles(limit: int) -> list[dict]:
    articles = []
    with gzip.open(corpora.WIKIPEDIA, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= limit:
                break
            a = json.loads(line)
            if (a.get("text") or "").strip():  # as bench.corpus writes them
                articles.append({"slug": f"wiki-{i:05d}", "title": (a.get("title") or "")[:500], "text": a["text"]})
    return articles


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def found(query: dict, ranked: list[str], texts: dict[str, str]) -> bool:
    """Whether the query's article is where it must be (for a passage, a first hit with the same
    five words side by side counts: it cannot be told apart)."""
    top = ranked[: query["top"]]
    if query["slug"] in top:
        return True
    if query["kind"] == "passage" and top:
        want, have = _words(query["q"]), _words(texts.get(top[0], ""))
        return any(have[k : k + len(want)] == want for k in range(len(have) - len(want) + 1))
    return False


# --- inner parts (run inside Django, in a subprocess) -------------------------------------------


def settings_module(app: Path) -> str:
    """The settings module ``app``'s manage.py names (an older tree may have another)."""
    m = re.search(r'DJANGO_SETTINGS_MODULE",\s*"([\w.]+)"', (app / "manage.py").read_text(encoding="utf-8"))
    return m.group(1) if m else "config.settings"


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def inner_ours(queries_path: str) -> dict:
    """Each query through search.services.search, in-process: the slugs in order and the ms."""
    _django()
    from search import services

    queries = json.loads(Path(queries_path).read_text())
    for q in queries[:10]:
        services.search(user=None, text=q["q"], page_size=PAGE)
    out = []
    for q in queries:
        t0 = time.perf_counter()
        try:
            page = services.search(user=None, text=q["q"], page_size=PAGE)
            ranked = [i.slug for i in page.items]
        except Exception as exc:  # noqa: BLE001 - reported, never hidden
            ranked = [f"error: {exc!r}"[:200]]
        out.append({"ms": (time.perf_counter() - t0) * 1000, "ranked": ranked})
    return {"results": out}


def inner_mix(queries_path: str) -> dict:
    """The 200-query mix through search.services.search in-process (filters as the API takes them)."""
    _django()
    from search import services
    from search.backends.base import SearchFilters

    queries = json.loads(Path(queries_path).read_text())

    def one(q: dict) -> None:
        filters = SearchFilters(kind=q.get("kind") or None, year=q.get("year") or None)
        try:
            services.search(user=None, text=q["q"], filters=filters, page_size=PAGE)
        except Exception:  # noqa: BLE001 - a refused query still took its time
            pass

    for q in queries[:10]:
        one(q)
    ms = []
    for q in queries:
        t0 = time.perf_counter()
        one(q)
        ms.append((time.perf_counter() - t0) * 1000)
    return summary(ms)


def inner_plain(index_dir: str, queries_path: str) -> dict:
    """Each query through plain Whoosh on the index ``rebuild_index`` wrote (its documents only)."""
    _django()
    from whoosh import query as wq

    from bench.plain_whoosh import PlainSearcher

    queries = json.loads(Path(queries_path).read_text())
    s = PlainSearcher(Path(index_dir), page_size=PAGE)
    documents = wq.Term("type", "document")

    def one(text: str) -> list[str]:
        page = s.searcher.search_page(s.parser.parse(text), 1, pagelen=PAGE, terms=True, filter=documents)
        for hit in page:
            hit.highlights(s.text_field, top=3)
        return [hit.get("slug", "") for hit in page]

    try:
        for q in queries[:10]:
            one(q["q"])
        out = []
        for q in queries:
            t0 = time.perf_counter()
            ranked = one(q["q"])
            out.append({"ms": (time.perf_counter() - t0) * 1000, "ranked": ranked})
    finally:
        s.close()
    return {"results": out}


def _inner(env: dict, *args: str, app: Path = REPO) -> dict:
    env = {**env, "BENCH_APP_ROOT": str(app), "PYTHONPATH": f"{app}{os.pathsep}{REPO}",
           "DJANGO_SETTINGS_MODULE": settings_module(app)}
    proc = subprocess.run([PY, str(REPO / "bench" / "relevance.py"), *args], cwd=app, env=env,
                          capture_output=True, text=True, timeout=7200)
    if proc.returncode != 0:
        raise RuntimeError(f"relevance {args[0]} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the phase -----------------------------------------------------------------------------------


def _score(queries: list[dict], results: list[dict], texts: dict[str, str]) -> dict:
    out: dict = {}
    for kind in ("passage", "name"):
        pairs = [(q, r) for q, r in zip(queries, results, strict=True) if q["kind"] == kind]
        hits = sum(found(q, r["ranked"], texts) for q, r in pairs)
        out[kind] = {"queries": len(pairs), "found": hits,
                     "percent": round(100 * hits / len(pairs), 1) if pairs else None,
                     **summary([r["ms"] for _, r in pairs])}
    out["all"] = summary([r["ms"] for r in results])
    return out


def relevance_phase(work: Path, before_app: Path | None = None) -> dict | None:
    """The phase as ``run.py`` calls it: a dict for the result JSON, or None without the corpus.
    ``before_app`` (or ``BENCH_BEFORE_APP``): an older tree, for the 200-query mix before and after
    on the seed archive (and, with ``BENCH_BEFORE_WIKI=1``, on the articles too)."""
    if not corpora.wikipedia_available():
        log("skipped (../shared/corpus/wikipedia-en not present)")
        return None
    from bench.queries import query_mix

    if before_app is None and os.environ.get("BENCH_BEFORE_APP"):
        before_app = Path(os.environ["BENCH_BEFORE_APP"])
    articles = read_articles(DOCS)
    texts = {a["slug"]: a["text"] for a in articles}
    queries = make_queries(articles)
    qfile = work / "relevance-queries.json"
    qfile.write_text(json.dumps(queries))
    mixfile = work / "relevance-mix.json"
    mixfile.write_text(json.dumps(query_mix(200)))
    c = corpora.wikipedia_corpus(work / "relevance-wiki", DOCS)
    data = work / "data-relevance"
    data.mkdir()
    env = bench_env(data)
    row: dict = {"docs": c.docs, "mb": round(c.chars / 1e6, 1),
                 "queries": {k: sum(q["kind"] == k for q in queries) for k in ("passage", "name")}}

    manage(env, "migrate", "--noinput", "-v", "0")
    log(f"ours: load_archive + rebuild_index ({c.docs} articles)")
    t0 = time.perf_counter()
    manage(env, "load_archive", str(c.path), "--no-progress", "--records", str(c.records), timeout=7200)
    manage(env, "rebuild_index", "--no-progress", timeout=7200)
    row["ours_load_index_s"] = round(time.perf_counter() - t0, 1)
    subprocess.run([PY, str(REPO / "bench" / "djangoside.py"), "pending"], cwd=REPO, env=env, capture_output=True)
    # Plain Whoosh reads the same index (the same postings, schema and analyzer): its own parser
    # and searcher, the documents only. Interleaved with ours, so that both see the same load.
    index_dir = Path(os.path.realpath(data / "index"))
    ours_runs, plain_runs = [], []
    for n in range(ROUNDS):
        log(f"plain Whoosh: the queries (round {n + 1} of {ROUNDS})")
        plain_runs.append(_inner(env, "plain", str(index_dir), str(qfile))["results"])
        log(f"ours: the queries in-process (round {n + 1} of {ROUNDS})")
        ours_runs.append(_inner(env, "ours", str(qfile))["results"])
    ours, plain = _fastest(ours_runs), _fastest(plain_runs)
    log("ours: the 200-query mix in-process")
    row["mix_after"] = _inner(env, "mix", str(mixfile))
    if before_app is not None:
        row["mix_seed"] = _seed_mix(work, before_app, mixfile)
        if os.environ.get("BENCH_BEFORE_WIKI"):
            log(f"the 200-query mix on the tree in {before_app.name} (its own index of the same articles)")
            old = work / "data-relevance-before"
            old.mkdir()
            old_env = {**bench_env(old), "DJANGO_SETTINGS_MODULE": settings_module(before_app)}
            for args in (("migrate", "--noinput", "-v", "0"),
                         ("load_archive", str(c.path), "--no-progress", "--records", str(c.records)),
                         ("rebuild_index", "--no-progress")):
                subprocess.run([PY, "manage.py", *args], cwd=before_app, env={**old_env, "PYTHONPATH": str(before_app)},
                               check=True, capture_output=True, timeout=7200)
            row["mix_before"] = _inner(old_env, "mix", str(mixfile), app=before_app)
            shutil.rmtree(old, ignore_errors=True)
    log("ours: the queries through /api/search/")
    api = _api_latencies(env, queries)
    row["ours"] = _score(queries, ours, texts)
    row["plain"] = _score(queries, plain, texts)
    row["rounds"] = ROUNDS
    row["api"] = {"all": summary(api), "passage": summary([ms for q, ms in zip(queries, api, strict=True)
                                                           if q["kind"] == "passage"]),
                  "name": summary([ms for q, ms in zip(queries, api, strict=True) if q["kind"] == "name"])}
    row["missed"] = [{"q": q["q"], "want": q["slug"], "got": r["ranked"][:3]} for q, r in zip(queries, ours, strict=True)
                     if not found(q, r["ranked"], texts)][:40]
    for key in ("ours", "api"):
        for kind in ("all", "passage"):
            mine, base = row[key][kind], row["plain"][kind]
            if mine["median_ms"] and base["median_ms"]:
                mine["median_ratio"] = round(mine["median_ms"] / base["median_ms"], 2)
                mine["p95_ratio"] = round(mine["p95_ms"] / base["p95_ms"], 2)
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(c.path, ignore_errors=True)
    return row


def _fastest(runs: list[list[dict]]) -> list[dict]:
    """Per query, the rounds' fastest time (the machine's other load only ever adds), with the
    ranking (the same every round)."""
    return [min(results, key=lambda r: r["ms"]) for results in zip(*runs, strict=True)]


def _seed_mix(work: Path, before_app: Path, mixfile: Path) -> dict:
    """The 200-query mix in-process on the seed archive, on the older tree and on this one, each
    with its own data dir, in interleaved rounds; the median of the rounds' medians and p95s."""
    envs = {}
    for name, app in (("before", before_app), ("after", REPO)):
        data = work / f"data-seed-{name}"
        data.mkdir()
        env = {**bench_env(data), "DJANGO_SETTINGS_MODULE": settings_module(app), "PYTHONPATH": str(app)}
        for args in (("migrate", "--noinput", "-v", "0"),
                     ("load_archive", str(app / "fixtures"), "--no-progress"),
                     ("rebuild_index", "--no-progress")):
            subprocess.run([PY, "manage.py", *args], cwd=app, env=env, check=True, capture_output=True, timeout=1800)
        envs[name] = (env, app)
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    for n in range(ROUNDS):
        for name, (env, app) in envs.items():
            log(f"the 200-query mix on the seed archive, {name} (round {n + 1} of {ROUNDS})")
            runs[name].append(_inner(env, "mix", str(mixfile), app=app))
    out: dict = {"app_before": str(before_app)}
    for name, results in runs.items():
        out[name] = {"median_ms": round(statistics.median(r["median_ms"] for r in results), 2),
                     "p95_ms": round(statistics.median(r["p95_ms"] for r in results), 2), "n": results[0]["n"],
                     "rounds": [{"median_ms": r["median_ms"], "p95_ms": r["p95_ms"]} for r in results]}
    for name in envs:
        shutil.rmtree(work / f"data-seed-{name}", ignore_errors=True)
    return out


def _api_latencies(env: dict, queries: list[dict]) -> list[float]:
    from urllib.parse import urlencode

    from bench import workloads

    out = []
    with Server(env) as server:
        client = workloads.Client(server.base, timeout=120)
        for q in queries[:10]:
            client.request("GET", "/api/search/?" + urlencode({"q": q["q"]}))
        for q in queries:
            t0 = time.perf_counter()
            client.request("GET", "/api/search/?" + urlencode({"q": q["q"]}))
            out.append((time.perf_counter() - t0) * 1000)
    return out


def fmt(v) -> str:
    return "-" if v is None else f"{v:,.1f}" if isinstance(v, float) else f"{v:,}"


def ratio(v) -> str:
    return "-" if v is None else f"{v:.2f}x"


def table(row: dict) -> list[str]:
    lines = [f"Relevance over {row['docs']:,} Wikipedia articles ({row['mb']} MB): "
             f"{row['queries']['passage']} five-word passages (article first), {row['queries']['name']} surnames "
             "(person's article in the top 3)", "",
             "| search | passages first % | names in top 3 % | median ms | p95 ms | passages median / p95 ms | x Whoosh median | x Whoosh p95 |",
             "|---|---|---|---|---|---|---|---|"]
    for label, key in (("ours, in-process", "ours"), ("ours, through /api/search/", "api"), ("plain Whoosh", "plain")):
        r, scored = row[key], row["ours" if key == "api" else key]
        lines.append(f"| {label} | {fmt(scored['passage']['percent'])} | {fmt(scored['name']['percent'])} | "
                     f"{fmt(r['all']['median_ms'])} | {fmt(r['all']['p95_ms'])} | {fmt(r['passage']['median_ms'])} / "
                     f"{fmt(r['passage']['p95_ms'])} | {ratio(r['all'].get('median_ratio'))} | {ratio(r['all'].get('p95_ratio'))} |")
    mix = [("seed archive, before", (row.get("mix_seed") or {}).get("before")),
           ("seed archive, after", (row.get("mix_seed") or {}).get("after")),
           (f"{row['docs']:,} articles, before", row.get("mix_before")),
           (f"{row['docs']:,} articles, after", row.get("mix_after"))]
    if any(r for _, r in mix):
        lines += ["", "| the 200-query mix, in-process | median ms | p95 ms |", "|---|---|---|"]
        lines += [f"| {label} | {fmt(r['median_ms'])} | {fmt(r['p95_ms'])} |" for label, r in mix if r]
    return lines


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="archive-relevance-"))
    try:
        row = relevance_phase(work)
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    if row is None:
        return 0
    out = Path(os.environ.get("BENCH_OUT") or REPO / "bench" / "results" / "relevance.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"relevance": row, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}, indent=2) + "\n")
    print("\n".join(table(row)))
    return 0


INNER = {"ours": inner_ours, "plain": inner_plain, "mix": inner_mix}

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in INNER:
        sys.stdout.write("\n" + json.dumps(INNER[sys.argv[1]](*sys.argv[2:])) + "\n")
        sys.exit(0)
    sys.exit(main())
