"""The database tables, one module per aggregate."""

from deliberation.models.accounts import Community, MemberRole, Membership, User
from deliberation.models.audit import AuditEntry
from deliberation.models.needs import Need, NeedSupport
from deliberation.models.proposals import Proposal, ProposalDesigner, ProposalVersion, VersionNeed
from deliberation.models.rounds import Ballot, PhaseChange, PhaseDeadline, Round, WhetherAnswer
from deliberation.models.sites import Site

__all__ = [
    "AuditEntry",
    "Ballot",
    "Community",
    "MemberRole",
    "Membership",
    "Need",
    "NeedSupport",
    "PhaseChange",
    "PhaseDeadline",
    "Proposal",
    "ProposalDesigner",
    "ProposalVersion",
    "Round",
    "Site",
    "User",
    "VersionNeed",
    "WhetherAnswer",
]
