"""The library's tables as SQLAlchemy 2.0 models.

Only `repository` and the migrations use these; everything else sees `records`. A change here
needs a new Alembic revision in `migrations/versions` and a fixture DB of the released one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        dt.datetime: DateTime(timezone=False),
    }


asset_tags = Table(
    "asset_tags",
    Base.metadata,
    Column("asset_id", ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Asset(Base):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    """Name of the asset's folder; never changes, whatever the asset is renamed to."""
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    favourite: Mapped[bool] = mapped_column(default=False)
    source_type: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str | None] = mapped_column(String(64), index=True)
    """SHA-256 of the source image: generating from the same picture again adds a version."""
    engine: Mapped[str] = mapped_column(String(40), index=True)
    prompt: Mapped[str] = mapped_column(Text, default="")
    triangles: Mapped[int] = mapped_column(default=0, index=True)
    vertices: Mapped[int] = mapped_column(default=0)
    bounds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    height_m: Mapped[float] = mapped_column(Float, default=0.0)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", use_alter=True, ondelete="SET NULL")
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    """Set while the asset is in the trash."""
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Lower-cased name, prompt, tags and notes: one LIKE searches them all."""

    versions: Mapped[list[VersionRow]] = relationship(
        back_populates="asset",
        foreign_keys="VersionRow.asset_id",
        order_by="VersionRow.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    tags: Mapped[list[Tag]] = relationship(secondary=asset_tags, order_by="Tag.name")
    exports: Mapped[list[Export]] = relationship(
        back_populates="asset",
        order_by="Export.created_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (Index("ix_assets_created_at", "created_at"), Index("ix_assets_name", "name"))


class VersionRow(Base):
    """One version of an asset: how it was made and what came out. (Before revision 0004 the
    table was called "generations".)"""

    __tablename__ = "versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    created_at: Mapped[dt.datetime]
    engine: Mapped[str] = mapped_column(String(40))
    engine_version: Mapped[str] = mapped_column(String(40), default="")
    model_id: Mapped[str] = mapped_column(String(200), default="")
    model_version: Mapped[str] = mapped_column(String(40), default="")
    licence: Mapped[str] = mapped_column(String(200), default="")
    seed: Mapped[int | None]
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    device: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text, default="")
    source_name: Mapped[str] = mapped_column(String(260), default="")
    folder: Mapped[str] = mapped_column(String(80))
    """Relative to the library's asset folder: `<uid>/v<version>`."""
    triangles: Mapped[int] = mapped_column(default=0)
    vertices: Mapped[int] = mapped_column(default=0)
    owner: Mapped[str | None] = mapped_column(String(32), default=None)
    """Lease token of the process saving this version (status "saving"); see `leases`."""

    asset: Mapped[Asset] = relationship(back_populates="versions", foreign_keys=[asset_id])
    lods: Mapped[list[LodRow]] = relationship(
        order_by="LodRow.level", cascade="all, delete-orphan", passive_deletes=True
    )


class LodRow(Base):
    __tablename__ = "lods"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    level: Mapped[int]
    triangles: Mapped[int]
    vertices: Mapped[int]
    error_pct: Mapped[float]


class Export(Base):
    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    engine: Mapped[str] = mapped_column(String(40))
    target_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]

    asset: Mapped[Asset] = relationship(back_populates="exports")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60, collation="NOCASE"), unique=True)
