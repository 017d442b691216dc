"""Readable interest-unit titles from the unit's own content, without a language model.

IU4Rec 4.1.2 asks an LLM to name a unit from N sampled members. Here a title is composed from what the members
share, by type: SPU "Nike Sneakers" (the brand and what the leaf category calls its items, plus the split:
"Nike Sneakers, size 10"), semantic "Sony Wireless Headphones" (the dominant brand, the one or two terms most
specific to the unit against the other units of its type by class-based TF-IDF, as in BERTopic, and the category
noun), image "Red Sneakers" (the dominant colour and the category noun). The category is the unit's dominant leaf,
or its parent when no leaf holds half the members, so a title never glues two categories together, and it never
quotes a member's title. Units of a type that would share a title are told apart by department ("· Men"), another
term, a price band ("under $100"), a colour, and as a last resort a number.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&+.]*[A-Za-z0-9+]|[A-Za-z0-9]")
# Words that say nothing about what an item is (marketplace boilerplate included).
STOPWORDS = frozenset("""
a an and the of for with in on to by from or at as is it this that these my your our you me i w
new nwt nwot bnwt nib euc guc vguc eeuc used brand authentic genuine original free shipping ship fast
bundle lot set of listing reserved hold only sale price firm obo final item items euc-nwt size sz
women women's womens men men's mens girl girls boy boys kid kids unisex ladies
great good excellent condition perfect nice cute beautiful gorgeous rare vintage-inspired
like hold reserve reserved freeship bundled bundle lot sold please off retail worn tags tag
xxs xs s m l xl xxl xxxl 1x 2x 3x 2xl 3xl 4xl os osfa osfm petite plus month months mos yrs years
""".split())
SIZE = re.compile(r"\d+(t|m|mo|mos|months?|y|yrs?|w|l|x|xl)", re.IGNORECASE)  # "4T", "18m", "32W": sizes, not names
GENERIC_LEAVES = frozenset({"other", "others", "misc", "miscellaneous", "accessories", "all"})
DOMINANT_SHARE = 0.5  # a brand / category / colour names the unit when more than this share of members carry it
MAX_TITLE = 200
NO_NAME = "Assorted listings"
PRICE_STEPS = (5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000)

KIND_PRODUCT = "product"  # SPU brand + leaf
KIND_CATEGORY = "category"  # SPU leaf / parent / department of various brands
KIND_BRAND = "brand"  # SPU brand without a category
KIND_SEMANTIC = "semantic"
KIND_IMAGE = "image"


@dataclass
class TitleInput:
    """What one unit's title is made from: a sample of its members, one value per member in each sequence."""

    titles: Sequence[str]
    brands: Sequence[str] = ()  # "" when none
    categories: Sequence[tuple[str, str, str]] = ()  # (c0, c1, c2), "" where missing
    kind: str = KIND_SEMANTIC
    fixed_brand: str = ""  # SPU: the unit's brand, always named
    category_level: int | None = None  # SPU: name this level (2 leaf, 1 parent, 0 department), whatever the mix
    qualifier: str = ""  # SPU splits: "size M", "New"
    prices: Sequence[float] = ()  # active members' prices: the price band tie-breaker
    colours: Sequence[str] = ()  # members' colours ("" when none)


@dataclass
class _Parts:
    brand: str
    terms: list[str]
    noun: str
    qualifier: str = ""
    tail: list[str] = field(default_factory=list)  # tie-breakers: department, price band, colour, number

    def name(self) -> str:
        """What the title calls the items (without qualifier and tie-breakers)."""
        return " ".join(part for part in [self.brand, *self.terms, self.noun] if part)

    def compose(self) -> str:
        head = self.name() or NO_NAME
        if self.qualifier:
            head = f"{head}, {self.qualifier}"
        return " · ".join([head, *self.tail])[:MAX_TITLE]

    def quotes(self, unit: TitleInput) -> bool:
        """Whether the name repeats a member's title (the same words): a quote, not a name of what the members
        share. A category noun with a comma ("Tank, Cami") reads as a list, so the name before it counts alone:
        "Black Tank, Cami" quotes a listing called "Black tank"."""
        if not self.terms:
            return False
        name = self.name()
        heads = [_words(name), _words(name.split(", ")[0])]
        return any(_words(title) in heads for title in unit.titles)


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _is_term(token: str) -> bool:
    low = token.lower()
    if low in STOPWORDS or len(low) < 2 or SIZE.fullmatch(low):
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


def _dominant(values: Sequence) -> object:
    """The value most of `values` carry ("" when none does)."""
    counts = Counter(v for v in values if v)
    if not counts:
        return ""
    value, n = counts.most_common(1)[0]
    return value if n / len(values) > DOMINANT_SHARE else ""


