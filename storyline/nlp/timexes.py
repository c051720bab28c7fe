"""TimeML time expressions (TIMEX3), found by rules and resolved against the publication date.

HeidelTime-style: every pattern has a normalization function, and an underspecified
expression (a weekday, a month without a year, "this spring") is resolved in the
direction of its clause's tense: "said Friday" is the last Friday, "will visit on
Friday" the next one. Spans and values follow the TimeBank/TempEval-3 conventions
("the third quarter" -> 1998-Q3, "the nine months" -> P9M, "now" -> PRESENT_REF).

Tense comes from the words around the expression (modals, "is expected to", past
forms); a spaCy ``Doc`` of the same text, when given, supplies part-of-speech tags
instead. No model is loaded here, so tagging stays fast.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..model import Tense, TimeRef, TimeType

if TYPE_CHECKING:
    from spacy.tokens import Doc

__all__ = ["tag_times", "time_ranges"]

# -- vocabulary ------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
_ONES = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINAL_ONES = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_ORDINALS = dict(_ORDINAL_ONES)
for _tens_word, _tens_value in (("twenty", 20), ("thirty", 30)):
    for _one_word, _one_value in list(_ORDINAL_ONES.items())[:9]:
        _ORDINALS[f"{_tens_word}-{_one_word}"] = _tens_value + _one_value
        _ORDINALS[f"{_tens_word} {_one_word}"] = _tens_value + _one_value
_VAGUE_NUMBERS = ("several", "a few", "few", "some", "many", "a couple of", "a couple", "couple of", "numerous")
# Units: TimeML duration letter, whether it is a clock unit (PT...), and its size in the unit written.
_UNITS: dict[str, tuple[str, bool, int]] = {
    "second": ("S", True, 1), "minute": ("M", True, 1), "hour": ("H", True, 1), "day": ("D", False, 1),
    "week": ("W", False, 1), "fortnight": ("W", False, 2), "month": ("M", False, 1), "quarter": ("M", False, 3),
    "year": ("Y", False, 1), "decade": ("Y", False, 10), "century": ("Y", False, 100),
}  # fmt: skip
_SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
# First month of each season; winter starts in December.
_SEASON_START = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}
_PARTS_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"}
_SET_ADVERBS = {
    "daily": "P1D", "nightly": "P1D", "weekly": "P1W", "biweekly": "P2W", "monthly": "P1M", "yearly": "P1Y",
    "annually": "P1Y", "hourly": "PT1H",
}  # fmt: skip
_MODS = {
    "early": "START", "earlier": "START", "beginning": "START", "start": "START", "late": "END", "later": "END",
    "end": "END", "mid": "MID", "middle": "MID", "about": "APPROX", "around": "APPROX", "nearly": "APPROX",
    "almost": "APPROX", "roughly": "APPROX", "approximately": "APPROX", "some": "APPROX", "more than": "MORE_THAN",
    "over": "MORE_THAN", "less than": "LESS_THAN", "under": "LESS_THAN", "fewer than": "LESS_THAN",
    "at least": "EQUAL_OR_MORE", "up to": "EQUAL_OR_LESS", "no more than": "EQUAL_OR_LESS", "post": "AFTER",
    "pre": "BEFORE",
}  # fmt: skip
_MONTHS_PER_QUARTER = 3
_QUARTERS = 4
_LAST_DAY = 31
_CENTURY = 100
_DAYS_PER_WEEK = 7
_HALF_YEAR_MONTH = 6
_NOON = 12
# A month/day or month this close to the publication date is the nearest one, whatever the tense.
_NEAR_DAYS = 100
_NEAR_MONTHS = 3
# Two-digit years below this are read as 20xx, others as 19xx ("3/20/23", "5/1/98").
_TWO_DIGIT_PIVOT = 50
# How far back (characters) a financial text's last quarter mention still sets the reference
# period of "a year earlier" (-> the same quarter a year before).
_QUARTER_CONTEXT_CHARS = 700
# How far back a year mention still anchors "the following year", "later that year".
_YEAR_CONTEXT_CHARS = 1500
# How close "next week" must be to a weekday to put it in next week.
_WEEK_SCOPE_CHARS = 40
# A cue after the expression counts as this many times further away than one before it:
# news puts the verb first ("said Friday", "will visit on Monday").
_RIGHT_CUE_PENALTY = 1.5
_ATTRIBUTION_PENALTY = 3.0

# -- regular-expression fragments -----------------------------------------------------

_MONTH_FULL = r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December)"
_MONTH = (
    r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_WEEKDAY = r"(?-i:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ONES_RE = "|".join(sorted(_ONES, key=len, reverse=True))
_TENS_RE = "|".join(_TENS)
_NUMBER_WORD = rf"(?:(?:{_TENS_RE})(?:[\s-](?:{_ONES_RE}))?|{_ONES_RE})"
_WORD_YEAR = (
    rf"(?:nineteen[\s-](?:(?:{_TENS_RE})(?:[\s-](?:{_ONES_RE}))?|{_ONES_RE})"
    rf"|two\s+thousand(?:\s+and)?(?:\s+{_NUMBER_WORD})?)"
)
_YEAR = rf"(?:(?:1[6-9]\d\d|20\d\d)(?![\d,]\d)|{_WORD_YEAR})"
_DIGIT_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d%])(?!:\d)(?!,\d)(?!\.\d)"
_ORDINAL_RE = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_DAY = rf"(?:{_DIGIT_DAY}|(?:{_ORDINAL_RE})\b)"
_VAGUE_RE = "|".join(v.replace(" ", r"\s+") for v in _VAGUE_NUMBERS)
_NUM = (
    rf"(?:\d+(?:\.\d+)?(?:\s+1/2|\s*½)?|(?:a|an|one)\s+and\s+a\s+half|(?:{_NUMBER_WORD})(?:\s+and\s+a\s+half)?"
    rf"|(?:{_NUMBER_WORD})\s+(?:hundred|thousand)|a\s+(?:hundred|thousand)|a\s+dozen|dozens\s+of|a|an"
    rf"|{_VAGUE_RE})"
)
_UNIT = r"(?:second|minute|hour|day|week|fortnight|month|quarter|year|decade|century|centurie)"
_PREFIX_MOD = r"(?P<pre>early|mid|late|the\s+(?:beginning|end|start|middle)\s+of(?:\s+the)?)"
# Modifiers TimeBank keeps inside a duration's span ("nearly forty years"); "about" it leaves out.
_SPAN_DUR_MOD = r"(?:nearly|almost|more\s+than|less\s+than|fewer\s+than|over|at\s+least|up\s+to|no\s+more\s+than)"


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _number(text: str) -> float | None:
    """The value of a written number ("3", "two", "twenty-four", "2 1/2", "a"); None when vague ("several")."""
    words = _words(text).replace("-", " ")
    half = 0.5 if words.endswith("and a half") or words.endswith("1/2") or words.endswith("½") else 0.0
    words = words.removesuffix("and a half").removesuffix("1/2").removesuffix("½").strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", words):
        return float(words) + half
    if words in ("a", "an", "one", ""):
        return 1.0 + half if words or half else None
    if words in ("a dozen",):
        return 12.0
    total = 0.0
    for word in words.split():
        if word in _ONES:
            total += _ONES[word]
        elif word in _TENS:
            total += _TENS[word]
        elif word in ("hundred", "thousand"):
            total = max(total, 1.0) * (100 if word == "hundred" else 1000)
        elif word == "a":
            continue
        else:
            return None
    return total + half if total else None


def _year_value(text: str) -> int:
    """1998 from "1998", "nineteen ninety-eight" or "two thousand and one"."""
    words = _words(text)
    if words[:4].isdigit():
        return int(words[:4])
    if words.startswith("nineteen"):
        rest = _number(words.removeprefix("nineteen").strip()) or 0
        return 1900 + int(rest)
    rest_words = re.sub(r"^two thousand( and)?", "", words).strip()
    return 2000 + int(_number(rest_words) or 0) if rest_words else 2000


def _month_value(text: str) -> int:
    return _MONTHS[text.strip().lower()[:3]]


def _day_value(text: str) -> int:
    words = _words(text)
    digits = re.match(r"\d+", words)
    return int(digits.group(0)) if digits else _ORDINALS[words]


# -- calendar arithmetic ---------------------------------------------------------------


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _digits(number: int, width: int) -> str:
    """``number`` in ``width`` digits: a decade (3) or century (2) with more is after the year 9999, and would
    read as a year."""
    if not 0 <= number < 10**width:
        raise OverflowError(f"{number} does not fit in {width} digits")
    return f"{number:0{width}d}"


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _quarter(day: date) -> int:
    return (day.month - 1) // _MONTHS_PER_QUARTER + 1


def _last_quarter(anchor: date) -> tuple[int, int]:
    """The last completed quarter before the anchor's: what "the quarter" in a results report means."""
    quarter = _quarter(anchor) - 1
    return (anchor.year, quarter) if quarter else (anchor.year - 1, 4)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1-based; -1 = last) given weekday of a month."""
    if nth < 0:
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % _DAYS_PER_WEEK)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % _DAYS_PER_WEEK + _DAYS_PER_WEEK * (nth - 1))


_HOLIDAYS: dict[str, Callable[[int], date]] = {
    "thanksgiving": lambda y: _nth_weekday(y, 11, 3, 4),
    "christmas eve": lambda y: date(y, 12, 24),
    "christmas": lambda y: date(y, 12, 25),
    "new year's eve": lambda y: date(y, 12, 31),
    "new year's": lambda y: date(y, 1, 1),
    "election day": lambda y: _nth_weekday(y, 11, 0, 1) + timedelta(days=1),
    "independence day": lambda y: date(y, 7, 4),
    "the fourth of july": lambda y: date(y, 7, 4),
    "july fourth": lambda y: date(y, 7, 4),
    "easter monday": lambda y: _easter(y) + timedelta(days=1),
    "good friday": lambda y: _easter(y) - timedelta(days=2),
    "easter": _easter,
    "labor day": lambda y: _nth_weekday(y, 9, 0, 1),
    "memorial day": lambda y: _nth_weekday(y, 5, 0, -1),
    "halloween": lambda y: date(y, 10, 31),
    "valentine's day": lambda y: date(y, 2, 14),
    "veterans day": lambda y: date(y, 11, 11),
    "boxing day": lambda y: date(y, 12, 26),
}

# -- tense -----------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_FUTURE_WORDS = frozenset({"will", "won't", "shall", "gonna", "upcoming", "would", "scheduled", "planned"})
_UNIT_WORDS = frozenset(["week", "month", "year", "weekend", *_WEEKDAYS])
# Followed by "to" and a verb, these speak of what is still to happen ("plans to visit").
# fmt: off
_INTENTION_WORDS = frozenset((
    "expected", "expects", "expect", "scheduled", "set", "due", "slated", "supposed", "planning", "plans", "plan",
    "planned", "intend", "intends", "intended", "hope", "hopes", "hoped", "hoping", "aim", "aims", "aimed", "agreed",
    "agree", "promised", "vowed", "pledged", "prepared", "ready", "decided", "want", "wants", "wanted", "threatened",
    "likely", "is", "are", "going", "seeks", "seeking",
))
_NOT_A_VERB_AFTER_TO = frozenset(("the", "a", "an", "his", "her", "their", "its", "this", "that", "these", "those"))
_PAST_WORDS = frozenset((
    "said", "told", "was", "were", "had", "did", "went", "came", "took", "made", "met", "left", "began", "found",
    "gave", "held", "got", "saw", "knew", "became", "brought", "fell", "rose", "won", "lost", "sent", "spent", "led",
    "ran", "sold", "paid", "struck", "broke", "hit", "ago", "yesterday", "fled", "shot", "drove", "wrote", "spoke",
    "chose", "flew", "grew", "threw", "stood", "sat", "heard", "felt", "kept", "meant", "built", "caught", "fought",
    "taught", "bought", "thought", "sought", "wore", "woke", "arose", "forgot", "froze", "stole", "swore", "tore",
    "understood", "withdrew", "overcame", "undertook", "laid", "shook", "swept", "hung", "dealt", "drew", "lent",
    "rode", "rang", "sank", "sang", "slept", "sprang", "stuck", "swam", "swung", "wept", "wove", "forgave", "forbade",
    "strove", "clung", "crept", "bore", "bled", "oversaw", "foresaw", "upheld", "withheld", "mistook", "rebuilt",
    "retook", "outran", "outgrew", "overtook", "overthrew", "underwent",
))
# "-ed" words that are not past-tense verbs, or that announce what is to come ("expected").
_NOT_PAST = frozenset((
    "united", "based", "armed", "need", "needed", "indeed", "hundred", "red", "bed", "speed", "feed", "seed", "shed",
    "proceed", "succeed", "exceed", "embed", "wed", "alleged", "detailed", "limited", "concerned", "interested",
    "related", "advanced", "expected", "scheduled", "proposed", "planned", "supposed", "used",
))
# fmt: on
_PRESENT_WORDS = frozenset(["is", "are", "am", "says", "say", "does", "do", "has", "have", "remains", "seems"])
_AUXILIARIES = frozenset(("be", "been", "being", "is", "are", "am", "has", "have", "had", "was", "were"))
_PAST_SUFFIX_MIN = 4  # "-ed" words shorter than this ("bed", "red") are not verbs
_SENTENCE_END = re.compile(r"[.!?]['\"”’)]*\s+(?=[A-Z\"“`'(])|\n\s*\n")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|Mr|Mrs|Ms|Dr|St|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Capt|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec"
    r"|Inc|Corp|Co|Ltd|Jr|Sr|No|vs|U\.S|U\.N)\.$"
)
_FUTURE_MODALS = frozenset({"will", "'ll", "shall", "wo", "ll"})
_INTENTION_LEMMAS = frozenset(
    {"expect", "schedule", "set", "plan", "intend", "hope", "aim", "agree", "promise", "vow", "pledge", "prepare",
     "decide", "want", "threaten", "slate", "due"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int
    end: int
    tense: Tense


class _TenseCues:
    """Sentence bounds and tense cues of one text; the tense of a span is that of its nearest cue."""

    def __init__(self, text: str, doc: Doc | None) -> None:
        self.sentence_starts = [0]
        for match in _SENTENCE_END.finditer(text):
            if not _ABBREVIATION.search(text[max(0, match.start() - 5) : match.start() + 1]):
                self.sentence_starts.append(match.end())
        cues = self._doc_cues(doc) if doc is not None else self._regex_cues(text)
        cues.sort(key=lambda cue: cue.start)
        self.cues = cues
        self.cue_starts = [cue.start for cue in cues]
        self.text = text

    @staticmethod
    def _regex_cues(text: str) -> list[_Cue]:
        words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        lowered = [word.lower() for _, _, word in words]
        cues = []
        for index, (start, end, word) in enumerate(words):
            lower = lowered[index]
            following = lowered[index + 1] if index + 1 < len(words) else ""
            after = lowered[index + 2] if index + 2 < len(words) else ""
            previous = lowered[index - 1] if index else ""
            tense: Tense | None = None
            if (
                lower in _FUTURE_WORDS
                or lower.endswith("'ll")
                or (lower == "next" and following in _UNIT_WORDS)
                or (following == "to" and lower in _INTENTION_WORDS and after not in _NOT_A_VERB_AFTER_TO)
                or (previous == "as" and lower in ("soon", "early") and following == "as")
            ):
                tense = "future"
            elif previous in _AUXILIARIES:
                tense = None  # a participle: "will be held", "has been named" take the auxiliary's tense
            elif lower in _PAST_WORDS or (
                lower.endswith("ed") and len(lower) >= _PAST_SUFFIX_MIN and lower not in _NOT_PAST and word.islower()
            ):
                tense = "past"
            elif lower in _PRESENT_WORDS:
                tense = "present"
            if tense:
                cues.append(_Cue(start, end, tense))
        return cues

    @staticmethod
    def _doc_cues(doc: Doc) -> list[_Cue]:
        cues = []
        for token in doc:
            tense: Tense | None = None
            following = doc[token.i + 1] if token.i + 1 < len(doc) else None
            intention = (
                following is not None
                and following.lower_ == "to"
                and (token.lemma_ or token.lower_).lower().rstrip("eds") in _INTENTION_LEMMAS
            )
            if (token.tag_ == "MD" and token.lower_ in _FUTURE_MODALS) or intention or token.lower_ == "next":
                tense = "future"
            elif token.tag_ == "VBD" or token.lower_ in ("ago", "yesterday"):
                tense = "past"
            elif token.tag_ in ("VBZ", "VBP"):
                tense = "present"
            if tense:
                cues.append(_Cue(token.idx, token.idx + len(token.text), tense))
        return cues

    def sentence(self, start: int) -> tuple[int, int]:
        index = bisect_right(self.sentence_starts, start) - 1
        end = self.sentence_starts[index + 1] if index + 1 < len(self.sentence_starts) else len(self.text)
        return self.sentence_starts[index], end

    def tense(self, start: int, end: int) -> Tense | None:
        """The tense the span's own words give ("next year", "two weeks ago"), else that of the nearest cue in the
        sentence (one before the span preferred), else None."""
        sentence_start, sentence_end = self.sentence(start)
        low = bisect_left(self.cue_starts, sentence_start)
        high = bisect_left(self.cue_starts, sentence_end)
        best: tuple[float, Tense] | None = None
        for cue in self.cues[low:high]:
            if start <= cue.start and cue.end <= end:
                return cue.tense  # "is expected in Russia next year": the expression says which side it is on
            if cue.end <= start:
                distance = float(start - cue.end)
            elif cue.start >= end:
                distance = (cue.start - end) * _RIGHT_CUE_PENALTY
                if "," in self.text[end : cue.start]:
                    # ", officials said": the attribution after a comma is not the clause's verb.
                    distance *= _ATTRIBUTION_PENALTY
            else:
                continue
            if best is None or distance < best[0]:
                best = (distance, cue.tense)
        return best[1] if best else None


# -- resolution ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    type: TimeType
    value: str
    mod: str | None = None


@dataclass(frozen=True, slots=True)
class _Context:
    """What a rule's normalization may consult besides its match."""

    text: str
    anchor: date | None
    cues: _TenseCues

    def tense(self, match: re.Match[str]) -> Tense | None:
        return self.cues.tense(match.start(), match.end())

    def before(self, position: int, chars: int) -> str:
        return self.text[max(0, position - chars) : position]


