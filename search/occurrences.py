"""Every passage naming a record ("link all occurrences"), and annotating the chosen ones as one
batch.

A record is named by its label and its aliases; a passage names it when its words, folded as
search folds them (``search.analysis``: case, accents and the transliteration rules, so
"Yagoda", "Jagoda" and "Iagoda" are one name; no stemming, so "Stalinist" does not name
Stalin), are the words of one of those names in order, with at most a little punctuation and no
paragraph break between them ("J. V. Stalin", "Stalin's" naming Stalin). Leftmost, then
longest: "Joseph Stalin" is one occurrence, not two.

Each occurrence says whether an annotation the reader may see already links the record there
(``annotated``): those are not annotated again (``annotations.batches`` skips them too, so a
stale list never makes duplicates). Creating the batch re-finds the occurrences and accepts only
passages among them: a batch says "these passages name this record", and that is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from annotations import batches, permissions
from annotations.models import Annotation
from annotations.schemas import InputError
from archive_site.models import Document, Record

from . import analysis

MAX_OCCURRENCES = batches.MAX_BATCH
CONTEXT = 60
_MAX_GAP = 3  # punctuation characters allowed between two words of one name


def _fold(word: str) -> str:
    return analysis.fold_word(word, stemming=False)


def name_keys(record: Record) -> dict[str, list[tuple[str, ...]]]:
    """first folded word -> the record's names as folded word tuples, longest first."""
    index: dict[str, set[tuple[str, ...]]] = {}
    for name in record.all_names():
        words = tuple(_fold(w) for w, _, _ in analysis.tokenize(name))
        if not words or (len(words) == 1 and (len(words[0]) < 2 or words[0].isdigit())):
            continue
        index.setdefault(words[0], set()).add(words)
    return {first: sorted(keys, key=len, reverse=True) for first, keys in index.items()}


def _joins(gap: str) -> bool:
    """Whether the text between two words may sit inside a name."""
    if gap.count("\n") > 1:
        return False
    return len("".join(gap.split())) <= _MAX_GAP


def scan(text: str, keys: dict[str, list[tuple[str, ...]]]) -> list[tuple[int, int]]:
    """Non-overlapping [start, end) spans of ``text`` naming one of ``keys``, leftmost then longest."""
    if not keys:
        return []
    tokens = [(m.start(), m.end(), _fold(m.group())) for m in analysis.WORD_PATTERN.finditer(text)]
    found = []
    i, n = 0, len(tokens)
    while i < n:
        candidates = keys.get(tokens[i][2])
        matched = 0
        if candidates:
            for key in candidates:
                size = len(key)
                if i + size > n:
                    continue
                if all(tokens[i + k][2] == key[k] and _joins(text[tokens[i + k - 1][1]:tokens[i + k][0]])
                       for k in range(1, size)):
                    matched = size
                    break
        if matched:
            found.append((tokens[i][0], tokens[i + matched - 1][1]))
            i += matched
        else:
            i += 1
    return found


@dataclass
class Occurrence:
    document: Document
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    annotated: int | None  # an annotation the reader may see that links the record here


@dataclass
class Found:
    record: Record
    document: Document | None
    occurrences: list[Occurrence]
    truncated: bool = False


def _canonical(record: Record) -> Record:
    return Record.objects.get(pk=record.merged_into_id) if record.merged_into_id else record


def find_occurrences(user, record: Record, *, document: Document | None = None, limit: int = MAX_OCCURRENCES) -> Found:
    """Every passage naming ``record`` in ``document`` (None: across the archive, documents in
    title order), with context, each marked with the visible annotation that already links the
    record there, if any."""
    record = _canonical(record)
    keys = name_keys(record)
    documents = [document] if document is not None else Document.objects.order_by("title", "pk")
    out: list[Occurrence] = []
    truncated = False
    spans_by_doc: list[tuple[Document, list[tuple[int, int]]]] = []
    for doc in documents:
        spans = scan(doc.text, keys)
        if spans:
            spans_by_doc.append((doc, spans))
        if sum(len(s) for _, s in spans_by_doc) > limit:
            truncated = True
            break
    taken = batches._taken_spans(user, record, [doc.pk for doc, _ in spans_by_doc]) if spans_by_doc else {}
    for doc, spans in spans_by_doc:
        text = doc.text
        for start, end in spans:
            if len(out) >= limit:
                truncated = True
                break
            out.append(Occurrence(
                document=doc, start=start, end=end, quote=text[start:end],
                prefix=text[max(0, start - CONTEXT):start], suffix=text[end:end + CONTEXT],
                annotated=batches.already_annotated(taken.get(doc.pk, []), start, end),
            ))
    return Found(record=record, document=document, occurrences=out, truncated=truncated)


class NotAnOccurrence(ValueError):
    """A chosen passage is not one of the record's occurrences (the message says which)."""


def link_all(*, user, record: Record, chosen: list[tuple[str, int, int]] | None, document: Document | None = None,
             entity_type=None, tags: list[str] = (), visibility: str = Annotation.Visibility.PRIVATE, group=None,
             comment: str = "") -> batches.BatchReport:
    """Annotate the chosen occurrences of ``record`` (``(slug, start, end)`` each; None: all of
    them not yet annotated) as one batch. Every chosen passage must be an occurrence."""
    if not permissions.can_create(user):
        raise PermissionDenied("Sign in to annotate.")
    found = find_occurrences(user, record, document=document)
    by_span = {(o.document.slug, o.start, o.end): o for o in found.occurrences}
    if chosen is None:
        picked = [o for o in found.occurrences if o.annotated is None]
        if not picked:
            raise InputError({"passages": f"No occurrence of {found.record.label!r} is left to annotate: "
                                          f"{len(found.occurrences)} found, all annotated with it already."})
    else:
        wrong = [c for c in chosen if c not in by_span]
        if wrong:
            shown = ", ".join(f"{slug} [{s}, {e})" for slug, s, e in wrong[:5])
            raise NotAnOccurrence(
                f"{len(wrong)} chosen passage{'s are' if len(wrong) != 1 else ' is'} not an occurrence of "
                f"{found.record.label!r}{' in this document' if document else ''}: {shown}.")
        picked = [by_span[c] for c in dict.fromkeys(chosen)]
    passages = [batches.Passage(document=o.document, start=o.start, end=o.end) for o in picked]
    return batches.create_batch(user=user, record=found.record, passages=passages, entity_type=entity_type,
                                tags=list(tags), visibility=visibility, group=group, comment=comment,
                                document=document)