def category_noun(c1: str, c2: str) -> str:
    """What a leaf category calls its items: "Sneakers"; "Athletic Shoes" for a leaf that is an adjective of a short
    parent; the parent for "Other"."""
    if not c2 or c2.lower() in GENERIC_LEAVES:
        return c1 if c1.lower() not in GENERIC_LEAVES else ""
    single_adjective = " " not in c2 and not c2.lower().endswith("s")
    short_parent = c1 and len(c1.split()) <= 2 and not re.search(r"[&,/]", c1)
    if single_adjective and short_parent and c1.split()[-1].lower() not in c2.lower():
        return f"{c2} {c1}"
    return c2


def _unit_category(unit: TitleInput) -> tuple[str, str, bool]:
    """(noun, department, whether the noun is a leaf's) of the unit's dominant leaf, else of its dominant parent,
    else of its department."""
    paths = [tuple(p) + ("",) * (3 - len(p)) for p in unit.categories] or [("", "", "")]
    levels = [unit.category_level] if unit.category_level is not None else [2, 1, 0]
    for level in levels:
        path = cast(tuple[str, ...], _dominant([p[:level + 1] if p[level] else () for p in paths]))
        if not path:
            continue
        if level == 2:
            return category_noun(path[1], path[2]) or path[0], path[0], True
        noun = path[level] if path[level].lower() not in GENERIC_LEAVES else path[0]
        return noun, path[0] if level else "", False
    return "", "", False


def _banned(token: str, ban: set[str]) -> bool:
    """A word the title names already, or another form of it ("Bookshelf" under "Bookshelves")."""
    low = token.lower()
    return low in ban or (len(low) >= 6 and f"~{low[:6]}" in ban)


def _stems(text: str) -> set[str]:
    return {f"~{w[:6]}" for w in _words(text) if len(w) >= 6}


def _words(text: str) -> set[str]:
    words = {t.lower() for t in _tokens(text)}
    singular = {w[:-1] for w in words if len(w) > 3 and w.endswith("s")}  # "Sneakers" bans "sneaker" too
    return words | singular | {w[:-2] for w in words if len(w) > 4 and w.endswith("es")}  # "Dresses": "dress"


@dataclass
class _Terms:
    ranked: list[str]  # surface forms, best first
    position: dict[str, float]
    titles: dict[str, set[int]]  # which member titles hold each term
    need: int  # how many member titles a term (and the terms picked with it) must share


def _ranked_terms(units: Sequence[TitleInput], banned: list[set[str]], mixed: list[bool]) -> list[_Terms]:
    """c-TF-IDF over unigrams and bigrams: tf = share of member titles holding the term, idf across units. A unit
    of mixed leaves (`mixed`) only takes terms most of its members share."""
    per_unit_df: list[Counter] = []
    per_unit_docs: list[dict[str, set[int]]] = []
    forms: dict[str, Counter] = defaultdict(Counter)
    positions: list[dict[str, list[float]]] = []
    for unit, ban in zip(units, banned, strict=True):
        df: Counter = Counter()
        docs: dict[str, set[int]] = defaultdict(set)
        pos: dict[str, list[float]] = defaultdict(list)
        for number, title in enumerate(unit.titles):
            # Numbers stay in the stream for phrases ("iPhone 7", "Jordan 11") but never stand alone.
            toks = [t for t in _tokens(title) if (_is_term(t) or _is_number(t)) and not _banned(t, ban)]
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
                        docs[gram].add(number)
                        pos[gram].append(i / max(len(toks), 1))
        per_unit_df.append(df)
        per_unit_docs.append(docs)
        positions.append(pos)
    total: Counter = Counter()
    for df in per_unit_df:
        total.update(df)
    mean_words = sum(sum(df.values()) for df in per_unit_df) / max(len(per_unit_df), 1)
    out: list[_Terms] = []
    for unit, df, docs, pos, is_mixed in zip(units, per_unit_df, per_unit_docs, positions, mixed, strict=True):
        n = max(len(unit.titles), 1)
        need = 2 if n <= 6 else max(2, math.ceil(0.2 * n))  # a term must recur: one listing's words name nothing
        if is_mixed:
            need = max(need, math.floor(0.5 * n) + 1)
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
        out.append(_Terms(ranked, {_surface(forms[g]): sum(pos[g]) / len(pos[g]) for _, g in scored},
                          {_surface(forms[g]): docs[g] for _, g in scored}, need))
    return out


