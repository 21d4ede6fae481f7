"""Continuation paging shared by run history, artifacts, notifications and datastores.

Wire format (runHistory.json ``Paginated*List``, datastore.json ``PaginatedDataStoreList``):
``{"value": [...], "continuationToken": <str|null>, "nextLink": <str|null>}`` — null when there is no
further page. GET lists take the token as the ``continuationToken`` query parameter (and nextLink is
this URL with it set); the POST ``:query`` lists of the current profile take it in the JSON body
(``QueryParams {filter, continuationToken, orderBy, top}``) and answer ``nextLink: null``.
"""

from __future__ import annotations

from ..context import Ctx
from ..errors import bad_request
from ..store import Table


def query_params(ctx: Ctx) -> tuple[str | None, int | None]:
    """(continuation token, page-size cap) from the query string or the POST body."""
    if ctx.request.method == "POST":
        body = ctx.body if isinstance(ctx.body, dict) else {}
        if ctx.body is not None and not isinstance(ctx.body, dict):
            raise bad_request(ctx.family, "The request body must be a JSON object (QueryParams).")
        top = body.get("top")
        if top is not None and (not isinstance(top, int) or isinstance(top, bool) or top < 1):
            raise bad_request(ctx.family, f"Invalid value for 'top': {top!r}.")
        return body.get("continuationToken"), top
    return ctx.q("continuationToken"), ctx.q_int("count") or ctx.q_int("$top")


def page(ctx: Ctx, table: Table, *, group: str | None = None, grouped: bool = False, predicate=None,
         transform=None) -> dict:
    token, cap = query_params(ctx)
    after = ctx.decode_token(token)
    items, last = table.page_after(after, ctx.page_size(cap), group=group, grouped=grouped, predicate=predicate)
    if transform is not None:
        items = [transform(o) for o in items]
    next_token = ctx.encode_token(last) if last is not None else None
    next_link = None
    if next_token is not None and ctx.request.method == "GET":
        next_link = ctx.link_with("continuationToken", next_token)
    return {"value": items, "continuationToken": next_token, "nextLink": next_link}
