"""Python bindings for libbeyla (eBPF auto-instrumentation).

A thin layer over libbeyla's C ABI (beyla/beyla.h): probe what the running kernel can do
(`capabilities()`), and trace request spans of selected processes (`Tracer`). Errors from
the library are raised as OSError(errno, message).

Type stubs for the compiled module; tests/python/test_stubs.py keeps them in step with it.
"""

from typing import Any, Callable, Iterator, Optional, Sequence, TypedDict, Union

__version__: str
"""libbeyla's version (beyla_version_string())."""

Span = dict[str, Any]
"""One span, keyed like `beyla trace --format jsonl`: kind, protocol, start_time_unix_nano,
end_time_unix_nano, duration_ns, process.pid, thread.id, process.executable.name, and the
OpenTelemetry attributes (http.request.method, url.path, http.response.status_code,
server.address, server.port, client.address, client.port, network.protocol.version,
http.request.body.size, http.response.body.size, url.scheme, error.type, and url.query
with url_query=True)."""


class CapItem(TypedDict):
    name: str
    category: str
    state: str  # "yes", "no" or "unknown"
    value: str
    reason: str
    degraded: str


class TlsLibrary(TypedDict):
    kind: str  # "openssl-shared", "openssl-static", "gnutls" or "go"
    path: str
    functions: int
    pids: list[int]


class MetricPoint(TypedDict, total=False):
    attributes: dict[str, Any]  # http.request.method, http.route, ...; otel.metric.overflow: True
    resource: dict[str, Any]    # service.name, service.instance.id, host.name, process.pid, ...
    start_time_unix_nano: int
    time_unix_nano: int
    count: int
    sum: float
    min: float
    max: float
    bucket_counts: list[int]  # histogram: len(bounds) + 1
    scale: int                # exponential_histogram: bucket offset+i covers
    offset: int               # (2^((offset+i)/2^scale), 2^((offset+i+1)/2^scale)]
    zero_count: int
    positive: list[int]


class Metric(TypedDict, total=False):
    name: str  # "http.server.request.duration", ...
    unit: str  # "s", "By"
    description: str
    kind: str  # "histogram" or "exponential_histogram"
    bounds: list[float]
    points: list[MetricPoint]


class Capabilities:
    """What the running kernel can do for the tracer. Yes/no answers are True/False, and
    None when they could not be determined."""

    @property
    def btf(self) -> Optional[bool]: ...
    @property
    def ringbuf(self) -> Optional[bool]: ...
    @property
    def perfbuf(self) -> Optional[bool]: ...
    @property
    def syscall_tracepoints(self) -> Optional[bool]: ...
    @property
    def raw_tracepoints(self) -> Optional[bool]: ...
    @property
    def kprobes(self) -> Optional[bool]: ...
    @property
    def fentry(self) -> Optional[bool]: ...
    @property
    def uprobes(self) -> Optional[bool]: ...
    @property
    def tc(self) -> Optional[bool]: ...
    @property
    def cgroup_skb(self) -> Optional[bool]: ...
    @property
    def socket_filter(self) -> Optional[bool]: ...
    @property
    def bpf_loop(self) -> Optional[bool]: ...
    @property
    def probe_write_user(self) -> Optional[bool]: ...
    @property
    def rhel_backport(self) -> Optional[bool]: ...
    @property
    def can_trace(self) -> bool:
        """Whether a tracer can start with this kernel and these privileges."""
    @property
    def kernel_major(self) -> int: ...
    @property
    def kernel_minor(self) -> int: ...
    @property
    def kernel_patch(self) -> int: ...
    @property
    def kernel_version(self) -> str:
        """"major.minor.patch"."""
    @property
    def page_size(self) -> int: ...
    @property
    def memlock_limit(self) -> Optional[int]:
        """RLIMIT_MEMLOCK in bytes (2**64-1: unlimited), None when unknown."""
    @property
    def lockdown(self) -> str: ...
    @property
    def btf_source(self) -> str: ...
    @property
    def capture_path(self) -> str: ...
    @property
    def transport(self) -> str: ...
    @property
    def plan(self) -> str:
        """The plan as plain text."""
    @property
    def items(self) -> list[CapItem]:
        """Every item as a dict: name, category, state, value, reason, degraded."""
    def get(self, name: str) -> Optional[CapItem]:
        """The item named so, or None."""
    def __getitem__(self, name: str) -> CapItem: ...
    def __contains__(self, name: str) -> bool: ...
    def __len__(self) -> int: ...
    def json(self) -> str:
        """The report as a JSON string."""
    def to_dict(self) -> dict[str, Any]:
        """The report as a dict (the JSON report, parsed)."""