def _direction(tense: Tense | None, default: int) -> int:
    """-1 (look back), +1 (look ahead) or 0 (closest), from the tense; ``default`` when none is known."""
    if tense == "future":
        return 1
    if tense == "past":
        return -1
    return default


def _pick_year(anchor: date, month: int, day: int, direction: int) -> int:
    """The year that puts month/day on the tense's side of the anchor (closest when direction is 0).

    A date within a few months of the anchor is taken as the closest one whatever the tense:
    "payable Dec. 15", "by Jan. 14" in a past-tense sentence are still ahead.
    """
    options = [anchor.year - 1, anchor.year, anchor.year + 1]
    dated = [(y, _safe_date(y, month, min(day, 28 if month == 2 else day))) for y in options]
    candidates = [(y, d) for y, d in dated if d is not None]
    closest = min(candidates, key=lambda item: abs((item[1] - anchor).days))
    if abs((closest[1] - anchor).days) <= _NEAR_DAYS:
        return closest[0]
    if direction < 0:
        past = [(y, d) for y, d in candidates if d <= anchor]
        return max(past, key=lambda item: item[1])[0] if past else anchor.year
    if direction > 0:
        future = [(y, d) for y, d in candidates if d >= anchor]
        return min(future, key=lambda item: item[1])[0] if future else anchor.year
    return min(candidates, key=lambda item: abs((item[1] - anchor).days))[0]


