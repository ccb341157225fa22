/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbeyla public C ABI.
 *
 * Conventions (the same as libbpf's):
 *  - functions returning int return 0 (or a count) on success and -errno on failure;
 *  - constructors return NULL and set errno on failure;
 *  - every options/output struct starts with `size_t sz`, set by the caller to
 *    sizeof(the struct it was compiled against). Fields past the caller's sz take
 *    their defaults; a caller struct larger than the library's must have an all-zero
 *    tail, otherwise -EINVAL (the caller asked for something this build lacks).
 *    BEYLA_OPTS() declares, zeroes and sizes one for you.
 *  - strings returned by the library stay valid for the life of the handle they came
 *    from (or, for spans, for the duration of the callback) unless stated otherwise.
 *
 * This header is plain C99.
 */
#ifndef BEYLA_BEYLA_H
#define BEYLA_BEYLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define BEYLA_API __attribute__((visibility("default")))
#else
#define BEYLA_API
#endif

#define BEYLA_VERSION_MAJOR 0
#define BEYLA_VERSION_MINOR 1
#define BEYLA_VERSION_PATCH 0

/* Declares `struct TYPE NAME`, zeroed, with sz set and the given fields. */
#define BEYLA_OPTS(TYPE, NAME, ...)                                                                \
	struct TYPE NAME = ({                                                                      \
		memset(&NAME, 0, sizeof(struct TYPE));                                             \
		(struct TYPE){.sz = sizeof(struct TYPE), __VA_ARGS__};                             \
	})

/* Plain-C99 alternative to BEYLA_OPTS for compilers without statement expressions. */
#define BEYLA_OPTS_INIT(TYPE) {.sz = sizeof(struct TYPE)}

/* ---------------------------------------------------------------- version, errors */

BEYLA_API uint32_t beyla_version_major(void);
BEYLA_API uint32_t beyla_version_minor(void);
BEYLA_API uint32_t beyla_version_patch(void);
BEYLA_API const char *beyla_version_string(void);

/* Writes a message for err (either sign) into buf. Returns 0, or -EINVAL for bad arguments. */
BEYLA_API int beyla_strerror(int err, char *buf, size_t size);

/* ---------------------------------------------------------------- logging */

enum beyla_log_level {
	BEYLA_LOG_ERROR = 0,
	BEYLA_LOG_WARN = 1,
	BEYLA_LOG_INFO = 2,
	BEYLA_LOG_DEBUG = 3,
};

/*
 * Log callback. It receives the library's own messages and libbpf's messages
 * produced on behalf of the handle it was registered on. msg has no trailing newline.
 */
typedef void (*beyla_log_fn)(enum beyla_log_level level, const char *msg, void *ctx);

/* ---------------------------------------------------------------- capabilities */

enum beyla_tristate {
	BEYLA_UNKNOWN = -1,
	BEYLA_NO = 0,
	BEYLA_YES = 1,
};

struct beyla_caps_opts {
	size_t sz;
	/* File roots, for tests and containers. NULL means "/proc", "/sys", "/boot", "/etc". */
	const char *proc_root;
	const char *sys_root;
	const char *boot_root;
	const char *etc_root;
	/* The BTF file a tracer would be given as its btf_path: CO-RE then relocates against it
	 * instead of the kernel's own, and bpf.btf, plan.btf and btf_source report it (or why it
	 * is unusable). NULL: the kernel's own BTF, where libbpf looks for it. */
	const char *btf_path;
	/* Do not mount tracefs (or securityfs, to read lockdown) even when absent and allowed. */
	bool no_mount_tracefs;
	/* Skip every probe that needs the kernel (BPF loads, attaches, mounts): file reads only. */
	bool files_only;
	beyla_log_fn log_fn;
	void *log_ctx;
	/* Processes whose TLS libraries (and Go crypto/tls) are listed as items of category
	 * "tls" and in the plan, as a tracer with capture_tls would find and probe them. */
	const int32_t *tls_pids;
	size_t tls_pid_count;
	size_t : 0;
};
#define beyla_caps_opts__last_field tls_pid_count

struct beyla_caps;

/* Probes the running kernel. Returns NULL and sets errno only on bad options or ENOMEM:
 * a kernel that can do little is a valid result, not an error. */
BEYLA_API struct beyla_caps *beyla_caps_probe(const struct beyla_caps_opts *opts);
BEYLA_API void beyla_caps_free(struct beyla_caps *caps);

/* The main answers in one struct. */
struct beyla_caps_summary {
	size_t sz;
	uint32_t kernel_major, kernel_minor, kernel_patch;
	uint32_t page_size;
	int btf;              /* enum beyla_tristate */
	int ringbuf;
	int perfbuf;
	int syscall_tracepoints;
	int raw_tracepoints;
	int kprobes;
	int fentry;
	int uprobes;
	int tc;
	int cgroup_skb;
	int socket_filter;
	int bpf_loop;
	int probe_write_user;
	int rhel_backport;    /* a RHEL-like 4.18 kernel with backported BPF */
	int can_trace;        /* the plan can capture something */
	uint64_t memlock_limit; /* RLIMIT_MEMLOCK soft limit, UINT64_MAX for unlimited, 0 unknown */
	const char *lockdown; /* "none", "integrity", "confidentiality" or "unknown" */
	const char *btf_source; /* path of the BTF CO-RE relocates against, or "" */
	const char *capture_path; /* "syscall_tracepoints" or "none" */
	const char *transport;    /* "ringbuf", "perfbuf" or "none" */
	size_t : 0;
};
#define beyla_caps_summary__last_field transport

BEYLA_API int beyla_caps_get_summary(const struct beyla_caps *caps, struct beyla_caps_summary *out);

/* One line of the report. */
struct beyla_cap_item {
	size_t sz;
	const char *name;     /* stable key, e.g. "bpf.ringbuf", "hook.kprobe", "kernel.page_size" */
	const char *category; /* "kernel", "bpf", "hook", "helper", "security", "config", "tls" (tls_pids), "plan" */
	int state;            /* enum beyla_tristate; BEYLA_YES for plain values */
	const char *value;    /* human value: "yes", "no", "4096", "integrity", ... */
	const char *reason;   /* why: what was tried and what happened */
	const char *degraded; /* what is lost when this is missing, or "" */
	size_t : 0;
};
#define beyla_cap_item__last_field degraded

/* Number of items; items are indexed 0..count-1 in report order. */
BEYLA_API size_t beyla_caps_count(const struct beyla_caps *caps);
BEYLA_API int beyla_caps_item(const struct beyla_caps *caps, size_t idx, struct beyla_cap_item *out);
/* Looks an item up by name. -ENOENT if there is none. */
BEYLA_API int beyla_caps_find(const struct beyla_caps *caps, const char *name,
			      struct beyla_cap_item *out);
/* Human readable plan: capture path, transport, and one line per degradation. */
BEYLA_API const char *beyla_caps_plan_text(const struct beyla_caps *caps);
/* The whole report as JSON. */
BEYLA_API const char *beyla_caps_json(const struct beyla_caps *caps);
BEYLA_API const char *beyla_caps_last_error(const struct beyla_caps *caps);

/*
 * Rounds a requested ring size to one the kernel accepts for the given page size:
 * a power of two and a multiple of the page size (at least one page).
 * Returns 0 if page_size is not a power of two or the result would overflow.
 */
BEYLA_API uint64_t beyla_ring_size_for_page(uint64_t requested, uint64_t page_size);

/* ---------------------------------------------------------------- spans */

enum beyla_span_kind {
	BEYLA_SPAN_SERVER = 1, /* the traced process answered a request it read */
	BEYLA_SPAN_CLIENT = 2, /* the traced process sent a request and read the answer */
};

enum beyla_protocol {
	BEYLA_PROTO_UNKNOWN = 0,
	BEYLA_PROTO_HTTP1 = 1, /* HTTP/1.0 and 1.1; JSON "http" */
	BEYLA_PROTO_HTTP2 = 2, /* HTTP/2 (h2c, h2 over TLS); JSON "http" with network.protocol.version "2" */
	BEYLA_PROTO_GRPC = 3,  /* gRPC over HTTP/2; JSON "grpc" */
	/* Since 0.4. */
	BEYLA_PROTO_POSTGRESQL = 4, /* PostgreSQL v3 wire protocol; JSON "postgresql" */
	BEYLA_PROTO_MYSQL = 5,      /* MySQL and MariaDB client/server protocol; JSON "mysql" */
	BEYLA_PROTO_REDIS = 6,      /* RESP2/RESP3; JSON "redis" */
	BEYLA_PROTO_MEMCACHED = 7,  /* memcached text and meta protocol; JSON "memcached" */
	BEYLA_PROTO_DNS = 8,        /* DNS over UDP and TCP; JSON "dns" */
};

enum beyla_attr_type {
	BEYLA_ATTR_STRING = 1,
	BEYLA_ATTR_INT = 2,
	BEYLA_ATTR_BOOL = 3, /* num is 0 or 1; metric point attributes only. Since 0.3. */
};

/* One attribute, named as OpenTelemetry semantic conventions name it. */
struct beyla_attr {
	const char *key;
	int type; /* enum beyla_attr_type */
	const char *str;
	int64_t num;
};

struct beyla_span {
	size_t sz;
	int kind;     /* enum beyla_span_kind */
	int protocol; /* enum beyla_protocol */
	uint64_t start_time_unix_nano; /* first byte of the request */
	uint64_t end_time_unix_nano;   /* last byte of the response */
	uint32_t pid;
	uint32_t tid;
	const char *exe; /* process.executable.name */
	/* The most used attributes, also present in attrs. NULL / -1 when unknown. */
	const char *method;
	const char *path;
	int32_t status;
	size_t attr_count;
	const struct beyla_attr *attrs;
	/* W3C trace context sizes, random per span (JSON: lowercase hex). Since 0.3: a span
	 * from an older caller (smaller sz) has none. */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	size_t : 0;
};
#define beyla_span__last_field span_id

/* Span data is valid only during the callback; beyla_span_copy() keeps one. */
typedef void (*beyla_span_fn)(const struct beyla_span *span, void *ctx);

/* A deep copy the caller owns; free it with beyla_span_free(). NULL+errno on failure. */
BEYLA_API struct beyla_span *beyla_span_copy(const struct beyla_span *span);
BEYLA_API void beyla_span_free(struct beyla_span *span);
/* Looks an attribute up; NULL when absent. */
BEYLA_API const struct beyla_attr *beyla_span_attr(const struct beyla_span *span, const char *key);
/* The span as one JSON object (the same keys as `beyla trace --format jsonl`), written into buf.
 * Returns the length it needs (excluding the NUL), like snprintf, or -EINVAL. */
BEYLA_API int beyla_span_to_json(const struct beyla_span *span, char *buf, size_t size);

/* ---------------------------------------------------------------- metrics options (Since 0.3) */

/* http.route of a span whose path matches no route pattern. */
enum beyla_route_mode {
	BEYLA_ROUTE_HEURISTIC = 0,       /* identifier-like segments (numbers, UUIDs, hex, tokens) become "*" */
	BEYLA_ROUTE_LOW_CARDINALITY = 1, /* the same, and at most route_segment_cardinality values per
	                                  * segment position, later ones becoming "*" */
	BEYLA_ROUTE_PATTERNS_ONLY = 2,   /* any other path: the route "/" "**" (a wildcard) */
};

/* Optional metric attributes (unbounded values: off by default). */
#define BEYLA_METRIC_ATTR_URL_PATH (1u << 0)       /* url.path */
#define BEYLA_METRIC_ATTR_SERVER_ADDRESS (1u << 1) /* server.address, server.port */
#define BEYLA_METRIC_ATTR_CLIENT_ADDRESS (1u << 2) /* client.address */

struct beyla_metrics_opts {
	size_t sz;
	/* Explicit histogram bucket bounds, strictly increasing, at most 256; count 0: the
	 * defaults (OpenTelemetry's duration buckets in seconds; powers of ten for sizes). */
	const double *duration_bounds;
	size_t duration_bound_count;
	const double *size_bounds;
	size_t size_bound_count;
	/* Base-2 exponential histograms instead of explicit buckets. */
	bool exponential;
	uint32_t exp_max_buckets; /* 0: 160 */
	/* Route patterns for http.route: "/users/{id}" ("{x}" or "*" match one segment, a
	 * trailing "*" any rest); each must start with '/'. The first match wins. */
	const char *const *route_patterns;
	size_t route_pattern_count;
	int route_mode;                     /* enum beyla_route_mode */
	uint32_t route_segment_cardinality; /* BEYLA_ROUTE_LOW_CARDINALITY; 0: 10 */
	/* Series kept per metric group (0: 2000). Past it, spans go to one series with
	 * otel.metric.overflow=true, counted as "metrics.overflow" (beyla_tracer_counter). */
	uint32_t max_series;
	uint32_t optional_attrs; /* BEYLA_METRIC_ATTR_* bits */
	/* service.name of every traced process; NULL: each its own (OTEL_SERVICE_NAME or
	 * service.name of OTEL_RESOURCE_ATTRIBUTES in its environment, else its executable). */
	const char *service_name;
	size_t : 0;
};
#define beyla_metrics_opts__last_field service_name

/* ---------------------------------------------------------------- tracer */

enum beyla_transport {
	BEYLA_TRANSPORT_AUTO = 0, /* ring buffer where the kernel has one, else perf buffer */
	BEYLA_TRANSPORT_RINGBUF = 1,
	BEYLA_TRANSPORT_PERFBUF = 2,
};

struct beyla_tracer_opts {
	size_t sz;
	/* Process selection; a process matching any selector is traced, and so are the
	 * children it forks. With no selector at all, nothing is traced. */
	const int32_t *pids;
	size_t pid_count;
	const uint16_t *ports; /* processes listening on these TCP ports */
	size_t port_count;
	const char *const *exe_globs; /* fnmatch(3) globs on the executable path or its base name */
	size_t exe_glob_count;
	beyla_span_fn on_span;
	void *span_ctx;
	beyla_log_fn log_fn;
	void *log_ctx;
	int transport;              /* enum beyla_transport */
	uint32_t payload_prefix;    /* bytes of payload copied per syscall; 0 = default (4096) */
	uint32_t ring_size;         /* requested buffer bytes; 0 = default; rounded for the page size */
	bool capture_url_query;     /* emit url.query (off by default: it may hold secrets) */
	/* Feed events from a recording instead of the kernel (see beyla_tracer_record). */
	const char *replay_path;
	/* Write every raw event received to this file, for later replay. */
	const char *record_path;
	/* File roots for process discovery (tests); NULL = "/proc". */
	const char *proc_root;
	/* Decrypted HTTPS: uprobes on the TLS libraries of traced processes: OpenSSL's
	 * libssl.so.* (SSL_read/SSL_write and the _ex variants), OpenSSL or BoringSSL linked
	 * into an executable with symbols, GnuTLS (gnutls_record_recv/send), also when loaded
	 * later (dlopen), and Go's crypto/tls; such spans carry url.scheme "https".
	 * beyla_tracer_tls_library() lists what was probed.
	 * On by default since 0.2 (see no_tls): a caller whose sz covers no_tls gets TLS
	 * capture unless no_tls is set, and capture_tls changes nothing. A caller built
	 * before 0.2 (sz ending here) keeps the old meaning: TLS capture only when this is
	 * set. */
	bool capture_tls;
	/* Protocols to decode, by name (beyla_protocol_list()): "http" (HTTP/1.x), "http2",
	 * "grpc", "redis", "memcached" (Since 0.4), ...; protocol_count 0 decodes every one. An unknown name fails with -EINVAL.
	 * Since 0.2. */
	const char *const *protocols;
	size_t protocol_count;
	/* BTF file the probes' CO-RE relocations use instead of the kernel's own
	 * (/sys/kernel/btf/vmlinux and libbpf's fallbacks), e.g. for kernels built without
	 * CONFIG_DEBUG_INFO_BTF (libbpf's btf_custom_path). NULL: the kernel's. A file that
	 * is missing or not BTF fails beyla_tracer_start() with -ENOENT / -EINVAL naming it.
	 * Since 0.2. */
	const char *btf_path;
	/* Since 0.2: do not probe TLS libraries (HTTPS connections are then counted
	 * tls_undecoded). Setting both this and capture_tls is -EINVAL. */
	bool no_tls;
	/* RED metrics aggregated inside the tracer from its spans (beyla_tracer_metrics()):
	 * NULL for none. The struct is read by beyla_tracer_new() and not kept. Since 0.3. */
	const struct beyla_metrics_opts *metrics;
	/* Database spans: db.query.text exactly as sent. Off by default: string and number
	 * literals become "?" (they may hold secrets). Since 0.4. */
	bool capture_db_query_raw;
	/* Since 0.4: processes holding a unix stream socket listening on one of these paths
	 * (as /proc/net/unix lists them), selected at start like pids. Unix stream sockets are
	 * captured like TCP whatever selected the process: network.transport "unix",
	 * server.address the socket's path. */
	const char *const *unix_paths;
	size_t unix_path_count;
	size_t : 0;
};
#define beyla_tracer_opts__last_field unix_path_count

struct beyla_tracer;

BEYLA_API struct beyla_tracer *beyla_tracer_new(const struct beyla_tracer_opts *opts);
/* Loads and attaches the probes (or opens the replay). -EALREADY when started before (a
 * stopped tracer does not restart); -EPERM naming the missing capabilities. */
BEYLA_API int beyla_tracer_start(struct beyla_tracer *tracer);
/*
 * Waits up to timeout_ms (-1: forever, 0: no wait) for events, decodes them and calls
 * on_span for each finished span on the calling thread. Returns the number of spans
 * delivered, or -errno. A replay that is fully consumed returns -ENODATA.
 */
BEYLA_API int beyla_tracer_poll(struct beyla_tracer *tracer, int timeout_ms);
/* Detaches the probes, drains what is left and delivers the last spans. Idempotent, and 0
 * on a tracer never started. A poll after stop delivers nothing new (0 or -ENODATA). */
BEYLA_API int beyla_tracer_stop(struct beyla_tracer *tracer);
/* Stops if needed and frees. NULL is accepted. */
BEYLA_API void beyla_tracer_free(struct beyla_tracer *tracer);
BEYLA_API const char *beyla_tracer_last_error(const struct beyla_tracer *tracer);
/* File descriptor that becomes readable when events wait; -errno if not started. */
BEYLA_API int beyla_tracer_fd(const struct beyla_tracer *tracer);

struct beyla_stats {
	size_t sz;
	uint64_t events;           /* raw events received */
	uint64_t bytes;            /* payload bytes received */
	uint64_t spans;            /* spans delivered */
	uint64_t parse_errors;     /* bytes that were not a valid message of the protocol */
	uint64_t drop_ring_full;   /* events the kernel could not queue (buffer full) */
	uint64_t drop_perf_lost;   /* perf buffer samples reported lost */
	uint64_t drop_read_fault;  /* payload the kernel could not read from user memory */
	uint64_t drop_conn_limit;  /* connections refused by the connection table limit */
	uint64_t truncated;        /* syscalls with more bytes than the payload prefix */
	uint64_t unmatched;        /* requests or responses left unpaired (not counted in incomplete) */
	uint64_t connections;      /* connections seen */
	uint64_t non_http;         /* the same as unknown_protocol (its name before 0.2) */
	uint64_t processes;        /* processes currently traced */
	uint64_t malformed;        /* events that failed validation (recordings, corrupt data) */
	uint64_t incomplete;       /* spans whose response a connection close cut short or preempted
	                            * (attribute error.type: "response_incomplete" / "no_response") */
	uint64_t tls_undecoded;    /* connections carrying TLS records with no probe giving their
	                            * plaintext (no_tls, or a library not probed): skipped */
	uint64_t gaps;             /* times a connection's events were lost in between (from the
	                            * kernel's stream positions): its parsing resynced there */
	uint64_t gap_bytes;        /* bytes those losses held */
	/* Connections set aside undecoded: no enabled protocol claimed their first bytes, or
	 * the protocol that did gave up on them. Since 0.2. */
	uint64_t unknown_protocol;
	size_t : 0;
};
#define beyla_stats__last_field unknown_protocol

/* Protocol-specific counters of the tracer, by name (e.g. "http2.fields_unknown": header
 * fields a span lacks because they referenced HPACK state the tracer never saw). The
 * idx-th counter: 0 with *name and *value set, -ENOENT past the last one. *name stays
 * valid for the life of the tracer. Since 0.2. */
BEYLA_API int beyla_tracer_counter(const struct beyla_tracer *tracer, size_t idx, const char **name,
				   uint64_t *value);

/* The name of a span's protocol as JSON spans give it ("http" for both HTTP/1 and HTTP/2,
 * "grpc", ...), "unknown" for values this build does not know. Since 0.2. */
BEYLA_API const char *beyla_protocol_name(int protocol);
/* The idx-th protocol name a selection (beyla_tracer_opts.protocols) may use, NULL past
 * the last. Since 0.2. */
BEYLA_API const char *beyla_protocol_list(size_t idx);

BEYLA_API int beyla_tracer_stats(const struct beyla_tracer *tracer, struct beyla_stats *out);

/* A TLS library the tracer probes (unless no_tls). kind: "openssl-shared" (libssl.so.*),
 * "openssl-static" (OpenSSL or BoringSSL linked into an executable), "gnutls" or "go" (Go's
 * crypto/tls in a Go executable: functions counts Read and Write); path as
 * the first process found mapping it sees it (or the system's copy). */
struct beyla_tls_library {
	size_t sz;
	const char *kind;
	const char *path;
	uint32_t functions;   /* read/write entry points probed */
	uint32_t pid_count;   /* traced processes seen using it (at most 4096 listed) */
	const uint32_t *pids; /* pid_count of them, ascending */
	size_t : 0;
};
#define beyla_tls_library__last_field pids

/* The idx-th TLS library probed so far: 0, -ENOENT past the last one. Pointers stay valid
 * until the next call on this tracer of this function, or beyla_tracer_free(). */
BEYLA_API int beyla_tracer_tls_library(struct beyla_tracer *tracer, size_t idx, struct beyla_tls_library *out);

/* ---------------------------------------------------------------- metrics snapshot (Since 0.3) */

/* A point-in-time copy of a tracer's metrics (cumulative), owned by the caller. */
struct beyla_metrics;

enum beyla_metric_kind {
	BEYLA_METRIC_HISTOGRAM = 1,             /* explicit bucket bounds */
	BEYLA_METRIC_EXPONENTIAL_HISTOGRAM = 2, /* base-2 exponential buckets */
};

/* Takes a snapshot. It may run on any thread, also while another one polls the tracer.
 * NULL with errno: EINVAL (NULL tracer), ENOTSUP (the tracer has no metrics_opts), ENOMEM. */
BEYLA_API struct beyla_metrics *beyla_tracer_metrics(const struct beyla_tracer *tracer);
BEYLA_API void beyla_metrics_free(struct beyla_metrics *metrics);
/* When it was taken, Unix nanoseconds. */
BEYLA_API uint64_t beyla_metrics_time(const struct beyla_metrics *metrics);
/* Metrics with at least one point; indexed 0..count-1. */
BEYLA_API size_t beyla_metrics_count(const struct beyla_metrics *metrics);

struct beyla_metric {
	size_t sz;
	const char *name;        /* OpenTelemetry name, e.g. "http.server.request.duration" */
	const char *unit;        /* UCUM: "s", "By" */
	const char *description;
	int kind;                /* enum beyla_metric_kind */
	size_t bound_count;      /* explicit histograms: bucket bounds, ascending */
	const double *bounds;
	size_t point_count;
	size_t : 0;
};
#define beyla_metric__last_field point_count

/* One series of a metric. Pointers stay valid for the life of the snapshot. */
struct beyla_metric_point {
	size_t sz;
	size_t attr_count;
	const struct beyla_attr *attrs; /* http.request.method, http.route, ... */
	/* The traced process's resource: service.name, service.instance.id, host.name,
	 * process.pid, process.executable.name; none (0) when it could not be had. */
	size_t resource_attr_count;
	const struct beyla_attr *resource_attrs;
	uint64_t start_time_unix_nano;
	uint64_t time_unix_nano;
	uint64_t count;
	double sum, min, max;
	/* Explicit: bound_count + 1 counts, bucket i holding values in (bounds[i-1], bounds[i]]. */
	size_t bucket_count;
	const uint64_t *bucket_counts;
	/* Exponential: bucket offset+i covers (2^((offset+i)/2^scale), 2^((offset+i+1)/2^scale)]. */
	int32_t scale;
	int32_t offset;
	uint64_t zero_count;
	size_t positive_count;
	const uint64_t *positive;
	size_t : 0;
};
#define beyla_metric_point__last_field positive

/* 0, -EINVAL (bad arguments), -ENOENT (index past the last). */
BEYLA_API int beyla_metrics_metric(const struct beyla_metrics *metrics, size_t idx, struct beyla_metric *out);
BEYLA_API int beyla_metrics_point(const struct beyla_metrics *metrics, size_t metric_idx, size_t point_idx,
				  struct beyla_metric_point *out);

enum beyla_prom_format {
	BEYLA_PROM_TEXT_0_0_4 = 0, /* Prometheus text format 0.0.4 */
	BEYLA_PROM_OPENMETRICS = 1, /* OpenMetrics 1.0 text ("# UNIT", "# EOF") */
};

/* The snapshot in a Prometheus exposition format (OpenTelemetry's naming rules:
 * http_server_request_duration_seconds, target_info...), written into buf like snprintf:
 * returns the length it needs (excluding the NUL), or -EINVAL (bad arguments, unknown
 * format), -E2BIG (over INT_MAX bytes). */
BEYLA_API int beyla_metrics_prometheus(const struct beyla_metrics *metrics, int format, char *buf, size_t size);
/* The same text in a malloc'd NUL-terminated string the caller frees with
 * beyla_metrics_text_free(); *len (optional) gets its length. NULL with errno on failure. */
BEYLA_API char *beyla_metrics_prometheus_dup(const struct beyla_metrics *metrics, int format, size_t *len);
BEYLA_API void beyla_metrics_text_free(char *text);
/* The HTTP Content-Type of a format, NULL for unknown ones. */
BEYLA_API const char *beyla_prom_content_type(int format);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BEYLA_BEYLA_H */
