from interest_units.titles import (
    KIND_CATEGORY,
    KIND_IMAGE,
    KIND_PRODUCT,
    KIND_SEMANTIC,
    TitleInput,
    category_noun,
    titles_generate,
)

SNEAKERS = ("Men", "Shoes", "Sneakers")
HEADPHONES = ("Electronics", "Audio", "Headphones")


def _unit(titles, brand="", path=("", "", ""), **kwargs):
    return TitleInput(titles=titles, brands=[brand] * len(titles), categories=[path] * len(titles), **kwargs)


def test_spu_title_is_brand_and_what_the_leaf_calls_its_items():
    units = [
        _unit(["Nike Air Zoom Pegasus 40", "Nike Air Max 90", "Nike Dunk Low"], "Nike", SNEAKERS,
              kind=KIND_PRODUCT, fixed_brand="Nike", category_level=2),
        _unit(["Jordan 11 retro", "Jordan 11 concord"], "Nike", ("Men", "Shoes", "Athletic"), kind=KIND_PRODUCT,
              fixed_brand="Nike", category_level=2, qualifier="size 10"),
        _unit(["Sippy cup", "Straw cup"], path=("Kids", "Feeding", "Sippy Cups"), kind=KIND_CATEGORY,
              category_level=2),
    ]
    assert titles_generate(units) == ["Nike Sneakers", "Nike Athletic Shoes, size 10", "Sippy Cups"]


def test_semantic_title_names_brand_distinctive_terms_and_the_category():
    # given two Sony headphone units (wireless, studio) and a unit of another leaf
    units = [
        _unit(["Sony wireless headphones WH-1000XM4", "Sony WH-1000XM3 wireless", "Sony wireless over ear"], "Sony",
              HEADPHONES),
        _unit(["Sony MDR-7506 studio monitor", "Sony studio monitor MDR-7506", "Sony MDR-7506 pro studio"], "Sony",
              HEADPHONES),
        _unit(["Levi's vintage denim jacket", "Vintage Levi's trucker jacket", "Levi's vintage jean jacket"],
              "Levi's", ("Men", "Coats & Jackets", "Denim Jackets")),
    ]
    # when
    titles = titles_generate(units)
    # then
    assert titles[0].startswith("Sony") and "Wireless" in titles[0] and titles[0].endswith("Headphones")
    assert titles[1].startswith("Sony") and "MDR" in titles[1] and titles[1].endswith("Headphones")
    assert titles[2] == "Levi's Vintage Denim Jackets"


def test_a_mixed_unit_is_named_after_its_parent_never_two_glued_categories():
    # given: guitars and watches under no common leaf, but a shared parent for most members
    titles = ["Electric guitar Fender", "Electric guitar Squier", "Casio watch", "Seiko watch"]
    paths = [("Music", "Instruments", "Guitars")] * 2 + [("Music", "Instruments", "Watches")] * 2
    unit = TitleInput(titles=titles, brands=[""] * 4, categories=paths)
    # when
    [title] = titles_generate([unit])
    # then
    assert title.endswith("Instruments") and "Watch" not in title and "·" not in title


def test_title_never_quotes_a_listing_title():
    # given: a unit whose members all share one title ("Gel Polish Kit Sealed")
    unit = _unit(["Gel Polish Kit Sealed"] * 3, path=("Beauty", "Nails", "Nail Polish"))
    other = _unit(["Matte lipstick", "Matte lipstick red"], path=("Beauty", "Makeup", "Lips"))
    # when
    titles = titles_generate([unit, other])
    # then
    assert all("“" not in t and '"' not in t for t in titles)
    assert titles[0].lower() != "gel polish kit sealed" and titles[0].endswith("Nail Polish")
    assert titles[1].endswith("Lips")


def test_image_title_is_colour_and_category():
    units = [
        TitleInput(titles=["Nike runner", "Adidas runner"], brands=["Nike", "Adidas"], categories=[SNEAKERS] * 2,
                   kind=KIND_IMAGE, colours=["red", "Red"]),
        TitleInput(titles=["Nike runner", "Asics runner"], brands=["Nike", "Asics"], categories=[SNEAKERS] * 2,
                   kind=KIND_IMAGE, colours=["blue", "blue"]),
    ]
    assert titles_generate(units) == ["Red Sneakers", "Blue Sneakers"]


def test_title_is_never_empty():
    units = [_unit([]), _unit(["a", "the"]), _unit(["new new", "free shipping"]), _unit(["", "  "])]
    titles = titles_generate(units)
    assert all(t.strip() for t in titles)
    assert len({t.lower() for t in titles}) == len(titles)


def test_titles_of_a_type_are_told_apart_by_department_then_price():
    # given: sneakers of one brand in two departments, and two same-looking units told apart by price only
    units = [
        _unit(["Nike runner", "Nike trainer"], "Nike", ("Men", "Shoes", "Sneakers"), kind=KIND_PRODUCT,
              fixed_brand="Nike", category_level=2),
        _unit(["Nike runner", "Nike trainer"], "Nike", ("Women", "Shoes", "Sneakers"), kind=KIND_PRODUCT,
              fixed_brand="Nike", category_level=2),
        _unit(["Sony headphones", "Sony headphones"], "Sony", HEADPHONES, kind=KIND_SEMANTIC, prices=[30, 45, 60]),
        _unit(["Sony headphones", "Sony headphones"], "Sony", HEADPHONES, kind=KIND_SEMANTIC, prices=[150, 300]),
    ]
    # when
    titles = titles_generate(units)
    # then
    assert titles[:2] == ["Nike Sneakers · Men", "Nike Sneakers · Women"]
    assert titles[2] == "Sony Headphones · under $75" and titles[3] == "Sony Headphones · under $400"


def test_category_noun_reads_like_a_shop_aisle():
    assert category_noun("Shoes", "Sneakers") == "Sneakers"
    assert category_noun("Shoes", "Athletic") == "Athletic Shoes"
    assert category_noun("Makeup", "Face") == "Face Makeup"
    assert category_noun("Toys", "Other") == "Toys"
    assert category_noun("Tops & Blouses", "Blouse") == "Blouse"
