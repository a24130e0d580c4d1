"""Bench phase ``ingest`` (BENCH_PHASES=ingest): how fast sources come in.

- text-layer PDF extraction, pages per second (a 200-page PDF built with reportlab);
- OCR, pages per second (a 10-page scanned PDF at 150 dpi, rendered at INGEST_OCR_DPI and read by
  Tesseract, INGEST_OCR_WORKERS pages at once);
- upload to searchable: a 20-page scanned PDF posted to ``/api/ingest/`` until search finds a word
  of its last page, with the real worker (``manage.py db_worker --queue-name index,default``)
  reading it in the background and indexing it (own data dir, SQLite + Whoosh).

    python bench/ingest.py      this phase alone (prints the table, writes bench/results/ingest.json)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


def _child() -> dict:
    """Runs in a process of its own with ARCHIVE_DATA_DIR set (see ``ingest_phase``)."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from archive_site.ingest import extract, ocr_status
    from search import services
    from tests.ingest_samples import scanned_pdf, text_pdf

    out: dict = {}
    lines = [f"Line {k} of the page: the second Moscow trial, Pyatakov and Radek before the court." for k in range(40)]
    pdf = text_pdf([lines] * 200)
    t = time.perf_counter()
    result = extract(pdf, "text.pdf")
    elapsed = time.perf_counter() - t
    out["text_pdf"] = {"pages": len(result.pages), "seconds": round(elapsed, 2), "pages_per_s": round(len(result.pages) / elapsed, 1)}

    status = ocr_status()
    if not status.available:
        out["ocr"] = {"note": f"OCR unavailable: {status.reason}"}
        return out
    page_lines = [["The accused Nikolai Bukharin", "was tried in March 1938 in Moscow.", "Genrikh Yagoda stood beside him.",
                   "Andrey Vyshinsky prosecuted", "the case before the Military", "Collegium of the Supreme Court."]]
    scan = scanned_pdf(page_lines * 10)
    t = time.perf_counter()
    with extract(scan, "scan.pdf") as result:
        elapsed = time.perf_counter() - t
        out["ocr"] = {"pages": len(result.pages), "seconds": round(elapsed, 2), "pages_per_s": round(len(result.pages) / elapsed, 2),
                      "mean_confidence": result.ocr_confidence, "tesseract": status.version}

    call_command("migrate", verbosity=0)
    curator = User.objects.create(username="bench-curator")
    curator.groups.add(Group.objects.get_or_create(name="curators")[0])
    client = APIClient()
    client.force_authenticate(curator)
    pages = page_lines * 19 + [["The last page names Sokolnikov", "and Serebryakov, then ends."]]
    big = scanned_pdf(pages)
    worker = subprocess.Popen([PY, "manage.py", "db_worker", "--queue-name", "index,default", "--interval", "0.2"],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)  # the worker is up
        t = time.perf_counter()
        response = client.post("/api/ingest/", {"file": SimpleUploadedFile("twenty.pdf", big)}, format="multipart")
        accepted = time.perf_counter() - t
        job_url = response.json().get("url", "")
        found = None
        while time.perf_counter() - t < 900:
            if services.search(user=None, text="Serebryakov").count:
                found = time.perf_counter() - t
                break
            time.sleep(0.25)
        job = client.get(job_url).json() if job_url else {}
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    out["upload_to_searchable"] = {"pages": len(pages), "bytes": len(big), "accepted_s": round(accepted, 2),
                                   "searchable_s": round(found, 1) if found else None, "job": job.get("status")}
    return out


def ingest_phase(work: Path | None = None) -> dict:
    """Run the measurements in a child process with its own data dir."""
    data = Path(tempfile.mkdtemp(prefix="ingest-", dir=work))
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(data), "DEBUG": "1", "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
           "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([PY, str(Path(__file__).resolve()), "--child"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=1800)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(row: dict) -> str:
    lines = ["ingest", "------"]
    if "error" in row:
        return "\n".join([*lines, f"failed: {row['error']}"])
    t = row["text_pdf"]
    lines.append(f"text-layer PDF   {t['pages_per_s']:>8} pages/s   ({t['pages']} pages in {t['seconds']} s)")
    o = row.get("ocr", {})
    if "note" in o:
        lines.append(f"OCR              {o['note']}")
    else:
        lines.append(f"OCR              {o['pages_per_s']:>8} pages/s   ({o['pages']} pages in {o['seconds']} s, "
                     f"mean confidence {o['mean_confidence']})")
    u = row.get("upload_to_searchable")
    if u:
        lines.append(f"upload→searchable {u['searchable_s']} s for a {u['pages']}-page scanned PDF "
                     f"(accepted in {u['accepted_s']} s; job {u['job']})")
    return "\n".join(lines)


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(_child()))
        sys.exit(0)
    result = ingest_phase()
    print(table(result))
    out = REPO / "bench" / "results" / "ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
