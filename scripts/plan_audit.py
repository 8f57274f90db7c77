#!/usr/bin/env python3
"""Plan audit: which statements are slow at a million messages, and which SQLite plans walk a
partner's rows.

Seeds a fresh database as the benchmark does (10,000 employees, 1,000,000 messages), starts the
server with every sqlx statement logged with its time, calls the API's methods and opens the
cabinet's pages with rare and common filters and every sort, then prints:
  - each call and page with its time;
  - under each, the statements it ran that took at least --ms;
  - on SQLite, each distinct statement whose plan searches an index by the partner alone or
    scans a table (often right for a page walked in order; worth a look for anything else).

  cargo build --release -p simo-backend --bin simo-backend
  python3 scripts/plan_audit.py --db sqlite      # or postgres; --bin target/debug/simo-backend

Python's own sqlite3 plans the statements (it cannot read the search index's tables, so the
search's virtual table is stood in by an empty one of the same columns).
"""

import argparse
import collections
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from bench import INN, cabinet, fresh_database, free_port, post_timed, search_indexed, seed, wait_up  # noqa: E402


class Sizes:
    staff = 10_000
    messages = 1_000_000


def calls(staff_id):
    """The API's calls, each (label, method, body); the second list needs the first's answers."""
    s = str(staff_id + 7)
    first = [
        ("createmessage", "createmessage", {"inn": INN, "staffid": s, "title": "T", "message": "B"}),
        ("createmessagebulk to 100, acknowledged", "createmessagebulk",
         {"inn": INN, "staffids": [str(staff_id + i) for i in range(100)], "title": "Bulk", "message": "B",
          "requireack": True}),
        ("getmessage", "getmessage", {"inn": INN, "staffid": s, "count": 50}),
        ("getstaff", "getstaff", {"inn": INN}),
        ("listmessages", "listmessages", {"inn": INN}),
        ("listmessages by employee", "listmessages", {"inn": INN, "staffid": s}),
        ("listmessages read (none)", "listmessages", {"inn": INN, "status": "read"}),
        ("listmessages awaiting", "listmessages", {"inn": INN, "awaiting_ack": True}),
        ("listmessages by the cabinet", "listmessages", {"inn": INN, "sentby": "admin"}),
        ("listmessages words", "listmessages", {"inn": INN, "text": "Bulk"}),
        ("listmessages dates (none)", "listmessages", {"inn": INN, "datefrom": "2020-01-01", "dateto": "2020-01-02"}),
        ("getschedule", "getschedule", {"inn": INN}),
        ("savegroup of 50", "savegroup", {"inn": INN, "name": "G", "staffids": [str(staff_id + i) for i in range(50)]}),
    ]

    def then(bulk_ids, group):
        return [
            ("getmessagestatus of 100", "getmessagestatus", {"inn": INN, "messageids": bulk_ids}),
            ("remindmessage of 10", "remindmessage", {"inn": INN, "messageids": bulk_ids[:10]}),
            ("resendmessage of 10", "resendmessage", {"inn": INN, "messageids": bulk_ids[:10]}),
            ("listmessages by group", "listmessages", {"inn": INN, "groupid": group}),
            ("recallmessage of 10", "recallmessage", {"inn": INN, "messageids": bulk_ids[50:60]}),
            ("updatestaff", "updatestaff", {"inn": INN, "staffid": s, "name": "Новое Имя"}),
        ]
    return first, then


def pages(staff_id, message_id, group):
    s = str(staff_id + 7)
    q = urllib.parse.quote
    m = "/cabinet/messages"
    return [
        "/cabinet", "/cabinet/employees", "/cabinet/employees?state=disabled", "/cabinet/employees?push=none",
        f"/cabinet/employees?group={group}", "/cabinet/employees?q=" + q("Сотрудник 77"),
        "/cabinet/employees?q=79010000123", f"/cabinet/employees/{s}",
        m, f"{m}/{message_id}", f"{m}/5", f"{m}?staff={s}", f"{m}?group={group}", f"{m}?send={message_id}",
        f"{m}?from=2020-01-01&to=2020-01-02", f"{m}?status=read", f"{m}?status=failed", f"{m}?status=awaiting_ack",
        f"{m}?status=recalled", f"{m}?by=admin", f"{m}?by=api",
        f"{m}?q=Bulk", f"{m}?q=Bulk&dir=asc", f"{m}?q=123456", f"{m}?q=" + q("Сообщение 777"),
        f"{m}?q=" + q("Сообщение"), f"{m}?q=" + q("нетакогослова"),
        f"{m}?sort=title", f"{m}?sort=status", f"{m}?sort=employee", f"{m}?sort=created&dir=asc",
        f"{m}?sort=title&status=read", f"{m}?sort=employee&status=read", f"{m}?sort=employee&staff={s}",
        f"{m}?sort=title&staff={s}", f"{m}?sort=status&status=read", f"{m}?status=read&staff={s}",
        f"{m}?group={group}&status=read", f"{m}?group={group}&sort=employee", f"{m}?q=123456&sort=title",
        f"{m}?status=read&from=2020-01-01", f"{m}?by=admin&sort=title",
        "/cabinet/send", "/cabinet/scheduled", "/cabinet/templates", "/cabinet/settings", "/cabinet/groups",
        "/cabinet/journal", f"/cabinet/journal?staff={s}", "/cabinet/webhook", "/cabinet/settings/admins",
    ]