def _pick_month_year(anchor: date, month: int, direction: int, strict: bool = False) -> int:
    """The year of a month named alone: the closest one when near, else on the tense's side."""
    distance = month - anchor.month
    if not strict and min(abs(distance), 12 - abs(distance)) <= _NEAR_MONTHS:
        return anchor.year + (1 if distance < -_HALF_YEAR_MONTH else -1 if distance > _HALF_YEAR_MONTH else 0)
    if direction < 0:
        return anchor.year if month < anchor.month or (month == anchor.month and not strict) else anchor.year - 1
    if direction > 0:
        return anchor.year if month > anchor.month or (month == anchor.month and not strict) else anchor.year + 1
    if distance > _HALF_YEAR_MONTH:
        return anchor.year - 1
    if distance < -_HALF_YEAR_MONTH:
        return anchor.year + 1
    return anchor.year


def _weekday_date(anchor: date, weekday: int, direction: int, strict: bool = False) -> date:
    """The weekday nearest the anchor in the direction; the anchor itself counts unless ``strict``."""
    if direction > 0:
        ahead = (weekday - anchor.weekday()) % _DAYS_PER_WEEK
        return anchor + timedelta(days=ahead or (_DAYS_PER_WEEK if strict else 0))
    back = (anchor.weekday() - weekday) % _DAYS_PER_WEEK
    return anchor - timedelta(days=back or (_DAYS_PER_WEEK if strict else 0))


def _mod(text: str | None) -> str | None:
    if not text:
        return None
    words = _words(text).replace("-", " ")
    for key in sorted(_MODS, key=len, reverse=True):
        if re.search(rf"\b{key}\b", words):
            return _MODS[key]
    return None


def _duration_value(number: float | None, unit: str) -> str:
    """TimeML duration: P3Y, PT2H, P2Y6M, PXD."""
    letter, clock, size = _UNITS[unit]
    prefix = "PT" if clock else "P"
    if number is None:
        # Decades and centuries are counted in years.
        return f"{prefix}X{'Y' if size > 1 and letter == 'Y' else letter}"
    amount = number * size
    whole = int(amount)
    if amount == whole:
        return f"{prefix}{whole}{letter}"
    # Halves: "2 1/2 years" -> P2Y6M, "5 1/2 hours" -> PT5H30M.
    smaller = {"Y": (6, "M"), "H": (30, "M"), "D": (12, "H"), "S": (0, "S")}
    if letter == "M":
        smaller_amount, smaller_letter = (30, "S") if clock else (15, "D")
    elif letter == "W":
        smaller_amount, smaller_letter = (int(amount * _DAYS_PER_WEEK), "D")
        return f"P{smaller_amount}D"
    else:
        smaller_amount, smaller_letter = smaller[letter]
    if letter == "D":
        return f"P{whole}DT{smaller_amount}H"
    return f"{prefix}{whole}{letter}{smaller_amount}{smaller_letter}"


def _unit_key(text: str) -> str:
    word = _words(text).rstrip("s")
    return "century" if word.startswith("centur") else word


# -- rules -----------------------------------------------------------------------------

_Result = list[_Found] | _Found | None
_Handler = Callable[[re.Match[str], _Context], _Result]


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    handler: _Handler


def _whole(match: re.Match[str], kind: TimeType, value: str, mod: str | None = None) -> _Found:
    return _Found(match.start(), match.end(), kind, value, mod)


def _clock(match: re.Match[str], ctx: _Context) -> _Result:
    hour_text = match.group("h")
    if hour_text is None:
        word = _words(match.group("word"))
        hour, minute = (_NOON, 0) if word in ("noon", "midday") else (0, 0)
    else:
        hour, minute = int(hour_text), int(match.group("mi") or 0)
        ampm = _words(match.group("ap") or "")
        if ampm.startswith("p") and hour < _NOON:
            hour += _NOON
        elif ampm.startswith("a") and hour == _NOON:
            hour = 0
        part = _words(match.group("part") or "")
        if part in ("afternoon", "evening", "night") and hour < _NOON:
            hour += _NOON
    day = _clock_day(match, ctx)
    return _whole(match, "TIME", f"{day}T{hour:02d}:{minute:02d}")


def _clock_day(match: re.Match[str], ctx: _Context) -> str:
    if ctx.anchor is None:
        return "XXXX-XX-XX"
    if match.group("wd"):
        weekday = _WEEKDAYS[match.group("wd").lower()]
        return _weekday_date(ctx.anchor, weekday, _direction(ctx.tense(match), -1)).isoformat()
    relative = _words(match.group("rel") or "")
    offset = {"yesterday": -1, "tomorrow": 1}.get(relative, 0)
    if match.group("md"):
        month, day = _month_value(match.group("mo")), _day_value(match.group("dy"))
        year = _pick_year(ctx.anchor, month, day, _direction(ctx.tense(match), 0))
        found = _safe_date(year, month, day)
        if found:
            return found.isoformat()
    following = _WEEKDAY_AFTER.match(ctx.text, match.end())
    if following and not offset:
        # "10:35 a.m. (0735 GMT) Friday": the day comes after a parenthesis.
        weekday = _WEEKDAYS[following.group(1).lower()]
        return _weekday_date(ctx.anchor, weekday, _direction(ctx.tense(match), -1)).isoformat()
    return (ctx.anchor + timedelta(days=offset)).isoformat()


_WEEKDAY_AFTER = re.compile(rf"\s*\([^)]{{0,20}}\)\s*({_WEEKDAY})\b")


def _day_part(match: re.Match[str], ctx: _Context) -> _Result:
    part = _PARTS_OF_DAY[_words(match.group("part"))]
    which = _words(match.group("which") or "tonight")
    mod = _mod(match.group("pre"))
    if which in _WEEKDAYS:
        if ctx.anchor is None:
            return _whole(match, "DATE", f"XXXX-WXX-{_WEEKDAYS[which] + 1}T{part}", mod)
        day = _weekday_for(match, ctx, _WEEKDAYS[which], None)
        return _whole(match, "DATE", f"{day}T{part}", mod)
    if ctx.anchor is None:
        return _whole(match, "TIME", f"XXXX-XX-XXT{part}", mod)
    offset = {"yesterday": -1, "last": -1, "tomorrow": 1}.get(which, 0)
    return _whole(match, "TIME", f"{(ctx.anchor + timedelta(days=offset)).isoformat()}T{part}", mod)


def _week_scope(match: re.Match[str], ctx: _Context) -> int | None:
    """-1/0/+1 when the sentence puts its weekdays in last/this/next week."""
    start, end = ctx.cues.sentence(match.start())
    near = ctx.text[max(start, match.start() - _WEEK_SCOPE_CHARS) : min(end, match.end() + _WEEK_SCOPE_CHARS)]
    near = near.lower()
    if "next week" in near:
        return 1
    if "last week" in near:
        return -1
    return None


def _weekday_for(match: re.Match[str], ctx: _Context, weekday: int, relative: str | None) -> str:
    assert ctx.anchor is not None
    if relative in ("last", "this past", "past"):
        return _weekday_date(ctx.anchor, weekday, -1, strict=True).isoformat()
    if relative in ("next", "this coming", "coming"):
        return _weekday_date(ctx.anchor, weekday, 1, strict=True).isoformat()
    scope = _week_scope(match, ctx)
    tense = ctx.tense(match)
    if scope is not None and not ((scope > 0 and tense == "past") or (scope < 0 and tense == "future")):
        monday = ctx.anchor - timedelta(days=ctx.anchor.weekday()) + timedelta(weeks=scope)
        return (monday + timedelta(days=weekday)).isoformat()
    if ctx.text.startswith("'s", match.end()):
        # "Wednesday's ruling" reports what has happened.
        return _weekday_date(ctx.anchor, weekday, -1).isoformat()
    return _weekday_date(ctx.anchor, weekday, _direction(ctx.tense(match), -1)).isoformat()


def _weekday(match: re.Match[str], ctx: _Context) -> _Result:
    weekday = _WEEKDAYS[match.group("wd").lower()]
    relative = _words(match.group("rel")) if match.group("rel") else None
    mod = _mod(match.group("pre"))
    start = (
        match.start("wd") if relative is None and _words(match.group("pre") or "") in _OUTSIDE_MODS else match.start()
    )
    if ctx.anchor is None:
        return _Found(start, match.end(), "DATE", f"XXXX-WXX-{weekday + 1}", mod)
    return _Found(start, match.end(), "DATE", _weekday_for(match, ctx, weekday, relative), mod)


# "[Earlier] Friday", "[later] today": TimeBank leaves these words out of the span.
_OUTSIDE_MODS = frozenset({"earlier", "later", "late"})


