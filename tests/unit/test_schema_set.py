"""Loading the contract files: names, events, expansion, errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastavro.schema import fingerprint as fastavro_fingerprint

from sgbus.bus.contracts.forms import canonical_form, crc64_avro, fingerprint
from sgbus.bus.contracts.lint import lint_schema_set
from sgbus.bus.contracts.paths import SCHEMA_DIR_ENV, schema_dir
from sgbus.bus.contracts.schema_set import SchemaError, SchemaSet
from sgbus.bus.validation import KNOWN_CHECKS

EXPECTED_EVENTS = sorted(
    [
        "ApprovalResult",
        "Claim",
        "SupervisionAction",
        "LicenceChangeRequest",
        "LicenceChangeDecision",
        "VerificationTask",
        "VerificationResult",
        "SpecialReviewRequest",
        "SpecialReviewOpinion",
        "ConsultationLetter",
        "ConsultationReply",
        "PolicyChangeNotice",
        "PolicyChangeReceipt",
        "CaseAssignment",
        "CaseTransfer",
        "CaseTransferDecision",
        "MeetingAgenda",
        "MeetingMinutes",
        "StatusReport",
        "ObligationReminder",
        "ObligationBreach",
        "AutoClaim",
        "DeemedConsent",
        "Escalation",
        "DeadLetter",
        "RejectionNotice",
        "ItemTransfer",
        "ResponsibilityDispute",
        "DisputeRuling",
        "Urging",
    ]
)


def test_the_agreed_event_names() -> None:
    assert SchemaSet.load().event_names == EXPECTED_EVENTS


def test_repository_schemas_follow_the_house_rules() -> None:
    assert lint_schema_set(SchemaSet.load(), KNOWN_CHECKS) == []


def test_every_event_starts_with_the_envelope() -> None:
    schema_set = SchemaSet.load()
    for name in schema_set.event_names:
        first = schema_set.expand(name)["fields"][0]
        assert first["name"] == "envelope" and first["type"]["name"] == "Envelope"


def test_expansion_defines_each_named_type_once() -> None:
    schema = SchemaSet.load().expand("SupervisionAction")
    text = json.dumps(schema)
    assert text.count('"name": "Licensee"') == 1
    assert text.count('"name": "Attachment"') == 1


def test_approval_result_covers_the_rule_items() -> None:
    fields = {f["name"]: f["doc"] for f in SchemaSet.load().expand("ApprovalResult")["fields"]}
    docs = " ".join(fields.values())
    licensee = " ".join(f["doc"] for f in SchemaSet.load().expand("Licensee")["fields"])
    # 安丘 第十八条(二), 营口 第八条 and the 双公示 licensing items
    for term in [
        "事项名称",
        "行政许可决定文书号",
        "许可内容",
        "有效期自",
        "有效期至",
        "申请人",
        "联系人",
        "申请材料",
        "审批结果",
        "许可决定类型",
        "行政许可决定文书名称",
        "许可类别",
        "许可证书名称",
        "许可编号",
        "许可决定日期",
        "许可机关",
        "数据来源单位",
    ]:
        assert term in docs, term
    for term in [
        "行政相对人名称",
        "统一社会信用代码",
        "法定代表人",
        "证件类型",
        "证件号码",
        "联系方式",
        "地址",
    ]:
        assert term in licensee, term


def test_schema_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCHEMA_DIR_ENV, str(tmp_path))
    assert schema_dir() == tmp_path


def test_dangling_reference_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "A.avsc").write_text(
        json.dumps(
            {
                "type": "record",
                "name": "A",
                "namespace": "x",
                "fields": [{"name": "b", "type": "Missing"}],
            }
        )
    )
    with pytest.raises(SchemaError, match=r"A.avsc: field 'b': unknown type 'Missing'"):
        SchemaSet.load(tmp_path)


def test_file_name_must_match(tmp_path: Path) -> None:
    (tmp_path / "B.avsc").write_text(json.dumps({"type": "enum", "name": "C", "symbols": ["X"]}))
    with pytest.raises(SchemaError, match="file name must be"):
        SchemaSet.load(tmp_path)


def test_inline_named_types_are_refused(tmp_path: Path) -> None:
    inner = {"type": "enum", "name": "E", "symbols": ["X"]}
    (tmp_path / "A.avsc").write_text(
        json.dumps({"type": "record", "name": "A", "fields": [{"name": "e", "type": inner}]})
    )
    with pytest.raises(SchemaError, match="own file"):
        SchemaSet.load(tmp_path)


def test_crc64_avro_matches_the_specification_vectors() -> None:
    # Fingerprint of the canonical form "int" as given in the Avro specification's examples
    assert crc64_avro(b'"int"') == 0x7275D51A3F395C8F
    assert fingerprint("int") == crc64_avro(canonical_form("int").encode())


def test_fingerprint_agrees_with_fastavro() -> None:
    schema = SchemaSet.load().expand("ApprovalResult")
    theirs = fastavro_fingerprint(canonical_form(schema), "CRC-64-AVRO")  # little-endian hex
    assert fingerprint(schema).to_bytes(8, "little").hex() == theirs
