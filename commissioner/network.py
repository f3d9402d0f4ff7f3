"""The commissioner's relationship map: who works with whom. Organisations are nodes, the active
collaborations two of them share are an edge (its weight, how many), a node's colour and code say
its kind, and a ring and a text marker say it has open flags or drifting partnerships.

Edges come from one SQL aggregation (a self-join of active participations); the graph, its
layout (networkx) and what was left out are cached per filter and data version, so a page is a
handful of small queries however large the portfolio. At national scale the portfolio map draws
the PORTFOLIO_CAP organisations with the most active participations in the filter and says how
many organisations and shared collaborations it leaves out; an organisation's own map (the ego
view) lists every partner in its table and draws the EGO_CAP closest."""

from __future__ import annotations

import hashlib
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
from django.db import connection
from django.db.models import Count, F, QuerySet
from django.urls import reverse
from django.utils.translation import ngettext

from agreements.models import Collaboration, Participation
from core.translated import version_names
from partners.models import Organisation

from .caching import cached, data_version
from .models import EngagementSnapshot, Flag, State

logger = logging.getLogger(__name__)

PORTFOLIO_CAP = 60
EGO_CAP = 40
EDGE_ROWS = 200  # links listed in the portfolio's table, the heaviest first
LABELS = 20  # nodes named on the drawing (every node is named in its link and the table)
CACHE_SECONDS = 6 * 60 * 60  # a backstop: any recorded change makes a new data version
MAP = "Relationship map"
WIDTH, HEIGHT, MARGIN = 960, 640, 56

# Each kind: a fill with at least 3:1 against the white page (WCAG 1.4.11) and 4.5:1 under its
# white two-letter code (1.4.3), so the colour is never the only carrier of the kind.
KIND_STYLE: dict[str, tuple[str, str]] = {
    Organisation.Kind.MUNICIPALITY: ("#1d3c6e", "MU"),
    Organisation.Kind.REGIONAL_GOVERNMENT: ("#0b6e4f", "RG"),
    Organisation.Kind.FIRST_NATION: ("#8a3b12", "FN"),
    Organisation.Kind.PROVINCE: ("#6f42c1", "PT"),
    Organisation.Kind.FEDERAL: ("#7a1f5c", "FD"),
    Organisation.Kind.PUBLIC_BODY: ("#005f73", "PB"),
    Organisation.Kind.NON_PROFIT: ("#9c4a00", "NP"),
    Organisation.Kind.PRIVATE_FIRM: ("#495057", "PF"),
    Organisation.Kind.ACADEMIC: ("#3d5a00", "AC"),
    Organisation.Kind.OTHER: ("#212529", "OT"),
}


@dataclass(frozen=True)
class NetworkFilter:
    """What the map shows: organisations of a region and kind, collaborations of a structure and
    status (active by default). Empty means any."""

    region: str = ""
    kind: str = ""
    structure: str = ""
    status: str = Collaboration.Status.ACTIVE

    @property
    def key(self) -> str:
        text = "\x1f".join((self.region, self.kind, self.structure, self.status))
        return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass
class Node:
    id: int
    name: str
    short_name: str
    slug: str
    kind: str
    region: str
    participations: int  # active participations in the filter's collaborations
    x: float = 0.0
    y: float = 0.0
    radius: float = 10.0
    labelled: bool = False
    partners: int = 0  # drawn neighbours
    flags: int = 0  # open flags of its active participations (any collaboration)
    drifting: int = 0  # its active participations drifting on the latest scan
    # ego view: (title in each language, url)
    collaborations: list[tuple[dict, str]] = field(default_factory=list)
    focus: bool = False

    @property
    def colour(self) -> str:
        return KIND_STYLE.get(self.kind, KIND_STYLE[Organisation.Kind.OTHER])[0]

    @property
    def code(self) -> str:
        return KIND_STYLE.get(self.kind, KIND_STYLE[Organisation.Kind.OTHER])[1]

    @property
    def kind_label(self) -> str:
        return str(Organisation.Kind(self.kind).label) if self.kind in Organisation.Kind else ""

    @property
    def label(self) -> str:
        text = self.short_name or self.name
        return text if len(text) <= 22 else text[:21] + "…"

    @property
    def watch(self) -> str:
        """Its open flags and drifting partnerships in words (the drawing's ring says the same)."""
        parts = []
        if self.flags:
            parts.append(
                ngettext("%(n)d open flag", "%(n)d open flags", self.flags) % {"n": self.flags}
            )
        if self.drifting:
            parts.append(
                ngettext("%(n)d drifting", "%(n)d drifting", self.drifting) % {"n": self.drifting}
            )
        return ", ".join(parts)

    @property
    def description(self) -> str:
        """What its link on the drawing says to a screen reader."""
        text = ngettext(
            "%(name)s (%(kind)s): %(n)d active collaboration",
            "%(name)s (%(kind)s): %(n)d active collaborations",
            self.participations,
        ) % {"name": self.name, "kind": self.kind_label, "n": self.participations}
        if self.watch:
            text += f"; {self.watch}"
        return text

    @property
    def url(self) -> str:
        return reverse("commissioner:network_organisation", args=[self.slug])

    @property
    def ring_radius(self) -> float:
        return self.radius + 5

    @property
    def label_y(self) -> float:
        return self.y + self.radius + 13

    @property
    def badge_x(self) -> float:
        return self.x + self.radius * 0.75

    @property
    def badge_y(self) -> float:
        return self.y - self.radius * 0.75


@dataclass
class Edge:
    source: Node
    target: Node
    weight: int

    @property
    def width(self) -> float:
        return min(1.0 + 1.5 * math.log2(self.weight), 8.0)


@dataclass
class Network:
    filter: NetworkFilter
    nodes: list[Node]
    edges: list[Edge]
    organisations: int  # in the filter (with an active participation)
    pairs: int  # organisation pairs x shared collaborations in the filter
    latest_scan: object = None
    focus: Node | None = None
    partners: list[Node] = field(default_factory=list)  # ego view: every partner, for the table

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def height(self) -> int:
        return HEIGHT

    @property
    def drawn_pairs(self) -> int:
        return sum(edge.weight for edge in self.edges)

    @property
    def left_out_organisations(self) -> int:
        drawn = len(self.nodes) - (1 if self.focus is not None else 0)  # the focus is no partner
        return max(self.organisations - drawn, 0)

    @property
    def left_out_pairs(self) -> int:
        return max(self.pairs - self.drawn_pairs, 0)

    @property
    def table_edges(self) -> list[Edge]:
        return sorted(self.edges, key=lambda e: (-e.weight, e.source.name, e.target.name))[
            :EDGE_ROWS
        ]

    @property
    def more_edges(self) -> int:
        return max(len(self.edges) - EDGE_ROWS, 0)


# Reading -------------------------------------------------------------------------------------


def active_participations(network_filter: NetworkFilter) -> QuerySet[Participation]:
    """Active participations of the filter's organisations in the filter's collaborations."""
    participations = Participation.objects.filter(status=Participation.Status.ACTIVE)
    if network_filter.status:
        participations = participations.filter(collaboration__status=network_filter.status)
    if network_filter.structure:
        participations = participations.filter(collaboration__structure=network_filter.structure)
    if network_filter.kind:
        participations = participations.filter(organisation__kind=network_filter.kind)
    if network_filter.region:
        participations = participations.filter(organisation__jurisdiction=network_filter.region)
    return participations


def shared_collaborations(
    participations: QuerySet[Participation], organisation_ids
) -> dict[tuple[int, int], int]:
    """Edges between `organisation_ids`: for each pair (lower id first), the number of
    collaborations both take an active part in, in one aggregation (a self-join of the
    participations)."""
    pairs = (
        participations.filter(
            organisation_id__in=organisation_ids,
            collaboration__participations__status=Participation.Status.ACTIVE,
            collaboration__participations__organisation_id__in=organisation_ids,
            collaboration__participations__organisation_id__gt=F("organisation_id"),
        )
        .values("organisation_id", other=F("collaboration__participations__organisation_id"))
        .annotate(weight=Count("pk"))
        .order_by()
    )
    return {(row["organisation_id"], row["other"]): row["weight"] for row in pairs}