def _resolve_day(ctx: _Context, match: re.Match[str], month: int, day: int, year: int | None) -> str:
    if year is None:
        if ctx.anchor is None:
            return f"XXXX-{month:02d}-{day:02d}"
        year = _pick_year(ctx.anchor, month, day, _direction(ctx.tense(match), 0))
    return f"{year:04d}-{month:02d}-{day:02d}"


def _full_date(match: re.Match[str], ctx: _Context) -> _Result:
    month_text = match.group("m1") or match.group("m2")
    day_text = match.group("d1") or match.group("d2")
    month, day = _month_value(month_text), _day_value(day_text)
    if not 1 <= day <= _LAST_DAY:
        return None
    year = _year_value(match.group("y")) if match.group("y") else None
    if year is not None and _safe_date(year, month, day) is None:
        return None
    value = _resolve_day(ctx, match, month, day, year)
    second = match.group("d3")
    if not second:
        return _whole(match, "DATE", value)
    # "April 24 and 25", "March 20-22, 2023": the bare second day is a TIMEX of its own.
    last = _day_value(second)
    if not day < last <= _LAST_DAY:
        return None
    first = _Found(match.start(), match.end("d1") if match.group("d1") else match.end("m2"), "DATE", value)
    second_value = f"{value[:8]}{last:02d}"
    return [first, _Found(match.start("d3"), match.end(), "DATE", second_value)]


def _numeric_date(match: re.Match[str], ctx: _Context) -> _Result:
    year = int(match.group("y"))
    if year < _CENTURY:
        year += 2000 if year < _TWO_DIGIT_PIVOT else 1900
    month, day = int(match.group("m")), int(match.group("d"))
    if _safe_date(year, month, day) is None:
        return None
    return _whole(match, "DATE", f"{year:04d}-{month:02d}-{day:02d}")


def _relative_year(ctx: _Context, relative: str) -> int | None:
    if ctx.anchor is None:
        return None
    return ctx.anchor.year + {"last": -1, "next": 1}.get(relative, 0)


def _month_year(match: re.Match[str], ctx: _Context) -> _Result:
    month = _month_value(match.group("m"))
    if match.group("y"):
        year: int | None = _year_value(match.group("y"))
    else:
        year = _relative_year(ctx, _words(match.group("rel")))
    prefix = f"{year:04d}" if year is not None else "XXXX"
    return _whole(match, "DATE", f"{prefix}-{month:02d}", _mod(match.group("pre")))


_MONTH_ALONE_BEFORE = re.compile(
    r"(?:\b(?:in|of|since|until|till|by|from|through|to|before|after|during|last|this|next|early|late|the|between"
    r"|and|or|each|every|throughout|mid|end|beginning|start|middle|coming|past|that|on|for)\s*|-)$",
    re.IGNORECASE,
)


def _month_alone(match: re.Match[str], ctx: _Context) -> _Result:
    month_text = match.group("m")
    relative = _words(match.group("rel")) if match.group("rel") else None
    if not relative and not match.group("pre") and not _MONTH_ALONE_BEFORE.search(ctx.before(match.start(), 12)):
        return None  # "May" the modal, "March" the verb or a name
    month = _month_value(month_text)
    mod = _mod(match.group("pre"))
    if ctx.anchor is None:
        return _whole(match, "DATE", f"XXXX-{month:02d}", mod)
    if relative in ("last", "this past", "past"):
        year = _pick_month_year(ctx.anchor, month, -1, strict=True)
        if relative == "last" and (ctx.anchor.month - month) % 12 == 1:
            # The month just ended is "last month"; "last February" said in March is the one a
            # year before (TimeBank: "last February" in a 1998-03-01 article is 1997-02).
            year -= 1
    elif relative in ("next", "this coming", "coming"):
        year = _pick_month_year(ctx.anchor, month, 1, strict=True)
    elif relative == "this":
        year = ctx.anchor.year
    else:
        year = _pick_month_year(ctx.anchor, month, _direction(ctx.tense(match), 0))
    return _whole(match, "DATE", f"{year:04d}-{month:02d}", mod)


def _season(match: re.Match[str], ctx: _Context) -> _Result:
    season = _SEASONS[_words(match.group("s"))]
    relative = _words(match.group("rel")) if match.group("rel") else None
    if not (relative or match.group("y") or match.group("pre")) and not re.search(
        r"\b(?:in|during|over|through|since|until|by|for)\s+$", ctx.before(match.start(), 10), re.IGNORECASE
    ):
        return None
    if season == "FA" and not (relative or match.group("y")):
        return None  # "fall" the verb
    mod = _mod(match.group("pre"))
    if match.group("y"):
        return _whole(match, "DATE", f"{_year_value(match.group('y')):04d}-{season}", mod)
    if ctx.anchor is None:
        return _whole(match, "DATE", f"XXXX-{season}", mod)
    # The season's year is the year it starts in, except that winter is named by its January.
    start_month = _SEASON_START[season]
    current = date(ctx.anchor.year, start_month, 1) if season != "WI" else date(ctx.anchor.year, 1, 1)
    in_it = (ctx.anchor.month - start_month) % 12 < _MONTHS_PER_QUARTER
    if relative in ("last", "past", "this past", "previous"):
        year = current.year if current <= ctx.anchor and not in_it else current.year - 1
    elif relative in ("next", "coming", "this coming"):
        year = current.year if current > ctx.anchor else current.year + 1
    elif relative == "this":
        year = current.year
    elif relative in ("the", None):
        direction = _direction(ctx.tense(match), 0)
        year = current.year
        if direction < 0 and current > ctx.anchor:
            year -= 1
    else:
        year = current.year
    return _whole(match, "DATE", f"{year:04d}-{season}", mod)


_ORDINAL_QUARTER = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}


def _quarter_rule(match: re.Match[str], ctx: _Context) -> _Result:
    quarter = _ORDINAL_QUARTER[_words(match.group("q"))]
    owner = _words(match.group("yq") or "")
    year: int | None
    if match.group("y"):
        year = _year_value(match.group("y"))
    elif match.group("yqy"):
        year = _year_value(match.group("yqy"))
    elif ctx.anchor is None:
        year = None
    elif owner.startswith(("last", "the year-", "year-")) or (match.group("rel") and match.group("rel") == "last"):
        year = ctx.anchor.year - 1
    elif owner.startswith("next") or (match.group("rel") and match.group("rel") == "next"):
        year = ctx.anchor.year + 1
    else:
        year = ctx.anchor.year
        if quarter > _quarter(ctx.anchor) and _direction(ctx.tense(match), -1) < 0 and not owner:
            year -= 1
    prefix = f"{year:04d}" if year is not None else "XXXX"
    found = _whole(match, "DATE", f"{prefix}-Q{quarter}")
    return _without_article(found, match, ctx) if "-" in ctx.text[match.end("q") : match.end()] else found


def _half(match: re.Match[str], ctx: _Context) -> _Result:
    half = 1 if _words(match.group("h")) == "first" else 2
    if match.group("y"):
        year: int | None = _year_value(match.group("y"))
    else:
        year = _relative_year(ctx, _words(match.group("rel") or "this"))
    prefix = f"{year:04d}" if year is not None else "XXXX"
    return _whole(match, "DATE", f"{prefix}-H{half}")


_QUARTER_MENTION = re.compile(
    r"\b(?:(?P<q>first|second|third|fourth)[\s-]+(?:fiscal[\s-]+)?)?quarter\b|\blatest\s+period\b", re.IGNORECASE
)


def _reference_quarter(ctx: _Context, position: int) -> tuple[int, int] | None:
    """The quarter a financial text is talking about just before ``position``, if it talks of one."""
    assert ctx.anchor is not None
    mentions = list(_QUARTER_MENTION.finditer(ctx.before(position, _QUARTER_CONTEXT_CHARS)))
    if not mentions:
        return None
    ordinal = mentions[-1].group("q")
    if ordinal:
        quarter = _ORDINAL_QUARTER[ordinal.lower()]
        return ctx.anchor.year if quarter <= _quarter(ctx.anchor) else ctx.anchor.year - 1, quarter
    return _last_quarter(ctx.anchor)


def _period(match: re.Match[str], ctx: _Context) -> _Result:
    """ "the quarter", "the latest period", "the year-ago quarter": quarters of a results report."""
    which = _words(match.group("which") or "")
    if ctx.anchor is None:
        return _whole(match, "DATE", "XXXX-QX")
    year, quarter = _last_quarter(ctx.anchor)
    if which in ("current", "this"):
        year, quarter = ctx.anchor.year, _quarter(ctx.anchor)
    elif which in ("next", "coming"):
        current = _quarter(ctx.anchor)
        year, quarter = (ctx.anchor.year, current + 1) if current < _QUARTERS else (ctx.anchor.year + 1, 1)
    elif "year" in which or match.group("ago"):
        year -= 1
    return _whole(match, "DATE", f"{year:04d}-Q{quarter}")


def _year_earlier(match: re.Match[str], ctx: _Context) -> _Result:
    """ "a year earlier", "a year ago", "year-earlier": the same quarter a year before in a results report."""
    if ctx.anchor is None:
        return _whole(match, "DATE", "XXXX")
    reference = _reference_quarter(ctx, match.start())
    if reference:
        return _whole(match, "DATE", f"{reference[0] - 1:04d}-Q{reference[1]}")
    return _whole(match, "DATE", f"{ctx.anchor.year - 1:04d}", _mod(match.group("pre")))


def _last_year_mentioned(ctx: _Context, position: int) -> int | None:
    years = re.findall(r"(?<![\d$.,])(?:1[6-9]\d\d|20\d\d)(?![\d,]\d)", ctx.before(position, _YEAR_CONTEXT_CHARS))
    return int(years[-1]) if years else None