def capabilities(*, proc_root: Optional[str] = None, sys_root: Optional[str] = None,
                 boot_root: Optional[str] = None, etc_root: Optional[str] = None,
                 btf_path: Optional[str] = None, no_mount_tracefs: bool = False,
                 files_only: bool = False) -> Capabilities:
    """Probes the running kernel and returns a Capabilities object.

    The *_root arguments read another file tree instead of /proc, /sys, /boot and /etc
    (tests); files_only reads files only: no BPF loads, attaches or mounts."""


class SpanIterator:
    def __iter__(self) -> "SpanIterator": ...
    def __next__(self) -> Span: ...


class Tracer:
    """Traces request spans of selected processes.

        with pybeyla.Tracer(pids=[1234], ports=[8080], exe=["nginx"]) as t:
            for span in t.spans(timeout=5.0):
                print(span["http.request.method"], span["url.path"])

    Spans are dicts keyed like `beyla trace --format jsonl`. With on_span=callable the
    callable receives each span during poll()/spans(). The GIL is released while waiting.
    """

    def __init__(self, *, pids: Sequence[int] = ..., ports: Sequence[int] = ..., exe: Sequence[str] = ...,
                 transport: str = "auto", payload_prefix: int = 0, ring_size: int = 0, url_query: bool = False,
                 replay: Optional[str] = None, record: Optional[str] = None,
                 on_span: Optional[Callable[[Span], Any]] = None, log: bool = False, tls: bool = True,
                 protocols: Sequence[str] = ..., btf_path: Optional[str] = None,
                 metrics: Union[bool, dict[str, Any]] = False, routes: Sequence[str] = ...,
                 db_query_raw: bool = False, unix: Sequence[str] = ...) -> None:
        """pids, ports (listening TCP ports), unix (paths of listening unix stream sockets, at
        start) and exe (fnmatch globs on the executable path or base name) select the
        processes to trace, with the children they fork.
        transport: "auto", "ringbuf" or "perfbuf". payload_prefix: bytes copied per syscall
        (0: 4096). ring_size: event buffer bytes (0: the plan's). url_query: emit url.query.
        replay / record: decode a recording instead of the kernel / also write one.
        log: library messages to the "pybeyla" logger. tls: decrypted HTTPS through uprobes
        on TLS libraries (on by default; tls=False leaves them alone). protocols: names to
        decode ("http", "http2", "grpc", "redis", "memcached"; empty: all). btf_path: a BTF file for CO-RE instead
        of the kernel's own. db_query_raw: db.query.text with its literals (off: string and
        number literals become "?").
        metrics: True, or a dict of options (duration_buckets, size_buckets: ascending
        bounds; exponential: bool; max_series: series per group before the
        otel.metric.overflow series; route_mode: "heuristic", "low-cardinality" or
        "patterns-only"; segment_cardinality; attributes: ["url.path", "server.address",
        "client.address"]; service_name: every process's service.name), aggregates RED
        metrics from the spans. routes: http.route patterns ("/users/{id}"); they turn
        metrics on. An unknown option raises ValueError; a bad value OSError(EINVAL)."""
    def start(self) -> None:
        """Loads and attaches the probes (or opens the replay)."""
    def stop(self) -> None:
        """Detaches the probes, drains what is left; the last spans come from poll()."""
    def poll(self, timeout_ms: int = 100) -> list[Span]:
        """Wait up to timeout_ms; return the spans decoded."""
    def stats(self) -> dict[str, int]:
        """Counters: events, bytes, spans, parse_errors, drop_ring_full, drop_perf_lost,
        drop_read_fault, drop_conn_limit, truncated, unmatched, connections, non_http,
        processes, malformed, incomplete, tls_undecoded, gaps, gap_bytes, unknown_protocol,
        and the protocol counters by name ("http2.fields_unknown", ...)."""
    def metrics(self) -> list[Metric]:
        """The metrics so far (cumulative), one dict per metric with at least one point:
        name, unit, description, kind ("histogram" or "exponential_histogram"), bounds
        (explicit histograms) and points. OSError(ENOTSUP) when metrics are off."""
    def prometheus(self, openmetrics: bool = False) -> str:
        """The metrics in the Prometheus text format 0.0.4, or OpenMetrics 1.0
        (http_server_request_duration_seconds_bucket{...}, target_info, ...)."""
    def tls_libraries(self) -> list[TlsLibrary]:
        """TLS libraries probed so far (unless tls=False): kind, path, functions, pids."""
    def spans(self, timeout: float = 1.0) -> SpanIterator:
        """Iterate over spans as they are decoded, for `timeout` seconds (or until a replay ends)."""
    def __enter__(self) -> "Tracer": ...
    def __exit__(self, *exc: object) -> bool: ...
