"""The parser against the published documents: counts, spot checks from each layout, and
invariants every record must hold."""
import json
import re
from pathlib import Path

import pytest

from indexer.parse import parse_file
from indexer.validate import disagreements

RAW = Path(__file__).resolve().parent.parent / "data" / "raw"

# Items per list read from each document's own numbering (DESIGN.md).
EXPECTED = {
    "嘎木乡": (77, 79, 14), "策勒乡": (116, 98, 40), "巴彦高勒镇": (86, 75, 45),
    "渡口镇": (83, 73, 46), "补隆淖镇": (81, 71, 47), "隆盛合镇": (86, 69, 52),
    "沙金套海苏木": (88, 69, 53), "克孜勒苏乡": (124, 109, 52), "小京庄乡": (111, 75, 51),
}


@pytest.fixture(scope="module")
def documents():
    return {p.name: parse_file(p) for p in sorted(RAW.glob("*.txt"))}


@pytest.fixture(scope="module")
def duties(documents):
    return [d for doc in documents.values() for d in doc.duties]


def find(duties, township, list_type, seq, category=None):
    matches = [d for d in duties if d.township == township and d.list_type == list_type
               and d.seq == seq and (category is None or d.category == category)]
    assert len(matches) == 1, matches
    return matches[0]


def test_every_list_has_the_documents_count(documents):
    counts = {}
    for doc in documents.values():
        for section in doc.sections:
            counts.setdefault(section.township, {})[section.list_type] = len(section.duties)
    assert {t: (c["basic"], c["cooperative"], c["recovered"]) for t, c in counts.items()} == EXPECTED


def test_no_document_has_errors(documents):
    for doc in documents.values():
        assert doc.errors == [], doc.errors


def test_stated_totals_agree_except_where_the_document_disagrees_with_itself(documents):
    notes = {(s.township, s.list_type): disagreements(s) for d in documents.values() for s in d.sections}
    gamu_basic = notes.pop(("嘎木乡", "basic"))
    assert any("民生服务" in n and "18" in n and "17 found" in n for n in gamu_basic)
    assert any("综合政务" in n and "8" in n and "7 found" in n for n in gamu_basic)
    assert all(n == [] for n in notes.values()), {k: v for k, v in notes.items() if v}


def test_categories_match_section_rows_or_column(documents):
    for doc in documents.values():
        for section in doc.sections:
            if section.category_totals:  # categories from section rows
                names = [c for c, _, _ in section.category_totals]
                assert {d.category for d in section.duties} <= set(names)
            assert all(d.category for d in section.duties)


def test_gamu_cooperative_11_keeps_each_departments_duties_apart(duties):
    item = find(duties, "嘎木乡", "cooperative", 11)
    assert item.name == "自然灾害防范处置"
    assert item.lead_departments == ["索县应急管理局", "索县气象局", "有关行业部门"]
    assert [d.department for d in item.department_duties] == item.lead_departments
    assert len(item.department_duties[0].duties) == 3
    assert item.department_duties[1].duties[0].startswith("开展气象灾害的科普宣传")
    assert len(item.township_duties) == 7


def test_gamu_recovered_11_has_two_receivers(duties):
    item = find(duties, "嘎木乡", "recovered", 11)
    assert item.receiving_departments == ["索县自然资源和林草局", "索县农业农村和科技水利局"]
    assert "露天" in item.handling and "河道" in item.handling


def test_recovered_none_means_no_receiver(duties):
    item = find(duties, "嘎木乡", "recovered", 8)
    assert item.receiving_departments == [] and item.handling == ""


def test_flow_layout_cooperative_1_separates_department_and_township_duties(duties):
    item = find(duties, "克孜勒苏乡", "cooperative", 1)
    assert item.category == "党的建设"
    assert item.name == "推荐县级以上党代表工作"
    assert item.lead_departments == ["伽师县委组织部"]
    assert len(item.department_duties) == 1 and len(item.department_duties[0].duties) == 4
    assert len(item.township_duties) == 7
    assert item.township_duties[0].startswith("制定代表选举工作实施方案")


def test_flow_layout_joins_wrapped_pieces(duties):
    item = find(duties, "克孜勒苏乡", "recovered", 1)
    assert item.name == "出具婚姻状况证明（婚姻关系证明、分居证明）"
    assert item.receiving_departments == ["伽师县民政局"]
    assert "不再开展" in item.handling


def test_numbering_that_restarts_per_category(duties):
    first = find(duties, "渡口镇", "basic", 1, category="经济发展")
    assert first.category == "经济发展"
    assert first.id != find(duties, "渡口镇", "basic", 1, category="党的建设").id


def test_region_from_document_and_gazetteer(duties):
    kz = find(duties, "克孜勒苏乡", "basic", 1)  # the document never names its province
    assert (kz.province, kz.prefecture, kz.county) == ("新疆维吾尔自治区", "喀什地区", "伽师县")
    xj = find(duties, "小京庄乡", "basic", 1)
    assert (xj.province, xj.prefecture, xj.county) == ("山西省", "大同市", "左云县")
    dk = find(duties, "渡口镇", "basic", 1, category="党的建设")
    assert (dk.province, dk.prefecture, dk.county) == ("内蒙古自治区", "巴彦淖尔市", "磴口县")


def test_records_are_clean(duties):
    header_words = ("序号", "事项名称", "事项类别", "上级部门职责", "承接部门及工作方式")
    for duty in duties:
        text = json.dumps(duty.to_dict(), ensure_ascii=False)
        assert not re.search(r"</?[a-zA-Z][^>]*>", text), duty.source
        assert duty.name.strip(), duty.source
        assert not any(w in duty.name for w in header_words), duty.source
        assert not re.search(r"第\s*\d+\s*页", text), duty.source
        if duty.list_type == "cooperative":
            assert duty.lead_departments and duty.township_duties and duty.department_duties, duty.source


def test_ids_are_unique_and_stable(documents):
    first = [d.id for doc in documents.values() for d in doc.duties]
    again = [d.id for p in sorted(RAW.glob("*.txt")) for d in parse_file(p).duties]
    assert first == again and len(set(first)) == len(first)


def test_sources_point_at_the_items_line(duties):
    for duty in duties[::37]:
        file_name, line = duty.source.rsplit(":", 1)
        text = (RAW / file_name).read_text(encoding="utf-8").split("\n")[int(line) - 1]
        assert text.strip().startswith(str(duty.seq)), (duty.source, text[:40])


@pytest.mark.parametrize("place, expected, note", [
    ("左云县", ("山西省", "大同市"), ""),
    ("朝阳区", ("", ""), "not guessed"),            # in 北京市 and in 吉林省长春市
    ("吉林省长春市朝阳区", ("吉林省", "长春市"), ""),  # the document settles it
    ("山西省策勒县", ("山西省", ""), "the gazetteer in 新疆维吾尔自治区和田地区"),
    ("某某县", ("", ""), "not in the gazetteer"),
])
def test_a_region_the_gazetteer_cannot_settle_is_reported_not_guessed(place, expected, note):
    from indexer.parse import parse_text
    document = parse_text(f"{place}某某乡基本履职事项清单\n序号\t事项名称\n1\t防汛抗旱\n", "region.txt")
    duty = document.duties[0]
    assert (duty.province, duty.prefecture) == expected
    notes = [str(p) for p in document.problems if p.message.startswith("region:")]
    assert (note in notes[0]) if note else not notes, notes
