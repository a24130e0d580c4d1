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

import functools
import gzip
import hashlib
import json
import random
import re
from collections.abc import Iterator
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


# --- a million authority records: Russian names as English, German and French texts spell them ------

_MALE = ("Александр Алексей Анатолий Андрей Антон Аркадий Борис Вадим Валентин Валерий Василий Виктор "
         "Виталий Владимир Вячеслав Геннадий Георгий Григорий Даниил Денис Дмитрий Евгений Егор Иван Игорь "
         "Илья Кирилл Константин Лев Леонид Максим Матвей Михаил Никита Николай Олег Павел Пётр Роман Семён "
         "Сергей Станислав Степан Тимофей Фёдор Юрий Яков").split()
_FEMALE = ("Александра Алла Анастасия Анна Антонина Валентина Вера Галина Дарья Евгения Екатерина Елена "
           "Елизавета Зинаида Зоя Ирина Клавдия Ксения Лидия Любовь Людмила Мария Надежда Наталья Нина Ольга "
           "Полина Раиса Светлана Софья Тамара Татьяна Юлия").split()
_SURNAMES = ("Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков "
             "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин "
             "Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов "
             "Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв "
             "Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов "
             "Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников "
             "Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов "
             "Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов "
             "Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв "
             "Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачёв "
             "Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев "
             "Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов "
             "Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронцов Ежов Ягода "
             "Тухачевский Якир Уборевич Блюхер Зиновьев Каменев Бухарин Рыков Пятаков Радек Сокольников "
             "Крестинский Раковский Розенгольц Гольцман Смирнов Мрачковский Евдокимов Бакаев Тер-Ваганян "
             "Енукидзе Карахан Рудзутак Косиор Чубарь Постышев Эйхе Мейерхольд Бабель Мандельштам Вавилов "
             "Королёв Туполев Ландау Флоренский Кольцов Пильняк Корнилов Шаламов").split()
_ROOTS = ("Берёз Бел Бобр Богомол Бондар Бород Волын Вороб Глад Голов Горш Грач Гуд Дуб Ерш Жд Жук Зим "
          "Звер Зуб Кал Камен Клюк Ков Колч Кос Крас Крив Круг Куз Лап Лис Лоб Лук Мал Мох Мыш Нос Ореш "
          "Пест Пух Рыж Сад Сал Свеч Сер Сит Сом Стар Сух Твер Тополь Трет Туч Уш Хвост Холод Чал Черн "
          "Шапош Шуст Щук Юрь Ястреб").split()
_ENDINGS = ("ов", "ев", "ин", "ский", "цкий", "ович", "енко", "ых", "иков", "ников", "ицын")
_KIND_WORDS = {"place": ("посёлок", "станция", "улица", "лагерь", "завод"),
               "organisation": ("трест", "комбинат", "наркомат", "артель", "управление")}

