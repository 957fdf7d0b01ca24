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

from deliberation import accounts, asking, ballots, needs, proposals
from deliberation.enums import AgeBand, Language, NeedCategory, Phase, Role, SiteKind, StakeholderTag
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
GUARDIANS = {"resident1@demo.jiayuan.cn": "小杰妈妈 Xiao Jie's mother"}

# More neighbours who answer and rank (not listed on the login page), so that every age
# group in the demo's tallies holds at least five people, as a real neighbourhood's would.
NEIGHBOUR_BANDS = (
    (AgeBand.UNDER_14, ("乐乐 Lele", "豆豆 Doudou", "朵朵 Duoduo", "小宇 Xiaoyu")),
    (AgeBand.AGE_14_34, ("王磊 Wang Lei", "李娜 Li Na", "张伟 Zhang Wei", "陈静 Chen Jing", "杨帆 Yang Fan")),
    (AgeBand.AGE_35_59, ("黄强 Huang Qiang", "徐芳 Xu Fang", "朱军 Zhu Jun", "马丽 Ma Li", "胡斌 Hu Bin")),
    (
        AgeBand.AGE_60_79,
        (
            "郭阿姨 Auntie Guo",
            "何师傅 Master He",
            "高伯伯 Uncle Gao",
            "罗阿姨 Auntie Luo",
            "梁老师 Teacher Liang",
            "宋伯伯 Uncle Song",
        ),
    ),
    (
        AgeBand.OVER_80,
        ("谢爷爷 Grandpa Xie", "韩奶奶 Grandma Han", "唐爷爷 Grandpa Tang", "冯奶奶 Grandma Feng"),
    ),
)
NEIGHBOURS = tuple(
    (f"neighbour{index:02d}@demo.jiayuan.cn", name, band)
    for index, (band, name) in enumerate(
        ((band, name) for band, names in NEIGHBOUR_BANDS for name in names), start=1
    )
)
NEIGHBOUR_EMAILS = tuple(email for email, _name, _band in NEIGHBOURS)


def _lonlat(geometry: shapely.Geometry, dx: float = 0.0, dy: float = 0.0) -> dict[str, Any]:
    """A geometry drawn in metres (offset by dx, dy) as GeoJSON lon/lat."""
    moved = shapely.transform(geometry, lambda xy: xy + np.array([dx, dy]))
    return mapping(shapely.orient_polygons(ORIGIN.to_lonlat(moved)))


def _feature(fid: str, kind: str, geometry: shapely.Geometry, dx: float, dy: float, **props: Any) -> dict:
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


def pocket_garden_site() -> tuple[dict, dict]:
    """The pocket garden by building 3: 16 x 12 m, an old plane tree to keep."""
    dx, dy = -30.0, -25.0
    constraints = _collection(
        _feature("plane-3", "tree_existing", Point(13, 9), dx, dy, keep=True, label="梧桐 plane tree"),
        _feature("gate-3", "entrance", Point(8, 0), dx, dy),
    )
    return _lonlat(box(0, 0, 16, 12), dx, dy), constraints


HALF_COURT_OFFSET = (-30.0, 0.0)
GARDEN_OFFSET = (-30.0, -25.0)

SITES = (
    ("12号楼旁半场 Half court by building 12", SiteKind.HALF_COURT, half_court_site),
    ("弄堂200号院子 Courtyard of lane 200", SiteKind.COURTYARD, courtyard_site),
    ("5号楼共享客厅 Shared living room, building 5", SiteKind.LIVING_ROOM, living_room_site),
    ("3号楼口袋花园 Pocket garden by building 3", SiteKind.GARDEN, pocket_garden_site),
)


def shaded_court_layout() -> dict:
    """Chen Ming's proposal: a standard half court, benches under a pergola by building 12."""
    dx, dy = HALF_COURT_OFFSET
    return _collection(
        _feature("court", "half_court", box(4.5, 3, 19.5, 17), dx, dy, label="半场 half court"),
        _feature("hoop", "hoop", Point(12, 15.8), dx, dy),
        _feature("pergola", "shade_structure", box(6, 20.5, 16, 24.5), dx, dy, label="廊架 pergola"),
        _feature("bench-1", "bench", Point(8, 22), dx, dy, seats=3),
        _feature("bench-2", "bench", Point(11, 22), dx, dy, seats=3),
        _feature("bench-3", "bench", Point(14, 22), dx, dy, seats=3),
        _feature("planter-1", "planter", box(18, 20.5, 22.5, 23), dx, dy),
        _feature("camphor", "tree_existing", Point(2.5, 23.5), dx, dy, keep=True),
        _feature("light-w", "lighting", Point(1.5, 10), dx, dy),
        _feature("light-e", "lighting", Point(22.5, 10), dx, dy),
        _feature("path-w", "path", LineString([(1, 1), (1, 19)]), dx, dy, width_m=1.5),
        _feature("board", "notice_board", Point(22.5, 19.5), dx, dy),
    )


