#!/usr/bin/env python3
"""The kiosk under fire: patients keep checking in over the API while pollers, SSE subscribers
and hostile clients on the "clinic LAN" do their worst. Standard library only.

Patients (the kiosk screen, on loopback) tap a valid virtual card through the bench endpoint and
answer every prompt; each check-in must end verified. Pollers and SSE subscribers read the
session, results and metrics. With --hostile, LAN clients (a second address of this machine, a
non-loopback peer for the daemon) also: trickle request headers and bodies, flood connections
beyond the limit, send oversized, malformed and wrongly typed bodies, and guess tokens.

Reports sessions per minute, errors (must be zero), 5xx answers (must be zero), SSE events and
the daemon's memory (VmRSS) at start and end as JSON on stdout; exits 1 on any error.

With --bounds instead: what LAN clients can make the daemon hold, phase by phase, while a
patient checks in on loopback and reception (its own LAN address) is polled throughout —
256 clients trickling big unfinished headers, slow readers that never read the OpenAPI
document, and one host trying to take every connection slot. Reports the daemon's peak memory
(VmHWM) after each phase and whether reception was served in each.
"""

import argparse
import http.client
import json
import socket
import sys
import threading
import time

RESULT_TIMEOUT = 30.0


class Run:
    def __init__(self):
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.counts = {}
        self.errors = []

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def error(self, what):
        with self.lock:
            if len(self.errors) < 50:
                self.errors.append(what)
            self.counts["errors"] = self.counts.get("errors", 0) + 1


