"""Corpora for the benchmarks, each written as a folder of texts + ``manifest.json`` that
``load_archive`` reads.

- ``seed``: the archive's own ``fixtures/`` (five texts, 233 records), used in place.
- ``wikipedia``: the first N articles of ``../shared/corpus/wikipedia-en/articles.jsonl.gz``
  (relative to the repository root), when that file exists; skipped cleanly otherwise.
- ``generated``: N documents built deterministically from a seed by recombining sentences of the
  seed texts, with names from ``records.json`` inserted so that entity queries have answers.

Wikipedia articles and generated documents have no real dates or kinds; both are assigned
deterministically (a hash of the slug) so that the kind and year filters of the workload select
a real share of the corpus. Only the benchmarks use these folders; they are never committed.

Synthetic authority records (for the autocomplete workload) are made by ``generated_records``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
WIKIPEDIA = REPO.parent / "shared" / "corpus" / "wikipedia-en" / "articles.jsonl.gz"

KINDS = ["lecture", "encyclopedia article", "worksheet", "podcast transcript", "blog post", "letter", "report"]
YEARS = list(range(1930, 1946))
NAME_KINDS = ("person", "place", "organisation", "event")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


@dataclass
class Corpus:
    name: str
    path: Path
    docs: int
    chars: int
    records: Path | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "docs": self.docs, "chars": self.chars}


def _read_manifest(folder: Path) -> list[dict]:
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data["documents"] if isinstance(data, dict) else data


def seed_corpus() -> Corpus:
    entries = _read_manifest(FIXTURES)
    chars = sum(len((FIXTURES / e["file"]).read_text(encoding="utf-8")) for e in entries)
    return Corpus("seed", FIXTURES, len(entries), chars, FIXTURES / "records.json")


def _h(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _assigned_meta(slug: str) -> tuple[str, str]:
    h = _h(slug)
    year = YEARS[h % len(YEARS)]
    month = 1 + (h >> 8) % 12
    day = 1 + (h >> 16) % 28
    return KINDS[(h >> 24) % len(KINDS)], f"{year}-{month:02d}-{day:02d}"


def _write(folder: Path, about: str, entries: list[dict]) -> None:
    (folder / "manifest.json").write_text(
        json.dumps({"about": about, "documents": entries}, ensure_ascii=False, indent=0), encoding="utf-8"
    )


def wikipedia_available() -> bool:
    return WIKIPEDIA.is_file()


def wikipedia_corpus(dest: Path, limit: int | None = None) -> Corpus | None:
    """The first ``limit`` articles (all when None) of the shared Wikipedia sample, or None."""
    if not wikipedia_available():
        return None
    dest.mkdir(parents=True, exist_ok=True)
    entries, chars = [], 0
    with gzip.open(WIKIPEDIA, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                break
            article = json.loads(line)
            text = article.get("text") or ""
            if not text.strip():
                continue
            slug = f"wiki-{i:05d}"
            file_name = f"{slug}.txt"
            (dest / file_name).write_text(text, encoding="utf-8")
            kind, date = _assigned_meta(slug)
            entries.append(
                {"slug": slug, "file": file_name, "title": (article.get("title") or slug)[:500],
                 "author": "Wikipedia contributors", "date": date, "kind": kind,
                 "source": "English Wikipedia (2019 snapshot), CC BY-SA 3.0", "language": "en"}
            )
            chars += len(text)
    _write(dest, "Wikipedia sample for benchmarks; kind and date are assigned, not real.", entries)
    return Corpus(f"wikipedia-{len(entries)}", dest, len(entries), chars, FIXTURES / "records.json")


def seed_sentences() -> list[str]:
    sentences: list[str] = []
    for entry in _read_manifest(FIXTURES):
        text = (FIXTURES / entry["file"]).read_text(encoding="utf-8")
        for paragraph in text.split("\n"):
            for sentence in _SENTENCE_END.split(paragraph.strip()):
                sentence = " ".join(sentence.split())
                if 40 <= len(sentence) <= 400:
                    sentences.append(sentence)
    return sorted(set(sentences))  # sorted: independent of set/dict ordering


def record_names() -> list[str]:
    data = json.loads((FIXTURES / "records.json").read_text(encoding="utf-8"))
    records = data["records"] if isinstance(data, dict) else data
    names = set()
    for record in records:
        if record["kind"] in NAME_KINDS:
            names.add(record["label"])
            names.update(a for a in record.get("aliases") or [] if a)
    return sorted(names)


def generate_text(rng: random.Random, sentences: list[str], names: list[str], size: int) -> tuple[str, list[str]]:
    parts: list[str] = []
    used: list[str] = []
    length = 0
    while length < size:
        paragraph = []
        for _ in range(rng.randint(3, 7)):
            sentence = rng.choice(sentences)
            if rng.random() < 0.45:  # insert a name from the records at a word boundary
                name = rng.choice(names)
                used.append(name)
                words = sentence.split(" ")
                at = rng.randint(1, max(1, len(words) - 1))
                words.insert(at, f"({name})" if rng.random() < 0.5 else f"{name},")
                sentence = " ".join(words)
            paragraph.append(sentence)
        text = " ".join(paragraph)
        parts.append(text)
        length += len(text) + 2
    return "\n\n".join(parts), used


def generated_corpus(dest: Path, n: int, *, seed: int = 1937, doc_chars: int = 3000, name: str = "generated") -> Corpus:
    """Write ``n`` generated documents (about ``doc_chars`` characters each) to ``dest``; the
    corpus is called ``{name}-{n}``.

    The same (n, seed, doc_chars) always gives byte-identical files: each document has its own
    random stream seeded from (seed, index)."""
    dest.mkdir(parents=True, exist_ok=True)
    sentences, names = seed_sentences(), record_names()
    entries, chars = [], 0
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")
        size = int(doc_chars * rng.uniform(0.5, 1.5))
        text, used = generate_text(rng, sentences, names, size)
        slug = f"gen-{seed}-{i:06d}"
        file_name = f"{slug}.txt"
        (dest / file_name).write_text(text, encoding="utf-8")
        year = YEARS[rng.randrange(len(YEARS))]
        entries.append(
            {"slug": slug, "file": file_name,
             "title": f"Document {i}: {used[0] if used else 'untitled'}",
             "author": rng.choice(["", "RJ Tarr", "Fred Williams", "Anonymous"]) or None,
             "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
             "kind": rng.choice(KINDS), "source": f"generated (seed {seed})", "language": "en"}
        )
        chars += len(text)
    _write(dest, f"Generated benchmark corpus: {n} documents, seed {seed}.", entries)
    return Corpus(f"{name}-{n}", dest, n, chars, FIXTURES / "records.json")


FIRST = ["Anna", "Boris", "Dmitri", "Elena", "Fyodor", "Galina", "Igor", "Irina", "Ivan", "Lev", "Maria",
         "Mikhail", "Nadezhda", "Nikolai", "Olga", "Pavel", "Pyotr", "Sergei", "Sofia", "Tatiana", "Vera",
         "Viktor", "Yakov", "Yuri", "Zinaida"]


def generated_records(n: int, *, seed: int = 1937) -> list[dict]:
    """``n`` synthetic person records (label, aliases) for the autocomplete workload; surnames are
    taken from the seed records' names and made unique with a numeric suffix."""
    rng = random.Random(f"records:{seed}")
    surnames = sorted({name.split()[-1].strip(".,") for name in record_names() if len(name.split()[-1]) > 3})
    out = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(surnames)
        label = f"{first} {last}-{i}"
        out.append({"key": f"bench-{seed}-{i}", "kind": "person", "label": label,
                    "aliases": [f"{first[0]}. {last}-{i}", f"{last}-{i}"], "description": "generated"})
    return out


def autocomplete_prefixes(count: int, *, seed: int = 1937) -> list[str]:
    """Prefixes users type: 3-6 letters of seed names, some of first names (lower case)."""
    rng = random.Random(f"prefixes:{seed}")
    words = sorted({w.strip(".,()").lower() for name in record_names() for w in name.split() if len(w) > 3})
    words += [f.lower() for f in FIRST]
    return [rng.choice(words)[: rng.randint(3, 6)] for _ in range(count)]
