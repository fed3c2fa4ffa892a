"""Initial store: rule sets, zones, grants, media, accounts, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-30 17:16:44.395922
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import geozones.store.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('sso', sa.Boolean(), nullable=False),
    sa.Column('sso_issuer', sa.Text(), nullable=True),
    sa.Column('sso_subject', sa.Text(), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('name', name=op.f('uq_account_name'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_email'), ['email'], unique=False)

    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity_type', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_event_prev_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_entity_type'), ['entity_type'], unique=False)

    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempt_name'), ['name'], unique=False)

    op.create_table('media',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('mime', sa.String(length=120), nullable=False),
    sa.Column('filename', sa.Text(), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=200), nullable=False),
    sa.Column('uploaded_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_media'))
    )
    op.create_table('ruleset',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('area', sa.String(length=120), nullable=False),
    sa.Column('title_id', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('jurisdiction', sa.JSON(), nullable=False),
    sa.Column('created_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ruleset'))
    )
    with op.batch_alter_table('ruleset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ruleset_area'), ['area'], unique=False)

    op.create_table('diskresi_grant',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ruleset_id', sa.String(length=120), nullable=False),
    sa.Column('grant_id', sa.String(length=120), nullable=False),
    sa.Column('lifts', sa.JSON(), nullable=False),
    sa.Column('place', sa.JSON(), nullable=False),
    sa.Column('window_start', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('window_end', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('granted_by', sa.String(length=200), nullable=True),
    sa.Column('addressee', sa.String(length=200), nullable=True),
    sa.Column('conditions', sa.JSON(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('attachment_sha256', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attachment_sha256'], ['media.sha256'], name=op.f('fk_diskresi_grant_attachment_sha256_media')),
    sa.ForeignKeyConstraint(['ruleset_id'], ['ruleset.id'], name=op.f('fk_diskresi_grant_ruleset_id_ruleset')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diskresi_grant')),
    sa.UniqueConstraint('ruleset_id', 'grant_id', name=op.f('uq_diskresi_grant_ruleset_id_grant_id'))
    )
    with op.batch_alter_table('diskresi_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diskresi_grant_ruleset_id'), ['ruleset_id'], unique=False)

    op.create_table('login_session',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_login_session_account_id_account')),
    sa.PrimaryKeyConstraint('token_sha256', name=op.f('pk_login_session'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_account_id'), ['account_id'], unique=False)

    op.create_table('role_grant',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=120), nullable=True),
    sa.Column('granted_by', sa.String(length=200), nullable=False),
    sa.Column('granted_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.Column('revoked_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_role_grant_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grant'))
    )
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grant_account_id'), ['account_id'], unique=False)

    op.create_table('ruleset_version',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ruleset_id', sa.String(length=120), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('yaml_text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('decree_no', sa.String(length=200), nullable=True),
    sa.Column('decree_signed_on', sa.Date(), nullable=True),
    sa.Column('decree_pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('effective_from', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('effective_to', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('published_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('superseded_at', geozones.store.types.UTCDateTime(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('publisher', sa.String(length=200), nullable=True),
    sa.Column('created_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', geozones.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['ruleset_version.id'], name=op.f('fk_ruleset_version_parent_id_ruleset_version')),
    sa.ForeignKeyConstraint(['ruleset_id'], ['ruleset.id'], name=op.f('fk_ruleset_version_ruleset_id_ruleset')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ruleset_version')),
    sa.UniqueConstraint('ruleset_id', 'version', name=op.f('uq_ruleset_version_ruleset_id_version'))
    )
    with op.batch_alter_table('ruleset_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ruleset_version_ruleset_id'), ['ruleset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ruleset_version_status'), ['status'], unique=False)

    op.create_table('zone_feature',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.String(length=120), nullable=False),
    sa.Column('rule_id', sa.String(length=120), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('props', sa.JSON(), nullable=False),
    sa.Column('geom', geozones.store.types.WKBGeometry(), nullable=False),
    sa.Column('minx', sa.Float(), nullable=False),
    sa.Column('miny', sa.Float(), nullable=False),
    sa.Column('maxx', sa.Float(), nullable=False),
    sa.Column('maxy', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['ruleset_version.id'], name=op.f('fk_zone_feature_version_id_ruleset_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone_feature')),
    sa.UniqueConstraint('version_id', 'zone_id', name=op.f('uq_zone_feature_version_id_zone_id'))
    )
    with op.batch_alter_table('zone_feature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zone_feature_minx_maxx_miny_maxy'), ['minx', 'maxx', 'miny', 'maxy'], unique=False)
        batch_op.create_index(batch_op.f('ix_zone_feature_version_id'), ['version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zone_feature_zone_id'), ['zone_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('zone_feature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zone_feature_zone_id'))
        batch_op.drop_index(batch_op.f('ix_zone_feature_version_id'))
        batch_op.drop_index(batch_op.f('ix_zone_feature_minx_maxx_miny_maxy'))

    op.drop_table('zone_feature')
    with op.batch_alter_table('ruleset_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ruleset_version_status'))
        batch_op.drop_index(batch_op.f('ix_ruleset_version_ruleset_id'))

    op.drop_table('ruleset_version')
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grant_account_id'))

    op.drop_table('role_grant')
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_account_id'))

    op.drop_table('login_session')
    with op.batch_alter_table('diskresi_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diskresi_grant_ruleset_id'))

    op.drop_table('diskresi_grant')
    with op.batch_alter_table('ruleset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ruleset_area'))

    op.drop_table('ruleset')
    op.drop_table('media')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_name'))

    op.drop_table('login_attempt')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_entity_type'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor'))

    op.drop_table('audit_event')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_email'))

    op.drop_table('account')