def call(host, port, method, path, token=None, body=None, raw=None, content_type="application/json", timeout=15,
         session=None):
    """One request on a fresh connection: (status, parsed JSON or None). `session`: the id of
    the session a command is for, sent as If-Match (as the kiosk screen does)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {}
        if token:
            headers["Authorization"] = "Bearer " + token
        if session:
            headers["If-Match"] = '"' + session + '"'
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = content_type
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        payload = r.read()
        try:
            return r.status, json.loads(payload) if payload else None
        except ValueError:
            return r.status, None
    finally:
        conn.close()


def checked(run, status, what):
    if status >= 500:
        run.count("http_5xx")
        run.error(f"{what}: HTTP {status}")
    return status


def patient(run, a):
    """The kiosk screen: tap, choose PIN, enter it, consent to all, expect verified."""
    after = 0
    status, page = call(a.host, a.port, "GET", "/v1/results?after=0&limit=1000", a.reception)
    if status == 200:
        after = page.get("next_after") or 0
        while page["results"]:
            status, page = call(a.host, a.port, "GET", f"/v1/results?after={after}&limit=1000", a.reception)
            after = page.get("next_after") or after
    while not run.stop.is_set():
        started = time.monotonic()
        try:
            s, _ = call(a.host, a.port, "POST", "/v1/bench/card", a.bench, {"profile": "valid"})
            if checked(run, s, "tap") != 200:
                run.error(f"tap: HTTP {s}")
                time.sleep(0.5)
                continue
            result = None
            while time.monotonic() - started < RESULT_TIMEOUT:
                s, page = call(a.host, a.port, "GET", f"/v1/results?after={after}", a.reception)
                checked(run, s, "results")
                if s == 200 and page["results"]:
                    result = page["results"][0]
                    break
                s, view = call(a.host, a.port, "GET", "/v1/session", a.kiosk)
                checked(run, s, "session")
                kind = (view or {}).get("prompt", {}).get("kind")
                answer = {
                    "choose_method": ("/v1/session/method", {"method": "pin"}),
                    "enter_pin": ("/v1/session/pin", {"pin": a.pin, "confirm_last_try": False}),
                    "consent": ("/v1/session/consent", {"all": True}),
                }.get(kind)
                if answer:
                    s, _ = call(a.host, a.port, "POST", answer[0], a.kiosk, answer[1], session=view.get("id"))
                    checked(run, s, answer[0])
                else:
                    time.sleep(0.01)
            if result is None:
                run.error("a check-in never finished")
            else:
                after = result["seq"]
                if result["outcome"] == "verified":
                    run.count("sessions_verified")
                    run.count("session_ms", int((time.monotonic() - started) * 1000))
                else:
                    run.error(f"check-in {result['id']}: {result['outcome']} {result.get('error')}")
                s, _ = call(a.host, a.port, "POST", f"/v1/results/{result['id']}/ack", a.reception)
                checked(run, s, "ack")
            s, _ = call(a.host, a.port, "DELETE", "/v1/bench/card", a.bench)
            checked(run, s, "remove")
        except OSError as e:
            run.error(f"patient: {e}")
            time.sleep(0.2)


def poller(run, a):
    paths = ["/v1/session", "/v1/results?after=0&limit=5", "/metrics", "/v1/health"]
    i = 0
    while not run.stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        try:
            s, _ = call(a.host, a.port, "GET", path, a.reception)
            checked(run, s, path)
            if s not in (200,):
                run.error(f"poll {path}: HTTP {s}")
            run.count("polls")
        except OSError as e:
            run.error(f"poll {path}: {e}")
        time.sleep(a.poll_interval)


def subscriber(run, a, seen):
    """Reads /v1/events until stopped; counts result events."""
    try:
        sock = socket.create_connection((a.host, a.port), timeout=5)
        sock.sendall(
            f"GET /v1/events HTTP/1.1\r\nHost: kiosk\r\nAuthorization: Bearer {a.reception}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        sock.settimeout(1.0)
        buf = b""
        head_checked = False
        while not run.stop.is_set():
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                if not run.stop.is_set():
                    run.error("an SSE stream closed early")
                break
            buf += chunk
            if not head_checked and b"\r\n" in buf:
                head_checked = True
                status_line = buf.split(b"\r\n", 1)[0]
                if b" 200 " not in status_line:
                    run.error(f"SSE: {status_line!r}")
                    break
            n = buf.count(b"event: result")
            if n:
                run.count("sse_result_events", n)
                seen.append(n)
                buf = buf[buf.rfind(b"event: result") + 13 :]
            elif len(buf) > 1 << 20:
                buf = buf[-4096:]
        sock.close()
    except OSError as e:
        run.error(f"SSE: {e}")


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


# ---- hostile LAN clients ----------------------------------------------------------------
# While a flood holds every LAN connection slot, other LAN clients are closed at once: that is
# the limit working, counted as "lan_refused", never as an error. Loopback is never affected.

LAN_REFUSED = (ConnectionResetError, ConnectionRefusedError, BrokenPipeError, http.client.RemoteDisconnected)


def lan_connect(run, a):
    """A connection from the LAN, or None (counted, after a pause) while a flood holds it."""
    try:
        return socket.create_connection((a.lan, a.port), timeout=30)
    except LAN_REFUSED:
        run.count("lan_refused")
        time.sleep(0.2)
        return None


def slow_headers(run, a):
    """Headers trickled a byte every second: the daemon must hang up (header read timeout)."""
    while not run.stop.is_set():
        s = lan_connect(run, a)
        if s is None:
            continue
        start = time.monotonic()
        closed = False
        try:
            for ch in b"GET /v1/health HTTP/1.1\r\nHost: kiosk\r\nX-Slow: " + b"a" * 60:
                s.sendall(bytes([ch]))
                s.settimeout(1.0)
                try:
                    if s.recv(1024) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                if run.stop.is_set() or time.monotonic() - start > 25:
                    break
        except OSError:
            closed = True
        s.close()
        if closed:
            run.count("slow_header_cut_off")
        elif not run.stop.is_set():
            run.error("a slow-header client was not cut off within 25 s")


def slow_body(run, a):
    """A body that never arrives: 408 once the body read timeout passes."""
    while not run.stop.is_set():
        s = lan_connect(run, a)
        if s is None:
            continue
        try:
            s.sendall(
                (
                    "POST /v1/session/challenge HTTP/1.1\r\nHost: kiosk\r\nAuthorization: Bearer "
                    f"{a.reception}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
                ).encode()
            )
            head = s.recv(64)
            if head.startswith(b"HTTP/1.1 408"):
                run.count("slow_body_answered")
            elif head:
                checked(run, int(head.split()[1]), "slow body")
            else:
                run.count("lan_refused")
        except LAN_REFUSED:
            run.count("lan_refused")
        except OSError as e:
            run.error(f"slow body: {e}")
        s.close()


def flood(run, a):
    """More connections than the LAN may hold, held open, in waves; after each wave the LAN is
    served again. Starts after --flood-after seconds (schemathesis is done on the LAN by then)."""
    if run.stop.wait(a.flood_after):
        return
    while not run.stop.is_set():
        socks = []
        for _ in range(a.flood):
            try:
                socks.append(socket.create_connection((a.lan, a.port), timeout=5))
            except OSError:
                run.count("flood_refused")
        run.count("flood_connections", len(socks))
        time.sleep(2)
        for s in socks:
            s.close()
        time.sleep(0.5)
        try:
            s, _ = call(a.lan, a.port, "GET", "/v1/health")
            if s == 200:
                run.count("flood_recovered")
            else:
                run.error(f"after a flood wave: HTTP {s}")
        except OSError as e:
            run.error(f"after a flood wave: {e}")


def junk(run, a):
    """Oversized, malformed and wrongly typed bodies; every answer 4xx, never 5xx."""
    cases = [
        ("oversized", b'{"pin":"' + b"1" * 100_000 + b'"}', "application/json", 413),
        ("malformed", b'{"pin": 12', "application/json", 400),
        ("not json", b"pin=1234", "application/x-www-form-urlencoded", 415),
        ("deep", b"[" * 5000 + b"]" * 5000, "application/json", 400),
    ]
    while not run.stop.is_set():
        for name, raw, ctype, want in cases:
            try:
                s, body = call(a.lan, a.port, "POST", "/v1/session/challenge", a.reception, raw=raw, content_type=ctype)
                checked(run, s, f"junk {name}")
                if s != want:
                    run.error(f"junk {name}: HTTP {s}, wanted {want}")
                run.count("junk_refused")
            except LAN_REFUSED:
                run.count("lan_refused")
            except OSError as e:
                run.error(f"junk {name}: {e}")
        time.sleep(0.05)


def guesser(run, a):
    """Token guessing from the LAN: refused, then slowed (429) without the token looked at."""
    i = 0
    while not run.stop.is_set():
        i += 1
        try:
            s, body = call(a.guesser_lan, a.port, "GET", "/v1/results", f"guess-{i:08d}")
        except LAN_REFUSED:
            run.count("lan_refused")
            time.sleep(0.2)
            continue
        checked(run, s, "guess")
        if s == 429:
            run.count("guesses_throttled")
            time.sleep(1)
        elif s == 401:
            run.count("guesses_refused")
        else:
            run.error(f"a guessed token got HTTP {s}")


# ---- --bounds: what the LAN can make the daemon hold ---------------------------------------

CUT_OFF = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


def big_slow_header(run, a, lan, held_for):
    """A request head of ~15 KiB (just under the 16 KiB buffer, so never a 431), then a byte a
    second: the daemon holds it until the header read timeout, then hangs up."""
    try:
        s = socket.create_connection((a.bounds_host, a.port), timeout=5, source_address=(lan, 0))
    except OSError:
        run.count("big_header_refused")
        return
    start = time.monotonic()
    try:
        s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: kiosk\r\nX-Big: " + b"a" * 15000)
        run.count("big_header_sent")
        s.settimeout(1.0)
        while time.monotonic() - start < held_for:
            try:
                s.recv(1024)
                # An answer (408) or the end: either way, cut off.
                run.count("big_header_cut_off")
                return
            except socket.timeout:
                s.sendall(b"a")
        run.error(f"a big slow header from {lan} was held over {held_for} s")
    except CUT_OFF:
        run.count("big_header_cut_off")
    except OSError as e:
        run.error(f"big slow header: {e}")
    finally:
        s.close()


def slow_reader(run, a, lan, hold, asks=60):
    """A tiny receive window, the public OpenAPI document asked for `asks` times, never read for
    `hold` seconds. Then the answer is drained: a daemon that gave up on it has closed it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    try:
        s.bind((lan, 0))
        s.settimeout(5)
        s.connect((a.bounds_host, a.port))
        s.sendall(b"GET /v1/openapi.json HTTP/1.1\r\nHost: kiosk\r\n\r\n" * asks)
        run.count("slow_reader_started")
    except OSError:
        run.count("slow_reader_refused")
        s.close()
        return
    time.sleep(hold)
    got = 0
    s.settimeout(2.0)
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                run.count("slow_reader_cut_off")
                break
            got += len(chunk)
    except CUT_OFF:
        run.count("slow_reader_cut_off")
    except socket.timeout:
        # Still open after all that time: the slot was held.
        run.error(f"a slow reader was still served after {hold} s ({got} bytes drained)")
    finally:
        s.close()


