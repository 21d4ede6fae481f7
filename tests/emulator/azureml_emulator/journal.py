"""The request journal and the counters (``/_emulator/journal``, ``/_emulator/counters``)."""

from __future__ import annotations

import time
from collections import Counter, deque
from datetime import datetime, timezone


class Journal:
    def __init__(self, max_entries: int = 200_000):
        self.entries: deque[dict] = deque(maxlen=max_entries)
        self.seq = 0
        self.reset_counters()

    def reset_counters(self) -> None:
        self.requests = 0
        self.mutating = 0
        self.token_grants = 0
        self.faults = 0
        self.throttled = 0
        self.dropped = 0
        self.by_status: Counter = Counter()
        self.by_op: Counter = Counter()

    def clear(self) -> None:
        """Forget every entry and zero the counters (sequence numbers keep growing)."""
        self.entries.clear()
        self.reset_counters()

    def begin(self, method: str, path: str, *, query: dict, op: str | None, mutating: bool, profile: str | None,
              family: str | None, request_id: str, client_request_id: str | None) -> dict:
        self.seq += 1
        entry = {
            "seq": self.seq,
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": method,
            "path": path,
            "query": query,
            "op": op,
            "family": family,
            "profile": profile,
            "status": None,
            "mutating": mutating,
            "request_id": request_id,
            "client_request_id": client_request_id,
            "duration_ms": None,
            "dropped": False,
            "_start": time.monotonic(),
            "_done": False,
        }
        self.entries.append(entry)
        self.requests += 1
        if mutating:
            self.mutating += 1
        if op:
            self.by_op[op] += 1
        return entry

    def finish(self, entry: dict, status: int | None, dropped: bool = False) -> None:
        if entry["_done"]:
            return
        entry["_done"] = True
        entry["status"] = status
        entry["dropped"] = dropped
        entry["duration_ms"] = round((time.monotonic() - entry["_start"]) * 1000, 2)
        if dropped:
            self.dropped += 1
        self.by_status["dropped" if dropped else str(status)] += 1

    def since(self, seq: int, limit: int | None = None) -> dict:
        """Finished entries after ``seq``, stopping before the first one still in flight."""
        out: list[dict] = []
        for e in self.entries:
            if e["seq"] <= seq:
                continue
            if not e["_done"] or (limit is not None and len(out) >= limit):
                break
            out.append({k: v for k, v in e.items() if not k.startswith("_")})
        nxt = out[-1]["seq"] if out else max(seq, 0)
        return {"entries": out, "next": nxt}

    def counters(self) -> dict:
        return {
            "requests": self.requests, "mutating": self.mutating, "token_grants": self.token_grants,
            "faults": self.faults, "throttled": self.throttled, "dropped": self.dropped,
            "by_status": dict(self.by_status), "by_op": dict(self.by_op),
        }
