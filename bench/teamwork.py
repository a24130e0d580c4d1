"""Teamwork benchmark: "link all occurrences" (finding and creating 1,000 occurrences as one batch,
and undoing it), a record's network across 10,000 annotations, and agreement for a document with
3 annotators.

    python bench/run.py with BENCH_PHASES=teamwork      (as a phase of ``make bench``)
    python bench/teamwork.py --phase                    the phase alone (prints the table, writes
                                                        bench/results/teamwork.json)

The phase migrates a fresh temporary data dir (SQLite; PostgreSQL too when a server answers on
127.0.0.1:5432 and BENCH_POSTGRES is not 0), loads the seed archive, and runs the measurements
in a child process (``python bench/teamwork.py --inside``) through the same API views and
services users call (Django's test client in-process: no HTTP server, so the figures are the
server's time). Targets (issue 17): a 1,000-occurrence batch created in under 5 s; the record
network API under 200 ms.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_BATCH_S = 5.0
TARGET_NETWORK_MS = 200.0
OCCURRENCES = 1000
NETWORK_ANNOTATIONS = 10_000
AGREEMENT_WORDS = 20_000
REPEATS = 15


def _timed(fn, repeats: int = 1) -> tuple[list[float], object]:
    out, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out, result


def _summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
            "runs": len(ordered)}


# --- inside Django --------------------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _client(user):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")  # one of the ALLOWED_HOSTS the bench's settings give
    if user is not None:
        client.force_login(user)
    return client


def _filler(rng: random.Random, words: int) -> str:
    vocabulary = ("the trial of the bloc opened in the October hall before the military collegium where the "
                  "accused confessed to sabotage and terror on the orders of the centre").split()
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def measure_batch(user) -> dict:
    """A document naming one record 1,000 times (label and two transliterations), found and
    annotated as one batch through the API, then undone."""
    from annotations.models import Annotation
    from archive_site.models import Document, Record

    rng = random.Random("teamwork:batch")
    record = Record.objects.create(key="bench-yagoda", kind="person", label="Genrikh Yagoda", aliases=["Jagoda", "Iagoda"])
    names = ["Genrikh Yagoda", "Yagoda", "Jagoda", "Iagoda", "YAGODA"]
    paragraphs = [f"{_filler(rng, 12)} {rng.choice(names)} {_filler(rng, 8)}." for _ in range(OCCURRENCES)]
    document = Document.objects.create(slug="bench-occurrences", title="Bench: a thousand Yagodas", author="bench",
                                       date="1938", kind="transcript", source="bench", language="en",
                                       text="\n\n".join(paragraphs))
    client = _client(user)
    url = f"/api/records/{record.pk}/occurrences/"
    find_doc, listed = _timed(lambda: client.get(url, {"document": document.slug}), repeats=5)
    find_archive, _ = _timed(lambda: client.get(url), repeats=5)
    found = listed.json()["total"]
    payload = {"document": document.slug, "all": True, "entity_type": "person", "tags": ["NKVD"], "visibility": "public"}
    [create_ms], response = _timed(lambda: client.post(url, payload, content_type="application/json"))
    body = response.json()
    assert response.status_code == 201, body
    batch_id = body["batch"]["id"]
    made = Annotation.objects.filter(batch_id=batch_id).count()
    [undo_ms], undone = _timed(lambda: client.post(f"/api/batches/{batch_id}/undo/"))
    assert undone.status_code == 200, undone.content
    return {
        "occurrences_found": found, "created": made, "document_chars": len(document.text),
        "find_in_document": _summary(find_doc), "find_across_archive": _summary(find_archive),
        "create_batch_ms": round(create_ms, 1), "undo_batch_ms": round(undo_ms, 1),
        "deleted_by_undo": len(undone.json()["deleted"]),
        "target_create_batch_s": TARGET_BATCH_S, "meets_target": create_ms / 1000 < TARGET_BATCH_S,
    }


def measure_network(user) -> dict:
    """10,000 published annotations across the seed archive's documents, 200 records, 3,000
    relations; the network of the most related record, signed in and as a visitor."""
    from annotations.models import Annotation, RelationType
    from archive_site.models import Document, Record

    rng = random.Random("teamwork:network")
    documents = list(Document.objects.all())
    records = Record.objects.bulk_create([Record(key=f"bench-net-{i}", kind="person", label=f"Network person {i}",
                                                 search_names=f"network person {i}") for i in range(200)])
    rows = []
    for i in range(NETWORK_ANNOTATIONS):
        doc = documents[i % len(documents)]
        start = rng.randrange(0, max(1, len(doc.text) - 20))
        rows.append(Annotation(document=doc, creator=user, target_start=start, target_end=start + 10,
                               target_quote=doc.text[start:start + 10], visibility="public", status="approved",
                               motivation="identifying"))
    made = Annotation.objects.bulk_create(rows, batch_size=1000)
    weights = [1.0 / (k + 1) for k in range(len(records))]  # a few records are named very often
    links = [Annotation.records.through(annotation=a, record=rng.choices(records, weights)[0]) for a in made[:8000]]
    Annotation.records.through.objects.bulk_create(links, batch_size=2000)
    types = list(RelationType.objects.all())
    relations = []
    for _ in range(3000):
        source, target = rng.sample(made, 2)
        relations.append(Annotation(document=source.document, creator=user, relation_source=source,
                                    relation_target=target, relation_type=rng.choice(types), motivation="linking",
                                    visibility="public", status="approved"))
    Annotation.objects.bulk_create(relations, batch_size=1000)
    center = records[0]
    signed_in, anonymous = _client(user), _client(None)
    url = f"/api/records/{center.pk}/network/"
    signed_in.get(url)  # warm up (URL resolver, first queries)
    ms_user, response = _timed(lambda: signed_in.get(url), repeats=REPEATS)
    ms_visitor, _ = _timed(lambda: anonymous.get(url), repeats=REPEATS)
    body = response.json()
    return {
        "annotations": Annotation.objects.count(), "relations_total": len(relations),
        "center_relations": body["relations"], "nodes": len(body["nodes"]), "edges": len(body["edges"]),
        "signed_in": _summary(ms_user), "visitor": _summary(ms_visitor),
        "target_ms": TARGET_NETWORK_MS, "meets_target": statistics.median(ms_user) < TARGET_NETWORK_MS
        and statistics.median(ms_visitor) < TARGET_NETWORK_MS,
    }


def measure_agreement(curator) -> dict:
    """A task on a document of 20,000 words, three annotators with about 600 person/place
    annotations each (agreeing on most): alpha for the document, its disagreements, and the
    curators' adjudication page."""
    from django.contrib.auth import get_user_model

    from annotations import assignments
    from annotations.models import Annotation, EntityType
    from archive_site.models import Document
    from curation import agreement

    rng = random.Random("teamwork:agreement")
    text = _filler(rng, AGREEMENT_WORDS)
    document = Document.objects.create(slug="bench-agreement", title="Bench: agreement", author="bench", date="1937",
                                       kind="transcript", source="bench", language="en", text=text)
    users = [get_user_model().objects.create(username=f"bench-annotator-{i}") for i in range(3)]
    types = list(EntityType.objects.filter(key__in=["person", "place"]))
    task = assignments.create_task(user=curator, title="Bench agreement", documents=[document], entity_types=types,
                                   assignees=users)
    words = [(i, i + len(w)) for i, w in _word_spans(text)]
    picks = rng.sample(range(len(words)), 600)
    rows = []
    for n, user in enumerate(users):
        for k in picks:
            if rng.random() < 0.1 * (n + 1):  # each annotator skips or retypes a few
                continue
            kind = types[k % 2] if rng.random() > 0.05 else types[(k + 1) % 2]
            start, end = words[k]
            rows.append(Annotation(document=document, creator=user, task=task, visibility="group", group=task.group,
                                   status="pending", target_start=start, target_end=end, target_quote=text[start:end],
                                   entity_type=kind, motivation="classifying"))
    Annotation.objects.bulk_create(rows, batch_size=1000)
    for user in users:
        assignments.finish_task(user=user, task=task)
    ms_alpha, result = _timed(lambda: agreement.document_agreement(task, document), repeats=5)
    ms_groups, groups = _timed(lambda: agreement.groups(task, document), repeats=5)
    page = _client(curator)
    ms_page, response = _timed(lambda: page.get(f"/curate/tasks/{task.pk}/documents/{document.slug}/"), repeats=3)
    assert response.status_code == 200
    return {
        "words": result.units, "annotators": result.annotators, "task_annotations": len(rows),
        "alpha_all_types": result.overall.value, "alpha_by_type": {k: a.value for k, a in result.by_type.items()},
        "passages": len(groups), "disagreements": sum(1 for g in groups if not g.agreed),
        "alpha": _summary(ms_alpha), "group_passages": _summary(ms_groups), "adjudication_page": _summary(ms_page),
    }


