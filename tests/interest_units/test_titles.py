from interest_units.titles import TitleInput, titles_generate


def _unit(titles, brand="", path=("", "", ""), **kwargs):
    return TitleInput(titles=titles, brands=[brand] * len(titles), categories=[path] * len(titles), **kwargs)


def test_title_leads_with_distinctive_terms_brand_and_category():
    # given two Nike shoe units and a dress unit
    shoes = ("Men", "Shoes", "Athletic")
    units = [
        _unit(["Nike Air Max 90 size 9", "NIKE air max 97 white", "Nike Air Max running"], "Nike", shoes),
        _unit(["Nike Air Force 1 low", "Nike air force ones", "Nike Air Force 1 white"], "Nike", shoes),
        _unit(["LuLaRoe Amelia dress", "Amelia dress floral", "LuLaRoe Amelia"], "LuLaRoe",
              ("Women", "Dresses", "Knee-Length")),
    ]
    # when
    titles = titles_generate(units)
    # then
    assert titles[0] == "Nike Air Max · Shoes › Athletic"
    assert titles[1] == "Nike Air Force · Shoes › Athletic"
    assert titles[2].startswith("LuLaRoe Amelia")
    assert "Dresses › Knee-Length" in titles[2]


def test_title_is_never_empty():
    units = [_unit([]), _unit(["a", "the"]), _unit(["new new", "free shipping"]), _unit(["", "  "])]
    titles = titles_generate(units)
    assert all(t.strip() for t in titles)
    assert len({t.lower() for t in titles}) == len(titles)


def test_titles_of_a_type_are_disambiguated():
    # given three units that would all be called the same
    units = [_unit(["Blue scarf wool", "Blue scarf"], path=("Women", "Accessories", "Scarves"))] * 2 + [
        _unit(["Blue scarf", "Blue scarf silk"], path=("Women", "Accessories", "Scarves"), extra_terms=["Red"]),
    ]
    titles = titles_generate(units)
    assert len({t.lower() for t in titles}) == 3
    assert all("Scarves" in t for t in titles)
    assert "Silk" in titles[2]  # the term only the third unit has is what tells it apart


def test_spu_title_names_fixed_brand_category_and_split():
    unit = TitleInput(titles=["Jordan 11 retro", "Jordan 11 concord"], fixed_brand="Nike",
                      fixed_category="Shoes › Athletic", qualifier="size 10")
    assert titles_generate([unit]) == ["Nike Jordan 11 · Shoes › Athletic · size 10"]
