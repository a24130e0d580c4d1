"""The benchmarks' generated corpus is deterministic and loads like any archive folder."""

from __future__ import annotations

import pytest

from archive_site.loader import load_archive
from archive_site.models import Document
from bench.corpus import generated_corpus, record_names
from bench.queries import query_mix


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_generated_corpus_is_the_same_for_the_same_seed(tmp_path):
    first = generated_corpus(tmp_path / "a", 20, seed=7, doc_chars=800)
    second = generated_corpus(tmp_path / "b", 20, seed=7, doc_chars=800)
    other = generated_corpus(tmp_path / "c", 20, seed=8, doc_chars=800)

    assert first.docs == 20 and first.chars == second.chars
    assert _files(first.path) == _files(second.path)
    assert _files(first.path) != _files(other.path)


def test_generated_corpus_mentions_record_names(tmp_path):
    corpus = generated_corpus(tmp_path / "g", 20, seed=7, doc_chars=800)
    text = " ".join(p.read_text(encoding="utf-8") for p in corpus.path.glob("*.txt"))
    assert sum(name in text for name in record_names()) >= 20


@pytest.mark.django_db
def test_generated_corpus_loads_with_load_archive(tmp_path):
    corpus = generated_corpus(tmp_path / "g", 20, seed=7, doc_chars=800)

    report = load_archive(corpus.path, records_path=corpus.records)

    assert len(report.created["documents"]) == 20
    assert Document.objects.count() == 20
    assert {d.kind for d in Document.objects.all()} <= {
        "lecture", "encyclopedia article", "worksheet", "podcast transcript", "blog post", "letter", "report"
    }


def test_query_mix_is_fixed():
    assert query_mix(200) == query_mix(200)
    assert len(query_mix(200)) == 200
