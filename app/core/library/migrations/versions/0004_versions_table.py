"""An asset's versions live in the table `versions` (it was `generations`: "generation" is the
pipeline, a version is what it makes), and `lods` and `exports` point at them by `version_id`.
Only names change: rows, keys and foreign keys are kept (SQLite renames the references).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rename(table=("generations", "versions"), column=("generation_id", "version_id"))


def downgrade() -> None:
    _rename(table=("versions", "generations"), column=("version_id", "generation_id"))


def _rename(table: tuple[str, str], column: tuple[str, str]) -> None:
    """Rename the versions table and the columns that point at it, with their indexes."""
    (old_table, new_table), (old_column, new_column) = table, column
    op.drop_index(f"ix_{old_table}_asset_id", table_name=old_table)
    op.drop_index(f"ix_lods_{old_column}", table_name="lods")
    op.execute(f"ALTER TABLE {old_table} RENAME TO {new_table}")
    for child in ("lods", "exports"):
        op.execute(f"ALTER TABLE {child} RENAME COLUMN {old_column} TO {new_column}")
    op.create_index(f"ix_{new_table}_asset_id", new_table, ["asset_id"])
    op.create_index(f"ix_lods_{new_column}", "lods", [new_column])