_SCHEMES = {  # Cyrillic letter -> Latin, per convention; (start-of-word / after-vowel 'е', 'ё')
    "english": dict(zip("абвгдезийклмнопрстуфхцчшщъыьэюя",
                        "a b v g d e z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(), strict=True)),
    "scholarly": dict(zip("абвгдезийклмнопрстуфхцчшщъыьэюя",
                          "a b v g d e z i i k l m n o p r s t u f kh ts ch sh shch _ y ' e iu ia".split(), strict=True)),
    "german": dict(zip("абвгдезийклмнопрстуфхцчшщъыьэюя",
                       "a b w g d e s i j k l m n o p r s t u f ch z tsch sch schtsch _ y _ e ju ja".split(), strict=True)),
    "french": dict(zip("абвгдезийклмнопрстуфхцчшщъыьэюя",
                       "a b v g d e z i i k l m n o p r s t ou f kh ts tch ch chtch _ y _ e iou ia".split(), strict=True)),
}
_SCHEMES["english"]["ж"] = _SCHEMES["scholarly"]["ж"] = "zh"
_SCHEMES["german"]["ж"] = "sch"
_SCHEMES["french"]["ж"] = "j"
_YE = {"english": "ye", "scholarly": "e", "german": "je", "french": "ie"}
_YO = {"english": "yo", "scholarly": "e", "german": "jo", "french": "io"}
_VOWELS = set("аеёиоуыэюяь ъ-")


def romanise(text: str, scheme: str) -> str:
    """``text`` (Cyrillic) in Latin letters by one of the conventions English, German and French
    books use (Ежов: Yezhov / Ezhov / Jeschow / Iejov; Тухачевский: Tukhachevsky / ...skii)."""
    return " ".join(_romanise_word(word, scheme) for word in text.split(" "))


@functools.lru_cache(maxsize=100_000)
def _romanise_word(text: str, scheme: str) -> str:
    table = _SCHEMES[scheme]
    out: list[str] = []
    lower = text.lower()
    for i, ch in enumerate(lower):
        prev = lower[i - 1] if i else " "
        if ch in "её":
            latin = (_YE if ch == "е" else _YO)[scheme] if prev in _VOWELS else ("e" if ch == "е" else
                                                                                  _YO[scheme].replace("j", "").replace("y", "").replace("i", "") or "o")
            if ch == "ё" and prev not in _VOWELS:
                latin = {"english": "yo", "scholarly": "e", "german": "jo", "french": "io"}[scheme] if scheme != "scholarly" else "e"
        elif ch == "и" and scheme == "english" and lower[i + 1 : i + 2] == "й" and lower[i + 2 : i + 3] in ("", " "):
            latin = "" if i >= 2 and lower[i - 1] in "кгх" or lower[i - 2 : i] in ("ск", "цк") else "i"
            latin = latin or "y"
            out.append(latin)
            continue
        elif ch == "й" and scheme == "english" and prev == "и" and lower[i + 1 : i + 2] in ("", " "):
            if out and out[-1] == "y":
                continue
            latin = "y"
        else:
            latin = table.get(ch, ch)
        latin = "" if latin == "_" else latin
        if text[i].isupper():
            latin = latin[:1].upper() + latin[1:]
        out.append(latin)
    return "".join(out)


_PATRONYMIC_BASE = {"Лев": "Льв", "Пётр": "Петр", "Павел": "Павл", "Михаил": "Михайл", "Яков": "Яковл",
                    "Юрий": "Юрь", "Григорий": "Григорь", "Василий": "Василь"}


def _patronymic(father: str, female: bool) -> str:
    if father in ("Илья", "Никита"):
        return father[:-1] + ("ична" if female else "ич")
    base = _PATRONYMIC_BASE.get(father)
    if base is None and father.endswith("й"):
        base = father[:-1]
        return base + ("евна" if female else "евич")
    base = base or father
    if base.endswith("ь"):
        return base + ("евна" if female else "евич")
    return base + ("овна" if female else "ович")


def _feminine(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    return surname


def _weights(n: int, flat: int) -> list[float]:
    """Cumulative weights 1 / (k + flat): a few items common, a long tail (the most common of 884
    surnames about 2% of the records, as Ivanov is of Russian surnames)."""
    total, out = 0.0, []
    for k in range(n):
        total += 1 / (k + flat)
        out.append(total)
    return out


def russian_surnames() -> list[str]:
    """The common surnames first (in order), then plausible ones made of a root and an ending."""
    made = [r + e for r in _ROOTS for e in _ENDINGS]
    return list(dict.fromkeys([*_SURNAMES, *made]))


def russian_records(n: int, *, seed: int = 1937, start: int = 0) -> Iterator[dict]:
    """Records ``start`` to ``n`` of a deterministic list of synthetic authority records (95%
    persons, then places and organisations): label in English transliteration (first name,
    patronymic, surname); aliases in Cyrillic (surname first, as Russian lists write it), in
    another convention (scholarly, German or French) and sometimes with initials, the way the
    same person is spelled across English, German and French books. Surnames follow a Zipf-like
    law (Ivanov and Smirnov are common, as in a real list of names), so whole names and surnames
    are shared by many records, as they are in a list of 2.6 million victims."""
    surnames = russian_surnames()
    male_w, female_w, surname_w = _weights(len(_MALE), 4), _weights(len(_FEMALE), 4), _weights(len(surnames), 10)
    rng = random.Random()
    for i in range(start - start % 1000, n):
        if i % 1000 == 0:  # one stream per thousand records: any slice is the same records
            rng.seed(f"ru:{seed}:{i // 1000}")
        roll = rng.random()
        if roll < 0.95:
            female = rng.random() < 0.2
            first = rng.choices(_FEMALE, cum_weights=female_w)[0] if female else rng.choices(_MALE, cum_weights=male_w)[0]
            father = rng.choices(_MALE, cum_weights=male_w)[0]
            surname = rng.choices(surnames, cum_weights=surname_w)[0]
            surname = _feminine(surname) if female else surname
            patronymic = _patronymic(father, female)
            label = f"{romanise(first, 'english')} {romanise(patronymic, 'english')} {romanise(surname, 'english')}"
            aliases = [f"{surname} {first} {patronymic}"]
            other = rng.choice(("scholarly", "german", "french"))
            aliases.append(f"{romanise(first, other)} {romanise(surname, other)}")
            if rng.random() < 0.4:
                aliases.append(f"{romanise(first, 'english')[0]}. {romanise(patronymic, 'english')[0]}. "
                               f"{romanise(surname, 'english')}")
            kind = "person"
        else:
            kind = "place" if roll < 0.98 else "organisation"
            word = rng.choice(_KIND_WORDS[kind])
            named = rng.choices(surnames, cum_weights=surname_w)[0]
            cyrillic = f"{word[:1].upper()}{word[1:]} {named}"
            label = romanise(cyrillic, "english")
            aliases = [cyrillic, romanise(cyrillic, rng.choice(("german", "french")))]
        aliases = [a for a in dict.fromkeys(aliases) if a != label]
        if i >= start:
            yield {"key": f"ru-{seed}-{i}", "kind": kind, "label": label, "aliases": aliases}


def expansion_queries(count: int, records: int, *, seed: int = 1937) -> list[str]:
    """Queries for timing record-name expansion over ``russian_records(records)``: whole names as a
    reader types them (in any of the conventions, or in Cyrillic), surnames alone, a name with
    other words, and queries naming nobody."""
    rng = random.Random(f"expansion:{seed}")
    picks = sorted(rng.randrange(records) for _ in range(count))
    by_index = {}
    for i in dict.fromkeys(picks):
        by_index[i] = next(russian_records(i + 1, seed=seed, start=i))
    plain = ["purge trial", "the show trials of 1937", "letters from the camp", "rehabilitation 1956",
             "shooting ground", "NKVD order 00447", "collectivisation famine", "Kommunarka"]
    out = []
    for n, i in enumerate(picks):
        r = by_index[i]
        names = [r["label"], *r["aliases"]]
        form = n % 6
        if form == 0:
            out.append(r["label"])
        elif form == 1:
            out.append(rng.choice(names))
        elif form == 2:
            if r["kind"] == "person":  # the surname as the label, the Cyrillic or another spelling has it
                surnames = [r["label"].split()[-1], *(a.split()[0 if k == 0 else -1] for k, a in enumerate(r["aliases"]))]
                out.append(rng.choice(surnames))
            else:
                out.append(rng.choice(names))
        elif form == 3:
            words = rng.choice(names).split()
            out.append(f"{words[0]} {words[-1]}" if len(words) > 1 else words[0])
        elif form == 4:
            out.append(f"{r['label'].split()[-1]} arrest {rng.choice(YEARS)}")
        else:
            out.append(rng.choice(plain))
    return out


def russian_prefixes(count: int, records: int, *, seed: int = 1937) -> list[str]:
    """What readers type into the record autocomplete over ``russian_records(records)``: the first
    3-6 letters of a word of a name (Latin or Cyrillic, lower case), some of the seed names too."""
    rng = random.Random(f"ru-prefixes:{seed}")
    picks = sorted(rng.randrange(records) for _ in range(count))
    out = []
    source = russian_records(picks[-1] + 1, seed=seed, start=picks[0]) if picks else iter(())
    wanted = dict.fromkeys(picks)
    found = {picks[0] + k: r for k, r in enumerate(source) if picks[0] + k in wanted}
    seed_words = autocomplete_prefixes(count // 5 + 1, seed=seed)
    for n, i in enumerate(picks):
        if n % 5 == 4:
            out.append(seed_words[n // 5])
            continue
        r = found[i]
        words = [w.strip(".,") for w in rng.choice([r["label"], *r["aliases"]]).split() if len(w.strip(".,")) > 2]
        word = rng.choice(words) if words else r["label"]
        out.append(word.lower()[: rng.randint(3, 6)])
    rng.shuffle(out)
    return out
