#!/usr/bin/env python3
"""SiMO benchmark: the API against the ceiling of a bare poem handler on this machine.

Starts each server on a fresh database, seeds 10,000 employees and 1,000,000 messages, and
measures with wrk (same client, same concurrency for every case):
  ceiling            a constant JSON answer from a bare poem handler; and the same handler
                     answering a constant 50-message page, the size of getmessage's answer
  createmessage      max req/s, then p99 at half that rate       (SQLite, PostgreSQL)
  getmessage         count 50, 1,000,000 messages stored         (SQLite, PostgreSQL)
  bulk 10,000        one message to 10,000 employees: time until stored and queued
  recall 10,000      recallmessage of that send, its 10,000 IDs in one call
  group 10,000       a group of every employee saved in one savegroup, then one message to it
  scheduled 10,000   the same, scheduled a second ahead: the scheduler's transaction, and how
                     long after its time it was done (the scheduler looks every second)
  CSV export         the cabinet's download of the whole message list (every message stored):
                     time to the first byte and to the last, size, the server's RSS meanwhile
  RSS                idle and peak of the server process
With --webhook the partner's status webhook is on, posting to a second ceiling server: the
createmessage cases then also queue and post an event per message pushed, and the time the
webhook's queue took to drain after the first case is reported.
Between cases it waits until the outbox is drained (every message pushed), so each case starts
from the same quiet state. Prints a table, writes artifacts/bench/latest.json. Run it through
scripts/bench.sh.
"""
import argparse
import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/simo-backend")
CEILING = os.path.join(ROOT, "target/release/examples/ceiling")
WRK_SCRIPT = r"""
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = token end
-- wrk pauses in whole milliseconds: a fractional pause is drawn from the two nearest.
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  local whole = math.floor(pause)
  local frac = pause - whole
  function delay() if math.random() < frac then return whole + 1 end return whole end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON{"requests":%d,"seconds":%f,"non2xx":%d,"errors":%d,"p50":%f,"p99":%f,"mean":%f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
end
"""
PG_ADMIN = os.environ.get("SIMO_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
INN = "7707083893"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    sys.exit(f"{url} did not answer in {timeout}s")


def memory_mb(pid):
    """(current RSS, peak RSS) of a process in MB, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    kb = lambda k: int(fields[k].split()[0]) / 1024
    return round(kb("VmRSS"), 1), round(kb("VmHWM"), 1)


def load(url, body, token, seconds, connections, pause_ms=0.0):
    """wrk, closed loop; with `pause_ms`, each connection pauses that long after each answer
    (latency percentiles exclude the pause; see `paced`)."""
    script = os.path.join(tempfile.gettempdir(), "simo-bench.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    env = dict(os.environ, BENCH_BODY=json.dumps(body, ensure_ascii=False), BENCH_TOKEN=token or "",
               BENCH_DELAY_MS=f"{pause_ms:.3f}")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script, url],
                         check=True, capture_output=True, text=True, env=env).stdout
    line = next(l for l in out.splitlines() if l.startswith("JSON{"))
    r = json.loads(line[4:])
    ok = r["requests"] - r["non2xx"]
    return {
        "rps": round(r["requests"] / r["seconds"], 1),
        "p50_ms": round(r["p50"], 2),
        "p99_ms": round(r["p99"], 2),
        "ok_share": round(ok / max(r["requests"], 1), 4),
        "non2xx": r["non2xx"],
        "socket_errors": r["errors"],
    }


def paced(url, body, token, seconds, connections, rate):
    """wrk at about `rate` req/s. A connection sends its next request `pause` after an answer,
    so the offered rate is connections / (pause + latency), and the latency is not known in
    advance: a pause of connections / rate alone offered 73% of the rate asked (7,300 req/s for
    10,000). The pause is set from short probe runs until the rate is within 3% of `rate`."""
    cycle_ms = connections * 1000 / rate

    def closer(pause, reached):
        # What a cycle took besides the pause: the answer's latency and wrk's own time.
        rest = connections * 1000 / max(reached, 1) - pause
        return max(0.0, cycle_ms - rest)

    def near(run):
        print(f"  paced for {rate} req/s: pause {pause:.3f} ms -> {run['rps']} req/s", flush=True)
        return abs(run["rps"] - rate) <= 0.03 * rate

    pause = cycle_ms
    for _ in range(5):
        probe = load(url, body, token, 3, connections, pause)
        if near(probe):
            break
        pause = closer(pause, probe["rps"])
    # A full-length run may still land a few percent off its probe (91% once): once more then.
    for last in (False, True):
        result = load(url, body, token, seconds, connections, pause)
        if last or near(result):
            break
        pause = closer(pause, result["rps"])
    result["rate"] = rate
    result["pause_ms"] = round(pause, 3)
    return result


def post(url, body, token):
    status, answer, _ = post_timed(url, body, token)
    return status, answer


def post_timed(url, body, token):
    """`post`, and the seconds from sending the request to reading its answer's last byte: the
    server's time and the wire's. The body is encoded before and the answer parsed after, as
    the client's own work: parsing `getstaff` of 111,000 (30 MB) takes Python 0.57 s, more
    than the server takes to answer it (0.25 s, `curl -w %{time_total}`)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": token, "Content-Type": "application/json"})
    started = time.time()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    seconds = time.time() - started
    return status, json.loads(raw or b"null"), seconds


def cabinet(base, password):
    """A client logged in to the cabinet as the partner's admin."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(f"{base}/cabinet/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"login": INN, "password": password, "csrf": csrf}).encode()
    opener.open(f"{base}/cabinet/login", data=data, timeout=30).read()
    return opener


def cabinet_pages(base, password):
    """The cabinet's pages a large company's admin opens most, each the median of five loads,
    with the partner's whole staff (111,000 after the sync) and messages."""
    opener = cabinet(base, password)
    pages = {"employees": "/cabinet/employees", "employees_search": "/cabinet/employees?q=" +
             urllib.parse.quote("штата 0009"), "send_form": "/cabinet/send", "messages": "/cabinet/messages",
             "dashboard": "/cabinet",
             # By sender: the cabinet's login (its own index), and an API key that sent none of
             # the million (the worst case: no index has the API's senders).
             "messages_by_admin": "/cabinet/messages?by=admin",
             "messages_by_key": "/cabinet/messages?by=" + urllib.parse.quote("api:Никакой")}
    out = {}
    for name, path in pages.items():
        times = []
        for _ in range(5):
            started = time.time()
            with opener.open(f"{base}{path}", timeout=120) as r:
                size = len(r.read())
            times.append(time.time() - started)
        out[name] = {"ms": round(sorted(times)[2] * 1000, 1), "kb": round(size / 1024, 1)}
    return out


def export_csv(base, pid, password):
    """Logs in to the cabinet as the partner's admin and downloads the whole message list as
    CSV, sampling the server's RSS while it streams."""
    opener = cabinet(base, password)
    rss = [memory_mb(pid)[0]]
    streaming = threading.Event()
    streaming.set()

    def sample():
        while streaming.is_set():
            rss.append(memory_mb(pid)[0])
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.time()
    first = None
    size = rows = 0
    try:
        with opener.open(f"{base}/cabinet/messages.csv", timeout=600) as r:
            if not r.headers.get("content-type", "").startswith("text/csv"):
                sys.exit(f"the export answered {r.headers.get('content-type')}: not logged in?")
            while chunk := r.read(1 << 16):
                first = first or time.time()
                size += len(chunk)
                rows += chunk.count(b"\r\n")
    finally:
        streaming.clear()
        sampler.join()
    seconds = time.time() - started
    return {"seconds": round(seconds, 2), "first_byte_ms": round((first - started) * 1000, 1),
            "rows": rows - 1, "mb": round(size / 1e6, 1), "rows_per_s": round((rows - 1) / seconds),
            "rss_before_mb": rss[0], "rss_max_mb": max(rss)}


def list_all(base, token):
    """Reads every message of the partner through listmessages, 1,000 a page with its cursor,
    as a company's export of everything would; then one page filtered to a rare status."""
    pages, rows, times = 0, 0, []
    cursor = ""
    while True:
        status, answer, seconds = post_timed(f"{base}/api/v1/listmessages", {"inn": INN, "cursor": cursor}, token)
        times.append(seconds * 1000)
        if status != 200:
            return {"status": status, "error": (answer or {}).get("error")}
        data = answer["data"]
        pages += 1
        rows += len(data["messages"])
        cursor = data["cursor"] or ""
        if not data["more"]:
            break
    seconds = sum(times) / 1000
    times.sort()
    status, answer, rare_seconds = post_timed(f"{base}/api/v1/listmessages", {"inn": INN, "status": "failed"}, token)
    rare_ms = round(rare_seconds * 1000, 1)
    return {"status": status, "seconds": round(seconds, 2), "pages": pages, "rows": rows,
            "rows_per_s": round(rows / seconds), "page_p50_ms": round(times[len(times) // 2], 1),
            "page_max_ms": round(times[-1], 1), "rare_status_ms": rare_ms,
            "rare_found": len(((answer or {}).get("data") or {}).get("messages") or [])}


def run_ceiling(args):
    port = free_port()
    proc = subprocess.Popen([CEILING, f"127.0.0.1:{port}"])
    try:
        url = f"http://127.0.0.1:{port}/api/v1/createmessage"
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("ceiling server did not start")
                time.sleep(0.1)
        result = load(url, {"inn": INN}, None, args.seconds, args.connections)
        # The same bare handler answering a constant 50-message page (19 KB, the size of the
        # getmessage case's answer): what moving that many bytes alone costs.
        result["page"] = load(url.replace("createmessage", "getmessage"), {"inn": INN}, None,
                              args.seconds, args.connections)
        result["rss_peak_mb"] = memory_mb(proc.pid)[1]
        return result
    finally:
        proc.terminate()
        proc.wait()


def seed(kind, db_url, sqlite_path, partner_id, args):
    now = int(time.time() * 1000)
    params = {"pid": partner_id, "staff": args.staff, "messages": args.messages, "now": now}
    script = os.path.join(ROOT, f"scripts/bench/seed-{kind}.sql")
    started = time.time()
    if kind == "sqlite":
        con = sqlite3.connect(sqlite_path)
        for stmt in open(script).read().split(";"):
            body = "\n".join(l for l in stmt.splitlines() if not l.strip().startswith("--")).strip()
            if body:
                con.execute(body, {k: v for k, v in params.items() if f":{k}" in body})
        con.commit()
        first = con.execute("SELECT MIN(id) FROM staff WHERE partner_id = ?", (partner_id,)).fetchone()[0]
        con.close()
    else:
        psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", db_url]
        subprocess.run(psql + [f"-v{k}={v}" for k, v in params.items()] + ["-f", script], check=True)
        first = int(subprocess.run(psql + ["-tAc", f"SELECT MIN(id) FROM staff WHERE partner_id = {partner_id}"],
                                   check=True, capture_output=True, text=True).stdout.strip())
    return first, round(time.time() - started, 1)


def staff_ids(kind, db_url, sqlite_path, partner_id):
    """Every employee's ID, as the API writes them."""
    sql = f"SELECT id FROM staff WHERE partner_id = {partner_id} ORDER BY id"
    if kind == "sqlite":
        con = sqlite3.connect(sqlite_path)
        ids = [str(r[0]) for r in con.execute(sql)]
        con.close()
        return ids
    out = subprocess.run(["psql", "-q", "-tA", db_url, "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.split()


def group_of_all(base, token, ids):
    """A group of every employee, saved in one `savegroup`, then one message to it."""
    status, answer, save_seconds = post_timed(f"{base}/api/v1/savegroup", {"inn": INN, "name": "Все смены", "staffids": ids}, token)
    if status == 404 and not answer.get("data"):
        return None  # a build from before groups (an A/B run against an older binary)
    assert status == 200, answer
    group = {"save_seconds": round(save_seconds, 3), "members": len(answer["data"]["staffids"])}
    status, answer, send_seconds = post_timed(f"{base}/api/v1/createmessagebulk",
                          {"inn": INN, "groupid": answer["data"]["groupid"], "title": "Смене", "message": "Сбор в 8:00"},
                          token)
    assert status == 200, answer
    group["send_seconds"] = round(send_seconds, 3)
    group["created"] = len(answer["data"]["messages"])
    return group


def scalar(kind, db_url, sqlite_path, sql):
    """One number read straight from the database."""
    if kind == "sqlite":
        con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql).fetchone()[0]
        finally:
            con.close()
    out = subprocess.run(["psql", "-tAc", sql, db_url], check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def write(kind, db_url, sqlite_path, sql):
    if kind == "sqlite":
        con = sqlite3.connect(sqlite_path, timeout=30)
        con.execute(sql)
        con.commit()
        con.close()
    else:
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql, db_url], check=True)


def settle(kind, db_url, sqlite_path, timeout=120, queue="deliveries"):
    """Waits until every message of the last run is pushed (or, with `queue`, every webhook
    event posted), so each case starts from the same quiet state; returns how long the queue
    took to drain, in seconds."""
    started = time.time()
    while scalar(kind, db_url, sqlite_path, f"SELECT COUNT(*) FROM {queue}") > 0:
        if time.time() - started > timeout:
            sys.exit(f"[{kind}] {queue} did not drain in {timeout}s")
        time.sleep(0.1)
    drained = round(time.time() - started, 2)
    time.sleep(1)
    return drained


def start_receiver():
    """A second ceiling server as the partner's webhook endpoint: it answers 200 at once."""
    port = free_port()
    proc = subprocess.Popen([CEILING, f"127.0.0.1:{port}"])
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}/api/v1/createmessage"
        except OSError:
            if time.time() > deadline:
                sys.exit("webhook receiver did not start")
            time.sleep(0.1)


def search_indexed(sqlite_path, timeout=300):
    """SQLite: waits until the server's indexer has put every seeded message in the search
    index (its own file, `<db>-search`), so that no case runs beside that first catch-up;
    returns how long it took, in seconds."""
    started = time.time()
    while True:
        try:
            con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True, timeout=30)
            try:
                con.execute("ATTACH DATABASE ? AS search", (f"file:{sqlite_path}-search?mode=ro",))
                if con.execute("SELECT (SELECT indexed_to FROM search.progress) >= (SELECT MAX(id) FROM messages)").fetchone()[0]:
                    return round(time.time() - started, 1)
            finally:
                con.close()
        except sqlite3.OperationalError:
            pass  # the index file or its tables are not there yet
        if time.time() - started > timeout:
            sys.exit(f"[sqlite] the search index did not catch up in {timeout}s")
        time.sleep(0.5)


def add_staff(base, token):
    """The company's staff list of 10,000 new phones: added, sent again (all there), and
    again as the whole staff (the seeded employees, not on it, disabled)."""
    # +7902…: the seeded employees have +7901… phones.
    staff = [{"phone": f"+7902{i:07d}", "name": f"Сотрудник списка {i}"} for i in range(10_000)]
    out = {}
    for case, extra in (("new", {}), ("again", {}), ("whole_staff", {"disablemissing": True})):
        status, answer, seconds = post_timed(f"{base}/api/v1/addstaff", {"inn": INN, "staff": staff, **extra}, token)
        data = answer.get("data") or {}
        out[case] = {"status": status, "seconds": round(seconds, 3),
                     "added": data.get("added"), "existing": data.get("existing"),
                     "disabled": data.get("disabled")}
    return out


def staff_sync(base, token):
    """A staff of 100,000 in ten parts: beginstaffsync, ten addstaff of 10,000 with its syncid
    (9,000 of the list's phones, 91,000 new), finishstaffsync with the count; the list's 1,000
    left out are disabled."""
    phones = [f"+7902{i:07d}" for i in range(1_000, 10_000)] + [f"+7903{i:07d}" for i in range(91_000)]
    status, answer, begin_seconds = post_timed(f"{base}/api/v1/beginstaffsync", {"inn": INN}, token)
    sync = (answer.get("data") or {}).get("syncid")
    parts = []
    for at in range(0, len(phones), 10_000):
        staff = [{"phone": ph, "name": f"Сотрудник штата {ph[-7:]}"} for ph in phones[at:at + 10_000]]
        status, answer, seconds = post_timed(f"{base}/api/v1/addstaff", {"inn": INN, "syncid": sync, "staff": staff}, token)
        if status != 200:
            return {"status": status, "error": answer.get("error")}
        parts.append(seconds)
    status, answer, finish_seconds = post_timed(f"{base}/api/v1/finishstaffsync",
                                                {"inn": INN, "syncid": sync, "count": len(phones)}, token)
    data = answer.get("data") or {}
    return {"status": status, "seconds": round(begin_seconds + sum(parts) + finish_seconds, 3),
            "slowest_part_s": round(max(parts), 3), "finish_s": round(finish_seconds, 3), "listed": data.get("listed"),
            "disabled": data.get("disabled")}


def fresh_database(kind, tmp, name):
    """A new empty database: the SQLite file `name`.db in `tmp`, or the PostgreSQL database
    `name` dropped and created again. Returns its URL and the SQLite file's path."""
    sqlite_path = os.path.join(tmp, f"{name}.db")
    if kind == "sqlite":
        return f"sqlite://{sqlite_path}?mode=rwc", sqlite_path
    subprocess.run(["psql", "-q", f"{PG_ADMIN}/postgres", "-c", f"DROP DATABASE IF EXISTS {name}",
                    "-c", f"CREATE DATABASE {name}"], check=True)
    return f"{PG_ADMIN}/{name}", sqlite_path


def run_database(kind, args, ceiling_rps):
    tmp = tempfile.mkdtemp(prefix="simo-bench-")
    db_url, sqlite_path = fresh_database(kind, tmp, "simo_bench")
    port = free_port()
    env = dict(os.environ, SIMO_DATABASE_URL=db_url, SIMO_LISTEN=f"127.0.0.1:{port}",
               # The scheduler's line says how long a scheduled send's transaction took.
               SIMO_LOG="warn,simo_backend::service::schedule=info", SIMO_LOG_FORMAT="json",
               SIMO_SMS_PROVIDER="log",
               # Measured at full speed from one company: the limit is checked on every call
               # (its cost is in the figures) but never reached.
               SIMO_PARTNER_RATE=os.environ.get("SIMO_PARTNER_RATE", "10000000"))
    subprocess.run([BIN, "migrate"], env=env, check=True, capture_output=True)
    created = subprocess.run([BIN, "partner", "create", "--inn", INN, "--name", "ООО Бенч", "--full-name",
                              "ООО «Бенч»", "--password", "bench-password"], env=env, check=True,
                             capture_output=True, text=True)
    partner = json.loads(created.stdout)
    staff_id, seed_secs = seed(kind, db_url, sqlite_path, partner["id"], args)
    receiver = None
    if args.webhook:
        receiver, hook_url = start_receiver()
        env["SIMO_WEBHOOK_ALLOW_PRIVATE"] = "true"
        now = int(time.time() * 1000)
        write(kind, db_url, sqlite_path,
              "INSERT INTO partner_webhooks (partner_id, url, secret, created_at, updated_at) "
              f"VALUES ({partner['id']}, '{hook_url}', 'whsec_bench', {now}, {now})")
    print(f"[{kind}] seeded {args.staff} employees, {args.messages} messages in {seed_secs}s", flush=True)
    # The seed leaves hundreds of MB of dirty pages; flushed during a run, they stall its writes.
    os.sync()

    log = open(os.path.join(tmp, "server.log"), "w")
    proc = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{base}/readyz", proc)
        if kind == "sqlite":
            print(f"[sqlite] search index caught up in {search_indexed(sqlite_path)}s", flush=True)
        time.sleep(1)
        idle_rss = memory_mb(proc.pid)[0]
        token = partner["token"]
        create_body = {"inn": INN, "staffid": str(staff_id), "title": "Планерка", "message": "В 10:00 в переговорной"}
        create = load(f"{base}/api/v1/createmessage", create_body, token, args.seconds, args.connections)
        create["outbox_drain_s"] = settle(kind, db_url, sqlite_path)
        if args.webhook:
            waiting = scalar(kind, db_url, sqlite_path, "SELECT COUNT(*) FROM webhook_outbox")
            create["webhook_waiting_after_push"] = waiting
            create["webhook_drain_s"] = settle(kind, db_url, sqlite_path, timeout=600, queue="webhook_outbox")
        half_rate = max(1, int(create["rps"] / 2))
        create_half = paced(f"{base}/api/v1/createmessage", create_body, token, args.seconds, args.connections, half_rate)
        settle(kind, db_url, sqlite_path)
        get = load(f"{base}/api/v1/getmessage", {"inn": INN, "staffid": str(staff_id + 1), "count": 50}, token,
                  args.seconds, args.connections)
        # A misconfigured integration retrying with a wrong token: every answer a 401.
        wrong = load(f"{base}/api/v1/createmessage", create_body, "simo_p_" + "0" * 48, args.seconds,
                     args.connections)
        status, answer, seconds = post_timed(f"{base}/api/v1/createmessagebulk",
                                             {"inn": INN, "all": True, "title": "Смена окончена",
                                              "message": "Спасибо за работу"}, token)
        bulk = {"status": status, "seconds": round(seconds, 3)}
        if status == 200:
            data = answer.get("data") or {}
            bulk["created"] = len(data.get("messageids") or data.get("messages") or [])
        settle(kind, db_url, sqlite_path)
        # The same send recalled (a mistake noticed after it went out): one call with its IDs.
        recall = None
        if status == 200:
            sent = [m["messageid"] for m in (answer.get("data") or {}).get("messages") or []]
            status, answer, seconds = post_timed(f"{base}/api/v1/recallmessage", {"inn": INN, "messageids": sent}, token)
            recall = {"status": status, "seconds": round(seconds, 3),
                      "recalled": len(((answer.get("data") or {}).get("recalled")) or [])}
        # The same send with the name put in: each recipient's own title and text.
        status, answer, seconds = post_timed(f"{base}/api/v1/createmessagebulk",
                                             {"inn": INN, "all": True, "title": "{ФИО}, смена окончена",
                                              "message": "Спасибо за работу, {ФИО}"}, token)
        personal = {"status": status, "seconds": round(seconds, 3)}
        settle(kind, db_url, sqlite_path)
        group = group_of_all(base, token, staff_ids(kind, db_url, sqlite_path, partner["id"]))
        settle(kind, db_url, sqlite_path)
        scheduled = scheduled_all(base, token, os.path.join(tmp, "server.log"))
        settle(kind, db_url, sqlite_path)
        export = export_csv(base, proc.pid, "bench-password")
        listed = list_all(base, token)
        staff_list = add_staff(base, token)
        synced = staff_sync(base, token)
        pages = cabinet_pages(base, "bench-password")
        status, answer, seconds = post_timed(f"{base}/api/v1/getstaff", {"inn": INN}, token)
        getstaff = {"status": status, "seconds": round(seconds, 3),
                    "employees": len(answer.get("data") or [])}
        peak_rss = memory_mb(proc.pid)[1]
        if args.webhook:
            settle(kind, db_url, sqlite_path, timeout=600, queue="webhook_outbox")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        if receiver:
            receiver.terminate()
            receiver.wait()
    result = {"createmessage": create, "createmessage_half_rate": create_half, "getmessage": get,
              "wrong_token": wrong,
              "bulk_10000": bulk, "bulk_personal_10000": personal, "addstaff_10000": staff_list, "staff_sync_100000": synced, "cabinet_pages": pages, "getstaff_all": getstaff,
              "recall_10000": recall, "group_10000": group, "scheduled_10000": scheduled, "export_csv": export, "list_all": listed, "rss_idle_mb": idle_rss, "rss_peak_mb": peak_rss, "seed_seconds": seed_secs}
    result["createmessage_share_of_ceiling"] = round(create["rps"] / ceiling_rps, 3)
    result["getmessage_share_of_ceiling"] = round(get["rps"] / ceiling_rps, 3)
    return result


def scheduled_all(base, token, log_path):
    """One message to every employee, scheduled a second ahead: the scheduler's transaction
    (its log line) and how long after its time the send was done."""
    send_at = time.time() + 1.0
    when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(send_at)) + f".{int(send_at * 1000) % 1000:03d}Z"
    status, answer = post(f"{base}/api/v1/schedulemessage",
                          {"inn": INN, "all": True, "title": "Завтра смена", "message": "С 8:00", "senddate": when},
                          token)
    assert status == 200, answer
    sid = answer["data"]["scheduleid"]
    deadline = time.time() + 120
    while time.time() < deadline:
        with open(log_path) as f:
            for line in f:
                if '"scheduled message sent"' in line and f'"schedule_id":{sid}' in line:
                    fields = json.loads(line)["fields"]
                    return {"store_ms": fields["store_ms"], "late_ms": fields["late_ms"],
                            "created": fields["created"]}
        time.sleep(0.05)
    raise RuntimeError("the scheduled send did not go out within 120 s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--staff", type=int, default=10_000)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--webhook", action="store_true", help="the partner's status webhook on (see above)")
    args = ap.parse_args()

    results = {"machine": {"cores": os.cpu_count(), "kernel": os.uname().release},
               "settings": vars(args), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    results["ceiling"] = run_ceiling(args)
    print(f"[ceiling] {results['ceiling']['rps']} req/s; a 19 KB page {results['ceiling']['page']['rps']} req/s",
          flush=True)
    for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        results[kind] = run_database(kind, args, results["ceiling"]["rps"])

    os.makedirs(os.path.join(ROOT, "artifacts/bench"), exist_ok=True)
    with open(os.path.join(ROOT, "artifacts/bench/latest.json"), "w") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)

    c = results["ceiling"]
    print(f"\n| case | SQLite | PostgreSQL |\n|---|---|---|")
    print(f"| ceiling (bare poem handler) | {c['rps']} req/s, p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms | same |")
    print(f"| ceiling, a 19 KB constant page | {c['page']['rps']} req/s ({c['page']['rps'] / c['rps']:.0%}) | same |")
    def cell(kind, fn):
        return fn(results[kind]) if kind in results else "—"
    rows = [
        ("createmessage, max", lambda r: f"{r['createmessage']['rps']} req/s ({r['createmessage_share_of_ceiling']:.0%} of ceiling), p99 {r['createmessage']['p99_ms']} ms"),
        ("createmessage at half rate", lambda r: f"{r['createmessage_half_rate']['rps']} req/s (asked {r['createmessage_half_rate']['rate']}): p50 {r['createmessage_half_rate']['p50_ms']} ms, p99 {r['createmessage_half_rate']['p99_ms']} ms"),
        ("getmessage count 50, 1M stored", lambda r: f"{r['getmessage']['rps']} req/s ({r['getmessage_share_of_ceiling']:.0%}; {r['getmessage']['rps'] / c['page']['rps']:.0%} of the page's ceiling), p99 {r['getmessage']['p99_ms']} ms"),
        ("a wrong token, every answer a 401", lambda r: f"{r['wrong_token']['rps']} req/s ({r['wrong_token']['rps'] / c['rps']:.0%}), p99 {r['wrong_token']['p99_ms']} ms" if "wrong_token" in r else "—"),
        ("bulk: 10,000 recipients", lambda r: f"{r['bulk_10000']['seconds']} s (HTTP {r['bulk_10000']['status']})"),
        ("the same with {ФИО}: each recipient's own words", lambda r: f"{r['bulk_personal_10000']['seconds']} s (HTTP {r['bulk_personal_10000']['status']})" if r.get("bulk_personal_10000") else "—"),
        ("addstaff, 10,000 new; again; again as the whole staff", lambda r: "; ".join(f"{v['seconds']} s" for v in r["addstaff_10000"].values()) + f" ({r['addstaff_10000']['new']['added']:,} added; {r['addstaff_10000']['again']['existing']:,} there; {r['addstaff_10000']['whole_staff']['disabled']:,} others disabled)" if r.get("addstaff_10000") else "—"),
        ("a staff of 100,000 in ten addstaff parts: all; slowest part; finishstaffsync", lambda r: (lambda v: f"{v['seconds']} s; {v['slowest_part_s']} s; {v['finish_s']} s ({v['listed']:,} listed, {v['disabled']:,} disabled)" if v.get("status") == 200 else f"HTTP {v.get('status')}: {v.get('error')}")(r["staff_sync_100000"]) if r.get("staff_sync_100000") else "—"),
        ("cabinet pages at 111,000 employees: employees; its search; send form; messages; dashboard; messages by the cabinet's login; by an API key that sent none", lambda r: "; ".join(f"{v['ms']} ms" for v in r["cabinet_pages"].values()) if r.get("cabinet_pages") else "—"),
        ("getstaff of every employee (after the sync)", lambda r: f"{r['getstaff_all']['seconds']} s ({r['getstaff_all']['employees']:,} employees, HTTP {r['getstaff_all']['status']})" if r.get("getstaff_all") else "—"),
        ("recallmessage of that send", lambda r: f"{r['recall_10000']['seconds']} s ({r['recall_10000']['recalled']:,} recalled, HTTP {r['recall_10000']['status']})" if r.get("recall_10000") else "—"),
        ("a group of 10,000: savegroup; createmessagebulk to it", lambda r: f"{r['group_10000']['save_seconds']} s; {r['group_10000']['send_seconds']} s ({r['group_10000']['created']:,} created)" if r["group_10000"] else "—"),
        ("scheduled to all 10,000: its transaction; sent after its time", lambda r: f"{r['scheduled_10000']['store_ms']} ms; {r['scheduled_10000']['late_ms']} ms (polled each second)"),
        ("CSV export of every message", lambda r: f"{r['export_csv']['rows']:,} rows, {r['export_csv']['mb']} MB in {r['export_csv']['seconds']} s (first byte {r['export_csv']['first_byte_ms']} ms), RSS {r['export_csv']['rss_before_mb']} → {r['export_csv']['rss_max_mb']} MB"),
        ("listmessages: every message, 1,000 a page by cursor; a page's p50 / max; a rare status filtered", lambda r: (lambda v: f"{v['rows']:,} rows in {v['pages']:,} pages, {v['seconds']} s ({v['rows_per_s']:,} rows/s); {v['page_p50_ms']} / {v['page_max_ms']} ms; {v['rare_status_ms']} ms ({v['rare_found']} found)" if v.get("status") == 200 else f"HTTP {v.get('status')}: {v.get('error')}")(r["list_all"]) if r.get("list_all") else "—"),
        ("RSS idle / peak", lambda r: f"{r['rss_idle_mb']} / {r['rss_peak_mb']} MB"),
    ]
    if args.webhook:
        rows.append(("webhook: events waiting when the pushes were done, then drained in",
                     lambda r: f"{r['createmessage']['webhook_waiting_after_push']:,} in {r['createmessage']['webhook_drain_s']} s"))
    for name, fn in rows:
        print(f"| {name} | {cell('sqlite', fn)} | {cell('postgres', fn)} |")
    bad = [(k, r) for k in ("sqlite", "postgres") if k in results for r in ("createmessage", "createmessage_half_rate", "getmessage")
           if results[k][r]["ok_share"] < 0.999]
    for k, r in bad:
        print(f"WARNING: {k} {r}: only {results[k][r]['ok_share']:.1%} answers were 2xx ({results[k][r]['non2xx']} others)")
    print(f"\nwritten: artifacts/bench/latest.json")


if __name__ == "__main__":
    main()