def hog(run, a, lan, n, hold):
    """One host opens `n` connections and tries to keep them all."""
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection((a.bounds_host, a.port), timeout=2, source_address=(lan, 0)))
        except OSError:
            run.count("hog_refused")
    time.sleep(1.0)
    held = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                run.count("hog_closed_at_once")
                continue
        except BlockingIOError:
            held += 1
            continue
        except OSError:
            run.count("hog_closed_at_once")
            continue
    run.count("hog_held", held)
    time.sleep(max(0.0, hold - 1.0))
    for s in socks:
        s.close()
    return held


def reception_poller(run, a, phase):
    """Reception's PC on its own LAN address: must be served all along."""
    while not run.stop.is_set():
        try:
            conn = http.client.HTTPConnection(a.bounds_host, a.port, timeout=10, source_address=(a.reception_lan, 0))
            conn.request("GET", "/v1/results?after=0&limit=1", headers={"Authorization": "Bearer " + a.reception})
            r = conn.getresponse()
            r.read()
            conn.close()
            if r.status == 200:
                run.count(f"reception_served_{phase[0]}")
            else:
                run.error(f"reception during {phase[0]}: HTTP {r.status}")
        except OSError as e:
            run.error(f"reception during {phase[0]}: {e}")
        time.sleep(0.25)


