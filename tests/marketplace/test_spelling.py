"""The spelling helpers behind "did you mean" (no database)."""

import pytest

from marketplace.spelling import correctable_words, edit_distance, query_corrected, query_words, word_correction

VOCABULARY = {"nike": 300, "nice": 40, "shoes": 500, "shoe": 120, "adidas": 200, "lululemon": 80, "align": 12}


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("nkie", "nike", 1),  # a swap of neighbours is one edit
    ("nkie", "nice", 2),
    ("kitten", "sitting", 3),
    ("", "abc", 3),
    ("adidas", "adidas", 0),
])
def test_edit_distance_counts_a_transposition_as_one_edit(a, b, distance):
    assert edit_distance(a, b) == distance


@pytest.mark.parametrize(("typo", "meant"), [
    ("nkie", "nike"),  # transposition: trigram similarity alone misses it
    ("nikee", "nike"),  # insertion
    ("adiddas", "adidas"),
    ("addas", "adidas"),  # two edits, for a longer word
    ("lulilemon", "lululemon"),
    ("algin", "align"),
])
def test_a_typo_is_corrected_to_the_closest_most_common_word(typo, meant):
    assert word_correction(typo, VOCABULARY) == meant


@pytest.mark.parametrize("word", ["nike", "shoes", "nice", "xyzzyq", "bag"])
def test_known_words_and_words_far_from_everything_stay_as_they_are(word):
    assert word_correction(word, VOCABULARY) is None


def test_a_very_rare_known_word_next_to_a_common_one_is_still_corrected():
    assert word_correction("nkie", VOCABULARY | {"nkie": 2}) == "nike"
    assert word_correction("nkie", VOCABULARY | {"nkie": 20}) is None


def test_only_latin_words_of_three_letters_or_more_are_corrected_and_the_rest_is_kept_as_typed():
    words = query_words("Nkie Air-Max 90 sz 10, NKIE!")
    assert words == ["nkie", "air", "max", "90", "sz", "10", "nkie"]
    assert correctable_words(words) == ["nkie", "air", "max"]
    assert query_corrected("Nkie Air-Max 90, NKIE nkie!", {"nkie": "nike"}) == "Nike Air-Max 90, NIKE nike!"
