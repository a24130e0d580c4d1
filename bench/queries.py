"""The fixed search workload: 200 queries built deterministically from the seed records' names.

Mix (per 200): 60 single names, 40 two-word AND, 30 phrases, 30 variant spellings (aliases that
differ from the label), 20 fuzzy (a misspelt name with ``~``), 20 filtered by kind and year.
Each query is a dict ``{"q": ..., "kind": ..., "year": ...}`` sent as-is to the API, to the
backend directly and to plain Whoosh.
"""

from __future__ import annotations

import json
import random

from .corpus import FIXTURES, KINDS, YEARS

MIX = {"single": 60, "and": 40, "phrase": 30, "variant": 30, "fuzzy": 20, "filtered": 20}


def _records() -> list[dict]:
    data = json.loads((FIXTURES / "records.json").read_text(encoding="utf-8"))
    return data["records"] if isinstance(data, dict) else data


def _word(w: str) -> str:
    return w.strip(".,()'\"’")


def query_mix(total: int = 200, *, seed: int = 1937) -> list[dict]:
    rng = random.Random(f"queries:{seed}")
    records = [r for r in _records() if r["kind"] in ("person", "place", "organisation", "event")]
    surnames = sorted({_word(r["label"].split()[-1]) for r in records if r["kind"] == "person"} - {""})
    singles = sorted({_word(w) for r in records for w in [r["label"].split()[-1]] if len(_word(w)) > 3})
    phrases = sorted({r["label"] for r in records if 2 <= len(r["label"].split()) <= 3 and '"' not in r["label"]})
    variants = sorted({
        _word(a) for r in records for a in r.get("aliases") or []
        if len(a.split()) == 1 and len(_word(a)) > 3 and _word(a).lower() not in r["label"].lower()
    })
    scale = total / sum(MIX.values())
    out: list[dict] = []

    def add(category: str, q: str, **filters) -> None:
        out.append({"type": category, "q": q, "kind": filters.get("kind"), "year": filters.get("year")})

    for _ in range(round(MIX["single"] * scale)):
        add("single", rng.choice(singles))
    for _ in range(round(MIX["and"] * scale)):
        a, b = rng.sample(surnames, 2)
        add("and", f"{a} {b}")
    for _ in range(round(MIX["phrase"] * scale)):
        add("phrase", f'"{rng.choice(phrases)}"')
    for _ in range(round(MIX["variant"] * scale)):
        add("variant", rng.choice(variants))
    for _ in range(round(MIX["fuzzy"] * scale)):
        name = rng.choice([s for s in surnames if len(s) >= 6])
        i = rng.randrange(1, len(name) - 1)
        misspelt = name[:i] + name[i + 1:] if rng.random() < 0.5 else name[:i] + name[i + 1] + name[i] + name[i + 2:]
        add("fuzzy", f"{misspelt}~")
    for _ in range(total - len(out)):
        add("filtered", rng.choice(singles), kind=rng.choice(KINDS), year=rng.choice(YEARS))
    rng.shuffle(out)
    return out
