"""The route table: one row per REST operation, matched segment by segment.

A row names the operation (the ``op`` of docs/architecture.md), its family, method, path template and
handler, and the API profile it belongs to: ``documented`` (the 2020 document's routes, typos fixed)
or ``current`` (today's spec routes, e.g. ``/modelmanagement/v1.0{ws}`` or POST ``experiments:query``).
Several rows may share one handler: adding a route is adding a row.

Matching works on the raw (percent-encoded) path: it is split on ``/`` first and every segment is
decoded after, so an encoded ``/`` (``%2F``) inside a name stays inside that name. Literal segments
compare case-insensitively (ARM paths are case-insensitive). A last template segment ``{name*}`` takes
every remaining segment (one at least), joined with ``/`` (an artifact path in the URL, as azureml-core
sends it: ``.../contentinfo/{origin}/{container}/{path*}``); such tail routes are tried first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

WS = ("/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
      "/providers/Microsoft.MachineLearningServices/workspaces/{workspace_name}")


@dataclass(frozen=True)
class Route:
    op: str
    family: str  # arm | mms | history | artifact | notification | datastore | pipelines | discovery | blob
    method: str
    template: str
    handler: Callable[..., Awaitable]
    profile: str = "documented"
    mutating: bool | None = None  # None: every method but GET/HEAD mutates
    auth: bool = True
    options: dict = field(default_factory=dict)  # handler options (e.g. the MMS kind)

    @property
    def is_mutating(self) -> bool:
        if self.mutating is not None:
            return self.mutating
        return self.method not in ("GET", "HEAD")

    @property
    def segments(self) -> list[str]:
        return self.template.split("/")

    @property
    def is_tail(self) -> bool:
        return self.template.endswith("*}")


class MethodNotAllowed(Exception):
    def __init__(self, allowed: list[str], family: str):
        super().__init__(", ".join(allowed))
        self.allowed = allowed
        self.family = family


def split_path(raw_path: str) -> list[str]:
    return [unquote(s) for s in raw_path.split("/")]


class Router:
    def __init__(self, routes: list[Route]):
        self.routes = list(routes)
        # segment count -> routes, the most literal first
        self._by_len: dict[int, list[tuple[Route, list[str]]]] = {}
        self._tails: list[tuple[Route, list[str]]] = []  # routes ending in {name*}
        for r in self.routes:
            segs = r.segments
            if r.is_tail:
                self._tails.append((r, segs))
            else:
                self._by_len.setdefault(len(segs), []).append((r, segs))
        for lst in self._by_len.values():
            lst.sort(key=lambda rs: -sum(1 for s in rs[1] if not s.startswith("{")))

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        """The route and its decoded parameters; MethodNotAllowed when only the method differs."""
        segs = split_path(raw_path)
        allowed: list[str] = []
        family = None
        tails = [(r, t) for r, t in self._tails if len(segs) >= len(t)]
        for route, tsegs in tails + self._by_len.get(len(segs), []):
            params = _match_tail(tsegs, segs) if route.is_tail else _match(tsegs, segs)
            if params is None:
                continue
            if route.method == method:
                return route, params
            allowed.append(route.method)
            family = family or route.family
        if allowed:
            raise MethodNotAllowed(sorted(set(allowed)), family or "arm")
        return None


def _match(tsegs: list[str], segs: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for t, s in zip(tsegs, segs):
        if t.startswith("{") and t.endswith("}"):
            if s == "":
                return None
            params[t[1:-1]] = s
        elif t.lower() != s.lower():
            return None
    return params


def _match_tail(tsegs: list[str], segs: list[str]) -> dict[str, str] | None:
    head = len(tsegs) - 1
    params = _match(tsegs[:head], segs[:head])
    rest = segs[head:]
    if params is None or not rest or rest == [""]:
        return None
    params[tsegs[-1][1:-2]] = "/".join(rest)
    return params


def family_of_path(raw_path: str) -> str:
    """The family whose error format an unknown path gets."""
    segs = raw_path.lstrip("/").split("/")
    head = segs[0].lower() if segs else ""
    if head == "api":
        return "pipelines" if len(segs) > 1 and segs[1].lower() == "v1.0" else "mms"
    return {"subscriptions": "arm", "modelmanagement": "mms", "history": "history", "artifact": "artifact",
            "notification": "notification", "datastore": "datastore", "_blobs": "blob", "metric": "metric"}.get(head, "arm")
