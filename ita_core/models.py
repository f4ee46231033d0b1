"""Database models (SQLAlchemy 2, typed). The schema is created and migrated by Alembic.

Scores are stored as whole hundredths in integer columns (``Score``) so that SQLite and
PostgreSQL hold exactly the same values and ranking queries compare integers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Score(TypeDecorator[Decimal]):
    """A score with two decimals, stored as an integer number of hundredths."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        hundredths = Decimal(value) * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"score {value} has more than two decimals")
        return int(hundredths)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-2)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime kept in UTC on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every model."""


class Agency(Base):
    """A government agency that is assessed (อบต., เทศบาล, กรม, ...)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64), index=True)
    province: Mapped[str] = mapped_column(String(128), index=True)
    district: Mapped[str | None] = mapped_column(String(128))
    # The agency's own analysis threshold (reports use 85, 90 or 95); None means the national 85.
    target: Mapped[Decimal | None] = mapped_column(Score)

    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="agency", cascade="all, delete-orphan", passive_deletes=True
    )


class Assessment(Base):
    """One agency's results for one fiscal year, with what was computed and what was reported."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("agency_id", "fiscal_year", name="uq_assessment_agency_year"),
        Index("ix_assessments_year_overall", "fiscal_year", "overall"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Computed from the indicator scores (None when the indicators are not all known).
    iit: Mapped[Decimal | None] = mapped_column(Score)
    eit: Mapped[Decimal | None] = mapped_column(Score)
    oit: Mapped[Decimal | None] = mapped_column(Score)
    overall: Mapped[Decimal | None] = mapped_column(Score)
    level: Mapped[str | None] = mapped_column(String(32))
    # EIT parts (2566 onward) are input data, used by the level rule.
    eit1: Mapped[Decimal | None] = mapped_column(Score)
    eit2: Mapped[Decimal | None] = mapped_column(Score)
    # As printed in the agency's report; compared with the computed values.
    reported_iit: Mapped[Decimal | None] = mapped_column(Score)
    reported_eit: Mapped[Decimal | None] = mapped_column(Score)
    reported_oit: Mapped[Decimal | None] = mapped_column(Score)
    reported_overall: Mapped[Decimal | None] = mapped_column(Score)
    reported_level: Mapped[str | None] = mapped_column(String(32))

    agency: Mapped[Agency] = relationship(back_populates="assessments")
    indicator_scores: Mapped[list[IndicatorScore]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="IndicatorScore.indicator"
    )
    sub_indicator_scores: Mapped[list[SubIndicatorScore]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SubIndicatorScore.code"
    )
    item_scores: Mapped[list[ItemScore]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ItemScore.code"
    )


class IndicatorScore(Base):
    """The score of one of the ten indicators."""

    __tablename__ = "indicator_scores"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    indicator: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    score: Mapped[Decimal] = mapped_column(Score)


class SubIndicatorScore(Base):
    """The score of a sub-indicator such as 9.2, when the report gives it."""

    __tablename__ = "sub_indicator_scores"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    score: Mapped[Decimal] = mapped_column(Score)


class ItemScore(Base):
    """The score of one assessment item (i1.., e1.., o1..)."""

    __tablename__ = "item_scores"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    score: Mapped[Decimal] = mapped_column(Score)


class LineUser(Base):
    """A LINE account that talks to the bot, linked to an agency and a role once registered."""

    __tablename__ = "line_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"), index=True)
    role: Mapped[str | None] = mapped_column(String(16))  # official / executive / staff
    unit: Mapped[str | None] = mapped_column(String(128))  # staff's unit, e.g. กองคลัง
    active: Mapped[bool] = mapped_column(default=True)  # False after unfollow: no more pushes
    followed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unfollowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency: Mapped[Agency | None] = relationship()


class RegistrationCode(Base):
    """A one-time code that links a LINE account to an agency and a role."""

    __tablename__ = "registration_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[str | None] = mapped_column(String(64))

    agency: Mapped[Agency] = relationship()


class WebhookEvent(Base):
    """A LINE webhook event, stored before it is handled so that each is handled exactly once."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)  # webhookEventId
    type: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str | None] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))  # group/room id, else the user id
    reply_token: Mapped[str | None] = mapped_column(String(255))
    timestamp_ms: Mapped[int | None] = mapped_column(BigInteger)
    redelivery: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/processing/done/failed
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)