def _relative_unit(match: re.Match[str], ctx: _Context) -> _Result:
    relative = _words(match.group("rel") or "this").removeprefix("the ")
    unit = _words(match.group("u"))
    mod = _mod(match.group("pre"))
    if match.group("pre") and _words(match.group("pre")) == "earlier" and relative == "this":
        mod = "START"
    offset = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1, "following": 1}.get(relative, 0)
    if ctx.anchor is None:
        return _whole(match, "DATE", {"week": "XXXX-WXX", "month": "XXXX-XX"}.get(unit, "XXXX"), mod)
    anchor = ctx.anchor
    if relative in ("following", "that") and unit == "year":
        mentioned = _last_year_mentioned(ctx, match.start())
        base = mentioned if mentioned is not None else anchor.year
        return _whole(match, "DATE", f"{base + offset:04d}", mod)
    if unit in ("week", "weekend"):
        day = anchor + timedelta(weeks=offset)
        if unit == "weekend":
            return _whole(match, "DATE", f"{_iso_week(day)}-WE", mod)
        return _whole(match, "DATE", _iso_week(day), mod)
    if unit == "month":
        year, month = _add_months(anchor.year, anchor.month, offset)
        return _whole(match, "DATE", f"{year:04d}-{month:02d}", mod)
    if unit in ("year", "fiscal year"):
        return _whole(match, "DATE", f"{anchor.year + offset:04d}", mod)
    if unit == "decade":
        return _whole(match, "DATE", _digits(anchor.year // 10 + offset, 3), mod)
    return _whole(match, "DATE", _digits(anchor.year // 100 + offset, 2), mod)


def _the_weekend(match: re.Match[str], ctx: _Context) -> _Result:
    if ctx.anchor is None:
        return _whole(match, "DATE", "XXXX-WXX-WE")
    saturday = _weekday_date(ctx.anchor, _WEEKDAYS["saturday"], _direction(ctx.tense(match), -1))
    return _whole(match, "DATE", f"{_iso_week(saturday)}-WE")


def _year_end(match: re.Match[str], ctx: _Context) -> _Result:
    year = f"{ctx.anchor.year:04d}" if ctx.anchor else "XXXX"
    return _whole(match, "DATE", f"{year}-12-31")


def _ago(match: re.Match[str], ctx: _Context) -> _Result:
    unit = _unit_key(match.group("u"))
    number = _number(match.group("num"))
    direction = -1 if _words(match.group("dir")) in ("ago", "earlier", "before") else 1
    mod = _mod(match.group("mod"))
    if number is None:
        return _whole(match, "DATE", "PAST_REF" if direction < 0 else "FUTURE_REF")
    if ctx.anchor is None:
        return _whole(match, "DATE", "XXXX")
    letter, clock, size = _UNITS[unit]
    amount = int(number * size) * direction
    anchor = ctx.anchor
    if clock:
        return _whole(match, "DATE", anchor.isoformat(), mod)
    if letter == "D":
        return _whole(match, "DATE", (anchor + timedelta(days=amount)).isoformat(), mod)
    if letter == "W":
        return _whole(match, "DATE", _iso_week(anchor + timedelta(weeks=amount)), mod)
    if letter == "M":
        year, month = _add_months(anchor.year, anchor.month, amount)
        return _whole(match, "DATE", f"{year:04d}-{month:02d}", mod)
    return _whole(match, "DATE", f"{anchor.year + amount:04d}", mod)


def _deictic(match: re.Match[str], ctx: _Context) -> _Result:
    word = _words(match.group("w"))
    offset = {"yesterday": -1, "tomorrow": 1, "the day before yesterday": -2, "the day after tomorrow": 2}.get(word, 0)
    mod = _mod(match.group("pre"))
    start = match.start("w") if _words(match.group("pre") or "") in ("earlier", "later") else match.start()
    if ctx.anchor is None:
        return _Found(start, match.end(), "DATE", "PRESENT_REF" if offset == 0 else "XXXX-XX-XX", mod)
    return _Found(start, match.end(), "DATE", (ctx.anchor + timedelta(days=offset)).isoformat(), mod)


def _holiday(match: re.Match[str], ctx: _Context) -> _Result:
    # The longest listed name the text starts with: "Christmas Eve" before "Christmas".
    name = _words(match.group("h"))
    key = next((k for k in _HOLIDAYS if name.startswith(k)), None)
    if key is None:
        return None
    rule = _HOLIDAYS[key]
    relative = _words(match.group("rel")) if match.group("rel") else None
    if match.group("y"):
        return _whole(match, "DATE", rule(_year_value(match.group("y"))).isoformat())
    if ctx.anchor is None:
        return _whole(match, "DATE", f"XXXX-{rule(2001).strftime('%m-%d')}")
    direction = {"last": -1, "next": 1}.get(relative or "", _direction(ctx.tense(match), 0))
    options = [rule(ctx.anchor.year + k) for k in (-1, 0, 1)]
    if direction < 0:
        chosen = max(d for d in options if d <= ctx.anchor)
    elif direction > 0:
        chosen = min(d for d in options if d >= ctx.anchor)
    else:
        chosen = min(options, key=lambda d: abs((d - ctx.anchor).days) if ctx.anchor else 0)
    return _whole(match, "DATE", chosen.isoformat())


def _decade(match: re.Match[str], ctx: _Context) -> _Result:
    if match.group("d"):
        decade = int(match.group("d")) // 10
    elif match.group("d2"):
        decade = 190 + int(match.group("d2")) // 10
    else:
        decade = 190 + _TENS[_words(match.group("dw")).replace("ies", "y")] // 10
    return _whole(match, "DATE", f"{decade:03d}", _mod(match.group("pre")))


def _century(match: re.Match[str], ctx: _Context) -> _Result:
    if match.group("n"):
        number = int(match.group("n"))
    elif match.group("w"):
        number = _ORDINALS[_words(match.group("w"))]
    else:
        return None
    return _whole(match, "DATE", f"{number - 1:02d}", _mod(match.group("pre")))


def _duration(match: re.Match[str], ctx: _Context) -> _Result:
    after = ctx.text[match.end() : match.end() + 5].lower()
    unit = _unit_key(match.group("u"))
    number_text = _words(match.group("num"))
    if re.match(r"[\s-]old\b", after) or match.group(0).lower().endswith("-old"):
        return None  # an age
    if unit == "quarter" and (re.match(r"\s+of\b", after) or "-" in match.group(0)):
        return None  # "three-quarters of"
    if unit == "second" and number_text in ("a", "an"):
        return None  # "a second round"
    number = _number(number_text)
    if number is not None and number >= _FIRST_YEAR and unit in ("year", "quarter"):
        return None  # "the 1988 quarter"
    if number_text == "one" and unit == "day" and _MODAL_BEFORE.search(ctx.before(match.start(), 12)):
        return _whole(match, "DATE", "FUTURE_REF")  # "will one day be"
    if number is not None and match.group("half"):
        number += 0.5
    if number_text in ("a", "an", "one") and re.match(r"\s*(?:or\s+two|or\s+so)", after):
        number = None
    value = _duration_value(number, unit)
    found = _whole(match, "DURATION", value, _mod(match.group("mod")))
    return _without_article(found, match, ctx) if "-" in ctx.text[match.end("num") : match.start("u")] else found


_FIRST_YEAR = 1600
_MODAL_BEFORE = re.compile(r"\b(?:will|would|could|may|might|shall|can)\s+$", re.IGNORECASE)


def _vague_duration(match: re.Match[str], ctx: _Context) -> _Result:
    unit = _unit_key(match.group("u"))
    return _without_article(_whole(match, "DURATION", _duration_value(None, unit)), match, ctx)


def _without_article(found: _Found, match: re.Match[str], ctx: _Context) -> _Found:
    """TimeBank leaves "the" out of an adjectival or bare-plural span ("the [14-day] period", "in the [weeks]")."""
    article = re.match(r"the\s+", ctx.text[found.start : found.end], re.IGNORECASE)
    return replace(found, start=found.start + article.end()) if article else found


def _set(match: re.Match[str], ctx: _Context) -> _Result:
    if match.group("adv"):
        return _whole(match, "SET", _SET_ADVERBS[_words(match.group("adv"))])
    unit = _unit_key(match.group("u"))
    number = _number(match.group("num")) if match.group("num") else 1.0
    if match.group("other"):
        number = 2.0
    return _whole(match, "SET", _duration_value(number, unit))


def _rate(match: re.Match[str], ctx: _Context) -> _Result:
    if not _RATE_BEFORE.search(ctx.before(match.start(), 12)):
        return None
    return _whole(match, "SET", _duration_value(1.0, _unit_key(match.group("u"))))


_RATE_BEFORE = re.compile(r"(?:\d|million|billion|thousand|hundred|percent|dollars|cents|%)\s+$", re.IGNORECASE)


def _each_month(match: re.Match[str], ctx: _Context) -> _Result:
    return _whole(match, "SET", f"XXXX-{_month_value(match.group('m')):02d}")


def _reference(value: str) -> _Handler:
    def handler(match: re.Match[str], ctx: _Context) -> _Result:
        return _whole(match, "DATE", value)

    return handler


def _week_of(match: re.Match[str], ctx: _Context) -> _Result:
    month, day = _month_value(match.group("m")), _day_value(match.group("d"))
    year = _year_value(match.group("y")) if match.group("y") else None
    if year is None:
        if ctx.anchor is None:
            return _whole(match, "DATE", "XXXX-WXX")
        year = _pick_year(ctx.anchor, month, day, _direction(ctx.tense(match), 0))
    found = _safe_date(year, month, day)
    return _whole(match, "DATE", _iso_week(found)) if found else None


def _clock_in_words(match: re.Match[str], ctx: _Context) -> _Result:
    if match.group("h2"):
        hour = int(match.group("h2"))
        if _words(match.group("part2")) != "morning" and hour < _NOON:
            hour += _NOON
        day = ctx.anchor.isoformat() if ctx.anchor else "XXXX-XX-XX"
        return _whole(match, "TIME", f"{day}T{hour:02d}:00")
    return _clock(match, ctx)


def _numeric_date_any(match: re.Match[str], ctx: _Context) -> _Result:
    if match.group("y2"):
        year, month, day = int(match.group("y2")), int(match.group("m2")), int(match.group("d2"))
        return _whole(match, "DATE", f"{year:04d}-{month:02d}-{day:02d}") if _safe_date(year, month, day) else None
    return _numeric_date(match, ctx)


def _period_any(match: re.Match[str], ctx: _Context) -> _Result:
    text = _words(match.group(0))
    if text.startswith("last year's"):
        return _year_earlier(match, ctx) if ctx.anchor is None else _period_year_ago(match, ctx)
    if text == "this quarter" and ctx.anchor:
        return _whole(match, "DATE", f"{ctx.anchor.year:04d}-Q{_quarter(ctx.anchor)}")
    if match.group("which2"):
        if ctx.anchor is None:
            return _whole(match, "DATE", "XXXX-QX")
        which = _words(match.group("which2"))
        year, quarter = _last_quarter(ctx.anchor)
        if which.startswith("year") or "year" in text.split("period")[-1]:
            year -= 1
        return _whole(match, "DATE", f"{year:04d}-Q{quarter}")
    return _period(match, ctx)


def _period_year_ago(match: re.Match[str], ctx: _Context) -> _Result:
    assert ctx.anchor is not None
    year, quarter = _last_quarter(ctx.anchor)
    return _whole(match, "DATE", f"{year - 1:04d}-Q{quarter}")


def _year_end_any(match: re.Match[str], ctx: _Context) -> _Result:
    if _words(match.group(0)).startswith("the end"):
        year = f"{ctx.anchor.year:04d}" if ctx.anchor else "XXXX"
        return _whole(match, "DATE", year, "END")
    return _year_end(match, ctx)


def _relative_unit_this(match: re.Match[str], ctx: _Context) -> _Result:
    unit = _words(match.group("u"))
    mod = _mod(match.group("pre"))
    if ctx.anchor is None:
        return _whole(match, "DATE", "XXXX", mod)
    value = {"week": _iso_week(ctx.anchor), "month": f"{ctx.anchor.year:04d}-{ctx.anchor.month:02d}"}.get(
        unit, f"{ctx.anchor.year:04d}"
    )
    return _whole(match, "DATE", value, mod)


def _day_part_any(match: re.Match[str], ctx: _Context) -> _Result:
    if _words(match.group(0)) == "tonight":
        day = ctx.anchor.isoformat() if ctx.anchor else "XXXX-XX-XX"
        return _whole(match, "TIME", f"{day}TNI")
    return _day_part(match, ctx)


def _weekdays_any(match: re.Match[str], ctx: _Context) -> _Result:
    weekday_text = match.group("wd") or match.group("wd2")
    weekday = _WEEKDAYS[weekday_text.lower()]
    part = _PARTS_OF_DAY.get(_words(match.group("part") or "").rstrip("s"), "")
    return _whole(match, "SET", f"XXXX-WXX-{weekday + 1}" + (f"T{part}" if part else ""))


_WORD_YEAR_BEFORE = re.compile(r"\b(?:in|since|until|by|of|year|from|to|during)\s+$", re.IGNORECASE)
_WORD_YEAR_LOOKBACK = 10


def _year_any(match: re.Match[str], ctx: _Context) -> _Result:
    text = match.group("y") or match.group("y2")
    if match.group("y2") and not _WORD_YEAR_BEFORE.search(ctx.before(match.start("y2"), _WORD_YEAR_LOOKBACK)):
        return None  # "two thousand" people
    year = _year_value(text)
    suffix = _words(match.group("sfx") or "")
    article = re.match(r"the\s+", match.group(0), re.IGNORECASE)
    if not suffix and article:
        # "the 1990 budget": the article belongs to the noun, not to the year.
        return _Found(match.start() + article.end(), match.end(), "DATE", f"{year:04d}", _mod(match.group("pre")))
    if suffix == "quarter" and ctx.anchor is not None:
        return _whole(match, "DATE", f"{year:04d}-Q{_last_quarter(ctx.anchor)[1]}")
    return _whole(match, "DATE", f"{year:04d}", _mod(match.group("pre")))


def _set_any(match: re.Match[str], ctx: _Context) -> _Result:
    if match.group("u2"):
        return _whole(match, "SET", _duration_value(1.0, _unit_key(match.group("u2"))))
    return _set(match, ctx)


def _each_season_any(match: re.Match[str], ctx: _Context) -> _Result:
    season = _SEASONS[_words(match.group("s") or match.group("s2")).rstrip("s")]
    return _whole(match, "SET", f"XXXX-{season}")


def _vague_any(match: re.Match[str], ctx: _Context) -> _Result:
    if match.group("u2"):
        return _whole(match, "DURATION", "P1Y")
    if match.group(0).lower().endswith("-old") or re.match(r"\s+old\b", ctx.text[match.end() : match.end() + 5]):
        return None  # an age
    return _vague_duration(match, ctx)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# A left boundary that also keeps numbers like $1990, 3.1990 and the 95 of 1994-95 out.
_B = r"(?<![\w$£€#/.])(?<!\d-)"
_E = r"(?![\w%])"

# Order matters only between matches of the same length: the earlier rule wins.
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "clock",
        _compile(
            rf"{_B}(?:(?P<h>[01]?\d)(?::(?P<mi>[0-5]\d))?\s*(?P<ap>[ap]\.\s?m\.?|[ap]m\b|o'clock)"
            rf"(?:\s*\(?(?-i:[ECMP][SD]T|GMT|UTC)\)?)?(?:\s+in\s+the\s+(?P<part>morning|afternoon|evening|night))?"
            rf"|(?P<word>noon|midnight|midday))"
            rf"(?:,?\s+(?:on\s+)?(?:(?P<wd>{_WEEKDAY})|(?P<rel>today|yesterday|tomorrow|tonight)"
            rf"|(?P<md>(?P<mo>{_MONTH})\s+(?P<dy>{_DIGIT_DAY}))))?"
            rf"|{_B}(?P<h2>[01]?\d)\s+in\s+the\s+(?P<part2>morning|afternoon|evening)"
        ),
        _clock_in_words,
    ),
    _Rule(
        "week_of",
        _compile(rf"\bthe\s+week\s+of\s+(?P<m>{_MONTH})\s+(?P<d>{_DIGIT_DAY})(?:,?\s+(?P<y>{_YEAR}))?"),
        _week_of,
    ),
    _Rule(
        "full_date",
        _compile(
            rf"(?:(?:this\s+(?:coming\s+)?|next\s+|last\s+)?(?P<wd>{_WEEKDAY}),?\s+)?"
            rf"(?:(?P<m1>{_MONTH})\s*(?P<d1>{_DAY})|(?<![\d.,$])(?:the\s+)?(?P<d2>{_DIGIT_DAY})(?:\s+of)?\s+(?P<m2>{_MONTH}))"
            rf"(?:\s*(?:-|–|to|through|and|until|till)\s*(?P<d3>{_DIGIT_DAY})(?!\s*(?:percent|per|million|billion|people)))?"
            rf"(?:,?\s+(?P<y>{_YEAR}))?"
        ),
        _full_date,
    ),
    _Rule(
        "numeric_date",
        _compile(
            r"(?<![\d/.])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])/(?P<y>\d{4}|\d{2})(?![\d/])"
            r"|(?<![\d-])(?P<y2>(?:19|20)\d\d)-(?P<m2>0[1-9]|1[0-2])-(?P<d2>0[1-9]|[12]\d|3[01])(?![\d-])"
        ),
        _numeric_date_any,
    ),
    _Rule(
        "month_year",
        _compile(
            rf"(?:{_PREFIX_MOD}[\s-]+)?(?P<m>{_MONTH}),?\s+(?:of\s+)?(?:(?P<y>{_YEAR})(?![\d])|(?P<rel>last|this|next)\s+year)"
        ),
        _month_year,
    ),
    _Rule(
        "month",
        _compile(
            rf"(?:{_PREFIX_MOD}[\s-]+)?(?:(?P<rel>last|this|next|this\s+coming|this\s+past)\s+)?"
            rf"(?P<m>{_MONTH_FULL})\b(?!\s*\d)"
        ),
        _month_alone,
    ),
    _Rule(
        "season",
        _compile(
            rf"(?:{_PREFIX_MOD}[\s-]+)?(?:(?P<rel>last|this|next|this\s+coming|this\s+past|coming|past|the)\s+)?"
            # A capitalized word after it makes a name of it: "the Winter Olympics", "Spring Festival".
            rf"(?P<s>spring|summer|fall|autumn|winter)\b(?!\s+(?-i:[A-Z][a-z]))(?:\s+(?:of\s+)?(?P<y>{_YEAR}))?"
        ),
        _season,
    ),
    _Rule(
        "quarter",
        _compile(
            rf"(?:the\s+)?(?:(?P<yq>(?P<yqy>{_YEAR})|this\s+year's|last\s+year's|next\s+year's|year-(?:ago|earlier))\s+)?"
            r"(?:(?:fiscal|calendar)[\s-]+)?(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+"
            r"(?:fiscal[\s-]+)?quarter\b(?!s)"
            rf"(?:\s+of\s+(?:(?:fiscal\s+)?(?P<y>{_YEAR})|(?P<rel>this|last|next)\s+year))?"
        ),
        _quarter_rule,
    ),
    _Rule(
        "half",
        _compile(
            rf"(?:the\s+)?(?P<h>first|second|last|latter)\s+half\s+of\s+"
            rf"(?:(?:fiscal\s+)?(?P<y>{_YEAR})|(?P<rel>this|last|next)\s+year|the\s+year)"
        ),
        _half,
    ),
    _Rule(
        "period",
        _compile(
            r"\bthe\s+(?:(?P<which>latest|last|past|current|previous|prior|most\s+recent|recent|just-ended|"
            r"year-ago|year-earlier|same|comparable|corresponding|next|coming)\s+)?(?:fiscal\s+)?quarter\b(?!s)"
            r"(?P<ago>\s+(?:a\s+year\s+(?:ago|earlier)|last\s+year|of\s+last\s+year))?"
            r"|\bthe\s+(?P<which2>latest|year-ago|year-earlier|comparable|corresponding|same)\s+period"
            r"(?:\s+(?:a\s+year\s+(?:ago|earlier)|last\s+year))?"
            r"|\blast\s+year's\s+(?:fiscal\s+)?(?:quarter|period)|\bthis\s+quarter\b"
        ),
        _period_any,
    ),
    _Rule(
        "year_earlier",
        _compile(
            r"(?:(?P<pre>about|nearly|almost)\s+)?\b(?:a|one)\s+year\s+(?:earlier|ago|before)\b|\byear-(?:earlier|ago)\b"
        ),
        _year_earlier,
    ),
    _Rule("year_end", _compile(r"\byear-end\b|\bthe\s+end\s+of\s+the\s+year\b"), _year_end_any),
    _Rule(
        "relative_unit",
        _compile(
            r"(?:(?P<pre>early|late|mid|earlier|later|the\s+(?:beginning|end|start|middle)\s+of)[\s-]+)?"
            r"\b(?P<rel>last|this|next|the\s+coming|the\s+past|the\s+previous|the\s+following|the\s+current|"
            r"the\s+same|coming|past|previous|following|current|that)\s+"
            r"(?P<u>week|month|year|weekend|decade|century|fiscal\s+year)\b(?!-)(?!'s\s+(?:first|second|third|fourth))"
        ),
        _relative_unit,
    ),
    _Rule(
        "in_the_unit",
        _compile(r"\b(?P<pre>earlier|later)\s+in\s+the\s+(?P<u>week|month|year)\b"),
        _relative_unit_this,
    ),
    _Rule("weekend", _compile(r"\bthe\s+weekend\b"), _the_weekend),
    _Rule(
        "ago",
        _compile(
            rf"(?:(?P<mod>{_SPAN_DUR_MOD})\s+)?\b(?P<num>{_NUM})\s+(?P<u>{_UNIT})s?(?:\s+or\s+so)?\s+"
            r"(?P<dir>ago|earlier|from\s+now|hence)\b"
        ),
        _ago,
    ),
    _Rule(
        "day_part",
        _compile(
            rf"(?:(?P<pre>early|late|earlier|later)\s+)?(?P<which>{_WEEKDAY}|yesterday|today|tomorrow|this|last)\s+"
            r"(?P<part>morning|afternoon|evening|night)\b|\btonight\b"
        ),
        _day_part_any,
    ),
    _Rule(
        "deictic",
        _compile(
            r"(?:\b(?P<pre>early|late|earlier|later)\s+)?\b(?P<w>today|yesterday|tomorrow|"
            r"the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow)\b"
        ),
        _deictic,
    ),
    _Rule(
        "weekday",
        _compile(
            rf"(?:\b(?P<pre>early|late|earlier|later)\s+)?(?:\b(?P<rel>last|this|next|this\s+coming|this\s+past|coming|"
            rf"past)\s+)?\b(?P<wd>{_WEEKDAY})\b"
        ),
        _weekday,
    ),
    _Rule(
        "weekdays",
        _compile(
            rf"\b(?:(?:every|each)\s+(?P<wd>{_WEEKDAY})|(?P<wd2>{_WEEKDAY})s\b)(?:\s+(?P<part>mornings?|afternoons?|"
            r"evenings?|nights?))?"
        ),
        _weekdays_any,
    ),
    _Rule(
        "holiday",
        _compile(
            r"(?:\b(?P<rel>last|this|next)\s+)?(?P<h>(?-i:Thanksgiving(?:\s+Day)?|Christmas(?:\s+(?:Day|Eve))?"
            r"|New\s+Year's(?:\s+(?:Day|Eve))?|Election\s+Day|Independence\s+Day|the\s+Fourth\s+of\s+July"
            r"|July\s+Fourth|Easter(?:\s+(?:Sunday|Monday))?|Good\s+Friday|Labor\s+Day|Memorial\s+Day|Halloween"
            r"|Valentine's\s+Day|Veterans\s+Day|Boxing\s+Day))\b"
            rf"(?:\s+(?P<y>{_YEAR}))?"
        ),
        _holiday,
    ),
    _Rule(
        "year",
        _compile(
            rf"(?:(?P<pre>early|mid|late|the\s+(?:beginning|end|start|middle)\s+of|post|pre)[\s-]+)?"
            rf"(?:(?:the\s+)?(?:fiscal|calendar|model)\s+(?:year\s+)?|the\s+year\s+)?"
            rf"(?:(?:the\s+)?{_B}(?P<y>(?:1[6-9]|20)\d\d)(?![\d,.]\d)(?!\s*(?:%|percent))(?P<sfx>\s+(?:period|quarter)\b)?"
            rf"|(?P<y2>{_WORD_YEAR})\b)"
        ),
        _year_any,
    ),
    _Rule(
        "decade",
        _compile(
            rf"(?:the\s+)?(?:(?P<pre>early|mid|late)[\s-]+)?(?:{_B}(?P<d>(?:1[6-9]|20)\d0)'?s\b|'(?P<d2>\d0)s\b"
            r"|(?<=the\s)(?P<dw>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b)"
        ),
        _decade,
    ),
    _Rule(
        "century",
        _compile(
            rf"(?:the\s+)?(?:(?P<pre>early|mid|late)[\s-]+)?(?:{_B}(?P<n>[1-9]\d?)(?:st|nd|rd|th)|(?P<w>{_ORDINAL_RE}))"
            r"[\s-]+century\b"
        ),
        _century,
    ),
    _Rule(
        "set",
        _compile(
            rf"\b(?P<adv>daily|nightly|weekly|biweekly|monthly|yearly|annually|hourly)\b"
            rf"|\b(?:every|each|per)\s+(?:(?P<other>other)\s+|(?P<num>{_NUMBER_WORD}|\d+)\s+)?(?P<u>{_UNIT})s?\b"
            rf"|\b(?:once|twice|three\s+times|\d+\s+times)\s+(?:a|an|per|each)\s+(?P<u2>{_UNIT})\b"
        ),
        _set_any,
    ),
    _Rule(
        "rate",
        _compile(r"\b(?:a|per)\s+(?P<u>year|month|week|day|hour)\b"),
        _rate,
    ),
    _Rule("each_month", _compile(rf"\b(?:every|each)\s+(?P<m>{_MONTH_FULL})\b"), _each_month),
    _Rule(
        "each_season",
        _compile(r"\b(?:every|each)\s+(?P<s>spring|summer|fall|autumn|winter)\b|\bthe\s+past\s+\w+\s+(?P<s2>summers)"),
        _each_season_any,
    ),
    _Rule(
        "duration",
        _compile(
            rf"(?:(?P<mod>{_SPAN_DUR_MOD})\s+(?!the\b))?(?:the\s+)?(?:(?:first|last|past|next|previous|coming|following|latest|"
            r"final|initial|remaining|same|other|year-earlier|year-ago)\s+)?"
            rf"\b(?P<num>{_NUM})(?:\s+(?:to|or)\s+{_NUM})?"
            r"(?:\s+(?:more|additional|full|straight|consecutive|long|trading|business))?[\s-]+"
            rf"(?P<u>{_UNIT})s?\b(?P<half>\s+and\s+a\s+half\b)?(?:-(?:long|old)\b)?(?!-(?:old|long))"
        ),
        _duration,
    ),
    _Rule(
        "vague_duration",
        _compile(
            r"\b(?:(?:the\s+)?(?:recent|coming|past|last|next|early|following)\s+|the\s+)?"
            r"(?P<u>years|months|weeks|days|decades|centuries|hours|minutes)\b(?:\s+ahead)?(?:-(?:long|old))?"
            r"|\bthe\s+(?P<u2>year|fiscal\s+year)\b(?!\s+(?:\d|ended|ending|two|nineteen))"
        ),
        _vague_any,
    ),
    _Rule(
        "present_ref",
        _compile(r"\b(?:right\s+)?now\b|\bcurrently\b|\bnowadays\b|\bthese\s+days\b|\bat\s+present\b"),
        _reference("PRESENT_REF"),
    ),
    _Rule(
        "past_ref",
        _compile(r"\b(?:more\s+|most\s+|only\s+|until\s+)?recently\b|\bthe\s+past\b|\blately\b"),
        _reference("PAST_REF"),
    ),
    _Rule(
        "future_ref",
        _compile(r"\bthe\s+(?:near\s+|distant\s+|foreseeable\s+|immediate\s+)?future\b|\ba\s+later\s+date\b"),
        _reference("FUTURE_REF"),
    ),
)


# -- public API ------------------------------------------------------------------------


_MONTH_TRIGGER = r"(?-i:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_UNIT_TRIGGER = r"second|minute|hour|day|week|fortnight|month|quarter|year|decade|centur"
# Words every match of a rule contains. The full patterns (optional prefixes, long
# alternations) are slow to try at every position; they run only around these.
_TRIGGERS: dict[str, re.Pattern[str]] = {
    name: _compile(pattern)
    for name, pattern in {
        "clock": r"[ap]\.?\s?m\b|o'clock|noon|midnight|midday|\bin\s+the\s+(?:morning|afternoon|evening)",
        "week_of": r"week\s+of",
        "full_date": _MONTH_TRIGGER,
        "numeric_date": r"\d[/-]\d",
        "month_year": _MONTH_TRIGGER,
        "month": _MONTH_TRIGGER,
        "season": r"spring|summer|fall|autumn|winter",
        "quarter": r"quarter",
        "half": r"\bhalf\b",
        "period": r"quarter|period",
        "year_earlier": r"\byear\b",
        "year_end": r"year-end|end\s+of\s+the\s+year",
        "relative_unit": r"week|month|year|decade|century",
        "in_the_unit": r"\bin\s+the\s+(?:week|month|year)",
        "weekend": r"weekend",
        "ago": r"\b(?:ago|earlier|later|from\s+now|hence)\b",
        "day_part": r"morning|afternoon|evening|night",
        "deictic": r"today|yesterday|tomorrow",
        "weekday": r"(?-i:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)",
        "weekdays": r"(?-i:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)",
        "holiday": r"(?-i:Thanksgiving|Christmas|New\s+Year|Election|Independence|Fourth|Easter|Good\s+Friday|Labor"
        r"|Memorial|Halloween|Valentine|Veterans|Boxing)",
        "year": r"(?:1[6-9]|20)\d\d|nineteen|thousand",
        "decade": r"\d0'?s\b|ties\b",
        "century": r"century",
        "set": r"daily|nightly|weekly|monthly|yearly|annually|hourly|\bevery\b|\beach\b|\bper\b|\bonce\b|twice|times",
        "rate": r"\b(?:a|per)\s+(?:year|month|week|day|hour)\b",
        "each_month": r"\b(?:each|every)\b",
        "each_season": r"\b(?:each|every|past)\b",
        "duration": _UNIT_TRIGGER,
        "vague_duration": r"years|months|weeks|days|decades|centuries|hours|minutes|\bthe\s+(?:fiscal\s+)?year",
        "present_ref": r"now|currently|these\s+days|present",
        "past_ref": r"recent|past|lately",
        "future_ref": r"future|later\s+date",
    }.items()
}
# Characters a match may reach before or after its trigger word.
_TRIGGER_WINDOW = 90


def _windows(trigger: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for hit in trigger.finditer(text):
        start, end = max(0, hit.start() - _TRIGGER_WINDOW), min(len(text), hit.end() + _TRIGGER_WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _candidates(text: str) -> list[tuple[int, int, int, re.Match[str]]]:
    found = []
    seen: set[tuple[int, int, int]] = set()
    for index, rule in enumerate(_RULES):
        trigger = _TRIGGERS.get(rule.name)
        windows = _windows(trigger, text) if trigger else [(0, len(text))]
        for window_start, window_end in windows:
            for match in rule.pattern.finditer(text, window_start, window_end):
                key = (match.start(), match.end(), index)
                if match.end() > match.start() and key not in seen:
                    seen.add(key)
                    found.append((match.start(), match.end(), index, match))
    # Longest first; between equals, the earlier rule, then the earlier position.
    found.sort(key=lambda item: (item[0] - item[1], item[2], item[0]))
    return found


def _trim(text: str, found: _Found) -> _Found:
    """Leading/trailing spaces and a trailing comma never belong to a TIMEX."""
    start, end = found.start, found.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return replace(found, start=start, end=end)


# A negative year, the year 0 or one after 9999: outside the calendar of TimeML values (and of Python's dates).
_OUTSIDE_CALENDAR = re.compile(r"-|0000|\d{5}")


# "USA Today", NBC's "Today" show, ABC's "This Week": capitals that make a name of a date word.
_TITLE_WORDS = re.compile(r"Today|This Week")
_OPENING_MARKS = "\"“‘'"
_CLOSING_MARKS = "\"”’'"


def _names_a_title(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is "Today" or "This Week" written as a name: "This Week" anywhere, "Today"
    inside a sentence or alone in quote marks ("Today, the ..." opens a sentence with the day)."""
    if not _TITLE_WORDS.fullmatch(text, start, end):
        return False
    if text[start:end] == "This Week":
        return True
    before = text[:start].rstrip()[-1:]
    quoted = before in _OPENING_MARKS and text[end : end + 1] in _CLOSING_MARKS
    return quoted or (before.isalnum() or before == ",")


def tag_times(text: str, anchor: date | None, doc: Doc | None = None) -> list[TimeRef]:
    """Every TimeML time expression in ``text``, resolved against ``anchor`` (the publication date).

    Without an anchor, relative expressions keep underspecified values (``XXXX-WXX-5``). ``doc``
    (a spaCy parse of the same text) is used for tense when given; otherwise tense comes from
    the words. The result is sorted by start, non-overlapping and deterministic.
    """
    ctx = _Context(text, anchor, _TenseCues(text, doc))
    taken = bytearray(len(text) + 1)
    accepted: list[_Found] = []
    for start, end, index, match in _candidates(text):
        if taken.find(1, start, end) != -1 or _names_a_title(text, start, end):
            continue
        try:
            result = _RULES[index].handler(match, ctx)
        except (ValueError, OverflowError):
            # The day it names lies outside the calendar Python knows (years 1 to 9999): "tomorrow" in an
            # article dated 9999-12-31, "Easter" in one dated the year 1. Left untagged.
            continue
        if result is None:
            continue
        if any(_OUTSIDE_CALENDAR.match(f.value) for f in (result if isinstance(result, list) else [result])):
            continue  # "two years ago" in the year 1
        taken[start:end] = b"\x01" * (end - start)
        accepted.extend(result if isinstance(result, list) else [result])
    refs = []
    for found in sorted((_trim(text, f) for f in accepted), key=lambda f: f.start):
        if found.end <= found.start:
            continue
        tense = ctx.cues.tense(found.start, found.end)
        refs.append(TimeRef(found.start, found.end, text[found.start : found.end], found.type, found.value,
                            found.mod, None, tense))  # fmt: skip
    return refs


_RANGE_GAP = re.compile(r"\s*(?:-|–|—|to|through|thru|until|till|and)\s*", re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\s+$", re.IGNORECASE)


def time_ranges(refs: Sequence[TimeRef], text: str) -> list[TimeRef]:
    """The refs, with two DATEs joined by a range connector merged into one ranged ref.

    "from Monday through Wednesday", "March 20 to 22", "between 1994 and 1997": the merged
    ref spans both, ``value`` is the first and ``end_value`` the last. "and" joins only
    after "between" ("Monday and Wednesday" are two days, not a range).
    """
    result: list[TimeRef] = []
    index = 0
    while index < len(refs):
        first = refs[index]
        if index + 1 < len(refs):
            # Read as a range's ends: a weekday end falls after the start, a yearless start takes the end's year.
            end = _weekday_after(first, refs[index + 1])
            start = _year_from_end(first, end)
            if _is_range(start, end, text):
                result.append(
                    TimeRef(
                        start.start,
                        end.end,
                        text[start.start : end.end],
                        "DATE",
                        start.value,
                        start.mod,
                        end.end_value or end.value,
                        start.tense,
                    )
                )
                index += 2
                continue
        # Not a range: both refs keep the values they were tagged with.
        result.append(first)
        index += 1
    return result


def _year_from_end(first: TimeRef, second: TimeRef) -> TimeRef:
    """A range's first date without a year takes the year its end states ("between June and December 2022")."""
    if re.search(r"\d{4}", first.text) or not re.search(r"\d{4}", second.text):
        return first
    if not (first.value[:4].isdigit() and second.value[:4].isdigit()) or first.value[:4] == second.value[:4]:
        return first
    moved = second.value[:4] + first.value[4:]
    return replace(first, value=moved) if moved <= second.value else first


def _weekday_after(first: TimeRef, second: TimeRef) -> TimeRef:
    """A weekday ending a range falls on or after the range's first day ("Monday through Wednesday")."""
    weekday = _WEEKDAYS.get(second.text.lower())
    try:
        start = date.fromisoformat(first.value)
    except ValueError:
        return second
    if weekday is None:
        return second
    end = start + timedelta(days=(weekday - start.weekday()) % _DAYS_PER_WEEK)
    return replace(second, value=end.isoformat())


def _is_range(first: TimeRef, second: TimeRef, text: str) -> bool:
    if first.type != "DATE" or second.type != "DATE" or not first.value[:1].isdigit():
        return False
    if not second.value[:1].isdigit() or second.value < first.value:
        return False
    gap = _RANGE_GAP.fullmatch(text[first.end : second.start])
    if gap is None:
        return False
    if gap.group(0).strip().lower() == "and":
        return bool(_BETWEEN.search(text[max(0, first.start - 10) : first.start]))
    return True
