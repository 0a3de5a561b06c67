"""Initial library schema (the first release): assets, versions, LODs, exports, tags.

Revision ID: 0001
Revises: (none, the first release)
Create Date: 2026-11-21 07:55:59.218331
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("favourite", sa.Boolean(), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=True),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("triangles", sa.Integer(), nullable=False),
        sa.Column("vertices", sa.Integer(), nullable=False),
        sa.Column("bounds", sa.JSON(), nullable=False),
        sa.Column("height_m", sa.Float(), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["current_version_id"], ["generations.id"], ondelete="SET NULL", use_alter=True
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index("ix_assets_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_deleted_at"), ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_engine"), ["engine"], unique=False)
        batch_op.create_index("ix_assets_name", ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_source_key"), ["source_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_triangles"), ["triangles"], unique=False)

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60, collation="NOCASE"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "asset_tags",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id", "tag_id"),
    )
    with op.batch_alter_table("asset_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "generations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("engine_version", sa.String(length=40), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("licence", sa.String(length=200), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("device", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("source_name", sa.String(length=260), nullable=False),
        sa.Column("folder", sa.String(length=80), nullable=False),
        sa.Column("triangles", sa.Integer(), nullable=False),
        sa.Column("vertices", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_generations_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("generation_id", sa.Integer(), nullable=True),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("target_path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exports_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "lods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("triangles", sa.Integer(), nullable=False),
        sa.Column("vertices", sa.Integer(), nullable=False),
        sa.Column("error_pct", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["generation_id"], ["generations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lods_generation_id"), ["generation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lods_generation_id"))

    op.drop_table("lods")
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exports_asset_id"))

    op.drop_table("exports")
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_generations_asset_id"))

    op.drop_table("generations")
    with op.batch_alter_table("asset_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_tags_tag_id"))

    op.drop_table("asset_tags")
    op.drop_table("tags")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assets_triangles"))
        batch_op.drop_index(batch_op.f("ix_assets_status"))
        batch_op.drop_index(batch_op.f("ix_assets_source_key"))
        batch_op.drop_index("ix_assets_name")
        batch_op.drop_index(batch_op.f("ix_assets_engine"))
        batch_op.drop_index(batch_op.f("ix_assets_deleted_at"))
        batch_op.drop_index("ix_assets_created_at")

    op.drop_table("assets")