def _pair_total(participations: QuerySet[Participation]) -> int:
    """Organisation pairs summed over collaborations (n partners make n(n-1)/2 pairs): what a
    full map would draw, counted without building it."""
    per_collaboration = (
        participations.values("collaboration_id").annotate(n=Count("pk")).values("n").order_by()
    )
    sql, params = per_collaboration.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM(n * (n - 1) / 2), 0) FROM ({sql}) AS per_collaboration",  # noqa: S608 - the ORM's own SQL, parameters apart
            params,
        )
        return int(cursor.fetchone()[0])


def _organisation_rows(ids) -> dict[int, dict]:
    return {
        row["pk"]: row
        for row in Organisation.objects.filter(pk__in=ids).values(
            "pk", "name", "short_name", "slug", "kind", "jurisdiction"
        )
    }


def _spring_layout(node_ids: list[int], edges: dict[tuple[int, int], int]) -> dict:
    graph = nx.Graph()
    graph.add_nodes_from(node_ids)
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in edges.items())
    # A longer ideal distance than networkx's 1/sqrt(n): a portfolio is a few dense clusters and
    # loose organisations, which the default packs into one knot.
    spacing = 2.5 / math.sqrt(max(len(node_ids), 1))
    return nx.spring_layout(graph, seed=21, weight="weight", k=spacing, iterations=150)


def _ego_layout(focus_id: int, partner_ids: list[int]) -> dict:
    graph = nx.Graph()
    graph.add_nodes_from([focus_id, *partner_ids])
    shells = [[focus_id], partner_ids] if partner_ids else [[focus_id]]
    return nx.shell_layout(graph, shells)


def _spread(values: list[float]) -> list[float]:
    """Each value halfway to its rank: far-flung loose organisations no longer squeeze the
    clusters into a corner of the drawing, and neighbours stay neighbours."""
    order = sorted(range(len(values)), key=values.__getitem__)
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    spread = [0.0] * len(values)
    for rank, index in enumerate(order):
        by_rank = rank / max(len(values) - 1, 1)
        spread[index] = 0.5 * (values[index] - low) / span + 0.5 * by_rank
    return spread