def all_ages_court_layout() -> dict:
    """Lin Xiao's proposal: the court moved north, a fitness corner and a lawn by the gate."""
    dx, dy = HALF_COURT_OFFSET
    return _collection(
        _feature("court", "half_court", box(6, 9, 21, 23), dx, dy, label="半场 half court"),
        _feature("hoop", "hoop", Point(13.5, 22), dx, dy),
        _feature("fitness", "fitness_equipment", box(1, 1, 5, 4), dx, dy, label="健身角 fitness corner"),
        _feature("seating", "seating_area", box(8, 1, 13, 4.5), dx, dy),
        _feature("bench-1", "bench", Point(10.5, 2.5), dx, dy, seats=4),
        _feature("lawn", "lawn", box(14, 1, 19.5, 5), dx, dy),
        _feature("tree-new-1", "tree_new", Point(2, 7), dx, dy),
        _feature("tree-new-2", "tree_new", Point(22.5, 5.5), dx, dy),
        _feature("camphor", "tree_existing", Point(2.5, 23.5), dx, dy, keep=True),
        _feature("light-w", "lighting", Point(2.5, 14), dx, dy),
        _feature("light-e", "lighting", Point(23.5, 14), dx, dy),
    )


def garden_layouts() -> list[tuple[str, str, str, tuple[str, ...], dict]]:
    """Three proposals for the pocket garden: title, summary, author, co-designers, layout."""
    dx, dy = GARDEN_OFFSET
    plane = _feature("plane-3", "tree_existing", Point(13, 9), dx, dy, keep=True)
    return [
        (
            "花池与步道 Planters and a path",
            "Raised planters along the walls and an accessible path to the gate.",
            "designer1@demo.jiayuan.cn",
            (),
            _collection(
                plane,
                _feature("planter-n", "planter", box(1, 9.5, 9, 11.5), dx, dy),
                _feature("planter-w", "planter", box(0.5, 2, 2.5, 8), dx, dy),
                _feature("path", "path", LineString([(8, 0.5), (8, 8)]), dx, dy, width_m=1.5),
                _feature("bench-1", "bench", Point(5, 6), dx, dy, seats=3),
                _feature("light-1", "lighting", Point(10, 4), dx, dy),
            ),
        ),
        (
            "草坪与游戏 Lawn and play",
            "A lawn for small children with a sand play area and benches for grandparents.",
            "designer2@demo.jiayuan.cn",
            (),
            _collection(
                plane,
                _feature("lawn", "lawn", box(1, 1, 9, 8), dx, dy),
                _feature("play", "play_area", box(10, 1, 15, 5), dx, dy),
                _feature("bench-1", "bench", Point(5, 10), dx, dy, seats=3),
                _feature("bench-2", "bench", Point(9.5, 10), dx, dy, seats=3),
            ),
        ),
        (
            "树荫花园 A shade garden",
            "Chen Ming and Lin Xiao together: a pergola, new trees and seating in the shade.",
            "designer2@demo.jiayuan.cn",
            ("designer1@demo.jiayuan.cn",),
            _collection(
                plane,
                _feature("pergola", "shade_structure", box(2, 6, 8, 10), dx, dy),
                _feature("seating", "seating_area", box(2.5, 6.5, 7.5, 9.5), dx, dy),
                _feature("tree-new-1", "tree_new", Point(3, 2), dx, dy),
                _feature("tree-new-2", "tree_new", Point(12, 2), dx, dy),
                _feature("planter-1", "planter", box(10, 10.5, 15.5, 11.5), dx, dy),
            ),
        ),
    ]


def _lonlat_point(x: float, y: float, offset: tuple[float, float]) -> dict:
    return _lonlat(Point(x, y), *offset)


COURTYARD_OFFSET = (10.0, 5.0)

