"""The OpenAPI schemas of Duty and DepartmentDuties are generated from the dataclasses
(search_app.openapi.dataclass_schema), so they follow models/duty.py field for field."""
from __future__ import annotations

import dataclasses

import jsonschema_rs
import pytest

from models.duty import DepartmentDuties, Duty
from search_app.openapi import dataclass_schema, openapi_document


def field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def validator(name: str):
    doc = openapi_document()
    return jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


def errors(name: str, body) -> list[str]:
    return [e.message for e in validator(name).iter_errors(body)]


def sample_duty() -> Duty:
    return Duty(
        id="0123456789ab", province="内蒙古自治区", prefecture="巴彦淖尔市", county="临河区", township="渡口镇",
        list_type="cooperative", category="平安法治", seq=3, name="森林草原防灭火",
        lead_departments=["应急管理局", "林业和草原局"],
        department_duties=[DepartmentDuties("应急管理局", ["指导火灾扑救"]), DepartmentDuties("林业和草原局")],
        township_duties=["组织巡查"], receiving_departments=[], handling="", remarks="", source="临河区.txt:12",
    )


@pytest.mark.parametrize("cls", [Duty, DepartmentDuties])
def test_schema_properties_are_the_dataclass_fields(cls):
    schema = openapi_document()["components"]["schemas"][cls.__name__]
    assert list(schema["properties"]) == field_names(cls)
    assert schema["required"] == field_names(cls)


def test_real_duty_validates():
    body = sample_duty().to_dict()
    assert errors("Duty", body) == []
    assert errors("DepartmentDuties", body["department_duties"][0]) == []


@pytest.mark.parametrize("change", [
    {"seq": "3"},                                   # int field
    {"list_type": "other"},                         # enum kept from the hand-written schema
    {"lead_departments": "应急管理局"},               # list[str]
    {"department_duties": [{"department": "x"}]},   # nested dataclass: every field required
    {"department_duties": [{"department": "x", "duties": [1]}]},
])
def test_wrong_duty_is_rejected(change):
    body = {**sample_duty().to_dict(), **change}
    assert errors("Duty", body)


def test_missing_field_is_rejected():
    body = sample_duty().to_dict()
    del body["source"]
    assert errors("Duty", body)


def test_type_mapping():
    @dataclasses.dataclass
    class Sample:
        s: str
        i: int
        f: float
        b: bool
        nested: list[list[DepartmentDuties]]

    props = dataclass_schema(Sample)["properties"]
    assert props == {
        "s": {"type": "string"}, "i": {"type": "integer"}, "f": {"type": "number"}, "b": {"type": "boolean"},
        "nested": {"type": "array", "items": {"type": "array",
                                              "items": {"$ref": "#/components/schemas/DepartmentDuties"}}},
    }


def test_unmapped_type_and_unknown_extra_raise():
    @dataclasses.dataclass
    class Bad:
        d: dict

    with pytest.raises(TypeError, match="Bad.d"):
        dataclass_schema(Bad)
    with pytest.raises(ValueError, match="no field"):
        dataclass_schema(DepartmentDuties, extra={"nope": {}})