class Conversation(Base):
    """The last question asked in a chat, so a message with only a year or indicator can continue it."""

    __tablename__ = "conversations"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    intent: Mapped[str | None] = mapped_column(String(32))
    slots: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    awaiting: Mapped[str | None] = mapped_column(String(64))  # e.g. "progress_note:12"
    awaiting_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A message to send to LINE; written in the same transaction as the work that produced it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # reply / push / multicast
    purpose: Mapped[str] = mapped_column(String(32), default="reply")  # reply / reminder / results / ...
    reply_token: Mapped[str | None] = mapped_column(String(255))
    recipients: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of LINE user ids
    messages: Mapped[str] = mapped_column(Text)  # JSON list of message objects
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)  # X-Line-Retry-Key (UUID)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_events.id", ondelete="SET NULL"))
    # When set, ``messages`` holds this renderer's input and is rendered just before the first send
    # (reminders: a national run queues ~25,000 pushes; rendering them is the sender's work).
    render: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/sending/sent/failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class Measure(Base):
    """An improvement measure (มาตรการ) an agency plans for a fiscal year, with its monitoring rhythm."""

    __tablename__ = "measures"
    __table_args__ = (
        # Also the index behind "measures of agency A (in year Y)": it starts with agency_id, fiscal_year.
        UniqueConstraint("agency_id", "fiscal_year", "code", name="uq_measure_agency_year_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str | None] = mapped_column(String(64))  # the optional measure_code of the import file
    indicators: Mapped[str] = mapped_column(String(32))  # "1,5": the indicators the measure addresses
    title: Mapped[str] = mapped_column(Text)
    steps: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of texts
    units: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of responsible units as written
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    period_text: Mapped[str | None] = mapped_column(String(255))  # as the report writes it
    monitoring: Mapped[str] = mapped_column(String(16))  # quarterly / half_yearly / year_end / explicit
    monitoring_text: Mapped[str | None] = mapped_column(String(255))  # e.g. ทุกไตรมาส, ปีละ ๒ ครั้ง
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / done (every checkpoint done)
    source: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    agency: Mapped[Agency] = relationship()
    checkpoints: Mapped[list[Checkpoint]] = relationship(
        back_populates="measure", cascade="all, delete-orphan", passive_deletes=True, order_by="Checkpoint.due_date"
    )
    notes: Mapped[list[ProgressNote]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ProgressNote.id"
    )


class Checkpoint(Base):
    """A date by which a measure's progress is due (a quarter end, the fiscal-year end, ...)."""

    __tablename__ = "checkpoints"
    __table_args__ = (
        UniqueConstraint("measure_id", "due_date", name="uq_checkpoint_measure_due"),
        # The reminder run asks for open checkpoints due in a date range, nationwide.
        Index("ix_checkpoints_status_due", "status", "due_date"),
        # ... and for snoozed ones, those whose snooze ends in that range.
        Index("ix_checkpoints_snoozed_until", "snoozed_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"))
    due_date: Mapped[date] = mapped_column()
    label: Mapped[str] = mapped_column(String(64))  # ไตรมาส 1/2569, สิ้นปีงบประมาณ 2569, ...
    status: Mapped[str] = mapped_column(String(8), default="open")  # open / done
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(128))  # LINE user id or name
    snoozed_until: Mapped[date | None] = mapped_column()  # no reminders before this day (เลื่อนเตือน)

    measure: Mapped[Measure] = relationship(back_populates="checkpoints")


class ProgressNote(Base):
    """What someone reported about a measure's progress, and when."""

    __tablename__ = "progress_notes"
    __table_args__ = (Index("ix_progress_notes_measure", "measure_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"))
    checkpoint_id: Mapped[int | None] = mapped_column(ForeignKey("checkpoints.id", ondelete="SET NULL"), index=True)
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)


class ReminderLog(Base):
    """A batch of reminders that went out: one agency, one date, one "days before" — sent once, ever."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("agency_id", "due_date", "offset_days", name="uq_reminder_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    due_date: Mapped[date] = mapped_column()  # the checkpoints' due date (or the day a snooze ends)
    offset_days: Mapped[int] = mapped_column()  # 7, 1, 0 days before; -1 for the end of a snooze
    sent_on: Mapped[date] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DataGeneration(Base):
    """A counter that goes up with every committed change to a group of tables (see ita_core.generation).

    ``results``: agencies and their results; ``measures``: measures, checkpoints, progress notes.
    Anything built only from one group (a chat answer about an agency's scores) stays valid for as
    long as its counter has not moved.
    """

    __tablename__ = "data_generation"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