def _fit(positions: dict) -> dict[int, tuple[float, float]]:
    """Positions scaled into the drawing, its margins kept free for labels."""
    if not positions:
        return {}
    ids = list(positions)
    xs = _spread([float(positions[i][0]) for i in ids])
    ys = _spread([float(positions[i][1]) for i in ids])
    positions = {i: (x, y) for i, x, y in zip(ids, xs, ys, strict=True)}
    xs = [float(p[0]) for p in positions.values()]
    ys = [float(p[1]) for p in positions.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    fitted = {}
    for node_id, (x, y) in positions.items():
        fx = (
            WIDTH / 2
            if max(xs) == min(xs)
            else MARGIN + (x - min(xs)) / span_x * (WIDTH - 2 * MARGIN)
        )
        fy = (
            HEIGHT / 2
            if max(ys) == min(ys)
            else MARGIN + (y - min(ys)) / span_y * (HEIGHT - 2 * MARGIN)
        )
        fitted[int(node_id)] = (round(fx, 1), round(fy, 1))
    return fitted


def _portfolio_graph(network_filter: NetworkFilter) -> dict:
    """Everything the portfolio map draws, as plain values (what the cache keeps)."""
    participations = active_participations(network_filter)
    degrees = list(
        participations.values("organisation_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "organisation_id")
        .values_list("organisation_id", "n")
    )
    drawn = dict(degrees[:PORTFOLIO_CAP])
    edges = shared_collaborations(participations, list(drawn)) if drawn else {}
    rows = _organisation_rows(list(drawn))
    return {
        "nodes": [{**rows[pk], "participations": n} for pk, n in drawn.items()],
        "edges": [(a, b, w) for (a, b), w in edges.items()],
        "positions": _fit(_spring_layout(list(drawn), edges)),
        "organisations": len(degrees),
        "pairs": _pair_total(participations) if drawn else 0,
    }


TITLES = tuple(version_names("collaboration__title"))


def _ego_graph(organisation: Organisation, network_filter: NetworkFilter) -> dict:
    own = Participation.objects.filter(
        organisation=organisation, status=Participation.Status.ACTIVE
    )
    if network_filter.status:
        own = own.filter(collaboration__status=network_filter.status)
    if network_filter.structure:
        own = own.filter(collaboration__structure=network_filter.structure)
    others = (
        active_participations(network_filter)
        .filter(collaboration_id__in=own.values("collaboration_id"))
        .exclude(organisation_id=organisation.pk)
        .values(
            "organisation_id",
            *TITLES,
            "collaboration__slug",
        )
        .order_by("collaboration__title", "collaboration_id")
    )
    # Each title in every language (the map is cached for every reader): the page shows the
    # reader's version, or the other one marked (core/translated.py).
    through: dict[int, list[tuple[dict, str]]] = defaultdict(list)
    versions = version_names("title")
    for row in others:
        titles = {version: row[f"collaboration__{version}"] for version in versions}
        through[row["organisation_id"]].append((titles, row["collaboration__slug"]))
    rows = _organisation_rows([*through, organisation.pk])
    ranked = sorted(through, key=lambda pk: (-len(through[pk]), rows[pk]["name"], pk))
    drawn = ranked[:EGO_CAP]
    among = shared_collaborations(active_participations(network_filter), drawn) if drawn else {}
    edges = [(organisation.pk, pk, len(through[pk])) for pk in drawn]
    edges += [(a, b, w) for (a, b), w in among.items()]
    own_count = own.count()
    return {
        "focus": {**rows[organisation.pk], "participations": own_count},
        "partners": [
            {**rows[pk], "participations": len(through[pk]), "through": through[pk]}
            for pk in ranked
        ],
        "drawn": drawn,
        "edges": edges,
        "positions": _fit(_ego_layout(organisation.pk, drawn)),
        "organisations": len(ranked),
        "pairs": sum(len(through[pk]) for pk in ranked),
    }


def _node(row: dict) -> Node:
    return Node(
        id=row["pk"],
        name=row["name"],
        short_name=row["short_name"],
        slug=row["slug"],
        kind=row["kind"],
        region=row["jurisdiction"],
        participations=row["participations"],
        collaborations=[
            (title, reverse("agreements:collaboration_detail", args=[slug]))
            for title, slug in row.get("through", [])
        ],
    )


def _mark(nodes: list[Node], participations: QuerySet[Participation]) -> object:
    """Open flags and drifting partnerships of `nodes` among `participations` (these change
    with every scan, so they are read fresh, never cached): the latest scan date, then the open
    flags (at most one a participation) and the drifting snapshots of the latest scan, each
    reached from the participations through its index. Three queries; returns the latest scan
    date."""
    by_id = {node.id: node for node in nodes}
    if not by_id:
        return None
    latest_scan = (
        EngagementSnapshot.objects.order_by("-scan_date")
        .values_list("scan_date", flat=True)
        .first()
    )
    # Only the drawn organisations' participations (at most PORTFOLIO_CAP or EGO_CAP + 1 of
    # them, through the participation's organisation index): at national scale, every open
    # flag and drifting snapshot of the portfolio was joined to be mostly thrown away (50 ms).
    within = (
        participations.filter(status=Participation.Status.ACTIVE, organisation_id__in=list(by_id))
        .order_by()
        .values("pk")
    )
    for organisation_id in Flag.objects.filter(
        participation__in=within, status__in=Flag.OPEN_STATUSES
    ).values_list("participation__organisation_id", flat=True):
        if organisation_id in by_id:
            by_id[organisation_id].flags += 1
    if latest_scan is not None:
        for organisation_id in EngagementSnapshot.objects.filter(
            scan_date=latest_scan, participation__in=within, state=State.DRIFTING
        ).values_list("participation__organisation_id", flat=True):
            if organisation_id in by_id:
                by_id[organisation_id].drifting += 1
    return latest_scan


def _size(nodes: list[Node]) -> None:
    biggest = max((node.participations for node in nodes), default=1) or 1
    for rank, node in enumerate(sorted(nodes, key=lambda n: (-n.participations, n.name))):
        node.radius = round(9 + 11 * math.sqrt(node.participations / biggest), 1)
        node.labelled = rank < LABELS


def _edges(edge_rows, by_id: dict[int, Node]) -> list[Edge]:
    edges = []
    for a, b, weight in edge_rows:
        if a in by_id and b in by_id:
            edges.append(Edge(by_id[a], by_id[b], weight))
            by_id[a].partners += 1
            by_id[b].partners += 1
    return edges


def portfolio_network(*, network_filter: NetworkFilter) -> Network:
    """The portfolio map: the PORTFOLIO_CAP organisations most involved in the filter's
    collaborations and the collaborations they share, with what was left out."""
    key = f"network:portfolio:{PORTFOLIO_CAP}:{network_filter.key}:{data_version()}"
    graph = cached(key, lambda: _portfolio_graph(network_filter), seconds=CACHE_SECONDS, what=MAP)
    nodes = [_node(row) for row in graph["nodes"]]
    for node in nodes:
        node.x, node.y = graph["positions"][node.id]
    by_id = {node.id: node for node in nodes}
    edges = _edges(graph["edges"], by_id)
    _size(nodes)
    latest_scan = _mark(nodes, Participation.objects.filter(organisation_id__in=list(by_id)))
    return Network(
        filter=network_filter,
        nodes=nodes,
        edges=edges,
        organisations=graph["organisations"],
        pairs=graph["pairs"],
        latest_scan=latest_scan,
    )


def ego_network(*, organisation: Organisation, network_filter: NetworkFilter) -> Network:
    """Who else works with `organisation`, and through which collaborations: every partner in the
    table, the EGO_CAP it shares most with drawn around it (with the links among them)."""
    key = f"network:ego:{organisation.pk}:{EGO_CAP}:{network_filter.key}:{data_version()}"
    graph = cached(
        key, lambda: _ego_graph(organisation, network_filter), seconds=CACHE_SECONDS, what=MAP
    )
    focus = _node(graph["focus"])
    focus.focus = True
    partners = [_node(row) for row in graph["partners"]]
    by_id = {node.id: node for node in partners}
    drawn = [by_id[pk] for pk in graph["drawn"]]
    nodes = [focus, *drawn]
    for node in nodes:
        node.x, node.y = graph["positions"][node.id]
    edges = _edges(graph["edges"], {node.id: node for node in nodes})
    _size(nodes)
    focus.radius, focus.labelled = max(focus.radius, 18), True
    # The partnerships in the collaborations it shares with them: what this map is about.
    shared = Participation.objects.filter(
        collaboration_id__in=Participation.objects.filter(
            organisation=organisation, status=Participation.Status.ACTIVE
        ).values("collaboration_id")
    )
    latest_scan = _mark([focus, *partners], shared)
    return Network(
        filter=network_filter,
        nodes=nodes,
        edges=edges,
        organisations=graph["organisations"],
        pairs=graph["pairs"],
        latest_scan=latest_scan,
        focus=focus,
        partners=partners,
    )


def regions() -> list[str]:
    """The regions organisations name, for the filter (one query on an indexed column)."""
    return list(
        Organisation.objects.exclude(jurisdiction="")
        .order_by("jurisdiction")
        .values_list("jurisdiction", flat=True)
        .distinct()
    )
