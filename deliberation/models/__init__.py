"""The database tables, one module per aggregate."""

from deliberation.models.accounts import Community, MemberRole, Membership, User
from deliberation.models.audit import AuditEntry
from deliberation.models.proposals import Proposal, ProposalDesigner, ProposalVersion
from deliberation.models.rounds import PhaseChange, Round
from deliberation.models.sites import Site

__all__ = [
    "AuditEntry",
    "Community",
    "MemberRole",
    "Membership",
    "PhaseChange",
    "Proposal",
    "ProposalDesigner",
    "ProposalVersion",
    "Round",
    "Site",
    "User",
]
