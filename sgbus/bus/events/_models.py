"""Event models generated from schemas/avro by `sgbus schemas codegen`; do not edit."""

from __future__ import annotations

import datetime
import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from sgbus.bus.events._base import Int32, Int64, Record, UtcMillis

__all__ = ['EVENT_CLASSES', 'ActionItem', 'AgendaItem', 'ApprovalOutcome', 'ApprovalResult', 'Attachment', 'AutoClaim', 'CaseAssignment', 'CaseTransfer', 'CaseTransferDecision', 'ChangeDecisionOutcome', 'Claim', 'ClaimMode', 'ConsultationLetter', 'ConsultationPosition', 'ConsultationReply', 'ConsultationTopic', 'ContactPerson', 'DeadLetter', 'DeadLetterReason', 'DeemedConsent', 'DisputeRuling', 'Envelope', 'Escalation', 'Event', 'IdDocumentType', 'ItemTransfer', 'KafkaHeader', 'LegalBasis', 'LicenceCategory', 'LicenceChangeAction', 'LicenceChangeDecision', 'LicenceChangeRequest', 'LicenceDecisionKind', 'LicenceEffect', 'Licensee', 'LicenseeKind', 'MaterialKind', 'MaterialReference', 'Matter', 'MeetingAgenda', 'MeetingMinutes', 'ObligationBreach', 'ObligationRef', 'ObligationReminder', 'Organisation', 'PartyStatus', 'PolicyChangeKind', 'PolicyChangeNotice', 'PolicyChangeReceipt', 'RejectionNotice', 'ResponsibilityDispute', 'ReviewConclusion', 'SpecialReviewMode', 'SpecialReviewOpinion', 'SpecialReviewRequest', 'SpecialReviewStep', 'StatusReport', 'SubmittedMaterial', 'SupervisionAction', 'SupervisionActionKind', 'TransferAcceptance', 'Urging', 'VerificationOutcome', 'VerificationResult', 'VerificationTask']


class ApprovalOutcome(StrEnum):
    """审批结果 — Outcome of the application (营口 第八条). Symbols: GRANTED=准予许可; PARTIALLY_GRANTED=部分准予; DENIED=不予许可; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    GRANTED = 'GRANTED'
    PARTIALLY_GRANTED = 'PARTIALLY_GRANTED'
    DENIED = 'DENIED'
    UNKNOWN = 'UNKNOWN'


class ChangeDecisionOutcome(StrEnum):
    """处理结论 — Outcome of a licence change request. Symbols: APPROVED=予以办理; PARTIALLY_APPROVED=部分予以办理; REJECTED=不予办理; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    APPROVED = 'APPROVED'
    PARTIALLY_APPROVED = 'PARTIALLY_APPROVED'
    REJECTED = 'REJECTED'
    UNKNOWN = 'UNKNOWN'


class ClaimMode(StrEnum):
    """认领方式 — How an event was claimed (安丘 第十八条(一)). Symbols: MANUAL=人工认领 (a liaison officer); AUTOMATIC=逾期由系统自动认领 (the watchdog at expiry); INTEGRATED=对接系统收到即认领 (the department's own system, on receipt); ON_DELIVERY=推送即认领 (the router, on delivery to the department's inbox, where the policy counts the push as the claim: 济南 推送即认领, 晋城 推送完成即视为接收); UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    MANUAL = 'MANUAL'
    AUTOMATIC = 'AUTOMATIC'
    UNKNOWN = 'UNKNOWN'
    INTEGRATED = 'INTEGRATED'
    ON_DELIVERY = 'ON_DELIVERY'


class ConsultationPosition(StrEnum):
    """答复意见 — Position taken in a consultation reply. Symbols: AGREE=同意; AGREE_WITH_COMMENTS=原则同意并提出意见; DISAGREE=不同意; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    AGREE = 'AGREE'
    AGREE_WITH_COMMENTS = 'AGREE_WITH_COMMENTS'
    DISAGREE = 'DISAGREE'
    UNKNOWN = 'UNKNOWN'


class ConsultationTopic(StrEnum):
    """函询内容类别 — What a consultation is about (安丘 第二十三条). Symbols: INDUSTRY_PLAN=行业规划; POLICY=政策; APPROVAL_STANDARD=审批事项办理标准; OTHER=其他; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    INDUSTRY_PLAN = 'INDUSTRY_PLAN'
    POLICY = 'POLICY'
    APPROVAL_STANDARD = 'APPROVAL_STANDARD'
    OTHER = 'OTHER'
    UNKNOWN = 'UNKNOWN'


class DeadLetterReason(StrEnum):
    """拒收原因 — Why the bus refused a message. Symbols: UNDECODABLE=无法解码; UNKNOWN_SCHEMA=未知模式; VALIDATION_FAILED=校验不通过; SENDER_NOT_OWNER=发送方与主题不符; UNKNOWN_PARTY=未知参与方; UNKNOWN_MATTER=未知事项; NO_RECIPIENT=无接收方; OTHER=其他; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    UNDECODABLE = 'UNDECODABLE'
    UNKNOWN_SCHEMA = 'UNKNOWN_SCHEMA'
    VALIDATION_FAILED = 'VALIDATION_FAILED'
    SENDER_NOT_OWNER = 'SENDER_NOT_OWNER'
    UNKNOWN_PARTY = 'UNKNOWN_PARTY'
    UNKNOWN_MATTER = 'UNKNOWN_MATTER'
    NO_RECIPIENT = 'NO_RECIPIENT'
    OTHER = 'OTHER'
    UNKNOWN = 'UNKNOWN'


class IdDocumentType(StrEnum):
    """证件类型 — Type of identity document. Symbols: RESIDENT_ID=居民身份证; PASSPORT=护照; HK_MACAO_PERMIT=港澳居民来往内地通行证; TAIWAN_PERMIT=台湾居民来往大陆通行证; FOREIGNER_PERMANENT_RESIDENCE=外国人永久居留身份证; OTHER=其他; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    RESIDENT_ID = 'RESIDENT_ID'
    PASSPORT = 'PASSPORT'
    HK_MACAO_PERMIT = 'HK_MACAO_PERMIT'
    TAIWAN_PERMIT = 'TAIWAN_PERMIT'
    FOREIGNER_PERMANENT_RESIDENCE = 'FOREIGNER_PERMANENT_RESIDENCE'
    OTHER = 'OTHER'
    UNKNOWN = 'UNKNOWN'


class LicenceCategory(StrEnum):
    """许可类别 — Licence category (双公示 item). Symbols: ORDINARY=普通; FRANCHISE=特许; RECOGNITION=认可; APPROVAL=核准; REGISTRATION=登记; OTHER=其他; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    ORDINARY = 'ORDINARY'
    FRANCHISE = 'FRANCHISE'
    RECOGNITION = 'RECOGNITION'
    APPROVAL = 'APPROVAL'
    REGISTRATION = 'REGISTRATION'
    OTHER = 'OTHER'
    UNKNOWN = 'UNKNOWN'