# author, category, text, where (metres in the courtyard, or None), supporters
COURTYARD_NEEDS = (
    (
        "resident5@demo.jiayuan.cn",
        NeedCategory.SHADE,
        "夏天太晒，桂花树旁需要遮阴 Shade by the osmanthus in summer",
        (5, 16),
        4,
    ),
    (
        "resident4@demo.jiayuan.cn",
        NeedCategory.SEATING,
        "给老人留几张有靠背的长椅 Benches with backs for older people",
        (20, 6),
        3,
    ),
    (
        "resident1@demo.jiayuan.cn",
        NeedCategory.PLAY,
        "想要一块能跳房子的地方 Somewhere to play hopscotch",
        (10, 5),
        2,
    ),
    (
        "resident6@demo.jiayuan.cn",
        NeedCategory.LIGHTING,
        "晚上院子太暗 The yard is too dark at night",
        None,
        5,
    ),
    (
        "resident3@demo.jiayuan.cn",
        NeedCategory.ACCESSIBILITY,
        "轮椅进出要走平路 A level way in for wheelchairs",
        (7, 1),
        2,
    ),
)

RESIDENT_EMAILS = tuple(f"resident{i}@demo.jiayuan.cn" for i in range(1, 7))


def _half_court_round(round_: Round, people: dict[str, User]) -> None:
    """Through ask whether, needs and proposals into its first hearing."""
    moderator = people["moderator@demo.jiayuan.cn"]
    advance(round_, Phase.ASKING, actor=moderator)
    for index, email in enumerate(RESIDENT_EMAILS + NEIGHBOUR_EMAILS):
        asking.answer_whether(round_, index % 5 != 4, by=people[email])
    advance(round_, Phase.NEEDS, actor=moderator)
    dx, dy = HALF_COURT_OFFSET
    shade = needs.add_need(
        round_,
        "傍晚打球的人想要灯光 Light for evening games",
        NeedCategory.LIGHTING,
        _lonlat_point(12, 10, (dx, dy)),
        by=people["resident2@demo.jiayuan.cn"],
        language=Language.ZH_CN,
    )
    seats = needs.add_need(
        round_,
        "看球的老人想坐在树荫下 Seats in the shade to watch the game",
        NeedCategory.SEATING,
        _lonlat_point(10, 22, (dx, dy)),
        by=people["resident4@demo.jiayuan.cn"],
        language=Language.ZH_CN,
    )
    for need in (shade, seats):  # four neighbours each, never the need's own author
        for email in [e for e in RESIDENT_EMAILS[:5] if people[e].id != need.author_id][:4]:
            needs.support_need(need, by=people[email])
    advance(round_, Phase.PROPOSING, actor=moderator)
    proposals.submit_proposal(
        round_,
        "树荫半场 Shaded half court",
        "A standard 15 x 14 m half court with benches under a pergola by building 12.",
        shaded_court_layout(),
        by=people["designer1@demo.jiayuan.cn"],
        language=Language.ZH_CN,
        need_ids=[shade.id, seats.id],
    )
    proposals.submit_proposal(
        round_,
        "全龄半场 A court for all ages",
        "The court moves north; a fitness corner, a lawn and seating by the gate for older neighbours.",
        all_ages_court_layout(),
        by=people["designer2@demo.jiayuan.cn"],
        language=Language.ZH_CN,
        need_ids=[seats.id],
    )
    advance(round_, Phase.HEARING, actor=moderator)


def _courtyard_round(round_: Round, people: dict[str, User]) -> None:
    """Asking what residents need, with needs pinned and supported."""
    moderator = people["moderator@demo.jiayuan.cn"]
    advance(round_, Phase.ASKING, actor=moderator)
    for index, email in enumerate(RESIDENT_EMAILS + NEIGHBOUR_EMAILS):
        asking.answer_whether(round_, index % 7 != 3, by=people[email])
    advance(round_, Phase.NEEDS, actor=moderator)
    for author, category, text, where, supporters in COURTYARD_NEEDS:
        geometry = _lonlat_point(*where, COURTYARD_OFFSET) if where else None
        need = needs.add_need(round_, text, category, geometry, by=people[author], language=Language.ZH_CN)
        for email in [e for e in RESIDENT_EMAILS if e != author][:supporters]:
            needs.support_need(need, by=people[email])


