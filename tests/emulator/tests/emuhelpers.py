"""Helpers shared by the emulator tests: paths of the demo data, a pager for every paging style."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

SUB = "00000000-0000-4000-8000-000000000001"
RG = "rg-gdpr-demo"
WS_NAME = "ws-sales-analytics"  # the demo's "hostile" workspace: encoded names, traversal-like paths
API = "api-version=2019-11-01"
PROVIDER = "Microsoft.MachineLearningServices"


def ws_path(sub: str = SUB, rg: str = RG, name: str = WS_NAME) -> str:
    return f"/subscriptions/{quote(sub)}/resourceGroups/{quote(rg)}/providers/{PROVIDER}/workspaces/{quote(name, safe='')}"


def enc(segment: str) -> str:
    """Percent-encode one path segment (spaces, non-ASCII, '?', '%', '#', '/')."""
    return quote(segment, safe="")


def ws_state(emu, name: str = WS_NAME) -> dict:
    return next(w for w in emu.state()["workspaces"] if w["name"] == name)


def ids(state_ws: dict, kind: str) -> list[str]:
    return [o["id"] for o in state_ws["objects"][kind]]


# list operation -> (family paging style, id field of the items)
ID_FIELD = {"workspaces": "id", "computes": "id", "experiments": "experimentId", "runs": "runId", "metrics": "metricId",
            "artifacts": "artifactId", "tasks": "id", "datastores": "name", "models": "id", "assets": "id",
            "images": "id", "services": "id"}


def collect(emu, path: str, style: str, max_pages: int = 10_000) -> tuple[list[dict], int]:
    """Every item of a list, following its pages like a careful client; returns (items, pages).

    style: ``arm`` ($skiptoken nextLink), ``mms`` ($skipToken nextLink), ``continuation``
    (nextLink or continuationToken), ``post`` (POST :query with the token in the body).
    """
    items: list[dict] = []
    pages = 0
    url = path
    body: dict | None = {} if style == "post" else None
    seen_links: set[str] = set()
    while True:
        if style == "post":
            r = emu.request("POST", url, json=body)
        else:
            r = emu.request("GET", url)
        assert r.status_code == 200, f"{url} -> {r.status_code} {r.text[:300]}"
        page = r.json()
        pages += 1
        assert pages <= max_pages, "paging does not end"
        assert isinstance(page["value"], list)
        items.extend(page["value"])
        if style in ("arm", "mms"):
            link = page.get("nextLink")
            if not link:
                break
            assert link.startswith(emu.url + "/"), f"nextLink not absolute on the emulator: {link}"
            q = parse_qs(urlsplit(link).query)
            assert ("$skiptoken" if style == "arm" else "$skipToken") in q, link
            assert link not in seen_links, "a nextLink repeats"
            seen_links.add(link)
            url = link
        else:
            assert "continuationToken" in page and "nextLink" in page
            token = page["continuationToken"]
            if token is None:
                assert page["nextLink"] is None
                break
            assert token not in seen_links, "a continuation token repeats"
            seen_links.add(token)
            if style == "post":
                assert page["nextLink"] is None
                body = {"continuationToken": token}
            else:
                assert page["nextLink"].startswith(emu.url + "/")
                assert parse_qs(urlsplit(page["nextLink"]).query)["continuationToken"] == [token]
                url = page["nextLink"]
    return items, pages


def _post_pages(emu, url: str, body: dict, max_pages: int = 10_000) -> list[dict]:
    """Every page of a POST read of the v2 metrics service (continuationToken in the body)."""
    pages, seen = [], set()
    while len(pages) < max_pages:
        r = emu.request("POST", url, json=body)
        assert r.status_code == 200, f"{url} -> {r.status_code} {r.text[:300]}"
        page = r.json()
        pages.append(page)
        token = page.get("continuationToken")
        if not token:
            return pages
        assert token not in seen, "a continuation token repeats"
        seen.add(token)
        body = dict(body, continuationToken=token)
    raise AssertionError("paging does not end")


def collect_metrics_v2(emu, ws: str, run_id: str) -> list[dict]:
    """The v2 metrics of a run: each definition's ``full`` answer, its ``value`` holding every page's values."""
    base = f"/metric/v2.0{ws}/runs/{enc(run_id)}"
    out = []
    for page in _post_pages(emu, base + "/list", {}):
        for definition in page["value"]:
            name = definition["metricKey"]["name"]
            pages = _post_pages(emu, base + "/full", {"metricName": name})
            metric = dict(pages[0], value=[v for p in pages for v in p["value"]], metricKey=definition["metricKey"])
            out.append(metric)
    return out
