"""Rule-set levels in the store: ``ruleset.area`` nullable, ``level`` and ``extends`` columns.

A national level judges no area of its own; before this revision it was stored with
area ``""`` (the column was NOT NULL). Now it is NULL. ``level`` (``nasional``,
``provinsi``, ``kota``: the rule-set file's ``level``, default ``kota``) and
``extends`` (the parent rule set's id) are filled for existing rows from the YAML text
of each rule set's newest version, read with ``yaml.safe_load`` here so this revision
never changes with geozones' own rule model. The downgrade stores ``""`` again and drops
both columns.

SQLite rebuilds ``ruleset`` in batch mode (Alembic cookbook); env.py turns foreign-key
enforcement off around the migration there, because rebuilding a table that others
reference is otherwise refused.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 20:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
import yaml
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

#: A rule-set file without ``level`` is a kota level (geozones.rules.model.RuleSet's default).
DEFAULT_LEVEL = "kota"
LEVELS = ("nasional", "provinsi", "kota")

_ruleset = sa.table("ruleset", sa.column("id", sa.String), sa.column("area", sa.String),
                    sa.column("level", sa.String), sa.column("extends", sa.String))
_version = sa.table("ruleset_version", sa.column("id", sa.Integer), sa.column("ruleset_id", sa.String),
                    sa.column("yaml_text", sa.Text))


def _level_of(text: str | None) -> tuple[str, str | None]:
    """``(level, extends)`` as a stored YAML text states them (the model's default when it does not)."""
    try:
        data = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        return DEFAULT_LEVEL, None
    level = data.get("level")
    parent = data.get("extends")
    return (level if level in LEVELS else DEFAULT_LEVEL), (parent if isinstance(parent, str) and parent else None)


def upgrade() -> None:
    with op.batch_alter_table('ruleset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('extends', sa.String(length=120), nullable=True))
        batch_op.alter_column('area', existing_type=sa.String(length=120), nullable=True)

    bind = op.get_bind()
    bind.execute(_ruleset.update().where(_ruleset.c.area == "").values(area=None))
    newest = (sa.select(_version.c.ruleset_id, sa.func.max(_version.c.id).label("id"))
              .group_by(_version.c.ruleset_id).subquery())
    texts = dict(bind.execute(sa.select(_version.c.ruleset_id, _version.c.yaml_text)
                              .join(newest, newest.c.id == _version.c.id)).all())
    for rid in bind.execute(sa.select(_ruleset.c.id)).scalars().all():
        level, parent = _level_of(texts.get(rid))
        bind.execute(_ruleset.update().where(_ruleset.c.id == rid).values(level=level, extends=parent))

    with op.batch_alter_table('ruleset', schema=None) as batch_op:
        batch_op.alter_column('level', existing_type=sa.String(length=20), nullable=False)
        batch_op.create_index(batch_op.f('ix_ruleset_extends'), ['extends'], unique=False)


def downgrade() -> None:
    op.get_bind().execute(_ruleset.update().where(_ruleset.c.area.is_(None)).values(area=""))
    with op.batch_alter_table('ruleset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ruleset_extends'))
        batch_op.alter_column('area', existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_column('extends')
        batch_op.drop_column('level')
