"""hearing revision: counts the changes to a hearing's comments, so that each worker encodes
the latest page a joiner receives once per change

Revision ID: 0009_hearing_revision
Revises: 0008_high_contrast
Create Date: 2026-12-02 07:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_hearing_revision'
down_revision = '0008_high_contrast'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hearings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('hearings', schema=None) as batch_op:
        batch_op.drop_column('revision')
