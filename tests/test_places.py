"""Places a question names (search/places.py): they choose where to look and are not matched as words."""
from __future__ import annotations

import pytest

from search.engine import Engine
from search.places import Named, PlaceNames, scope


@pytest.fixture(scope="module")
def engine(app_index_dir):
    engine = Engine.open(app_index_dir)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def names(engine):
    return PlaceNames(engine.ranges)


def test_full_names_of_every_level_are_found_and_taken_out(engine, names):
    town = engine.ranges[0]
    found = names.find(f"{town.township}有个村的联户长不想干了")
    assert found.places == {"township": [town.township]} and found.text == "有个村的联户长不想干了"
    found = names.find(f"{town.county} {town.township}，低保申请")
    assert found.places == {"county": [town.county], "township": [town.township]} and found.text == "低保申请"
    both = [t.township for t in engine.ranges[:2]]
    assert names.find(f"{both[0]}和{both[1]}的低保").places == {"township": both}


def test_a_short_form_or_a_word_inside_a_name_is_not_a_place(engine, names):
    town = engine.ranges[0]
    short = town.township[:-1]  # 嘎木 for 嘎木乡: also an ordinary word elsewhere (渡口 for 渡口镇)
    assert names.find(f"{short}的低保").places == {}
    assert names.find("低保申请").places == {}


def test_only_a_place_name_leaves_no_text(engine, names):
    town = engine.ranges[0].township
    assert names.find(f" {town}。") == Named({"township": [town]}, "")


def test_scope_filters_when_none_is_given_and_keeps_an_explicit_choice():
    named = Named({"township": ["甲乡"]}, "低保")
    assert scope(named, {}) == ({"township": ["甲乡"]}, {"township": ["甲乡"]})
    assert scope(named, {"list_type": ["basic"]}) == ({"list_type": ["basic"], "township": ["甲乡"]},
                                                        {"township": ["甲乡"]})
    assert scope(named, {"township": ["甲乡", "乙乡"]}) == ({"township": ["甲乡", "乙乡"]}, {"township": ["甲乡"]})
    assert scope(named, {"township": ["乙乡"]}) == ({"township": ["乙乡"]}, {})


def test_search_naming_a_township_answers_from_it_and_matches_the_rest(engine):
    town = engine.ranges[0].township
    task = "低保申请"
    scoped = engine.search(f"{town} {task}", mode="keyword", size=20, explain=True)
    assert scoped["places"] == {"township": [town]}
    assert scoped["hits"] and all(h["duty"]["township"] == town for h in scoped["hits"])
    filtered = engine.search(task, mode="keyword", filters={"township": town}, size=20)
    assert [h["duty"]["id"] for h in scoped["hits"]] == [h["duty"]["id"] for h in filtered["hits"]]
    assert scoped["total"] == filtered["total"]
    # the name's characters are no longer search words
    assert not set(town) & set(scoped["terms"]["tokens"])
    typed = engine.search(f"{town} {task}", mode="keyword", size=20, place_from_query=False)
    assert typed["places"] == {} and {h["duty"]["township"] for h in typed["hits"]} != {town}


def test_search_for_a_place_alone_lists_its_items(engine):
    town = engine.ranges[0]
    result = engine.search(town.township)
    assert result["browse"] and result["places"] == {"township": [town.township]}
    assert result["total"] == town.end - town.start


def test_owner_naming_a_township_answers_for_it_alone(engine):
    town = engine.ranges[1].township
    answer = engine.owner(f"{town} 低保申请")
    assert answer["places"] == {"township": [town]}
    assert [r["township"] for r in answer["results"]] == [town]
    assert answer["results"][0]["verdict"] == engine.owner("低保申请", townships=[town])["results"][0]["verdict"]
    everywhere = engine.owner(f"{town} 低保申请", place_from_query=False)
    assert everywhere["places"] == {} and everywhere["total"] == len(engine.ranges)


def test_owner_naming_a_county_answers_for_its_townships(engine):
    county = engine.ranges[-1].county
    answer = engine.owner(f"{county}的低保申请")
    assert answer["places"] == {"county": [county]}
    assert {r["county"] for r in answer["results"]} == {county}
    assert answer["total"] == sum(t.county == county for t in engine.ranges)


def test_owner_keeps_the_townships_a_request_chose(engine):
    a, b = engine.ranges[0].township, engine.ranges[1].township
    answer = engine.owner(f"{a} 低保申请", townships=[b])
    assert answer["places"] == {} and [r["township"] for r in answer["results"]] == [b]
    # a question that is only a place name asks nothing: answered as typed, everywhere
    assert engine.owner(a)["places"] == {}
