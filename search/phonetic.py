"""A phonetic key for names: Daitch–Mokotoff Soundex (made for Slavic and Yiddish surnames), part
of ``search.analysis``. The last, lowest-ranked resort of a search: a name word no spelling rule
matched is looked for among the words of the index that sound alike (Jeschow and Yezhov both
code 147000).

A word is read from the left, at each step the longest letter group of the table; a group is
coded by where it stands (at the start of the word, before a vowel, elsewhere). Some groups have
two codes (CH: 5 as in German, 4 as in English), so a word may have several keys (at most
``MAX_KEYS``). Codes of adjacent groups that are the same are written once; vowels are not
coded but separate equal codes; a key is the first six digits, padded with zeros.
"""

from __future__ import annotations

from functools import lru_cache

# group: (at the start, before a vowel, elsewhere); "" = not coded; "a|b" = either.
_TABLE = {
    "AI": ("0", "1", ""), "AJ": ("0", "1", ""), "AY": ("0", "1", ""), "AU": ("0", "7", ""), "A": ("0", "", ""),
    "B": ("7", "7", "7"),
    "CHS": ("5", "54", "54"), "CH": ("5|4", "5|4", "5|4"), "CK": ("5|45", "5|45", "5|45"),
    "CZS": ("4", "4", "4"), "CZ": ("4", "4", "4"), "CSZ": ("4", "4", "4"), "CS": ("4", "4", "4"), "C": ("5|4", "5|4", "5|4"),
    "DRZ": ("4", "4", "4"), "DRS": ("4", "4", "4"), "DSH": ("4", "4", "4"), "DSZ": ("4", "4", "4"), "DS": ("4", "4", "4"),
    "DZH": ("4", "4", "4"), "DZS": ("4", "4", "4"), "DZ": ("4", "4", "4"), "DT": ("3", "3", "3"), "D": ("3", "3", "3"),
    "EI": ("0", "1", ""), "EJ": ("0", "1", ""), "EY": ("0", "1", ""), "EU": ("1", "1", ""), "E": ("0", "", ""),
    "FB": ("7", "7", "7"), "F": ("7", "7", "7"),
    "G": ("5", "5", "5"),
    "H": ("5", "5", ""),
    "IA": ("1", "", ""), "IE": ("1", "", ""), "IO": ("1", "", ""), "IU": ("1", "", ""), "I": ("0", "", ""),
    "J": ("1|4", "1|4", "1|4"),
    "KS": ("5", "54", "54"), "KH": ("5", "5", "5"), "K": ("5", "5", "5"),
    "L": ("8", "8", "8"),
    "MN": ("66", "66", "66"), "NM": ("66", "66", "66"), "M": ("6", "6", "6"), "N": ("6", "6", "6"),
    "OI": ("0", "1", ""), "OJ": ("0", "1", ""), "OY": ("0", "1", ""), "O": ("0", "", ""),
    "PF": ("7", "7", "7"), "PH": ("7", "7", "7"), "P": ("7", "7", "7"),
    "Q": ("5", "5", "5"),
    "RZ": ("94|4", "94|4", "94|4"), "RS": ("94|4", "94|4", "94|4"), "R": ("9", "9", "9"),
    "SCHTSCH": ("2", "4", "4"), "SCHTSH": ("2", "4", "4"), "SCHTCH": ("2", "4", "4"), "SCHT": ("2", "43", "43"),
    "SCHD": ("2", "43", "43"), "SCH": ("4", "4", "4"), "SHTCH": ("2", "4", "4"), "SHCH": ("2", "4", "4"),
    "SHTSH": ("2", "4", "4"), "SHT": ("2", "43", "43"), "SHD": ("2", "43", "43"), "SH": ("4", "4", "4"),
    "STCH": ("2", "4", "4"), "STSCH": ("2", "4", "4"), "STRZ": ("2", "4", "4"), "STRS": ("2", "4", "4"),
    "STSH": ("2", "4", "4"), "ST": ("2", "43", "43"), "SC": ("2", "4", "4"), "SZCZ": ("2", "4", "4"),
    "SZCS": ("2", "4", "4"), "SZT": ("2", "43", "43"), "SZD": ("2", "43", "43"), "SZ": ("4", "4", "4"),
    "SD": ("2", "43", "43"), "S": ("4", "4", "4"),
    "TTSCH": ("4", "4", "4"), "TTCH": ("4", "4", "4"), "TTSZ": ("4", "4", "4"), "TTS": ("4", "4", "4"),
    "TTZ": ("4", "4", "4"), "TCH": ("4", "4", "4"), "TRZ": ("4", "4", "4"), "TRS": ("4", "4", "4"),
    "TSCH": ("4", "4", "4"), "TSH": ("4", "4", "4"), "TSZ": ("4", "4", "4"), "TS": ("4", "4", "4"),
    "TZS": ("4", "4", "4"), "TZ": ("4", "4", "4"), "TC": ("4", "4", "4"), "TH": ("3", "3", "3"), "T": ("3", "3", "3"),
    "UI": ("0", "1", ""), "UJ": ("0", "1", ""), "UY": ("0", "1", ""), "UE": ("0", "", ""), "U": ("0", "", ""),
    "V": ("7", "7", "7"), "W": ("7", "7", "7"),
    "X": ("5", "54", "54"),
    "Y": ("1", "", ""),
    "ZHDZH": ("2", "4", "4"), "ZDZH": ("2", "4", "4"), "ZDZ": ("2", "4", "4"), "ZHD": ("2", "43", "43"),
    "ZD": ("2", "43", "43"), "ZSCH": ("4", "4", "4"), "ZSH": ("4", "4", "4"), "ZH": ("4", "4", "4"),
    "ZS": ("4", "4", "4"), "Z": ("4", "4", "4"),
}
_LONGEST = max(len(k) for k in _TABLE)
_VOWELS = set("AEIOUY")
MAX_KEYS = 4
KEY_LENGTH = 6


@lru_cache(maxsize=1 << 15)
def daitch_mokotoff(word: str) -> tuple[str, ...]:
    """The Daitch–Mokotoff keys of a Latin word (case and accents already folded; letters other
    than A-Z are skipped), sorted; () for a word with no coded letter."""
    text = "".join(ch for ch in word.upper() if "A" <= ch <= "Z")
    if not text:
        return ()
    # Each branch: (digits so far, the last code written, or None after a vowel).
    branches: list[tuple[str, str | None]] = [("", None)]
    i = 0
    while i < len(text):
        for size in range(min(_LONGEST, len(text) - i), 0, -1):
            group = text[i : i + size]
            if group in _TABLE:
                break
        else:  # not reached: every letter is in the table
            i += 1
            continue
        after = text[i + size] if i + size < len(text) else ""
        column = 0 if i == 0 else 1 if after in _VOWELS else 2
        codes = _TABLE[group][column].split("|")
        grown: list[tuple[str, str | None]] = []
        for digits, last in branches:
            for code in codes:
                if code == "":
                    grown.append((digits, None))
                elif code == last:
                    grown.append((digits, last))
                else:
                    grown.append((digits + code, code))
        branches = list(dict.fromkeys(grown))[: MAX_KEYS * 2]
        i += size
    keys = sorted({(digits + "0" * KEY_LENGTH)[:KEY_LENGTH] for digits, _ in branches})
    return tuple(keys[:MAX_KEYS])
