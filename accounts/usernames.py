"""Look-alike user names: the rules a new name must pass, and the skeleton that compares names.

A name shown beside an annotation must say who wrote it, so a sign-up may not take a name that
looks like someone else's: Cyrillic "аlice" for Latin "alice", "alice." or "a_lice" for "alice",
"ALICE" for "alice", "aIice" (capital i) for "alice". The idea is Unicode TR39's skeleton: two
names whose skeletons are equal are confusable. Ours is built from Python's ``unicodedata`` alone:

1. NFKC (fullwidth and mathematical letters become plain ones, as Django stores the name), then NFD
   (accents become separate marks, kept: "é" is not "e");
2. Cyrillic and Greek letters that look like Latin ones become those Latin letters (by case:
   Greek capital eta is "H", small eta is "n");
3. case folding; any decimal digit becomes its ASCII digit; then the Latin look-alike classes
   ("I", "l", "1", "ı" are one; "0" and "o"; "rn" and "m"; "vv" and "w");
4. the separators (. _ - + @, everything that is not a letter, digit or mark) are dropped; NFC.

Each user's skeleton digest is stored (``UsernameSkeleton``, unique) whenever a user is saved,
whoever made it; sign-up refuses a name whose skeleton is already held and, since the digest is
unique, two confusable sign-ups at the same moment cannot both succeed.

New names must also use one script (letters of one alphabet; Japanese kana with kanji and Korean
hangul with hanja are one script, as TR39's "highly restrictive" level allows) and begin and end
with a letter or digit. An all-Cyrillic name such as "историк_1937" is fine. ``unicodedata`` has no
Script property, so a letter's script is the first word of its Unicode name ("CYRILLIC SMALL
LETTER A"), which is what it is for the alphabets concerned.
"""

from __future__ import annotations

import hashlib
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save

# Letters of Cyrillic and Greek that render like a Latin letter (or digit), after NFD.
_LOOKALIKES = {
    # Cyrillic capitals
    "А": "A", "В": "B", "Е": "E", "З": "3", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ԛ": "Q", "Ԝ": "W", "Һ": "H",
    "Ӏ": "I", "Ь": "b",
    # Cyrillic small letters
    "а": "a", "б": "6", "г": "r", "е": "e", "з": "3", "к": "k", "о": "o", "п": "n", "р": "p", "с": "c",
    "у": "y", "х": "x", "ь": "b", "ѕ": "s", "і": "i", "ј": "j", "ү": "y", "һ": "h", "ӏ": "l", "ԁ": "d",
    "ԛ": "q", "ԝ": "w",
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    # Greek small letters
    "α": "a", "γ": "y", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin letters that look like another Latin letter
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g",
}
# After case folding: characters indistinguishable in many fonts become one.
_LATIN_CLASSES = str.maketrans({"i": "l", "1": "l", "|": "l", "0": "o"})
_LATIN_SEQUENCES = (("rn", "m"), ("vv", "w"))

# Scripts that TR39 lets one name combine (a name is single-script if its scripts fit in one set).
_SCRIPT_FAMILIES = ({"HAN", "HIRAGANA", "KATAKANA"}, {"HAN", "HANGUL"}, {"HAN", "BOPOMOFO"})
_SCRIPT_ALIASES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "KATAKANA-HIRAGANA": "KATAKANA", "HALFWIDTH": "KATAKANA"}


def skeleton(name: str) -> str:
    """The form two names share when they look alike (see the module docstring)."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name))
    text = "".join(_LOOKALIKES.get(ch, ch) for ch in text).casefold()
    text = "".join(str(unicodedata.digit(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in text)
    text = text.translate(_LATIN_CLASSES)
    for sequence, replacement in _LATIN_SEQUENCES:
        text = text.replace(sequence, replacement)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LNM")
    return unicodedata.normalize("NFC", text)


def skeleton_digest(name: str) -> str:
    return hashlib.sha256(skeleton(name).encode()).hexdigest()


def scripts(name: str) -> list[str]:
    """The scripts of a name's letters, in order of appearance (digits, marks and separators have none)."""
    found: dict[str, None] = {}
    for ch in unicodedata.normalize("NFKC", name):
        if unicodedata.category(ch)[0] == "L":
            word = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
            found.setdefault(_SCRIPT_ALIASES.get(word, word))
    return list(found)


def validate_new_username(name: str) -> None:
    """The rules a name chosen at sign-up must pass beyond Django's own (allowed characters, length,
    not taken): one script, letters or digits at both ends, no look-alike of an existing name."""
    from .models import UsernameSkeleton

    name = unicodedata.normalize("NFKC", name)
    if not name:
        return
    problems = []
    used = scripts(name)
    if len(used) > 1 and not any(set(used) <= family for family in _SCRIPT_FAMILIES):
        alphabets = " and ".join(script.title() for script in used)
        problems.append(f"“{name}” mixes letters of different alphabets ({alphabets}); "
                        "use the letters of one alphabet (digits may go with any).")
    ends = {ch for ch in (name[0], name[-1]) if unicodedata.category(ch)[0] not in "LN"}
    if unicodedata.category(name[-1])[0] == "M":  # a combining mark ends many words (Devanagari vowel signs)
        ends.discard(name[-1])
    if ends:
        shown = " or ".join(f"“{ch}”" for ch in sorted(ends))
        problems.append(f"A user name must begin and end with a letter or a digit, not {shown}.")
    if not problems and UsernameSkeleton.objects.filter(digest=skeleton_digest(name)).exists():
        problems.append(f"“{name}” looks too much like the name of an existing account (letters that look "
                        "alike, or a difference only in case or in . _ - + @); choose a name nobody can mistake "
                        "for another.")
    if problems:
        raise ValidationError(problems, code="confusable_username")


def record_skeleton(user) -> bool:
    """Store ``user``'s skeleton digest; False if another user already holds it (an account made by
    an administrator may look like another; the first keeps the digest)."""
    from .models import UsernameSkeleton

    digest = skeleton_digest(user.get_username())
    current = UsernameSkeleton.objects.filter(user=user).values_list("digest", flat=True).first()
    if current == digest:
        return True
    if current is not None:
        UsernameSkeleton.objects.filter(user=user).delete()
    UsernameSkeleton.objects.bulk_create([UsernameSkeleton(user=user, digest=digest)], ignore_conflicts=True)
    return UsernameSkeleton.objects.filter(user=user, digest=digest).exists()


def _user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and instance.USERNAME_FIELD not in update_fields:
        return  # e.g. last_login at each sign-in: the name did not change
    record_skeleton(instance)


def connect_signals() -> None:
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts-username-skeleton")
