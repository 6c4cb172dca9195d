"""Documents written for these tests, in the published layouts and variants of them: a township
the parser has never seen must parse without code changes."""
import subprocess
import sys
import textwrap
from pathlib import Path

from indexer.parse import parse_text

ROOT = Path(__file__).resolve().parent.parent

TAB_DOCUMENT = textwrap.dedent("""\
    某某省青山市绿水县 白云镇履职事项清单

    目 录
    1. 基本履职事项清单·····\t1
    2. 配合履职事项清单·····\t5
    3. 上级部门收回事项清单·····\t9

    绿水县白云镇基本履职事项清单（3项）

    序号\t事项名称
    一、党的建设(2项)\t
    1\t<p>抓好基层党组织建设。</p>
    2\t做好党员发展工作。
    ## 二、应急管理（1项）
    1\t做好森林草原防火宣传。

    绿水县白云镇配合履职事项清单 (2项)

    序号\t事项名称\t对应上级部门\t上级部门职责\t镇配合职责
    <b>一、应急管理（2项）</b>\t\t\t\t
    1\t山林火灾扑救\t绿水县应急管理局 绿水县林业局\t绿水县应急管理局: 1、统筹火灾扑救;2、组织调查。 绿水县林业局： 负责林区巡护。\t1.组织巡山；2.报告火情。
    ----\t----\t----\t----\t----

    序号\t事项名称\t对应上级部门\t上级部门职责\t镇配合职责
    2\t防汛抗旱\t绿水县水利局，有关行业部门\t负责防汛调度。\t协助转移群众。

    绿水县白云镇收回履职事项清单（2项）

    序号\t收回事项名称\t承接部门及工作方式
    1\t农机安全检查\t承接部门: 绿水县农业农村局 履职方式: 负责农机安全检查。
    2\t高龄津贴追缴\t绿水县民政局：负责追缴。
    """)

FLOW_DOCUMENT = textwrap.dedent("""\
    说 明
    共有基本履职事项 2 项。共有配合履职事项 1 项，共有上级部门收
    回事项 1 项。
     南山地区北河县东坡乡基本履职事项清单

    序号 事项类别 事项名称

    1 综合政务 做好政务公开

    2 平安法治
    做好矛盾纠纷排查
    化解工作
    第 1 页，共 3 页
     南山地区北河县东坡乡配合履职事项清单

    序号
    事项
    类别

    事项
    名称

    对应
    上级
    部门

    上级部门职责 乡镇配合职责

    1 应急
    管理

    森林草
    原防火

    北河县
    林业和
    草原局

    1.制定森林草原防火规划，组织开展防火

    宣传；

    2.组织扑救。

    1.开展巡山护林；

    2.发现火情及时报告。
     南山地区北河县东坡乡上级部门收回事项清单

    序号 事项类别 事项名称 承接部门及工作方式

    1 市场监管 无照经营查处
    承接部门：北河县市场监督管理局

    工作方式：负责查处无照经营。
    """)


def by(doc, list_type, seq, category=None):
    return next(d for d in doc.duties if d.list_type == list_type and d.seq == seq
                and (category is None or d.category == category))


def test_tab_layout_variant_with_other_punctuation_and_spaces():
    doc = parse_text(TAB_DOCUMENT, "variant.txt")
    assert doc.errors == []
    assert [len(s.duties) for s in doc.sections] == [3, 2, 2]
    fire = by(doc, "basic", 1, "应急管理")
    assert (fire.province, fire.prefecture, fire.county, fire.township) == ("某某省", "青山市", "绿水县", "白云镇")
    coop = by(doc, "cooperative", 1)
    assert coop.lead_departments == ["绿水县应急管理局", "绿水县林业局"]
    assert [(d.department, d.duties) for d in coop.department_duties] == [
        ("绿水县应急管理局", ["统筹火灾扑救", "组织调查。"]), ("绿水县林业局", ["负责林区巡护。"])]
    assert coop.township_duties == ["组织巡山", "报告火情。"]
    assert by(doc, "cooperative", 2).lead_departments == ["绿水县水利局", "有关行业部门"]
    machine = by(doc, "recovered", 1)
    assert machine.receiving_departments == ["绿水县农业农村局"] and machine.handling == "负责农机安全检查。"
    allowance = by(doc, "recovered", 2)
    assert allowance.receiving_departments == ["绿水县民政局"] and allowance.handling == "负责追缴。"


