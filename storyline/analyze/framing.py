"""How each outlet frames an event: the words that set its coverage apart from the other outlets'.

The log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"):
each word's counts in one outlet's articles against the rest of the event's, smoothed by the event's own
word frequencies, as a z-score; frequent words no longer win by being frequent, rare ones by being rare.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from ..model import Article, DistinctiveTerm, OutletTerms

_WORD = re.compile(r"[^\W\d_]{3,}")
# A word must stand out at the 95% level (one-sided: used more, not less) and be used at least twice by the outlet.
_MIN_Z = 1.645
_MIN_COUNT = 2
_TERMS_PER_OUTLET = 8
# The prior is the event's own word frequencies, worth this share of its words in pseudo-counts: enough to
# damp words seen once or twice, not so much that a short event has no distinctive word at all.
_PRIOR_SHARE = 0.1


def _words(article: Article) -> Counter[str]:
    words = (w.lower() for w in _WORD.findall(f"{article.title or ''}\n{article.text}"))
    return Counter(w for w in words if w not in STOP_WORDS)


def distinctive_terms(articles: Sequence[Article]) -> list[OutletTerms]:
    """Each outlet's most distinctive words for the event, when at least two outlets cover it."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        if article.duplicate_of is None:
            groups.setdefault(article.outlet or article.id, []).append(article)
    if len(groups) < 2:
        return []
    counts = {outlet: sum((_words(a) for a in found), Counter()) for outlet, found in groups.items()}
    total = sum(counts.values(), Counter())
    size = sum(total.values())
    # The prior: the event's own word counts, scaled (alpha_0 = _PRIOR_SHARE x its size).
    prior_size = _PRIOR_SHARE * size
    found = []
    for outlet, mine in counts.items():
        mine_size = sum(mine.values())
        rest_size = size - mine_size
        scored = []
        for word, count in mine.items():
            if count < _MIN_COUNT:
                continue
            prior = _PRIOR_SHARE * total[word]
            rest = total[word] - count
            mine_odds = (count + prior) / (mine_size + prior_size - count - prior)
            rest_odds = (rest + prior) / (rest_size + prior_size - rest - prior)
            delta = math.log(mine_odds) - math.log(rest_odds)
            z = delta / math.sqrt(1.0 / (count + prior) + 1.0 / (rest + prior))
            if z >= _MIN_Z:
                scored.append(DistinctiveTerm(word, round(z, 2), count))
        scored.sort(key=lambda t: (-t.z, t.term))
        if scored:
            ids = tuple(a.id for a in groups[outlet])
            found.append(OutletTerms(outlet, ids, tuple(scored[:_TERMS_PER_OUTLET])))
    return sorted(found, key=lambda o: o.outlet)