class LicenceChangeAction(StrEnum):
    """许可变动事项 — Requested or decided change to a licence (营口 第十九条). Symbols: CHANGE=变更; WITHDRAW=撤回; RESCIND=撤销; CANCEL=注销; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    CHANGE = 'CHANGE'
    WITHDRAW = 'WITHDRAW'
    RESCIND = 'RESCIND'
    CANCEL = 'CANCEL'
    UNKNOWN = 'UNKNOWN'


class LicenceDecisionKind(StrEnum):
    """许可决定类型 — Kind of licence decision (安康 第四条). Symbols: ESTABLISH=设立; RENEW=延续; CHANGE=变更; CANCEL=注销; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    ESTABLISH = 'ESTABLISH'
    RENEW = 'RENEW'
    CHANGE = 'CHANGE'
    CANCEL = 'CANCEL'
    UNKNOWN = 'UNKNOWN'


class LicenceEffect(StrEnum):
    """对许可的影响 — Effect on the licence. Symbols: NONE=无影响; CHANGE=变更; EXTEND=延期; SUSPEND=暂扣/停业; WITHDRAW=撤回; RESCIND=撤销; CANCEL=注销; REVOKE=吊销; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    NONE = 'NONE'
    CHANGE = 'CHANGE'
    EXTEND = 'EXTEND'
    SUSPEND = 'SUSPEND'
    WITHDRAW = 'WITHDRAW'
    RESCIND = 'RESCIND'
    CANCEL = 'CANCEL'
    REVOKE = 'REVOKE'
    UNKNOWN = 'UNKNOWN'


class LicenseeKind(StrEnum):
    """行政相对人类别 — Kind of administrative counterpart (双公示 item). Symbols: LEGAL_PERSON=法人及非法人组织; INDIVIDUAL_BUSINESS=个体工商户; NATURAL_PERSON=自然人; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    LEGAL_PERSON = 'LEGAL_PERSON'
    INDIVIDUAL_BUSINESS = 'INDIVIDUAL_BUSINESS'
    NATURAL_PERSON = 'NATURAL_PERSON'
    UNKNOWN = 'UNKNOWN'


class MaterialKind(StrEnum):
    """材料类别 — What a referenced document is. Symbols: APPLICATION_MATERIAL=申请材料 (what the applicant submitted); ELECTRONIC_LICENCE=电子证照 (the licence issued, in its electronic form); DECISION_DOCUMENT=决定文书 (the licence decision document); OTHER=其他材料; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    APPLICATION_MATERIAL = 'APPLICATION_MATERIAL'
    ELECTRONIC_LICENCE = 'ELECTRONIC_LICENCE'
    DECISION_DOCUMENT = 'DECISION_DOCUMENT'
    OTHER = 'OTHER'
    UNKNOWN = 'UNKNOWN'


class PolicyChangeKind(StrEnum):
    """调整类别 — Kind of policy change (淄川 三(二)2, 营口 第八条). Symbols: LAW=法律法规; POLICY=政策文件; INDUSTRY_PLAN=行业规划; STANDARD=标准; MATTER_CATALOGUE=事项清单; OTHER=其他; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    LAW = 'LAW'
    POLICY = 'POLICY'
    INDUSTRY_PLAN = 'INDUSTRY_PLAN'
    STANDARD = 'STANDARD'
    MATTER_CATALOGUE = 'MATTER_CATALOGUE'
    OTHER = 'OTHER'
    UNKNOWN = 'UNKNOWN'


class ReviewConclusion(StrEnum):
    """审查结论 — Conclusion of an opinion. Symbols: APPROVE=同意; APPROVE_WITH_CONDITIONS=有条件同意; DISAPPROVE=不同意; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    APPROVE = 'APPROVE'
    APPROVE_WITH_CONDITIONS = 'APPROVE_WITH_CONDITIONS'
    DISAPPROVE = 'DISAPPROVE'
    UNKNOWN = 'UNKNOWN'


class SpecialReviewMode(StrEnum):
    """技术环节办理方式 — How a technical step is handled (威海 三(一), 附件1–4). Symbols: ALONE=审批部门自主办理; JOINT=共同组织办理; ENTRUSTED=委托主管部门办理; OPINION=听取主管部门审查意见; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    ALONE = 'ALONE'
    JOINT = 'JOINT'
    ENTRUSTED = 'ENTRUSTED'
    OPINION = 'OPINION'
    UNKNOWN = 'UNKNOWN'


class SpecialReviewStep(StrEnum):
    """特别程序环节 — Kind of special review step (安康 第十一–十四条). Symbols: SITE_INSPECTION=现场勘验; EXPERT_REVIEW=专家评审; TECHNICAL_REVIEW=技术审查; TESTING=检验检测; HEARING=听证; OTHER=其他; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    SITE_INSPECTION = 'SITE_INSPECTION'
    EXPERT_REVIEW = 'EXPERT_REVIEW'
    TECHNICAL_REVIEW = 'TECHNICAL_REVIEW'
    TESTING = 'TESTING'
    HEARING = 'HEARING'
    OTHER = 'OTHER'
    UNKNOWN = 'UNKNOWN'


class SupervisionActionKind(StrEnum):
    """监管信息类别 — Kind of supervision information (威海 三(五), 安丘 第十九条). Symbols: ADMINISTRATIVE_PENALTY=行政处罚; ORDER_SUSPENSION=责令停产停业; LICENCE_REVOCATION=吊销许可证; ANNUAL_REPORT_RESULT=年报结果; INSPECTION_FINDING=检查结果; OTHER=其他; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    ADMINISTRATIVE_PENALTY = 'ADMINISTRATIVE_PENALTY'
    ORDER_SUSPENSION = 'ORDER_SUSPENSION'
    LICENCE_REVOCATION = 'LICENCE_REVOCATION'
    ANNUAL_REPORT_RESULT = 'ANNUAL_REPORT_RESULT'
    INSPECTION_FINDING = 'INSPECTION_FINDING'
    OTHER = 'OTHER'
    UNKNOWN = 'UNKNOWN'