def _word_spans(text: str):
    import re

    return ((m.start(), m.group()) for m in re.finditer(r"\w+", text))


def inside() -> dict:
    _setup_django()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from bench.corpus import seed_corpus

    seed = seed_corpus()
    call_command("load_archive", str(seed.path), "--no-progress", "--records", str(seed.records), stdout=open(os.devnull, "w"))
    user = get_user_model().objects.create(username="bench-teamwork")
    curator = get_user_model().objects.create(username="bench-curator")
    curator.groups.add(Group.objects.get_or_create(name="curators")[0])
    return {"database": connection.vendor, "batch": measure_batch(user), "network": measure_network(user),
            "agreement": measure_agreement(curator)}


# --- the phase (outside Django) ---------------------------------------------------------------------


def _run_inside(work: Path, database_url: str | None, label: str) -> dict:
    from bench.server import PY, bench_env, manage

    data = work / f"data-teamwork-{label}"
    data.mkdir(parents=True)
    env = bench_env(data, database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")  # the curators' page is rendered as deployed
    proc = subprocess.run([PY, str(Path(__file__).resolve()), "--inside"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"teamwork ({label}) failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def teamwork_phase(work: Path, pg_url: str | None = None) -> list[dict]:
    """The phase for ``bench/run.py``: SQLite, and PostgreSQL when ``pg_url`` is given."""
    rows = [_run_inside(work, None, "sqlite")]
    if pg_url:
        rows.append(_run_inside(work, pg_url, "postgresql"))
    return rows


def table(rows: list[dict]) -> list[str]:
    out = ["", "Teamwork (issue 17): link all occurrences, record network, agreement",
           f"{'database':<11} {'batch 1,000 (s)':>15} {'undo (s)':>9} {'find doc ms':>12} {'find archive ms':>16} "
           f"{'network ms (p95)':>17} {'visitor ms':>11} {'alpha ms':>9} {'adjudicate page ms':>19}"]
    for r in rows:
        b, n, a = r["batch"], r["network"], r["agreement"]
        out.append(
            f"{r['database']:<11} {b['create_batch_ms'] / 1000:>15.2f} {b['undo_batch_ms'] / 1000:>9.2f} "
            f"{b['find_in_document']['median_ms']:>12.1f} {b['find_across_archive']['median_ms']:>16.1f} "
            f"{n['signed_in']['median_ms']:>8.1f} ({n['signed_in']['p95_ms']:.1f}) {n['visitor']['median_ms']:>11.1f} "
            f"{a['alpha']['median_ms']:>9.1f} {a['adjudication_page']['median_ms']:>19.1f}")
    for r in rows:
        b, n = r["batch"], r["network"]
        out.append(f"  {r['database']}: {b['created']} annotations from {b['occurrences_found']} occurrences "
                   f"(target < {TARGET_BATCH_S:.0f} s: {'met' if b['meets_target'] else 'MISSED'}); network of "
                   f"{n['center_relations']} relations, {n['nodes']} nodes over {n['annotations']:,} annotations "
                   f"(target < {TARGET_NETWORK_MS:.0f} ms: {'met' if n['meets_target'] else 'MISSED'}); alpha "
                   f"{r['agreement']['alpha_all_types']} over {r['agreement']['words']:,} words, 3 annotators")
    return out


def main() -> int:
    from bench.run import drop_pg, postgres_url_available, PG_URL  # noqa: I001 - the bench's PostgreSQL helpers

    work = Path(tempfile.mkdtemp(prefix="archive-bench-teamwork-"))
    use_pg = os.environ.get("BENCH_POSTGRES", "1") != "0" and postgres_url_available()
    try:
        rows = teamwork_phase(work, PG_URL if use_pg else None)
    finally:
        if use_pg:
            drop_pg()
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    out = REPO / "bench" / "results" / "teamwork.json"
    out.write_text(json.dumps({"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "teamwork": rows}, indent=2) + "\n")
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    if "--inside" in sys.argv:
        print(json.dumps(inside()))
        sys.exit(0)
    sys.exit(main())