def _living_room_round(round_: Round, people: dict[str, User]) -> None:
    """Still asking whether the empty room should become a shared living room (answers sealed)."""
    advance(round_, Phase.ASKING, actor=people["moderator@demo.jiayuan.cn"])
    for index, email in enumerate(RESIDENT_EMAILS[:4] + NEIGHBOUR_EMAILS[::2]):
        asking.answer_whether(round_, index % 3 != 2, by=people[email])


def _garden_round(round_: Round, people: dict[str, User]) -> None:
    """Three proposals and most neighbours' ballots: the round is deciding, its ballots open
    (so the tally is sealed) until the moderator closes them."""
    moderator = people["moderator@demo.jiayuan.cn"]
    advance(
        round_,
        Phase.PROPOSING,
        actor=moderator,
        reason="居民代表会议已确认需求 Needs agreed at the residents' meeting",
    )
    ids = []
    for title, summary, author, partners, layout in garden_layouts():
        proposal, _report = proposals.submit_proposal(
            round_,
            title,
            summary,
            layout,
            by=people[author],
            language=Language.ZH_CN,
            co_designers=[people[p].id for p in partners],
        )
        ids.append(proposal.id)
    advance(round_, Phase.HEARING, actor=moderator)
    advance(round_, Phase.DECIDING, actor=moderator)
    planters, lawn, shade = ids
    rankings = ([lawn, shade], [shade, lawn], [planters, shade], [shade], [lawn, shade, planters])
    voters = RESIDENT_EMAILS[:5] + NEIGHBOUR_EMAILS
    for index, email in enumerate(voters):
        ballots.cast_ballot(round_, rankings[index % len(rankings)], by=people[email])


# site index, title, brief, budget, the script that brings the round to its phase
ROUNDS = (
    (
        0,
        "半场改造 Renewing the half court",
        "The cracked half court is used by teenagers after school and by older neighbours "
        "in the morning. How should it be renewed so that both can use it?",
        180_000,
        _half_court_round,
    ),
    (
        1,
        "院子里的阴凉 Shade in the courtyard",
        "Residents asked for shade and seating in the courtyard. Pin what you need on the map.",
        60_000,
        _courtyard_round,
    ),
    (
        2,
        "共享客厅布置 Furnishing the shared living room",
        "Should the empty room become a shared living room for all ages?",
        30_000,
        _living_room_round,
    ),
    (
        3,
        "口袋花园绿化 Greening the pocket garden",
        "Three plans for the pocket garden were heard last weekend. Rank them.",
        80_000,
        _garden_round,
    ),
)


def _ensure_user(email: str, name: str, age_band: str, guardian: str | None = None) -> User:
    user = accounts.find_user_by_email(email)
    if user is None:
        if age_band == AgeBand.UNDER_14 and guardian is None:
            guardian = "家长 A parent"  # the family signed up together
        user = accounts.sign_up(
            email, DEMO_PASSWORD, name, age_band=age_band, age_band_consent=True, guardian_name=guardian
        )
    return user


def seed() -> str:
    """Create whatever part of the demo is missing; return a one-line summary."""
    community = db.session.scalar(select(Community).where(Community.name == COMMUNITY_NAME))
    if community is None:
        community = accounts.create_community(COMMUNITY_NAME, by=None, district="虹口区 Hongkou, Shanghai")
    people: dict[str, User] = {}
    for email, name, age_band, roles, stakeholder in DEMO_PEOPLE:
        user = _ensure_user(email, name, age_band, GUARDIANS.get(email))
        for role in roles:
            membership = accounts.grant_role(community, user, role, by=None, stakeholder=stakeholder)
        if stakeholder is not None and membership.stakeholder_consent_at is None:
            accounts.consent_to_stakeholder_tag(membership, by=user, consent=True)
        people[email] = user
    for email, name, age_band in NEIGHBOURS:
        user = _ensure_user(email, name, age_band)
        accounts.grant_role(community, user, Role.RESIDENT, by=None)
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
    for site_index, title, brief, budget, script in ROUNDS:
        site = sites[site_index]
        exists = db.session.scalar(select(Round).where(Round.site_id == site.id, Round.title == title))
        if exists is not None:
            continue
        round_ = create_round(site, title, by=moderator, brief=brief, budget_cny=budget)
        script(round_, people)
        created_rounds += 1
    db.session.flush()
    return (
        f"demo community {community.name!r}: {len(people)} accounts, {len(sites)} sites, "
        f"{created_rounds} new rounds (password for every demo account: {DEMO_PASSWORD})"
    )