class TransferAcceptance(StrEnum):
    """受理决定 — Decision on a case transfer (营口 第二十条). Symbols: ACCEPTED=受理; NOT_ACCEPTED=不予受理; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    ACCEPTED = 'ACCEPTED'
    NOT_ACCEPTED = 'NOT_ACCEPTED'
    UNKNOWN = 'UNKNOWN'


class VerificationOutcome(StrEnum):
    """核查结论 — Outcome of a commitment verification (安丘 第二十二条). Symbols: CONSISTENT=承诺属实; RECTIFICATION_ORDERED=责令限期整改; FALSE_COMMITMENT=承诺不实; NOT_VERIFIABLE=无法核查; UNKNOWN=未识别 (a symbol this reader does not know yet)."""

    CONSISTENT = 'CONSISTENT'
    RECTIFICATION_ORDERED = 'RECTIFICATION_ORDERED'
    FALSE_COMMITMENT = 'FALSE_COMMITMENT'
    NOT_VERIFIABLE = 'NOT_VERIFIABLE'
    UNKNOWN = 'UNKNOWN'


class Envelope(Record):
    """信封 — Common header carried first in every event."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.Envelope'

    event_id: uuid.UUID = Field(description='事件编号 — Unique id of this event (UUID); a resend keeps the same id.')
    event_type: str = Field(description='事件类型 — Avro record name of the event, e.g. ApprovalResult.')
    occurred_at: UtcMillis = Field(description='发生时间 — When the event happened, UTC, millisecond precision.')
    sender: str = Field(description='发送方 — Party id of the sender; must own the outbox the event is written to.')
    recipients: list[str] | None = Field(default=None, description='接收方 — Explicit recipient party ids; null lets the matter catalogue decide.')
    region: str = Field(description="行政区划代码 — 6-digit administrative division code of the case's region.")
    case_key: str = Field(description="案件键 — Case key: region and the case's document number, e.g. '371000:威审批〔2026〕12号'; the Kafka key, so one case stays in order.")
    correlation_id: uuid.UUID = Field(description='关联编号 — Event id of the event that opened this conversation.')
    causation_id: uuid.UUID | None = Field(default=None, description='起因编号 — Event id of the event this one answers; null if none.')
    schema_version: Int32 = Field(description="模式版本 — Version of the event's schema the sender wrote.")


class Event(Record):
    """An event on the bus: the envelope first, then the payload fields."""

    SCHEMA_VERSION: ClassVar[int] = 0

    envelope: Envelope = Field(description='信封 — Common envelope: identity, routing and correlation of the event.')


class ActionItem(Record):
    """议定事项 — A task agreed at a meeting."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ActionItem'

    description: str = Field(description='事项内容 — What is to be done.')
    owner: str = Field(description='责任单位 — Party id responsible.')
    due_on: datetime.date | None = Field(default=None, description='完成时限 — Date by which it is to be done.')


class AgendaItem(Record):
    """议题 — One item of a coordination meeting's agenda."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.AgendaItem'

    title: str = Field(description='议题名称 — Title of the item.')
    description: str | None = Field(default=None, description='议题说明 — What is to be decided.')
    presenter: str | None = Field(default=None, description='汇报单位 — Party id presenting the item.')
    related_case_keys: list[str] = Field(default_factory=list, description='相关案件 — Case keys the item concerns.')


class Attachment(Record):
    """附件 — A document kept outside the bus, passed by reference."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.Attachment'

    title: str = Field(description='附件名称 — Human-readable title of the document.')
    uri: str = Field(description='地址 — Where the document can be fetched (https:, s3:, file store URI).')
    sha256: str = Field(description='摘要 — SHA-256 of the content, 64 lower-case hex digits.')
    size_bytes: Int64 = Field(description='大小 — Size of the content in bytes.')
    media_type: str = Field(description='媒体类型 — IANA media type, e.g. application/pdf.')


class ContactPerson(Record):
    """联系人 — A natural person acting for a party: applicant, contact, officer."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ContactPerson'

    name: str = Field(description='姓名 — Name of the person.')
    phone: str | None = Field(default=None, description='联系电话 — Phone number.')
    id_type: IdDocumentType | None = Field(default=None, description='证件类型 — Identity document type.')
    id_number: str | None = Field(default=None, description='证件号码 — Identity document number.')


class KafkaHeader(Record):
    """消息头 — One Kafka record header as received."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.KafkaHeader'

    key: str = Field(description='名称 — Header name.')
    value: bytes | None = Field(default=None, description='值 — Header value as raw bytes.')


class LegalBasis(Record):
    """法律依据 — One provision a decision rests on."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.LegalBasis'

    law: str = Field(description='法律法规名称 — Title of the law, regulation or rule.')
    article: str = Field(description='条款 — Article, paragraph and item, e.g. 第七十条第一款.')
    text: str | None = Field(default=None, description='条文内容 — Text of the provision, when useful to the reader.')


class Licensee(Record):
    """行政相对人 — The administrative counterpart: licensee, applicant or party concerned."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.Licensee'

    kind: LicenseeKind = Field(description='行政相对人类别 — Legal person, individual business or natural person.')
    name: str = Field(description="行政相对人名称 — Name of the counterpart (a person's name for natural persons).")
    uscc: str | None = Field(default=None, description='统一社会信用代码 — Unified social credit code; null for natural persons.')
    legal_representative: str | None = Field(default=None, description='法定代表人 — Legal representative or person in charge.')
    legal_representative_id_type: IdDocumentType | None = Field(default=None, description='法定代表人证件类型 — Identity document type of the legal representative.')
    legal_representative_id_number: str | None = Field(default=None, description='法定代表人证件号码 — Identity document number of the legal representative.')
    id_type: IdDocumentType | None = Field(default=None, description='证件类型 — Identity document type of a natural-person counterpart.')
    id_number: str | None = Field(default=None, description='证件号码 — Identity document number of a natural-person counterpart.')
    phone: str | None = Field(default=None, description='联系方式 — Contact phone of the counterpart.')
    address: str | None = Field(default=None, description='地址 — Address (registered or residential).')


class MaterialReference(Record):
    """材料引用 — A material or 电子证照 of an approval result, by reference: where a department fetches it over HTTP(S), and the digest that proves it got the very document; never the bytes."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.MaterialReference'

    kind: MaterialKind = Field(description='材料类别 — 申请材料, 电子证照, 决定文书 or 其他.')
    title: str = Field(description='材料名称 — Human-readable title, e.g. 食品经营许可证（电子证照）.')
    url: str = Field(description='地址 — Absolute http: or https: URL the department fetches the document from.')
    sha256: str = Field(description="摘要 — SHA-256 of the document's bytes, 64 lower-case hex digits.")
    media_type: str = Field(description='媒体类型 — IANA media type, e.g. application/pdf or application/ofd.')
    size_bytes: Int64 = Field(description='大小 — Size of the document in bytes.')