def _pick_terms(terms: _Terms, max_words: int) -> list[str]:
    """Best terms that describe the same members (they occur together in enough titles), skipping any that repeat
    a word already chosen; in the order they appear in titles."""
    chosen: list[str] = []
    words: set[str] = set()
    together: set[int] | None = None
    for term in terms.ranked:
        term_words = set(term.lower().split())
        if term_words & words or sum(len(t.split()) for t in chosen) + len(term_words) > max_words:
            continue
        shared = terms.titles[term] if together is None else together & terms.titles[term]
        if len(shared) < terms.need:
            continue  # "Electric" and "Watch" each recur, but never in one title: together they name nothing
        together = shared
        chosen.append(term)
        words |= term_words
        if sum(len(t.split()) for t in chosen) >= max_words:
            break
    chosen.sort(key=lambda t: terms.position.get(t, 1.0))
    return chosen


def _parts(unit: TitleInput, terms: _Terms, max_terms: int) -> _Parts:
    noun, _, _ = _unit_category(unit)
    brand = unit.fixed_brand or ("" if unit.kind == KIND_CATEGORY else str(_dominant(unit.brands)))
    if brand and noun and brand.lower() == noun.lower():
        noun = ""
    picked: list[str] = []
    if unit.kind == KIND_IMAGE:  # a look: its colour when most members share one
        colour = str(_dominant([c.strip().title() for c in unit.colours]))
        picked = [colour] if colour else []
    elif unit.kind in (KIND_SEMANTIC, KIND_BRAND) or (unit.kind == KIND_CATEGORY and not noun):
        picked = _pick_terms(terms, max_terms)
    parts = _Parts(brand, picked, noun, unit.qualifier)
    # A title that reads like one listing's title is a quote, not a name: keep what the members share instead.
    while parts.quotes(unit):
        parts.terms = parts.terms[:-1]
    return parts


def titles_generate(units: Sequence[TitleInput], *, max_terms: int = 2) -> list[str]:
    """One distinct, non-empty title per unit (the units are the units of one type, compared with each other)."""
    banned, mixed = [], []
    for unit in units:
        noun, department, from_leaf = _unit_category(unit)
        mixed.append(not from_leaf)
        paths = {w for p in unit.categories for name in p for w in _words(name)}
        brands = {w for b in {*unit.brands, unit.fixed_brand} for w in _words(b)}  # named only when dominant
        banned.append(brands | _words(noun) | _stems(noun) | _words(department) | paths | _words(unit.qualifier))
    ranked = _ranked_terms(units, banned, mixed)
    parts = [_parts(unit, terms, max_terms) for unit, terms in zip(units, ranked, strict=True)]
    return _disambiguate(parts, units, ranked, max_terms)


def _price_band(prices: Sequence[float]) -> str:
    if not prices:
        return ""
    high = max(prices)  # "under $100" holds for every active member
    step = next((s for s in PRICE_STEPS if high < s), None)
    return f"under ${step:,}" if step else f"${PRICE_STEPS[-1]:,} and up"


def _clashes(parts: list[_Parts]) -> list[list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, part in enumerate(parts):
        groups[part.compose().lower()].append(i)
    return [indices for indices in groups.values() if len(indices) > 1]


def _disambiguate(parts: list[_Parts], units: Sequence[TitleInput], ranked: list[_Terms], max_terms: int,
                  ) -> list[str]:
    """Units sharing a title get their department, their parent category, another term, a price band, a colour,
    then a number."""

    def department(i: int) -> str:
        return _unit_category(units[i])[1]

    def more_term(i: int) -> str:
        present = _words(parts[i].compose())
        return next((t for t in ranked[i].ranked if not set(t.lower().split()) & present), "")

    def parent(i: int) -> str:
        return str(_dominant([p[1] for p in units[i].categories if len(p) > 1]))

    def colour(i: int) -> str:
        return str(_dominant([c.strip().title() for c in units[i].colours]))

    for step in (department, parent, more_term, lambda i: _price_band(units[i].prices), colour):
        for indices in _clashes(parts):
            values = {i: step(i) for i in indices}
            if len(set(values.values())) < 2 and step is not more_term:
                continue  # the same for all of them: it tells nothing apart
            for i, value in values.items():
                if not value:
                    continue
                if step is more_term and len(parts[i].terms) < max_terms + 1:
                    parts[i].terms.append(value)
                    if parts[i].quotes(units[i]):
                        parts[i].terms.pop()
                elif value.lower() not in parts[i].compose().lower():
                    parts[i].tail.append(value)
    for indices in _clashes(parts):
        # Largest first keeps the plain title; the others are numbered.
        indices.sort(key=lambda i: -len(units[i].titles))
        for n, i in enumerate(indices[1:], start=2):
            parts[i].tail.append(f"#{n}")
    return [part.compose() for part in parts]
