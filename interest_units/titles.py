"""Readable interest-unit titles from member titles, without a language model.

IU4Rec 4.1.2 asks an LLM to name a unit from N sampled members. Here the name is built from class-based TF-IDF
(c-TF-IDF, as in BERTopic): a unit's member titles form one document, and the terms most specific to it against
the other units of the same type lead the title, next to its dominant brand and category:
"Nike Air Max · Athletic Shoes". A title is never empty, and two units of a type never share one.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&+.]*[A-Za-z0-9+]|[A-Za-z0-9]")
# Words that say nothing about what an item is (marketplace boilerplate included).
STOPWORDS = frozenset("""
a an and the of for with in on to by from or at as is it this that these my your our you me i w
new nwt nwot bnwt nib euc guc vguc eeuc used brand authentic genuine original free shipping ship fast
bundle lot set of listing reserved hold only sale price firm obo final item items euc-nwt size sz
women women's womens men men's mens girl girls boy boys kid kids unisex ladies
great good excellent condition perfect nice cute beautiful gorgeous rare vintage-inspired
like hold reserve reserved freeship bundled bundle lot sold please off retail worn tags tag
""".split())
DOMINANT_SHARE = 0.5  # a brand / category names the unit when at least this share of members carry it
MAX_TITLE = 200


@dataclass
class TitleInput:
    """What one unit's title is made from."""

    titles: Sequence[str]  # member titles (a sample is enough)
    brands: Sequence[str] = ()  # one per member, "" when none
    categories: Sequence[tuple[str, str, str]] = ()  # one (c0, c1, c2) per member, "" where missing
    fixed_brand: str = ""  # SPU: the unit's brand, always named
    fixed_category: str = ""  # SPU: the unit's category, always named
    qualifier: str = ""  # SPU splits: "size M", "condition New"
    extra_terms: Sequence[str] = field(default_factory=tuple)  # tie-breakers: colours, price band, ...


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _is_term(token: str) -> bool:
    low = token.lower()
    if low in STOPWORDS or len(low) < 2:
        return False
    return not re.fullmatch(r"[\d.]+", low)  # bare numbers are sizes or prices, not names


def _is_number(token: str) -> bool:
    return bool(re.fullmatch(r"\d+(\.\d+)?", token))


def _surface(forms: Counter) -> str:
    """The most common spelling of a term; all-lower words are capitalised, long ALL-CAPS words softened."""
    phrase = forms.most_common(1)[0][0]
    words = []
    for word in phrase.split(" "):
        if word.islower():
            word = word[:1].upper() + word[1:]
        elif word.isupper() and len(word) > 4 and word.isalpha():
            word = word.capitalize()
        words.append(word)
    return " ".join(words)


def _dominant(values: Sequence[str]) -> str:
    counts = Counter(v for v in values if v)
    if not counts or not values:
        return ""
    value, n = counts.most_common(1)[0]
    return value if n / len(values) >= DOMINANT_SHARE else ""


def _category_label(categories: Sequence[tuple[str, str, str]]) -> str:
    """The most specific category level most members share, with its parent when short: "Shoes › Athletic"."""
    labels = [_dominant([path[level] if len(path) > level else "" for path in categories]) for level in (0, 1, 2)]
    for level in (2, 1, 0):
        if labels[level]:
            parent = labels[level - 1] if level > 0 else ""
            if parent and len(parent) + len(labels[level]) <= 36 and parent.lower() not in labels[level].lower():
                return f"{parent} › {labels[level]}"
            return labels[level]
    return ""


def _words(text: str) -> set[str]:
    return {t.lower() for t in _tokens(text)}


@dataclass
class _Terms:
    ranked: list[str]  # surface forms, best first
    position: dict[str, float]