class Matter(Record):
    """事项 — A licensing matter of the catalogue."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.Matter'

    code: str = Field(description='事项编码 — Matter code of the catalogue (实施清单).')
    name: str = Field(description='事项名称 — Matter name.')


class ObligationRef(Record):
    """待办义务 — An obligation tracked by the watchdog: who owes what answer by when."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ObligationRef'

    obligation_id: str = Field(description='义务编号 — Stable id of the obligation.')
    flow: str = Field(description='流程 — Flow id, e.g. approval-push, claim, consultation-reply.')
    debtor: str = Field(description='义务方 — Party id that owes the answer.')
    creditor: str = Field(description='权利方 — Party id the answer is owed to.')
    opened_at: UtcMillis = Field(description='起算时间 — When the obligation was opened (the triggering event), UTC.')
    due_at: UtcMillis = Field(description='期限 — Deadline, UTC (24:00 Asia/Shanghai of the last working day).')
    due_provisional: bool = Field(default=False, description='期限暂定 — True when the deadline rests on a provisional calendar.')
    trigger_event_id: uuid.UUID = Field(description='触发事件编号 — Event id that opened the obligation.')
    trigger_event_type: str = Field(description='触发事件类型 — Record name of the triggering event.')
    rule: str | None = Field(default=None, description='规则依据 — Rule that sets the deadline, e.g. 安丘 第十八条(一).')


class Organisation(Record):
    """机构 — An agency or unit with its unified social credit code."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.Organisation'

    name: str = Field(description='名称 — Name of the organisation.')
    uscc: str = Field(description='统一社会信用代码 — Unified social credit code (GB 32100-2015).')


class PartyStatus(Record):
    """推送认领情况 — Push and claim figures of one party over a report period."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.PartyStatus'

    party: str = Field(description='参与方 — Party id.')
    pushed: Int32 = Field(description='推送数 — Events pushed in the period.')
    pushed_late: Int32 = Field(description='逾期推送数 — Pushes made after their deadline.')
    claimed_on_time: Int32 = Field(description='按时认领数 — Events claimed within the deadline.')
    claimed_late: Int32 = Field(description='逾期认领数 — Events claimed after the deadline.')
    auto_claimed: Int32 = Field(description='系统自动认领数 — Events claimed by the system at expiry.')
    open_obligations: Int32 = Field(description="未办结事项数 — Obligations still open at the period's end.")
    breaches: Int32 = Field(description='违约数 — Obligations breached in the period.')
    escalations: Int32 = Field(description='上报数 — Escalations to the oversight office.')


class SubmittedMaterial(Record):
    """申请材料 — One item of the application materials (营口 第八条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.SubmittedMaterial'

    name: str = Field(description='材料名称 — Name of the material.')
    copies: Int32 = Field(default=1, description='份数 — Number of copies submitted.')
    attachment: Attachment | None = Field(default=None, description='材料文件 — The material itself, by reference, if shared.')


class ApprovalResult(Event):
    """审批结果 — A licence decision pushed by the approval bureau to the supervising departments (F1; 安丘 第十八条(二), 营口 第八条, 双公示 行政许可)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ApprovalResult'
    SCHEMA_VERSION: ClassVar[int] = 2

    matter: Matter = Field(description='事项 — The licensing matter (事项名称 and code).')
    decision_kind: LicenceDecisionKind = Field(description='许可决定类型 — 设立, 延续, 变更 or 注销.')
    outcome: ApprovalOutcome = Field(description='审批结果 — Outcome of the application.')
    licensee: Licensee = Field(description='行政相对人 — The licensee: name, codes, representative, contact, address.')
    applicant: ContactPerson | None = Field(default=None, description='申请人 — Applicant if not the licensee itself (营口 第八条).')
    contact: ContactPerson | None = Field(default=None, description='联系人 — Contact person for the case (营口 第八条).')
    document_title: str = Field(description='行政许可决定文书名称 — Title of the decision document.')
    document_number: str = Field(description='行政许可决定文书号 — Number of the decision document (法律文书编号); with the region it forms the case key.')
    licence_category: LicenceCategory = Field(description='许可类别 — Licence category.')
    certificate_name: str | None = Field(default=None, description='许可证书名称 — Name of the licence certificate, if one is issued.')
    licence_number: str | None = Field(default=None, description='许可编号 — Number of the licence certificate, if one is issued.')
    licence_content: str = Field(description='许可内容 — What is licensed: scope, items, conditions.')
    decision_date: datetime.date = Field(description='许可决定日期 — Date of the licence decision.')
    valid_from: datetime.date = Field(description='有效期自 — First day of validity.')
    valid_until: datetime.date | None = Field(default=None, description='有效期至 — Last day of validity; null means without end (长期).')
    licensing_authority: Organisation = Field(description='许可机关 — Authority that decided, with its code (许可机关统一社会信用代码).')
    data_source: Organisation = Field(description='数据来源单位 — Unit the record comes from, with its code.')
    materials: list[SubmittedMaterial] = Field(default_factory=list, description='申请材料 — Application materials submitted (营口 第八条).')
    commitment_based: bool = Field(default=False, description='告知承诺 — True if decided under 告知承诺 (commitment instead of prior proof; a VerificationTask may follow).')
    related_document_number: str | None = Field(default=None, description='原决定文书号 — For 延续/变更/注销: number of the decision this one renews, changes or cancels.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')
    material_references: list[MaterialReference] = Field(default_factory=list, description="材料与电子证照 — The result's materials and 电子证照, each by kind, title, http(s) URL, SHA-256, media type and size; never the bytes.")
    remarks: str | None = Field(default=None, description='备注 — Remarks.')


class AutoClaim(Event):
    """系统自动认领 — The system claimed an event at expiry on the debtor's behalf (安丘 第十八条(一))."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.AutoClaim'
    SCHEMA_VERSION: ClassVar[int] = 1

    obligation: ObligationRef = Field(description='待办义务 — The claim obligation.')
    claimed_on_behalf_of: str = Field(description='被代认领方 — Party id on whose behalf the claim was made.')
    claimed_at: UtcMillis = Field(description='认领时间 — When the system claimed, UTC.')


class CaseAssignment(Event):
    """案件指派 — The oversight office assigns an approval result from the unassigned pool (no supervising department in the catalogue) to a department by hand; the router then delivers the original event to it."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.CaseAssignment'
    SCHEMA_VERSION: ClassVar[int] = 1

    assigned_event_id: uuid.UUID = Field(description='被指派事件 — Event id of the approval result being assigned.')
    assigned_event_type: str = Field(description='被指派事件类型 — Its event type (ApprovalResult).')
    assigned_to: list[str] = Field(description='指派对象 — Party ids of the departments that are to supervise the case.')
    assigned_by: str = Field(description='指派人 — Person or system at the oversight office who made the assignment (a name or role, not personal data).')
    original_value: bytes = Field(description="原消息体 — The assigned event's bytes exactly as the approval bureau published them, so the department receives the original (may hold personal data).")
    reason: str | None = Field(default=None, description='指派理由 — Why this department, e.g. the matter is missing from the catalogue.')


