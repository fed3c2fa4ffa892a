"""Bawaslu workspace: reports, sealed reporter identities, photos, cases, clocks, history, sweeps.

Case history (``case_event``), sweeps, sealed identities and report photos are
append-only, guarded by triggers as in 0002 (the PostgreSQL function
``geozones_append_only`` comes from 0002).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 18:17:10.818908
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import geozones.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


APPEND_ONLY = ("case_event", "sweep", "reporter_identity", "report_photo")


def upgrade() -> None:
    op.create_table('report',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('apk_type', sa.String(length=60), nullable=True),
    sa.Column('paslon', sa.String(length=60), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('geom', geozones.store.types.WKBGeometry(), nullable=False),
    sa.Column('minx', sa.Float(), nullable=False),
    sa.Column('miny', sa.Float(), nullable=False),
    sa.Column('maxx', sa.Float(), nullable=False),
    sa.Column('maxy', sa.Float(), nullable=False),
    sa.Column('observed_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('known_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('intake_notes', sa.JSON(), nullable=False),
    sa.Column('suggested_verdict', sa.String(length=40), nullable=True),
    sa.Column('suggested_rule_ids', sa.Text(), nullable=True),
    sa.Column('suggested_reasons_id', sa.Text(), nullable=True),
    sa.Column('suggested_reasons_en', sa.Text(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('kelurahan', sa.String(length=120), nullable=True),
    sa.Column('kecamatan', sa.String(length=120), nullable=True),
    sa.Column('kode_kemendagri', sa.String(length=40), nullable=True),
    sa.Column('nearest_name', sa.Text(), nullable=True),
    sa.Column('nearest_layer', sa.String(length=60), nullable=True),
    sa.Column('nearest_m', sa.Float(), nullable=True),
    sa.Column('ruleset_id', sa.String(length=120), nullable=True),
    sa.Column('ruleset_version', sa.String(length=60), nullable=True),
    sa.Column('ruleset_origin', sa.String(length=20), nullable=True),
    sa.Column('data_digests', sa.JSON(), nullable=False),
    sa.Column('classified_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('verdict', sa.String(length=40), nullable=True),
    sa.Column('rule_ids', sa.Text(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('duplicate_of', sa.Integer(), nullable=True),
    sa.Column('created_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['duplicate_of'], ['report.id'], name=op.f('fk_report_duplicate_of_report')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report'))
    )
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_duplicate_of'), ['duplicate_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_kecamatan'), ['kecamatan'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_kelurahan'), ['kelurahan'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_minx_maxx_miny_maxy'), ['minx', 'maxx', 'miny', 'maxy'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_paslon'), ['paslon'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_source'), ['source'], unique=False)

    op.create_table('sweep',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kecamatan', sa.String(length=120), nullable=False),
    sa.Column('swept_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweep'))
    )
    with op.batch_alter_table('sweep', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sweep_kecamatan'), ['kecamatan'], unique=False)

    op.create_table('bawaslu_case',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('policy_id', sa.String(length=60), nullable=False),
    sa.Column('policy_version', sa.String(length=30), nullable=False),
    sa.Column('known_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('arrived_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('received_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('next_deadline', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('assigned_to', sa.String(length=200), nullable=True),
    sa.Column('lock_holder', sa.String(length=200), nullable=True),
    sa.Column('locked_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('opened_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('opened_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_bawaslu_case_report_id_report')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bawaslu_case')),
    sa.UniqueConstraint('report_id', name=op.f('uq_bawaslu_case_report_id'))
    )
    with op.batch_alter_table('bawaslu_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bawaslu_case_next_deadline'), ['next_deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_bawaslu_case_state'), ['state'], unique=False)

    op.create_table('report_photo',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('media_sha256', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('taken_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('added_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['media_sha256'], ['media.sha256'], name=op.f('fk_report_photo_media_sha256_media')),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_report_photo_report_id_report')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_photo')),
    sa.UniqueConstraint('report_id', 'media_sha256', name=op.f('uq_report_photo_report_id_media_sha256'))
    )
    with op.batch_alter_table('report_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_photo_report_id'), ['report_id'], unique=False)

    op.create_table('reporter_identity',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_reporter_identity_report_id_report')),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_reporter_identity'))
    )
    op.create_table('case_clock',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.String(length=60), nullable=False),
    sa.Column('policy_id', sa.String(length=60), nullable=False),
    sa.Column('policy_version', sa.String(length=30), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('duration', sa.Integer(), nullable=False),
    sa.Column('start_event', sa.String(length=30), nullable=False),
    sa.Column('started_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('deadline', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('policy_deadline', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('extended_deadline', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('calendar', sa.Text(), nullable=True),
    sa.Column('stopped_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('stop_event', sa.String(length=30), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['bawaslu_case.id'], name=op.f('fk_case_clock_case_id_bawaslu_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_clock')),
    sa.UniqueConstraint('case_id', 'clock_id', name=op.f('uq_case_clock_case_id_clock_id'))
    )
    with op.batch_alter_table('case_clock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_clock_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_clock_deadline'), ['deadline'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=True),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['bawaslu_case.id'], name=op.f('fk_case_event_case_id_bawaslu_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event')),
    sa.UniqueConstraint('case_id', 'seq', name=op.f('uq_case_event_case_id_seq'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)


    _guards_up()


def downgrade() -> None:
    _guards_down()
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    with op.batch_alter_table('case_clock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_clock_deadline'))
        batch_op.drop_index(batch_op.f('ix_case_clock_case_id'))

    op.drop_table('case_clock')
    op.drop_table('reporter_identity')
    with op.batch_alter_table('report_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_photo_report_id'))

    op.drop_table('report_photo')
    with op.batch_alter_table('bawaslu_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bawaslu_case_state'))
        batch_op.drop_index(batch_op.f('ix_bawaslu_case_next_deadline'))

    op.drop_table('bawaslu_case')
    with op.batch_alter_table('sweep', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sweep_kecamatan'))

    op.drop_table('sweep')
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_source'))
        batch_op.drop_index(batch_op.f('ix_report_paslon'))
        batch_op.drop_index(batch_op.f('ix_report_minx_maxx_miny_maxy'))
        batch_op.drop_index(batch_op.f('ix_report_kelurahan'))
        batch_op.drop_index(batch_op.f('ix_report_kecamatan'))
        batch_op.drop_index(batch_op.f('ix_report_duplicate_of'))

    op.drop_table('report')


def _guards_up() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION geozones_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION geozones_append_only()")
        return
    for table in APPEND_ONLY:
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {what} refused'); END")


def _guards_down() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        return
    for table in APPEND_ONLY:
        for what in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{what}")
