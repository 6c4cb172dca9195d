"""The duty record: one item of one township's list, as the document states it."""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

LIST_TYPES = ("basic", "cooperative", "recovered")
LIST_LABELS = {"basic": "基本", "cooperative": "配合", "recovered": "收回"}
# An item that only grants a permission: one act, named last (林木采伐许可证核发, 设施农用地审批), and
# nothing in the name about a wrong (对未经批准…占用土地的处罚 is a penalty, not a permit).
_GRANTS = re.compile(r"(审批|许可|审核|核准|批准|备案|核发|审核确认)$")
_NOT_ONLY_GRANTS = re.compile(r"处罚|未经|违法|非法|擅自|骗取|未依法|拆除|责令|[，,；;]")
_TRAILING = re.compile(r"(?:[（(][^（）()]*[）)]|工作|事项|[。；;，,\s★☆])+$")


@dataclass
class DepartmentDuties:
    """One lead department and what the document says it does for this item."""

    department: str
    duties: list[str] = field(default_factory=list)


@dataclass
class Duty:
    id: str
    province: str
    prefecture: str
    county: str
    township: str
    list_type: str
    category: str
    seq: int
    name: str
    lead_departments: list[str] = field(default_factory=list)
    department_duties: list[DepartmentDuties] = field(default_factory=list)
    township_duties: list[str] = field(default_factory=list)
    receiving_departments: list[str] = field(default_factory=list)
    handling: str = ""
    remarks: str = ""
    source: str = ""  # "file:line" of the item's first line

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Duty":
        data = dict(data)
        data["department_duties"] = [DepartmentDuties(**d) for d in data.get("department_duties", [])]
        return cls(**data)

    def departments(self) -> list[str]:
        """Every department the item names (see `record_departments`)."""
        return _departments(self.lead_departments, self.receiving_departments,
                            (dd.department for dd in self.department_duties))

    def duty_texts(self) -> list[str]:
        """What is done, by the departments and by the township, as plain sentences."""
        texts = [d for dd in self.department_duties for d in dd.duties]
        texts += self.township_duties
        if self.handling:
            texts.append(self.handling)
        return texts


def record_departments(record: dict) -> list[str]:
    """Every department a record (`Duty.to_dict()`) names: leads, receivers, then those heading a
    paragraph of department duties, once each. The one definition used by filters, facets, keyword
    text and pages."""
    return _departments(record.get("lead_departments") or (), record.get("receiving_departments") or (),
                        (dd["department"] for dd in record.get("department_duties") or ()))


def county_departments(record: dict) -> list[str]:
    """The record's departments as the department filter and facet know them: qualified by the
    county, since 县应急管理局 is a different bureau in every county ("县应急管理局" in 磴口县 →
    磴口县应急管理局; a name already starting with its county stays as written)."""
    county = record.get("county") or ""
    return list(dict.fromkeys(_qualified(d, county) for d in record_departments(record)))


def _qualified(name: str, county: str) -> str:
    if not county or name.startswith(county):
        return name
    if name.startswith("县") and not name.startswith(("县委", "县政府", "县人民", "县级")):
        return county + name[1:]
    return county + name


def _departments(leads, receivers, heads) -> list[str]:
    return list(dict.fromkeys(n for n in [*leads, *receivers, *heads] if n))


def duty_id(county: str, township: str, list_type: str, ordinal: int) -> str:
    """Stable id from where the item sits, so rebuilds keep links working.

    `ordinal` is the item's position within its list (1-based), not the document's 序号,
    because some documents restart 序号 in every category.
    """
    key = f"{county}|{township}|{list_type}|{ordinal}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def grants_permission(name: str) -> bool:
    """Whether an item only grants a permission (an approval, a licence, a filing): what those who
    apply get, never the answer to a wrong reported (search/owner.py)."""
    name = name.strip().lstrip("★☆")
    return bool(_GRANTS.search(_TRAILING.sub("", name))) and not _NOT_ONLY_GRANTS.search(name)


# an animal (or its products) beside a word of its health: 动物疫病防控, 病死动物无害化处理的监管
_ANIMAL_HEALTH = re.compile(r"(动物|畜禽|牲畜|家畜|家禽|活畜).*(疫|病|治疗|无害化)|(疫|病害|死亡|病死).*(动物|畜禽|牲畜)")


def about_animal_health(name: str) -> bool:
    """Whether an item is about animals' health (epidemics, quarantine, treatment, disposal of the
    dead): never the answer to a question that names no animal (search/owner.py)."""
    return bool(_ANIMAL_HEALTH.search(name))