def statements(text):
    """(seconds, statement) of each sqlx event in a stretch of the JSON log."""
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        fields = event.get("fields", event)
        if fields.get("elapsed_secs") is not None and fields.get("db.statement"):
            yield fields["elapsed_secs"], " ".join(fields["db.statement"].split())


def walking_plans(sqlite_path, seen):
    """The statements whose plan searches an index by the partner alone, or scans a table."""
    con = sqlite3.connect(sqlite_path)
    con.execute("ATTACH ':memory:' AS search")
    con.execute("CREATE VIRTUAL TABLE search.messages_fts USING fts5(title, body, content='')")
    for sql in sorted(seen):
        if sql.upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "INSERT")):
            continue
        sql = re.sub(r"\$(\d+)", r"?\1", sql)
        count = max([int(n) for n in re.findall(r"\?(\d+)", sql)] or [0])
        try:
            plan = [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql, [1] * count)]
        except sqlite3.Error as e:
            yield f"(not planned: {e})", sql
            continue
        flagged = [p for p in plan if re.search(r"USING (COVERING )?INDEX \w+ \(partner_id=\?\)$", p)
                   or (re.fullmatch(r"SCAN \w+", p) and p != "SCAN matching")]
        if flagged:
            yield "; ".join(flagged), sql


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--bin", default=bench.BIN)
    ap.add_argument("--ms", type=float, default=20.0, help="list statements at least this slow")
    args = ap.parse_args()
    bench.BIN = args.bin
    tmp = tempfile.mkdtemp(prefix="simo-plan-audit-")
    db_url, sqlite_path = fresh_database(args.db, tmp, "simo_plan_audit")
    port = free_port()
    env = dict(os.environ, SIMO_DATABASE_URL=db_url, SIMO_LISTEN=f"127.0.0.1:{port}",
               SIMO_LOG="warn,sqlx=debug", SIMO_LOG_FORMAT="json", SIMO_SMS_PROVIDER="log",
               SIMO_PARTNER_RATE="10000000")
    subprocess.run([args.bin, "migrate"], env=env, check=True, capture_output=True)
    created = subprocess.run([args.bin, "partner", "create", "--inn", INN, "--name", "ООО Аудит", "--full-name",
                              "ООО «Аудит»", "--password", "bench-password"], env=env, check=True,
                             capture_output=True, text=True)
    partner = json.loads(created.stdout)
    staff_id, seconds = seed(args.db, db_url, sqlite_path, partner["id"], Sizes)
    print(f"seeded {Sizes.staff} employees, {Sizes.messages} messages in {seconds}s", flush=True)
    log_path = os.path.join(tmp, "server.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([args.bin, "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    token = partner["token"]
    slow = collections.defaultdict(list)
    seen = set()

    def timed(label, action):
        """Runs `action` and prints its time: its own (`post_timed`'s third value, which leaves
        out the client's parse of the answer) if it gives one, else the wall clock's."""
        start = os.path.getsize(log_path)
        began = time.time()
        result = action()
        ms = (time.time() - began) * 1000
        if isinstance(result, tuple) and len(result) == 3:
            ms, result = result[2] * 1000, result[:2]
        time.sleep(0.2)  # the log's lines of this call
        with open(log_path, errors="replace") as f:
            f.seek(start)
            for secs, sql in statements(f.read()):
                seen.add(sql)
                if secs * 1000 >= args.ms:
                    slow[label].append((round(secs * 1000, 1), sql))
        print(f"{ms:8.1f} ms  {label}", flush=True)
        for ms_, sql in sorted(slow[label], reverse=True)[:5]:
            print(f"{'':12}{ms_} ms: {sql[:300]}")
        return result

    try:
        wait_up(f"{base}/readyz", proc)
        if args.db == "sqlite":
            search_indexed(sqlite_path)
        time.sleep(1)
        first, then = calls(staff_id)
        answers = {}
        for label, method, body in first:
            status, answer = timed(label, lambda: post_timed(f"{base}/api/v1/{method}", body, token))
            assert status == 200, (label, answer)
            answers[label] = answer["data"]
        bulk_ids = [m["messageid"] for m in answers["createmessagebulk to 100, acknowledged"]["messages"]]
        group = answers["savegroup of 50"]["groupid"]
        for label, method, body in then(bulk_ids, group):
            status, answer = timed(label, lambda: post_timed(f"{base}/api/v1/{method}", body, token))
            assert status == 200, (label, answer)
        browser = cabinet(base, "bench-password")
        for path in pages(staff_id, bulk_ids[0], group):
            timed("GET " + path, lambda: browser.open(base + path, timeout=600).read())
    finally:
        proc.terminate()
        proc.wait()
    if args.db == "sqlite":
        print(f"\n{len(seen)} distinct statements; plans that walk a partner's rows or scan a table:")
        for why, sql in walking_plans(sqlite_path, seen):
            print(f"- {why}\n    {sql[:400]}")
    print(f"\nlog: {log_path}")


if __name__ == "__main__":
    main()
