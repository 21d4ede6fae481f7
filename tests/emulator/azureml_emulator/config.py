"""Runtime configuration: set from the command line, changed at run time by POST /_emulator/config."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields

# The demo identities (documented in docs/emulator.md). Synthetic GUIDs, never real ones.
DEMO_TENANT = "00000000-0000-4000-8000-0000000000aa"
DEMO_CLIENT_ID = "00000000-0000-4000-8000-0000000000c1"
DEMO_CLIENT_SECRET = "emulator-demo-secret"  # noqa: S105 - a documented test credential
DEFAULT_STATIC_TOKEN = "emulator-static-token"  # noqa: S105 - a documented test credential
PAGING_FAULTS = ("", "foreign_link", "repeat_token")
FOREIGN_BASE_URL = "https://paging-fault.invalid"  # the host of a foreign nextLink (.invalid never resolves)


@dataclass
class RuntimeConfig:
    """Everything a test may change without restarting the emulator."""

    page_size: int = 50  # items per page, every family (a client's count/top can only lower it)
    latency_ms: float = 0.0  # added to every Azure API response
    spike_rate: float = 0.0  # fraction of requests that get spike_ms more
    spike_ms: float = 0.0
    fault_rate: float = 0.0  # fraction answered 500/503 before anything is done
    rate_limit: float = 0.0  # token bucket refill, requests per second (0 = off)
    rate_burst: int = 10  # token bucket size
    drop_rate: float = 0.0  # fraction whose connection is closed without a response
    token_lifetime: int = 3600  # seconds, for tokens the fake Azure AD issues from now on
    lro_polls: int = 2  # status polls before a long-running operation reports a terminal state
    lro_seconds: float = 30.0  # ... or seconds since it started, whichever comes first (0 = polls only)
    retry_after: int = 0  # Retry-After (seconds) on 202 answers and on 503 faults
    soft_delete: bool = True  # workspace DELETE without forceToPurge soft-deletes (Azure's default)
    # A misbehaving list (every paged family): "" (none), "foreign_link" (nextLink on another host), "repeat_token"
    # (a page after the first answers the token, hence the nextLink, it was asked with: a list that never ends)
    paging_fault: str = ""
    # After this many model-management DELETEs (models, assets, images, services) were carried out, each further one is
    # carried out but its answer is held until this is set back to -1 (off) or 300 s pass: a client killed meanwhile
    # never learns the outcome (the interruption tests of the audit log). Setting it restarts the count.
    hold_deletes_after: int = -1
    # With --storage azurite: once an artifact's SAS URL has served the run's blob, that blob is rewritten in Azurite with
    # other bytes of the same size (a blob changed between the artifact-content download and the storage listing).
    rewrite_blob_after_sas: bool = False
    # What today's service does (azureml-core 1.61, docs/emulator.md "Switches"); False restores the emulator's old behaviour
    artifact_data_container: bool = True  # artifacts live under the run's dataContainerId (False: under the run id)
    experiment_view_type: bool = True  # archived experiments listed only when viewType asks (False: viewType ignored)
    metrics_v2: bool = True  # the v2 metrics service (False: its routes answer 404, as a service without it)
    contentinfo_path_form: bool = True  # content info with the path in the URL (False: only ?path=, the path form 404s)
    v2_list_view_type: bool = True  # v2 lists honour listViewType (False: ignored, every list answers its default view)
    seed: int = 0  # seed of the fault/latency random generator

    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in fields(cls)}

    def update(self, values: dict) -> None:
        """Apply a partial update; raise ValueError on an unknown key or a bad value."""
        unknown = set(values) - self.field_names()
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        candidate = copy.copy(self)
        for f in fields(self):
            if f.name not in values:
                continue
            raw = values[f.name]
            default = getattr(self, f.name)
            try:
                if isinstance(default, str):
                    if not isinstance(raw, str):
                        raise TypeError
                    value = raw
                elif isinstance(default, bool):
                    if not isinstance(raw, bool):
                        raise TypeError
                    value = raw
                elif isinstance(default, int):
                    if isinstance(raw, bool) or int(raw) != raw:
                        raise TypeError
                    value = int(raw)
                else:
                    if isinstance(raw, bool):
                        raise TypeError
                    value = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"bad value for {f.name}: {raw!r}") from None
            setattr(candidate, f.name, value)
        candidate.validate()
        for f in fields(self):
            setattr(self, f.name, getattr(candidate, f.name))

    def validate(self) -> None:
        for name in ("fault_rate", "drop_rate", "spike_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.page_size < 1:
            raise ValueError("page_size must be >= 1")
        for name in ("latency_ms", "spike_ms", "rate_limit", "lro_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.paging_fault not in PAGING_FAULTS:
            raise ValueError(f"paging_fault must be one of {', '.join(repr(f) for f in PAGING_FAULTS)}")
        for name in ("token_lifetime", "lro_polls", "retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.hold_deletes_after < -1:
            raise ValueError("hold_deletes_after must be >= -1 (-1: off)")
        if self.rate_burst < 1:
            raise ValueError("rate_burst must be >= 1")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class StartupOptions:
    """Fixed for the life of the process."""

    host: str = "127.0.0.1"
    port: int = 0
    aad_port: int = 0
    scenario: str = "demo"
    scenario_seed: int | None = None
    static_token: str = DEFAULT_STATIC_TOKEN
    tenant: str = DEMO_TENANT
    clients: dict[str, str] = field(default_factory=lambda: {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
    ca_dir: str | None = None
    tls: bool = False
    journal_max: int = 200_000
    storage: str = ""  # "azurite": the workspaces' storage accounts are Azurite accounts, filled from the scenario
