"""Hostile queries: the ones that cost the most per request (huge fuzzy distances, leading
wildcards, ORs of many wildcards or fuzzy terms, many unknown or misspelt words for the spelling
corrector, deep nesting, long phrases, many exclusions), built deterministically from the seed
records' names. The hostile phase of ``run.py`` sends each through the API (sequentially, then the
worst one from 4 clients at once, then a plain query to check the workers survived) and through
the search service in-process, and reports the worst case. Every answer must be 200 or 400;
anything else is counted as an error.
"""

from __future__ import annotations

import json
import random

from .corpus import FIXTURES, _read_manifest

MAX_CHARS = 500  # the API's limit on q (longer is refused before any search)


def _names() -> list[str]:
    data = json.loads((FIXTURES / "records.json").read_text(encoding="utf-8"))
    records = data["records"] if isinstance(data, dict) else data
    names = {r["label"].split()[-1].strip(".,()'\"’") for r in records if r["kind"] == "person"}
    return sorted(n for n in names if n.isalpha() and len(n) >= 5)


def _misspelt(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1:]


def _fit(words: list[str], glue: str = " ") -> str:
    out = ""
    for word in words:
        candidate = word if not out else out + glue + word
        if len(candidate) > MAX_CHARS:
            break
        out = candidate
    return out


def hostile_queries() -> list[dict]:
    rng = random.Random("hostile:1937")
    names = _names()
    misspelt = [_misspelt(n, rng) for n in names]
    first = _read_manifest(FIXTURES)[0]["file"]
    prose = [w for w in (FIXTURES / first).read_text(encoding="utf-8").split() if w.isalpha()][:200]
    cases = [
        ("fuzzy ~5 on a long name", "Tukhachevsky~5"),
        ("fuzzy ~3 on a long name", "Tukhachevsky~3"),
        ("fuzzy ~99 on one letter", "a~99"),
        ("fuzzy ~2 on two letters", "ab~2"),
        ("fuzzy ~2 on a 40-letter word", "x" * 40 + "~2"),
        ("leading and trailing wildcard", "*a*"),
        ("wildcards only", "?*?*?*"),
        ("a lone star", "*"),
        ("one-letter prefix", "a*"),
        ("two one-letter prefixes", "s* t*"),
        ("prefix with a scan of its range", "a*z*q"),
        ("ten question marks", "a??????????"),
        ("OR of 20 one-letter prefixes", _fit([f"{c}*" for c in "abcdefghiklmnoprstuvw"], " OR ")),
        ("OR of narrow prefixes", _fit([n[:4] + "*" for n in names], " OR ")),
        ("OR of fuzzy ~2 names", _fit([n + "~2" for n in names], " OR ")),
        ("100 unknown words", _fit([f"q{i:02d}z" for i in range(100)])),
        ("60 unknown words", _fit([f"zq{i:02d}xw" for i in range(60)])),
        ("misspelt names, all required", _fit(misspelt[:60])),
        ("misspelt names OR", _fit(misspelt, " OR ")),
        ("50 nested parentheses", "(" * 50 + "Stalin" + ")" * 50),
        ("8 nested parentheses", "(" * 8 + "Stalin OR Trotsky" + ")" * 8),
        ("many exclusions", _fit(["Stalin", *(f"-{n}" for n in names)])),
        ("many NOTs", _fit(["Stalin", *(f"NOT {n}" for n in names)])),
        ("long phrase", '"' + _fit(prose[:60])[: MAX_CHARS - 2] + '"'),
        ("phrase with slop 100", '"Stalin Trotsky"~100'),
        ("every year", "year:[0 TO 9999]"),
        ("OR of common words", _fit(["the", "of", "and", "to", "in", "a", "was", "that", "he", "for", "on", "as",
                                     "with", "by", "his", "were", "at", "from", "had", "which"], " OR ")),
        ("field prefixes", _fit([f"title:{n[:3]}* author:{n[:2]}*" for n in names], " OR ")),
    ]
    return [{"label": label, "q": q} for label, q in cases if q]
