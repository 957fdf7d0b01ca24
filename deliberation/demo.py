"""The demo community of Ruihong, Hongkou: accounts, sites and rounds in several phases.

Geometry is fictional, drawn in metres around 121.496 E, 31.263 N and projected to
lon/lat with the same local projection the geo package measures with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box, mapping
from sqlalchemy import select

from deliberation import accounts
from deliberation.enums import AgeBand, Phase, Role, SiteKind, StakeholderTag
from deliberation.extensions import db
from deliberation.models import Community, Round, Site, User
from deliberation.rounds import advance, create_round
from geo.projection import LocalProjection

DEMO_PASSWORD = "jiayuan-demo"
COMMUNITY_NAME = "瑞虹新城社区 Ruihong"
ORIGIN = LocalProjection(121.496, 31.263)

# email, name, age band, roles, stakeholder tag
DEMO_PEOPLE: tuple[tuple[str, str, str, tuple[Role, ...], str | None], ...] = (
    ("moderator@demo.jiayuan.cn", "王丽 Wang Li", AgeBand.AGE_35_59, (Role.MODERATOR, Role.RESIDENT), None),
    ("secretary@demo.jiayuan.cn", "张华 Zhang Hua", AgeBand.AGE_60_79, (Role.SECRETARY, Role.RESIDENT), None),
    ("designer1@demo.jiayuan.cn", "陈明 Chen Ming", AgeBand.AGE_35_59, (Role.DESIGNER, Role.RESIDENT), None),
    ("designer2@demo.jiayuan.cn", "林晓 Lin Xiao", AgeBand.AGE_35_59, (Role.DESIGNER, Role.RESIDENT), None),
    ("resident1@demo.jiayuan.cn", "小杰 Xiao Jie", AgeBand.UNDER_14, (Role.RESIDENT,), None),
    (
        "resident2@demo.jiayuan.cn",
        "刘洋 Liu Yang",
        AgeBand.AGE_14_34,
        (Role.RESIDENT,),
        StakeholderTag.MERCHANT,
    ),
    (
        "resident3@demo.jiayuan.cn",
        "赵敏 Zhao Min",
        AgeBand.AGE_35_59,
        (Role.RESIDENT,),
        StakeholderTag.PROPERTY_MANAGEMENT,
    ),
    (
        "resident4@demo.jiayuan.cn",
        "周建国 Zhou Jianguo",
        AgeBand.AGE_60_79,
        (Role.RESIDENT,),
        StakeholderTag.OWNERS_COMMITTEE,
    ),
    ("resident5@demo.jiayuan.cn", "孙奶奶 Grandma Sun", AgeBand.OVER_80, (Role.RESIDENT,), None),
    (
        "resident6@demo.jiayuan.cn",
        "吴老师 Teacher Wu",
        AgeBand.AGE_35_59,
        (Role.RESIDENT,),
        StakeholderTag.SCHOOL,
    ),
)
DEMO_EMAILS = tuple(person[0] for person in DEMO_PEOPLE)


def _lonlat(geometry: shapely.Geometry, dx: float = 0.0, dy: float = 0.0) -> dict[str, Any]:
    """A geometry drawn in metres (offset by dx, dy) as GeoJSON lon/lat."""
    moved = shapely.transform(geometry, lambda xy: xy + np.array([dx, dy]))
    return mapping(shapely.orient_polygons(ORIGIN.to_lonlat(moved)))


def _feature(fid: str, kind: str, geometry: shapely.Geometry, dx: float, dy: float, **props) -> dict:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": _lonlat(geometry, dx, dy),
        "properties": {"id": fid, "kind": kind, **props},
    }


def _collection(*features: dict) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def half_court_site() -> tuple[dict, dict]:
    """The half court by building 12 with its corridor: 24 x 26 m, a camphor tree to keep."""
    dx, dy = -30.0, 0.0
    boundary = _lonlat(box(0, 0, 24, 26), dx, dy)
    constraints = _collection(
        _feature("camphor", "tree_existing", Point(2.5, 23.5), dx, dy, keep=True, label="香樟 camphor"),
        _feature("cover-1", "utility_cover", Point(21, 2), dx, dy),
        _feature("gate", "entrance", Point(12, 0), dx, dy),
        _feature("bldg-12", "building_face", LineString([(0, 26), (24, 26)]), dx, dy),
    )
    return boundary, constraints


def courtyard_site() -> tuple[dict, dict]:
    """The courtyard of lane 200: an L-shaped yard with two old trees."""
    dx, dy = 10.0, 5.0
    yard = Polygon([(0, 0), (30, 0), (30, 12), (14, 12), (14, 22), (0, 22)])
    constraints = _collection(
        _feature("osmanthus", "tree_existing", Point(4, 18), dx, dy, keep=True, label="桂花 osmanthus"),
        _feature("plane", "tree_existing", Point(26, 8), dx, dy, keep=False),
        _feature("gate-south", "entrance", Point(7, 0), dx, dy),
    )
    return _lonlat(yard, dx, dy), constraints


def living_room_site() -> tuple[dict, dict]:
    """The shared living room on the ground floor of building 5: 12 x 8 m."""
    dx, dy = 10.0, -20.0
    constraints = _collection(_feature("door", "entrance", Point(6, 0), dx, dy))
    return _lonlat(box(0, 0, 12, 8), dx, dy), constraints


SITES = (
    ("12号楼旁半场 Half court by building 12", SiteKind.HALF_COURT, half_court_site),
    ("弄堂200号院子 Courtyard of lane 200", SiteKind.COURTYARD, courtyard_site),
    ("5号楼共享客厅 Shared living room, building 5", SiteKind.LIVING_ROOM, living_room_site),
)

# site index, title, brief, budget, the phases it has passed through
ROUNDS = (
    (
        0,
        "半场改造 Renewing the half court",
        "The cracked half court is used by teenagers after school and by older neighbours "
        "in the morning. How should it be renewed so that both can use it?",
        180_000,
        (Phase.ASKING, Phase.NEEDS, Phase.PROPOSING, Phase.HEARING),
    ),
    (
        1,
        "院子里的阴凉 Shade in the courtyard",
        "Residents asked for shade and seating in the courtyard. Pin what you need on the map.",
        60_000,
        (Phase.ASKING, Phase.NEEDS),
    ),
    (
        2,
        "共享客厅布置 Furnishing the shared living room",
        "Should the empty room become a shared living room for all ages?",
        30_000,
        (Phase.ASKING,),
    ),
)


def _ensure_user(email: str, name: str, age_band: str) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        user = accounts.sign_up(email, DEMO_PASSWORD, name, age_band=age_band)
    return user


def seed() -> str:
    """Create whatever part of the demo is missing; return a one-line summary."""
    community = db.session.scalar(select(Community).where(Community.name == COMMUNITY_NAME))
    if community is None:
        community = accounts.create_community(COMMUNITY_NAME, by=None, district="虹口区 Hongkou, Shanghai")
    people: dict[str, User] = {}
    for email, name, age_band, roles, stakeholder in DEMO_PEOPLE:
        user = _ensure_user(email, name, age_band)
        for role in roles:
            accounts.grant_role(community, user, role, by=None, stakeholder=stakeholder)
        people[email] = user
    moderator = people["moderator@demo.jiayuan.cn"]

    sites: list[Site] = []
    for name, kind, geometry in SITES:
        site = db.session.scalar(select(Site).where(Site.community_id == community.id, Site.name == name))
        if site is None:
            boundary, constraints = geometry()
            site = Site(
                community=community,
                name=name,
                kind=kind.value,
                boundary=boundary,
                constraints=constraints,
                created_by_id=moderator.id,
            )
            db.session.add(site)
        sites.append(site)
    db.session.flush()

    created_rounds = 0
    for site_index, title, brief, budget, phases in ROUNDS:
        site = sites[site_index]
        exists = db.session.scalar(select(Round).where(Round.site_id == site.id, Round.title == title))
        if exists is not None:
            continue
        round_ = create_round(site, title, by=moderator, brief=brief, budget_cny=budget)
        for phase in phases:
            advance(round_, phase, actor=moderator)
        created_rounds += 1
    db.session.flush()
    return (
        f"demo community {community.name!r}: {len(people)} accounts, {len(sites)} sites, "
        f"{created_rounds} new rounds (password for every demo account: {DEMO_PASSWORD})"
    )