def _ranked_terms(units: Sequence[TitleInput], banned: list[set[str]]) -> list[_Terms]:
    """c-TF-IDF over unigrams and bigrams: tf = share of member titles holding the term, idf across units."""
    per_unit_df: list[Counter] = []
    forms: dict[str, Counter] = defaultdict(Counter)
    positions: list[dict[str, list[float]]] = []
    for unit, ban in zip(units, banned, strict=True):
        df: Counter = Counter()
        pos: dict[str, list[float]] = defaultdict(list)
        for title in unit.titles:
            # Numbers stay in the stream for phrases ("iPhone 7", "Jordan 11") but never stand alone.
            toks = [t for t in _tokens(title) if (_is_term(t) or _is_number(t)) and t.lower() not in ban]
            seen: set[str] = set()
            for i, tok in enumerate(toks):
                low = tok.lower()
                grams = []
                if not _is_number(tok):
                    forms[low][tok] += 1
                    grams.append(low)
                if i + 1 < len(toks) and not (_is_number(tok) and _is_number(toks[i + 1])):
                    nxt = toks[i + 1]
                    grams.append(f"{low} {nxt.lower()}")
                    forms[f"{low} {nxt.lower()}"][f"{tok} {nxt}"] += 1
                for gram in grams:
                    if gram not in seen:
                        seen.add(gram)
                        df[gram] += 1
                        pos[gram].append(i / max(len(toks), 1))
        per_unit_df.append(df)
        positions.append(pos)
    total: Counter = Counter()
    for df in per_unit_df:
        total.update(df)
    mean_words = sum(sum(df.values()) for df in per_unit_df) / max(len(per_unit_df), 1)
    out: list[_Terms] = []
    for unit, df, pos in zip(units, per_unit_df, positions, strict=True):
        n = max(len(unit.titles), 1)
        need = 1 if n <= 2 else max(2, math.ceil(0.15 * n))  # a term must recur across the members
        scored = []
        for gram, count in df.items():
            if count < need:
                continue
            weight = (count / n) * math.log(1.0 + mean_words / total[gram])
            if " " in gram:
                weight *= 1.15  # a recurring phrase reads better than its two words
            scored.append((weight, gram))
        scored.sort(key=lambda s: (-s[0], s[1]))
        ranked = [_surface(forms[g]) for _, g in scored]
        out.append(_Terms(ranked, {_surface(forms[g]): sum(pos[g]) / len(pos[g]) for _, g in scored}))
    return out


def _pick_terms(terms: _Terms, max_terms: int) -> list[str]:
    """Best terms, skipping any that repeat a word already chosen; in the order they appear in titles."""
    chosen: list[str] = []
    words: set[str] = set()
    for term in terms.ranked:
        term_words = set(term.lower().split())
        if term_words & words:
            continue
        chosen.append(term)
        words |= term_words
        if sum(len(t.split()) for t in chosen) >= max_terms:
            break
    chosen.sort(key=lambda t: terms.position.get(t, 1.0))
    return chosen


def _compose(brand: str, terms: list[str], category: str, qualifier: str) -> str:
    head = " ".join(part for part in [brand, *terms] if part)
    tail = " · ".join(part for part in [category, qualifier] if part)
    return " · ".join(part for part in [head, tail] if part)


def _fallback(unit: TitleInput) -> str:
    titles = [t.strip() for t in unit.titles if t and t.strip()]
    if titles:
        common = Counter(titles).most_common(1)[0][0]
        return f"Like “{common[:60]}”"
    return "Mixed listings"


def titles_generate(units: Sequence[TitleInput], *, max_terms: int = 2) -> list[str]:
    """One distinct, non-empty title per unit (the units are the units of one type, compared with each other)."""
    brands = [unit.fixed_brand or _dominant(unit.brands) for unit in units]
    categories = [unit.fixed_category or _category_label(unit.categories) for unit in units]
    banned = [_words(b) | _words(c) | _words(u.qualifier) for b, c, u in zip(brands, categories, units, strict=True)]
    ranked = _ranked_terms(units, banned)
    titles = []
    for unit, brand, category, terms in zip(units, brands, categories, ranked, strict=True):
        title = _compose(brand, _pick_terms(terms, max_terms), category, unit.qualifier) or _fallback(unit)
        titles.append(title[:MAX_TITLE])
    return _disambiguate(titles, units, ranked, max_terms)


def _disambiguate(titles: list[str], units: Sequence[TitleInput], ranked: list[_Terms], max_terms: int) -> list[str]:
    """Units sharing a title get their next distinctive term, then a tie-breaker, then a number."""
    titles = list(titles)
    for _ in range(2):
        groups: dict[str, list[int]] = defaultdict(list)
        for i, title in enumerate(titles):
            groups[title.lower()].append(i)
        clashes = [idx for idx in groups.values() if len(idx) > 1]
        if not clashes:
            return titles
        for indices in clashes:
            for i in indices:
                present = _words(titles[i])
                extra = next((t for t in ranked[i].ranked if not (set(t.lower().split()) & present)), "")
                if not extra:
                    extra = next((t for t in units[i].extra_terms if t and t.lower() not in titles[i].lower()), "")
                if extra:
                    titles[i] = f"{titles[i]} · {extra}"[:MAX_TITLE]
    groups = defaultdict(list)
    for i, title in enumerate(titles):
        groups[title.lower()].append(i)
    for indices in groups.values():
        if len(indices) > 1:
            # Largest first keeps the plain title; the others are numbered.
            indices.sort(key=lambda i: -len(units[i].titles))
            for n, i in enumerate(indices[1:], start=2):
                titles[i] = f"{titles[i][:MAX_TITLE - 5]} #{n}"
    return titles
