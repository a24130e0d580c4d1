"""The Whoosh index schema and the analyzer that wraps ``search.analysis`` (the one analysis
definition) for Whoosh. Indexing goes through it; queries arrive already analysed by the core's
parser (``search.parser``, the same ``search.analysis`` steps), so matching, the snippet marks
read from the postings and spelling all see the same word forms."""

from __future__ import annotations

from array import array

from whoosh import fields
from whoosh.analysis import Filter, Tokenizer
from whoosh.analysis.acore import Token

from search import analysis
from search.backends.base import IndexEntry

WILDCARDS = ("*", "?")


class FoldingTokenizer(Tokenizer):
    """Words as ``search.analysis.tokenize`` finds them, with str offsets (code points)."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:  # a wildcard / fuzzy term from Whoosh's own query parser (the plain-Whoosh
            # baseline in bench/ parses with it): one token, as typed
            t.original = t.text = value
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        t.boost = 1.0
        t.stopped = False
        # The same words as ``analysis.tokenize``; the loop is written out per option because it
        # runs once per word of every text indexed.
        matches = analysis.WORD_PATTERN.finditer(value)
        if positions and chars:
            for pos, match in enumerate(matches, start_pos):
                t.original = t.text = match.group()
                t.pos = pos
                start, end = match.span()
                t.startchar, t.endchar = start_char + start, start_char + end
                yield t
        else:
            for pos, match in enumerate(matches, start_pos):
                t.original = t.text = match.group()
                if positions:
                    t.pos = pos
                if chars:
                    start, end = match.span()
                    t.startchar, t.endchar = start_char + start, start_char + end
                yield t


class FormsFilter(Filter):
    """The forms of each word (``analysis.forms``) at its position when indexing: the stemmed form,
    the exact one and, for names, the variant and phonetic ones. A query analysed by Whoosh's own
    parser (the plain-Whoosh baseline in bench/) gets the stemmed form only, and a wildcard term
    its folded letters."""

    is_morph = True

    def __call__(self, tokens):
        fold, stemmed, forms = analysis.fold_unstemmed, analysis.fold_word, analysis.forms
        for t in tokens:
            text = t.text
            if "*" in text or "?" in text:  # WILDCARDS
                t.text = "".join(p if p in WILDCARDS else fold(p) for p in _split_wildcards(text))
                yield t
            elif t.mode == "index":
                for form in forms(text):
                    t.text = form
                    yield t
            else:
                t.text = stemmed(text)
                yield t


class FoldingFilter(Filter):
    """Before the index held every form of a word: kept so that an index written then still opens
    (its pickled schema names this class) until ``rebuild_index`` replaces it."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = analysis.fold_unstemmed(t.text)
            yield t


class StemmingFilter(Filter):
    """See ``FoldingFilter``: kept for indexes written before ``FormsFilter``."""

    is_morph = True

    def __call__(self, tokens):
        for t in tokens:
            t.text = analysis.stem(t.text)
            yield t


def _split_wildcards(text: str) -> list[str]:
    out, cur = [], ""
    for ch in text:
        if ch in WILDCARDS:
            if cur:
                out.append(cur)
            out.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


ANALYZER = FoldingTokenizer() | FormsFilter()


def text_field(boost: float = 1.0, stored: bool = False, spelling: bool = False) -> fields.TEXT:
    # Positions, not character offsets: snippets find a word's offsets by counting the words of
    # the stored text (``results.word_spans``), and every read of a frequent word's postings
    # decodes a third of what it did.
    return fields.TEXT(analyzer=ANALYZER, stored=stored, field_boost=boost, phrase=True, chars=False,
                       spelling=spelling)


def make_schema() -> fields.Schema:
    return fields.Schema(
        uid=fields.ID(unique=True, stored=True),  # "document:12"
        type=fields.ID(stored=True),
        pk=fields.NUMERIC(int, bits=64, stored=True, signed=True),
        stamp=fields.STORED(),
        starts=fields.STORED(),  # where each word of body starts (``word_starts``): snippets' offsets
        title=text_field(boost=3.0, stored=True, spelling=False),
        body=text_field(stored=True, spelling=False),
        names=text_field(boost=2.0, spelling=False),
        author=text_field(boost=1.5),
        kind=text_field(),
        year=fields.NUMERIC(int, stored=True, signed=True),
        slug=fields.ID(stored=True),
        # exact values for filters and facets
        kind_f=fields.ID(),
        author_f=fields.ID(),
        year_f=fields.ID(),
        decade_f=fields.ID(),
        records_f=fields.KEYWORD(commas=True),
        entity_f=fields.KEYWORD(commas=True),
        document_f=fields.ID(),
        visibility=fields.ID(),
        creator_f=fields.ID(),
        group_f=fields.ID(),
        status=fields.ID(),
    )


def word_starts(text: str) -> bytes:
    """Where each word of ``text`` starts (str offsets, as ``analysis.tokenize`` finds the words),
    as the gaps between them: a type code (``H`` or ``I``) and a native array. Two bytes a word:
    a snippet turns a word's position into its offsets without reading the text's words again
    (``results.word_spans``)."""
    gaps, last = [], 0
    for match in analysis.WORD_PATTERN.finditer(text):
        start = match.start()
        gaps.append(start - last)
        last = start
    code = "H" if not gaps or max(gaps) < 1 << 16 else "I"
    return code.encode() + array(code, gaps).tobytes()


def to_fields(entry: IndexEntry) -> dict:
    """An IndexEntry as the keyword arguments of ``writer.update_document``."""
    doc = {
        "uid": f"{entry.type}:{entry.pk}",
        "type": entry.type,
        "pk": entry.pk,
        "stamp": entry.stamp,
        "title": entry.title,
        "body": entry.body,
        "starts": word_starts(entry.body) if entry.body else None,
        "names": entry.names,
        "author": entry.author,
        "kind": entry.kind,
        "slug": entry.slug,
        "visibility": entry.visibility,
        "status": entry.status,
    }
    if entry.year is not None:
        doc["year"] = entry.year
        doc["year_f"] = str(entry.year)
        doc["decade_f"] = str(entry.year // 10 * 10)
    if entry.kind:
        doc["kind_f"] = entry.kind
    if entry.author:
        doc["author_f"] = entry.author
    if entry.record_ids:
        doc["records_f"] = ",".join(str(r) for r in entry.record_ids)
    if entry.entity_types:
        doc["entity_f"] = ",".join(entry.entity_types)
    if entry.document_id is not None:
        doc["document_f"] = str(entry.document_id)
    if entry.creator_id is not None:
        doc["creator_f"] = str(entry.creator_id)
    if entry.group_id is not None:
        doc["group_f"] = str(entry.group_id)
    return {k: v for k, v in doc.items() if v is not None and v != ""}