def bounds(a):
    run = Run()
    phase = ["start"]
    lans = a.bounds_lans.split(",")
    per_address = max(1, a.max_connections // 4)
    threads = [threading.Thread(target=reception_poller, args=(run, a, phase), daemon=True)]
    threads += [threading.Thread(target=patient, args=(run, a), daemon=True) for _ in range(a.patients)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    figures = {"vmhwm_kb_start": rss_kb(a.pid, "VmHWM"), "vmrss_kb_start": rss_kb(a.pid)}

    def phase_run(name, workers, seconds):
        phase[0] = name
        ts = [threading.Thread(target=w, args=args, daemon=True) for w, args in workers]
        for t in ts:
            t.start()
        peak_rss = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            peak_rss = max(peak_rss, rss_kb(a.pid))
            time.sleep(0.2)
        for t in ts:
            t.join(timeout=10)
        figures[f"{name}_vmhwm_kb"] = rss_kb(a.pid, "VmHWM")
        figures[f"{name}_peak_vmrss_kb"] = peak_rss
        figures[f"{name}_reception_served"] = run.counts.get(f"reception_served_{name}", 0)

    # 1. 256 clients trickling unfinished ~15 KiB heads, from as many addresses as the
    #    per-address cap needs; the header read timeout (10 s) ends them.
    n, spread = 256, max(1, -(-256 // per_address))
    slow = [(big_slow_header, (run, a, lans[i % min(spread, len(lans))], a.header_timeout + 5)) for i in range(n)]
    phase_run("big_slow_headers", slow, a.header_timeout + 3)
    # 2. Slow readers: 32 clients that never read the OpenAPI document they asked for.
    readers = [(slow_reader, (run, a, lans[-1], a.stall_timeout + 3)) for _ in range(32)]
    phase_run("slow_readers", readers, a.stall_timeout + 6)
    # 3. One host tries to take every slot (more than max_connections).
    hogs = [(hog, (run, a, lans[0], a.max_connections + 100, 5.0))]
    phase_run("one_host_every_slot", hogs, 6)
    run.stop.set()
    for t in threads:
        t.join(timeout=30)
    c = run.counts
    report = {
        "max_connections": a.max_connections,
        "per_address_cap": per_address,
        **figures,
        "vmhwm_kb_end": rss_kb(a.pid, "VmHWM"),
        "counts": {k: v for k, v in c.items() if not k.startswith("session_ms")},
        "errors": c.get("errors", 0),
        "first_errors": run.errors[:10],
    }
    print(json.dumps(report, indent=2))
    ok = not report["errors"]
    if c.get("big_header_cut_off", 0) < 256:
        print(f"bounds: only {c.get('big_header_cut_off', 0)} of 256 big slow headers were cut off", file=sys.stderr)
        ok = False
    if c.get("slow_reader_cut_off", 0) < 32:
        print("bounds: a slow reader was not cut off", file=sys.stderr)
        ok = False
    if c.get("hog_held", 0) > per_address:
        print(f"bounds: one host held {c.get('hog_held')} connections (cap {per_address})", file=sys.stderr)
        ok = False
    for name in ("big_slow_headers", "slow_readers", "one_host_every_slot"):
        if not report[f"{name}_reception_served"]:
            print(f"bounds: reception was not served during {name}", file=sys.stderr)
            ok = False
    if report["vmhwm_kb_end"] > a.max_hwm_mib * 1024:
        print(f"bounds: peak memory {report['vmhwm_kb_end']} kB over {a.max_hwm_mib} MiB", file=sys.stderr)
        ok = False
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--lan", help="this machine's non-loopback address (for --hostile)")
    p.add_argument("--guesser-lan", help="another one, for the token guesser (it gets throttled)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True, help="the daemon's PID, for its memory")
    p.add_argument("--tokens", required=True, help="JSON: kiosk, reception, bench")
    p.add_argument("--pin", default="1234")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--patients", type=int, default=1, help="0: no check-ins (API load alone)")
    p.add_argument("--pollers", type=int, default=8)
    p.add_argument("--poll-interval", type=float, default=0.05)
    p.add_argument("--subscribers", type=int, default=50)
    p.add_argument("--hostile", action="store_true")
    p.add_argument("--flood", type=int, default=400, help="connections per flood wave (LAN)")
    p.add_argument("--flood-after", type=float, default=20, help="seconds before the first wave")
    p.add_argument("--bounds", action="store_true", help="the bounds phases instead (see above)")
    p.add_argument("--bounds-host", help="the daemon's LAN address the bounds clients connect to")
    p.add_argument("--bounds-lans", help="comma-separated source addresses for the bounds clients")
    p.add_argument("--reception-lan", help="reception's source address during --bounds")
    p.add_argument("--max-connections", type=int, default=256, help="the daemon's [api] max_connections")
    p.add_argument("--header-timeout", type=float, default=10)
    p.add_argument("--stall-timeout", type=float, default=10)
    p.add_argument("--max-hwm-mib", type=float, default=96, help="peak memory (VmHWM) allowed")
    a = p.parse_args()
    tokens = json.load(open(a.tokens))
    a.kiosk, a.reception, a.bench = tokens["kiosk"], tokens["reception"], tokens["bench"]
    if a.hostile and not (a.lan and a.guesser_lan):
        p.error("--hostile needs --lan and --guesser-lan")
    if a.bounds:
        if not (a.bounds_host and a.bounds_lans and a.reception_lan):
            p.error("--bounds needs --bounds-host, --bounds-lans and --reception-lan")
        bounds(a)

    run = Run()
    seen = []
    threads = [threading.Thread(target=subscriber, args=(run, a, seen), daemon=True) for _ in range(a.subscribers)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    rss_start = rss_kb(a.pid)
    workers = [patient] * a.patients + [poller] * a.pollers
    if a.hostile:
        workers += [slow_headers] * 4 + [slow_body] * 2 + [flood, junk, guesser]
    threads += [threading.Thread(target=w, args=(run, a), daemon=True) for w in workers]
    for t in threads[a.subscribers :]:
        t.start()
    started = time.monotonic()
    # Memory every tenth of the run: a leak climbs steadily, a warm-up levels off.
    samples = []
    for i in range(10):
        time.sleep(a.seconds / 10)
        samples.append(rss_kb(a.pid))
    run.stop.set()
    elapsed = time.monotonic() - started
    for t in threads:
        t.join(timeout=30)
    rss_end = rss_kb(a.pid)
    c = run.counts
    sessions = c.get("sessions_verified", 0)
    report = {
        "seconds": round(elapsed, 1),
        "hostile": a.hostile,
        "sessions_verified": sessions,
        "sessions_per_minute": round(sessions * 60 / elapsed, 1),
        "mean_check_in_ms": round(c.get("session_ms", 0) / sessions, 1) if sessions else None,
        "errors": c.get("errors", 0),
        "http_5xx": c.get("http_5xx", 0),
        "polls": c.get("polls", 0),
        "sse_subscribers": a.subscribers,
        "sse_result_events": c.get("sse_result_events", 0),
        "rss_kb_start": rss_start,
        "rss_kb_end": rss_end,
        "rss_kb_every_tenth": samples,
        # Growth over the second half of the run, per minute: near zero when memory is flat.
        "rss_kb_per_minute_second_half": round((samples[-1] - samples[4]) * 60 / (a.seconds / 2), 1),
        "hostile_counts": {
            k: v
            for k, v in c.items()
            if k.startswith(("slow_", "flood_", "junk_", "guesses_", "lan_"))
        },
        "first_errors": run.errors[:10],
    }
    print(json.dumps(report, indent=2))
    ok = True
    if report["errors"] or report["http_5xx"]:
        ok = False
    if sessions == 0 and a.patients:
        print("no patient checked in", file=sys.stderr)
        ok = False
    if a.subscribers and report["sse_result_events"] < sessions * a.subscribers * 0.95:
        print("SSE subscribers missed result events", file=sys.stderr)
        ok = False
    if a.hostile:
        h = report["hostile_counts"]
        for key in ("slow_header_cut_off", "slow_body_answered", "junk_refused", "guesses_throttled", "flood_recovered"):
            if not h.get(key):
                print(f"hostile: nothing seen for {key}", file=sys.stderr)
                ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
