"""The database tables, one module per aggregate."""

from deliberation.models.accounts import Community, JoinRequest, MemberRole, Membership, User
from deliberation.models.audit import AuditEntry
from deliberation.models.decisions import Decision, Evaluation, NoticePdf, Objection
from deliberation.models.drafts import Draft, DraftFeature, DraftOp
from deliberation.models.hearings import (
    Comment,
    Hearing,
    HearingSlot,
    Poll,
    PollVote,
    Presence,
    Reaction,
    Upvote,
)
from deliberation.models.needs import Need, NeedSupport
from deliberation.models.proposals import (
    FeatureAuthor,
    Proposal,
    ProposalDesigner,
    ProposalVersion,
    VersionNeed,
)
from deliberation.models.rounds import Ballot, PhaseChange, PhaseDeadline, Round, WhetherAnswer
from deliberation.models.sites import Site

__all__ = [
    "AuditEntry",
    "Ballot",
    "Comment",
    "Community",
    "Decision",
    "Draft",
    "DraftFeature",
    "DraftOp",
    "Evaluation",
    "FeatureAuthor",
    "Hearing",
    "HearingSlot",
    "JoinRequest",
    "MemberRole",
    "Membership",
    "Need",
    "NeedSupport",
    "NoticePdf",
    "Objection",
    "PhaseChange",
    "PhaseDeadline",
    "Poll",
    "PollVote",
    "Presence",
    "Proposal",
    "ProposalDesigner",
    "ProposalVersion",
    "Reaction",
    "Round",
    "Site",
    "Upvote",
    "User",
    "VersionNeed",
    "WhetherAnswer",
]