def test_flow_layout_variant():
    doc = parse_text(FLOW_DOCUMENT, "flow.txt")
    assert doc.errors == []
    assert [(s.township, s.list_type, len(s.duties), s.stated_total) for s in doc.sections] == [
        ("东坡乡", "basic", 2, 2), ("东坡乡", "cooperative", 1, 1), ("东坡乡", "recovered", 1, 1)]
    assert by(doc, "basic", 2).name == "做好矛盾纠纷排查化解工作"
    fire = by(doc, "cooperative", 1)
    assert (fire.category, fire.name, fire.lead_departments) == ("应急管理", "森林草原防火", ["北河县林业和草原局"])
    assert fire.department_duties[0].duties == ["制定森林草原防火规划，组织开展防火宣传", "组织扑救。"]
    assert fire.township_duties == ["开展巡山护林", "发现火情及时报告。"]
    assert by(doc, "recovered", 1).receiving_departments == ["北河县市场监督管理局"]


def test_a_stray_numbered_row_is_an_error_with_its_line():
    broken = TAB_DOCUMENT.replace("2\t做好党员发展工作。", "2\t做好党员发展工作。\n7\t多出来的一行\t多余")
    doc = parse_text(broken.replace("序号\t事项名称\n一", "一", 1), "broken.txt")
    assert doc.errors and all("line" in str(p) for p in doc.errors)


def test_validate_cli_fails_on_an_empty_list(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("白云镇基本履职事项清单\n\n序号\t事项名称\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "indexer", "validate", str(empty)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "empty" in result.stdout


def test_parse_cli_prints_jsonl(tmp_path):
    doc = tmp_path / "d.txt"
    doc.write_text(TAB_DOCUMENT, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "indexer", "parse", str(doc), "--jsonl"],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    assert len(result.stdout.strip().split("\n")) == 7


def test_a_truncated_document_is_an_error_naming_the_list():
    cut = TAB_DOCUMENT[: TAB_DOCUMENT.index("2\t高龄津贴追缴")]
    doc = parse_text(cut, "cut.txt")
    assert any("recovered" in p.message and "states 2" in p.message for p in doc.errors)


def test_a_row_missing_cells_is_an_error():
    cut = TAB_DOCUMENT.replace("2\t防汛抗旱\t绿水县水利局，有关行业部门\t负责防汛调度。\t协助转移群众。", "2\t防汛抗旱")
    errors = parse_text(cut, "cut.txt").errors
    assert errors and "cells" in errors[0].message


def test_bytes_that_are_not_utf8_are_rejected_with_the_line(tmp_path):
    from indexer.parse import DocumentError, parse_file
    bad = tmp_path / "bad.txt"
    bad.write_bytes(TAB_DOCUMENT.encode("utf-8")[:200] + b"\xff\xfe")
    try:
        parse_file(bad)
    except DocumentError as exc:
        assert "bad.txt" in str(exc) and "line" in str(exc)
    else:
        raise AssertionError("non-UTF-8 bytes were accepted")


def test_a_list_the_contents_promise_but_the_document_lacks_is_an_error():
    cut = TAB_DOCUMENT[: TAB_DOCUMENT.index("绿水县白云镇收回履职事项清单")]
    errors = parse_text(cut, "cut.txt").errors
    assert any("recovered" in p.message and "contents" in p.message for p in errors)