class CaseTransfer(Event):
    """案件移送 — A department hands a violation outside its remit to another (F10; 营口 第二十条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.CaseTransfer'
    SCHEMA_VERSION: ClassVar[int] = 1

    transfer_number: str = Field(description='移送编号 — Number of the transfer letter.')
    receiving_party: str = Field(description='受移送单位 — Party id asked to decide on acceptance.')
    subject: Licensee = Field(description='当事人 — The party suspected of the violation.')
    facts: str = Field(description='违法事实 — Suspected violation, as found.')
    discovered_on: datetime.date = Field(description='发现日期 — Day the violation was found.')
    legal_basis: list[LegalBasis] = Field(description='法律依据 — Legal basis: the provisions the decision rests on.')
    approval_case_key: str | None = Field(default=None, description='审批案件键 — Case key of the related approval result, if any.')
    evidence: list[Attachment] = Field(default_factory=list, description='调查取证材料 — Investigation and evidence materials, by reference.')


class CaseTransferDecision(Event):
    """移送受理决定 — Whether the receiving department accepts a transferred case, and later its outcome (F10; 营口 第二十条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.CaseTransferDecision'
    SCHEMA_VERSION: ClassVar[int] = 1

    transfer_event_id: uuid.UUID = Field(description='移送事件编号 — CaseTransfer answered.')
    acceptance: TransferAcceptance = Field(description='受理决定 — Accepted or not.')
    decided_on: datetime.date = Field(description='决定日期 — Day of the decision.')
    reasons: str = Field(description='理由 — Reasons.')
    case_filed: bool = Field(default=False, description='已立案 — Whether a case was opened for investigation.')
    case_number: str | None = Field(default=None, description='案件编号 — Number of the case opened.')
    outcome: str | None = Field(default=None, description='处理结果 — Outcome of the case, once known.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class Claim(Event):
    """认领 — A party confirms receipt of an event it must act on (F2, F4, F6; 安丘 第十八条(一), 营口 第十七条 签收)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.Claim'
    SCHEMA_VERSION: ClassVar[int] = 3

    claimed_event_id: uuid.UUID = Field(description='被认领事件编号 — Event id of the event claimed.')
    claimed_event_type: str = Field(description='被认领事件类型 — Record name of the event claimed, e.g. ApprovalResult, SupervisionAction, VerificationTask.')
    mode: ClaimMode = Field(description="认领方式 — Manual, by the department's own system on receipt, on delivery where the policy counts the push as the claim, or automatic at expiry.")
    claimed_by: str = Field(description='认领方 — Party id that claims (for automatic claims: on whose behalf).')
    officer: ContactPerson | None = Field(default=None, description='经办人 — Officer who claimed; null for automatic, integrated and on-delivery claims.')
    claimed_at: UtcMillis = Field(description='认领时间 — When the claim was made, UTC.')
    note: str | None = Field(default=None, description='备注 — Remarks.')


class ConsultationLetter(Event):
    """函询 — A written question from one party to another (F8; 安丘 第二十三条, 淄川 三(一)3)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ConsultationLetter'
    SCHEMA_VERSION: ClassVar[int] = 1

    topic: ConsultationTopic = Field(description='函询类别 — Plan, policy, approval standard…')
    subject: str = Field(description='主题 — Subject line.')
    questions: list[str] = Field(description='问题 — The questions, one per item.')
    reply_requested_by: UtcMillis | None = Field(default=None, description='答复期限 — When an answer is requested, UTC; null = policy default.')
    silence_is_consent: bool = Field(default=True, description='逾期视为同意 — Whether no reply in time counts as consent (安丘 第二十三条).')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class ConsultationReply(Event):
    """函询答复 — Answer to a consultation letter, or the consent deemed at expiry (F8)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ConsultationReply'
    SCHEMA_VERSION: ClassVar[int] = 1

    letter_event_id: uuid.UUID = Field(description='函询事件编号 — ConsultationLetter answered.')
    position: ConsultationPosition = Field(description='答复意见 — Agree, agree with comments, disagree.')
    deemed: bool = Field(default=False, description='视为同意 — True when no reply came in time and consent is deemed (安丘 第二十三条); see DeemedConsent.')
    reply: str | None = Field(default=None, description='答复内容 — The reply text; null when deemed.')
    officer: ContactPerson | None = Field(default=None, description='经办人 — Officer who answered.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class DeadLetter(Event):
    """死信 — A message the bus could not accept, kept with the reason."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.DeadLetter'
    SCHEMA_VERSION: ClassVar[int] = 1

    reason_code: DeadLetterReason = Field(description='拒收原因 — Machine-readable reason.')
    reason: str = Field(description='原因说明 — Readable reason; never contains personal data.')
    original_topic: str = Field(description='原主题 — Topic the message was read from.')
    original_partition: Int32 = Field(description='原分区 — Partition it was read from.')
    original_offset: Int64 = Field(description='原偏移量 — Offset it was read at.')
    original_key: bytes | None = Field(default=None, description='原消息键 — Key bytes as received.')
    original_value: bytes | None = Field(default=None, description='原消息体 — Value bytes as received (may hold personal data).')
    original_headers: list[KafkaHeader] = Field(default_factory=list, description='原消息头 — Headers as received.')
    failed_at: UtcMillis = Field(description='拒收时间 — When the bus refused it, UTC.')
    service: str = Field(description='处理服务 — Service that refused it, e.g. router.')


class DeemedConsent(Event):
    """视为同意 — No reply to a consultation in time: consent is deemed (安丘 第二十三条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.DeemedConsent'
    SCHEMA_VERSION: ClassVar[int] = 1

    obligation: ObligationRef = Field(description='待办义务 — The reply obligation.')
    letter_event_id: uuid.UUID = Field(description='函询事件编号 — ConsultationLetter concerned.')
    deemed_at: UtcMillis = Field(description='视为同意时间 — When consent was deemed, UTC.')


class DisputeRuling(Event):
    """争议裁定 — The oversight office decides a dispute of responsibility by assigning the item: back to the disputing department (its clock restarts) or to another (which gets its own claim obligation)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.DisputeRuling'
    SCHEMA_VERSION: ClassVar[int] = 1

    dispute_event_id: uuid.UUID = Field(description='争议事件编号 — ResponsibilityDispute decided.')
    item_event_id: uuid.UUID = Field(description='事项事件编号 — Event id of the item disputed, as the disputing department received it (ResponsibilityDispute.item_event_id).')
    item_event_type: str = Field(description='事项事件类型 — Record name of that event, e.g. ApprovalResult, ItemTransfer.')
    disputed_by: str = Field(description='争议提出方 — Party id of the department that raised the dispute.')
    assigned_to: str = Field(description='承办单位 — Party id of the department that is to handle the item.')
    reason: str = Field(description='裁定理由 — Grounds of the decision.')
    decided_by: str = Field(description='裁定人 — Person or role at the oversight office who decided (a role, not personal data).')
    decided_at: UtcMillis = Field(description='裁定时间 — When the dispute was decided, UTC.')


class Escalation(Event):
    """上报 — An obligation escalated to the oversight office (营口 第二十一条, 安康 第七条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.Escalation'
    SCHEMA_VERSION: ClassVar[int] = 1

    obligation: ObligationRef = Field(description='待办义务 — The obligation.')
    escalated_to: str = Field(description='上报对象 — Party id escalated to.')
    level: Int32 = Field(description='上报层级 — 1 for the first escalation, then 2, 3…')
    reason: str = Field(description='上报原因 — Why.')


class ItemTransfer(Event):
    """转办 — A department passes an item it received, and its claim obligation, to another department, with a reason; its own claim obligation ends as transferred (not a breach), the receiver's is counted from the transfer."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ItemTransfer'
    SCHEMA_VERSION: ClassVar[int] = 1

    item_event_id: uuid.UUID = Field(description='事项事件编号 — Event id of the item as this party received it: the approval result, supervision action or verification task itself, or the ItemTransfer or DisputeRuling that passed it on.')
    item_event_type: str = Field(description='事项事件类型 — Record name of that event, e.g. ApprovalResult, ItemTransfer.')
    transferred_to: str = Field(description='转办对象 — Party id of the department that receives the item.')
    reason: str = Field(description='转办理由 — Why the item belongs to the receiver.')
    officer: ContactPerson | None = Field(default=None, description='经办人 — Officer who acted.')
    transferred_at: UtcMillis = Field(description='转办时间 — When the item was passed on, UTC.')


class LicenceChangeDecision(Event):
    """许可变动决定 — The approval bureau's decision on a licence change, fed back to the department (F5; 营口 第十九条, 安康 第九条(六))."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.LicenceChangeDecision'
    SCHEMA_VERSION: ClassVar[int] = 1

    request_event_id: uuid.UUID | None = Field(default=None, description='申请事件编号 — LicenceChangeRequest answered; null if on own motion.')
    action: LicenceChangeAction = Field(description='变动事项 — Change decided.')
    outcome: ChangeDecisionOutcome = Field(description='处理结论 — Approved, partly approved or rejected.')
    approval_case_key: str = Field(description='审批案件键 — Case key of the licence decision concerned.')
    document_title: str = Field(description='决定文书名称 — Title of the decision document.')
    document_number: str = Field(description='决定文书号 — Number of the decision document.')
    decision_date: datetime.date = Field(description='决定日期 — Date of the decision.')
    reasons: str = Field(description='理由 — Reasons for the decision.')
    legal_basis: list[LegalBasis] = Field(description='法律依据 — Legal basis: the provisions the decision rests on.')
    licensee_notified: bool = Field(default=False, description='已函告申请人 — Whether the licensee was informed (函告原申请人).')
    licensee_notified_on: datetime.date | None = Field(default=None, description='函告日期 — Day the licensee was informed.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class LicenceChangeRequest(Event):
    """许可变动申请 — A department asks the approval bureau to change, withdraw, rescind or cancel a licence (F5; 安丘 第十九条, 营口 第十九条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.LicenceChangeRequest'
    SCHEMA_VERSION: ClassVar[int] = 1

    action: LicenceChangeAction = Field(description='申请事项 — Change requested.')
    approval_case_key: str = Field(description='审批案件键 — Case key of the licence decision concerned.')
    licence_number: str | None = Field(default=None, description='许可编号 — Licence concerned, if a certificate exists.')
    licensee: Licensee = Field(description='行政相对人 — The licensee.')
    reasons: str = Field(description='理由 — Reasons for the request.')
    legal_basis: list[LegalBasis] = Field(description='法律依据 — Legal basis: the provisions the decision rests on.')
    investigation_closed_on: datetime.date | None = Field(default=None, description='调查终结日期 — Day the investigation ended (安丘 第十九条).')
    supervision_event_id: uuid.UUID | None = Field(default=None, description='监管信息事件编号 — SupervisionAction event that led to this.')
    evidence: list[Attachment] = Field(default_factory=list, description='调查证明材料 — Evidence supporting the request, by reference.')


class MeetingAgenda(Event):
    """会商议程 — Agenda of a coordination meeting, sent 3 WD ahead (F11; 威海 一(五))."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.MeetingAgenda'
    SCHEMA_VERSION: ClassVar[int] = 1

    meeting_id: str = Field(description='会议编号 — Id of the meeting; minutes refer to it.')
    title: str = Field(description='会议名称 — Title.')
    starts_at: UtcMillis = Field(description='开始时间 — Start, UTC.')
    location: str = Field(description='地点 — Meeting room or video link.')
    convener: str = Field(description='召集单位 — Party id convening.')
    invitees: list[str] = Field(description='参会单位 — Party ids invited.')
    items: list[AgendaItem] = Field(description='议题 — Items to discuss.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class MeetingMinutes(Event):
    """会议纪要 — Minutes of a coordination meeting, due 3 WD after it (F11; 威海 一(六))."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.MeetingMinutes'
    SCHEMA_VERSION: ClassVar[int] = 1

    meeting_id: str = Field(description='会议编号 — Id of the meeting.')
    agenda_event_id: uuid.UUID | None = Field(default=None, description='议程事件编号 — MeetingAgenda of the meeting, if one was sent.')
    held_at: UtcMillis = Field(description='召开时间 — When it started, UTC.')
    attendees: list[str] = Field(description='出席单位 — Party ids that attended.')
    decisions: list[str] = Field(default_factory=list, description='议定结论 — What was agreed, one per item.')
    action_items: list[ActionItem] = Field(default_factory=list, description='议定事项 — Tasks agreed, with owner and due date.')
    recorder: ContactPerson | None = Field(default=None, description='记录人 — Who took the minutes.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class ObligationBreach(Event):
    """逾期违约 — An obligation passed its deadline unanswered."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ObligationBreach'
    SCHEMA_VERSION: ClassVar[int] = 1

    obligation: ObligationRef = Field(description='待办义务 — The obligation.')
    breached_at: UtcMillis = Field(description='违约时间 — When the deadline passed, UTC.')
    reported_to: list[str] = Field(default_factory=list, description='报告对象 — Party ids informed (e.g. the oversight office).')


class ObligationReminder(Event):
    """到期提醒 — The watchdog reminds a debtor before an obligation expires."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ObligationReminder'
    SCHEMA_VERSION: ClassVar[int] = 1

    obligation: ObligationRef = Field(description='待办义务 — The obligation.')
    working_days_left: Int32 = Field(description='剩余工作日 — Working days left until the deadline.')
    message: str | None = Field(default=None, description='提示信息 — Text shown to the debtor (安丘 第十八条: 发送提示信息).')


class PolicyChangeNotice(Event):
    """政策调整告知 — Notice of a change of law, policy, plan or standard (F9; 淄川 三(二)2, 威海 二(一), 安康 第九条(七))."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.PolicyChangeNotice'
    SCHEMA_VERSION: ClassVar[int] = 1

    kind: PolicyChangeKind = Field(description='调整类别 — Law, policy, plan, standard, matter catalogue…')
    title: str = Field(description='文件名称 — Title of the document.')
    document_number: str | None = Field(default=None, description='文号 — Document number.')
    issued_by: Organisation = Field(description='发布机关 — Issuing authority.')
    issued_on: datetime.date | None = Field(default=None, description='发布日期 — Day of issue.')
    effective_on: datetime.date | None = Field(default=None, description='施行日期 — Day it takes effect.')
    summary: str = Field(description='主要内容 — What changes for the recipient.')
    affected_matters: list[Matter] = Field(default_factory=list, description='涉及事项 — Matters affected.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class PolicyChangeReceipt(Event):
    """政策调整回执 — Acknowledgement of a policy change notice (F9)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.PolicyChangeReceipt'
    SCHEMA_VERSION: ClassVar[int] = 1

    notice_event_id: uuid.UUID = Field(description='告知事件编号 — PolicyChangeNotice acknowledged.')
    received_at: UtcMillis = Field(description='接收时间 — When it was received, UTC.')
    officer: ContactPerson | None = Field(default=None, description='经办人 — Officer who acknowledged.')
    measures: str | None = Field(default=None, description='落实措施 — What the recipient will do about it.')


class RejectionNotice(Event):
    """拒收通知 — Tells the sending party that the bus refused one of its records: which one, why, and at which fields; carries no payload and no personal data, so the sender's system can react without reading the dead-letter topic."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.RejectionNotice'
    SCHEMA_VERSION: ClassVar[int] = 1

    refused_event_id: uuid.UUID | None = Field(default=None, description='被拒事件编号 — Event id of the refused event; null when its record could not be decoded.')
    refused_event_type: str | None = Field(default=None, description='被拒事件类型 — Event type of the refused event, e.g. ApprovalResult; null when unknown.')
    dead_letter_id: uuid.UUID = Field(description='死信编号 — Event id of the dead letter that keeps the refused record, to replay it.')
    reason_code: DeadLetterReason = Field(description='拒收原因 — Machine-readable reason.')
    reason: str = Field(description='原因说明 — Readable reason; never contains payload or personal data.')
    field_paths: list[str] = Field(default_factory=list, description='问题字段 — Paths of the fields that failed validation, e.g. licensee.uscc; empty for other reasons.')
    original_topic: str = Field(description="原主题 — Topic the refused record was read from (the sender's outbox).")
    original_partition: Int32 = Field(description='原分区 — Partition it was read from.')
    original_offset: Int64 = Field(description='原偏移量 — Offset it was read at.')


class ResponsibilityDispute(Event):
    """职责争议 — A department disputes that an item is its responsibility; the item goes to the oversight office's pool and the department's claim clock stops until the office rules (济南 2023 协同联动规定)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.ResponsibilityDispute'
    SCHEMA_VERSION: ClassVar[int] = 1

    item_event_id: uuid.UUID = Field(description='事项事件编号 — Event id of the item as this party received it: the approval result, supervision action or verification task itself, or the ItemTransfer or DisputeRuling that passed it on.')
    item_event_type: str = Field(description='事项事件类型 — Record name of that event, e.g. ApprovalResult, ItemTransfer.')
    reason: str = Field(description='争议理由 — Why the department holds the item is not its own.')
    proposed_party: str | None = Field(default=None, description='建议承办单位 — Party id the department believes responsible, if any.')
    officer: ContactPerson | None = Field(default=None, description='经办人 — Officer who acted.')
    disputed_at: UtcMillis = Field(description='提出争议时间 — When the dispute was raised, UTC.')


class SpecialReviewOpinion(Event):
    """特别程序意见 — A department's opinion or result on a technical step (F7)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.SpecialReviewOpinion'
    SCHEMA_VERSION: ClassVar[int] = 1

    request_event_id: uuid.UUID = Field(description='请求事件编号 — SpecialReviewRequest answered.')
    mode: SpecialReviewMode = Field(description='办理方式 — Mode of the request answered.')
    step: SpecialReviewStep = Field(description='环节 — Step answered.')
    conclusion: ReviewConclusion = Field(description='审查结论 — Approve, approve with conditions, disapprove.')
    opinion: str = Field(description='意见 — The opinion in full.')
    step_completed_on: datetime.date | None = Field(default=None, description='环节完成日期 — Day the step ended (joint steps: 2 WD from it).')
    reviewers: list[ContactPerson] = Field(default_factory=list, description='审查人员 — Experts or officers who gave the opinion.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class SpecialReviewRequest(Event):
    """特别程序请求 — The approval bureau asks a department to join, carry out or give an opinion on a technical step (F7; 威海 三(一), 安康 第十一–十四条, 安丘 第二十条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.SpecialReviewRequest'
    SCHEMA_VERSION: ClassVar[int] = 1

    mode: SpecialReviewMode = Field(description='办理方式 — Alone, joint, entrusted or opinion.')
    step: SpecialReviewStep = Field(description='环节 — Site inspection, expert review, testing…')
    matter: Matter = Field(description='事项 — The licensing matter.')
    application_number: str = Field(description='申请编号 — Number of the application under review.')
    applicant: Licensee = Field(description='申请人 — The applicant.')
    description: str = Field(description='环节说明 — What is to be done.')
    scheduled_on: datetime.date | None = Field(default=None, description='计划日期 — Planned day of the step (joint steps).')
    opinion_due_on: datetime.date | None = Field(default=None, description='意见时限 — Day by which the opinion is expected.')
    site_address: str | None = Field(default=None, description='现场地址 — Site of the inspection.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


class StatusReport(Event):
    """推送认领情况通报 — Periodic report of push and claim status to the oversight office (F12; 安丘 第十七条, 威海 四, 营口 第二十一条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.StatusReport'
    SCHEMA_VERSION: ClassVar[int] = 1

    period_start: datetime.date = Field(description='统计起始日 — First day of the period.')
    period_end: datetime.date = Field(description='统计截止日 — Last day of the period.')
    parties: list[PartyStatus] = Field(description='各单位情况 — Figures per party.')
    summary: str = Field(description='情况综述 — Summary and accountability remarks.')
    report: Attachment | None = Field(default=None, description='通报文件 — The full report, by reference.')


class SupervisionAction(Event):
    """监管信息 — Supervision information pushed by a department to the approval bureau (F3; 威海 三(五), 安丘 第十九条(二), 营口 第十九条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.SupervisionAction'
    SCHEMA_VERSION: ClassVar[int] = 1

    kind: SupervisionActionKind = Field(description='监管信息类别 — Penalty, suspension order, revocation, annual report…')
    decision_number: str = Field(description="决定文书号 — Number of the department's decision.")
    decision_date: datetime.date = Field(description="决定日期 — Date of the department's decision.")
    deciding_authority: Organisation = Field(description='作出决定机关 — Authority that decided.')
    subject: Licensee = Field(description='行政相对人 — The party the decision concerns.')
    licence_number: str | None = Field(default=None, description='许可编号 — Licence concerned, if any.')
    approval_case_key: str | None = Field(default=None, description='审批案件键 — Case key of the approval result concerned, if any.')
    result: str = Field(description='处理结果 — The result: what was decided.')
    licence_effect: LicenceEffect = Field(description='对许可的影响 — Effect on the licence.')
    legal_basis: list[LegalBasis] = Field(description='法律依据 — Legal basis: the provisions the decision rests on.')
    fine_amount_fen: Int64 | None = Field(default=None, description='罚没金额(分) — Fine and confiscation in fen (0.01 yuan), if any.')
    effective_from: datetime.date | None = Field(default=None, description='执行起始日 — First day the measure applies (e.g. suspension).')
    effective_until: datetime.date | None = Field(default=None, description='执行截止日 — Last day the measure applies.')
    evidence: list[Attachment] = Field(default_factory=list, description='证据材料 — Evidence and the decision document, by reference.')


class Urging(Event):
    """督办 — The oversight office urges a department on an overdue or at-risk item; recorded and counted in the 通报."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.Urging'
    SCHEMA_VERSION: ClassVar[int] = 1

    item_event_id: uuid.UUID = Field(description='事项事件编号 — Event id of the item as this party received it: the approval result, supervision action or verification task itself, or the ItemTransfer or DisputeRuling that passed it on.')
    item_event_type: str = Field(description='事项事件类型 — Record name of that event, e.g. ApprovalResult, ItemTransfer.')
    urged_party: str = Field(description='被督办单位 — Party id of the department urged.')
    obligation_id: str | None = Field(default=None, description='督办义务 — Id of the obligation urged on, as the watchdog gave it.')
    message: str = Field(description='督办意见 — What the department is asked to do, and by when.')
    urged_at: UtcMillis = Field(description='督办时间 — When the urging was issued, UTC.')


class VerificationResult(Event):
    """核查结果 — Result of an on-site commitment verification (F6; 安丘 第二十二条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.VerificationResult'
    SCHEMA_VERSION: ClassVar[int] = 1

    task_event_id: uuid.UUID = Field(description='核查任务事件编号 — VerificationTask answered.')
    outcome: VerificationOutcome = Field(description='核查结论 — Whether the commitment was kept.')
    verified_on: datetime.date = Field(description='核查日期 — Day of the verification.')
    inspectors: list[ContactPerson] = Field(default_factory=list, description='核查人员 — Inspectors who verified.')
    findings: str = Field(description='核查情况 — What was found.')
    follow_up: str | None = Field(default=None, description='后续处理 — Follow-up: rectification deadline, revocation, penalty.')
    credit_record_made: bool = Field(default=False, description='纳入信用记录 — Whether a false commitment was entered in the credit record.')
    evidence: list[Attachment] = Field(default_factory=list, description='核查材料 — Photos, records and reports, by reference.')


class VerificationTask(Event):
    """核查任务 — A commitment (告知承诺) pushed for on-site verification (F6; 安丘 第二十二条)."""

    AVRO_NAME: ClassVar[str] = 'sgbus.events.VerificationTask'
    SCHEMA_VERSION: ClassVar[int] = 1

    approval_event_id: uuid.UUID = Field(description='审批结果事件编号 — ApprovalResult made under the commitment.')
    matter: Matter = Field(description='事项 — The licensing matter.')
    licensee: Licensee = Field(description='行政相对人 — Who made the commitment.')
    commitments: list[str] = Field(description='承诺内容 — The promises to verify, one per item.')
    verification_standard: str = Field(description='核查标准 — What counts as fulfilled.')
    verify_by: datetime.date | None = Field(default=None, description='核查时限 — Date by which the verification is to be done.')
    site_address: str | None = Field(default=None, description='核查地址 — Where to verify.')
    attachments: list[Attachment] = Field(default_factory=list, description='附件 — Attachments, by reference; never inline.')


EVENT_CLASSES: dict[str, type[Event]] = {
    'ApprovalResult': ApprovalResult,
    'AutoClaim': AutoClaim,
    'CaseAssignment': CaseAssignment,
    'CaseTransfer': CaseTransfer,
    'CaseTransferDecision': CaseTransferDecision,
    'Claim': Claim,
    'ConsultationLetter': ConsultationLetter,
    'ConsultationReply': ConsultationReply,
    'DeadLetter': DeadLetter,
    'DeemedConsent': DeemedConsent,
    'DisputeRuling': DisputeRuling,
    'Escalation': Escalation,
    'ItemTransfer': ItemTransfer,
    'LicenceChangeDecision': LicenceChangeDecision,
    'LicenceChangeRequest': LicenceChangeRequest,
    'MeetingAgenda': MeetingAgenda,
    'MeetingMinutes': MeetingMinutes,
    'ObligationBreach': ObligationBreach,
    'ObligationReminder': ObligationReminder,
    'PolicyChangeNotice': PolicyChangeNotice,
    'PolicyChangeReceipt': PolicyChangeReceipt,
    'RejectionNotice': RejectionNotice,
    'ResponsibilityDispute': ResponsibilityDispute,
    'SpecialReviewOpinion': SpecialReviewOpinion,
    'SpecialReviewRequest': SpecialReviewRequest,
    'StatusReport': StatusReport,
    'SupervisionAction': SupervisionAction,
    'Urging': Urging,
    'VerificationResult': VerificationResult,
    'VerificationTask': VerificationTask,
}
