"""pybeyla metrics: Tracer(metrics=..., routes=...), metrics() as dicts, prometheus() text,
bad options refused, and metrics() on another thread while spans are polled."""
import errno
import os
import threading

import pytest

import pybeyla
from test_tracer import data_event, recording


def exchanges(paths_statuses, pid=77):
    ev, ts = [], 1000
    for i, (path, status) in enumerate(paths_statuses):
        fd = 3 + i
        ev.append(data_event(pid, fd, 100 + fd, 0, ts, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"))
        ts += 3_000_000  # 3 ms
        ev.append(data_event(pid, fd, 100 + fd, 1, ts, b"HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n" % status))
        ts += 1000
    return recording(ev)


def run(rec, **kw):
    with pybeyla.Tracer(replay=rec, **kw) as t:
        list(t.spans(timeout=10))
        return t.metrics(), t.prometheus(), t.prometheus(openmetrics=True)


def duration_points(metrics, name="http.server.request.duration"):
    m = [x for x in metrics if x["name"] == name]
    assert len(m) == 1, [x["name"] for x in metrics]
    return m[0], m[0]["points"]


def test_routes_buckets_and_prometheus_text():
    rec = exchanges([("/users/%d" % i, 200) for i in range(20)] + [("/checkout", 500)] * 5)
    try:
        metrics, prom, om = run(rec, metrics={"duration_buckets": [0.001, 0.01]}, routes=["/users/{id}"])
    finally:
        os.unlink(rec)
    met, points = duration_points(metrics)
    assert met["unit"] == "s" and met["kind"] == "histogram" and met["bounds"] == [0.001, 0.01]
    by = {(p["attributes"]["http.route"], p["attributes"]["http.response.status_code"]): p for p in points}
    assert by[("/users/{id}", 200)]["count"] == 20
    assert by[("/checkout", 500)]["count"] == 5
    for p in points:
        assert sum(p["bucket_counts"]) == p["count"] and len(p["bucket_counts"]) == 3
        assert p["bucket_counts"][1] == p["count"]  # 3 ms: in (0.001, 0.01]
        assert p["sum"] == pytest.approx(0.003 * p["count"], rel=0.01)
        assert p["resource"]["service.name"] and p["resource"]["process.pid"] == 77
        assert 0 < p["start_time_unix_nano"] <= p["time_unix_nano"]
    assert 'http_server_request_duration_seconds_count{' in prom
    assert 'http_route="/users/{id}"' in prom
    line = [l for l in prom.splitlines()
            if l.startswith("http_server_request_duration_seconds_count{") and 'http_route="/users/{id}"' in l]
    assert len(line) == 1 and line[0].endswith(" 20")
    assert "# EOF" in om and "# EOF" not in prom


def test_service_name_and_exponential():
    rec = exchanges([("/a", 200)] * 4)
    try:
        metrics, _, _ = run(rec, metrics={"exponential": True, "service_name": "shop"})
    finally:
        os.unlink(rec)
    met, points = duration_points(metrics)
    assert met["kind"] == "exponential_histogram" and "bounds" not in met
    assert len(points) == 1
    p = points[0]
    assert p["count"] == 4 and p["zero_count"] + sum(p["positive"]) == 4
    assert p["resource"]["service.name"] == "shop"


def test_series_cap_keeps_random_paths_bounded():
    rec = exchanges([("/p%s%s" % (chr(97 + i % 26), chr(97 + i // 26)), 200) for i in range(40)])
    try:
        metrics, prom, _ = run(rec, metrics={"max_series": 5})
    finally:
        os.unlink(rec)
    _, points = duration_points(metrics)
    assert len(points) == 6
    over = [p for p in points if p["attributes"].get("otel.metric.overflow") is True]
    assert len(over) == 1 and over[0]["count"] == 35
    assert sum(p["count"] for p in points) == 40
    assert 'otel_metric_overflow="true"' in prom


def test_metrics_off_and_bad_options():
    rec = exchanges([("/a", 200)])
    try:
        with pybeyla.Tracer(replay=rec) as t:
            list(t.spans(timeout=5))
            with pytest.raises(OSError) as e:
                t.metrics()
            assert e.value.errno == errno.ENOTSUP
            with pytest.raises(OSError):
                t.prometheus()
    finally:
        os.unlink(rec)
    with pytest.raises(ValueError, match="unknown metrics option 'bukets'"):
        pybeyla.Tracer(replay="/nonexistent", metrics={"bukets": [1]})
    with pytest.raises(ValueError, match="route_mode"):
        pybeyla.Tracer(replay="/nonexistent", metrics={"route_mode": "fast"})
    with pytest.raises(OSError) as e:
        pybeyla.Tracer(replay="/nonexistent", metrics={"duration_buckets": [2, 1]})
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        pybeyla.Tracer(replay="/nonexistent", routes=["no-slash"])
    assert e.value.errno == errno.EINVAL
    with pytest.raises(TypeError):
        pybeyla.Tracer(replay="/nonexistent", metrics="yes")


def test_metrics_from_another_thread_while_polling():
    rec = exchanges([("/r%d" % (i % 5), 200) for i in range(1500)])
    counts, errors = [], []
    try:
        with pybeyla.Tracer(replay=rec, metrics=True) as t:
            done = threading.Event()

            def reader():
                while not done.is_set():
                    try:
                        ms = t.metrics()
                        t.prometheus()
                        counts.append(sum(p["count"] for m in ms if m["name"] == "http.server.request.duration"
                                          for p in m["points"]))
                    except Exception as e:  # noqa: BLE001 - any failure is the test's failure
                        errors.append(e)
                        return

            th = threading.Thread(target=reader)
            th.start()
            n = len(list(t.spans(timeout=20)))
            done.set()
            th.join()
            final = sum(p["count"] for m in t.metrics() if m["name"] == "http.server.request.duration"
                        for p in m["points"])
    finally:
        os.unlink(rec)
    assert not errors
    assert n == 1500 and final == 1500
    assert counts and counts == sorted(counts)  # cumulative: never goes back
