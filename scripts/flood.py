#!/usr/bin/env python3
"""One company floods createmessage (wrk -c32) while another sends about 430 a second (two
connections, a 4 ms pause after each answer): the flood's stored and refused calls, and the
other company's latency alone and during the flood. Each argument is a SIMO_PARTNER_RATE to run
with (0: no limit), e.g. `python3 scripts/flood.py 0 2000 0 2000`. Needs the release build
(`cargo build --release -p simo-backend`) and wrk."""
import json, os, shutil, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench

def run(rate):
    tmp = tempfile.mkdtemp(prefix="simo-flood-")
    port = bench.free_port()
    env = dict(os.environ, SIMO_DATABASE_URL=f"sqlite://{tmp}/f.db?mode=rwc", SIMO_LISTEN=f"127.0.0.1:{port}",
               SIMO_LOG="warn", SIMO_SMS_PROVIDER="log", SIMO_PARTNER_RATE=str(rate))
    subprocess.run([bench.BIN, "migrate"], env=env, check=True, capture_output=True)
    tokens = []
    for inn in ("7707083893", "7736207543"):
        out = subprocess.run([bench.BIN, "partner", "create", "--inn", inn, "--name", "ООО", "--full-name", "ООО «»",
                              "--password", "flood-password"], env=env, check=True, capture_output=True, text=True).stdout
        tokens.append((inn, json.loads(out)["token"]))
    proc = subprocess.Popen([bench.BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        bench.wait_up(f"{base}/readyz", proc)
        ids = []
        for i, (inn, tok) in enumerate(tokens):
            st, ans = bench.post(f"{base}/api/v1/addstaff", {"inn": inn, "staff": [{"phone": f"+7901000000{i}", "name": "Сотрудник"}]}, tok)
            ids.append(ans["data"]["staff"][0]["staffid"])
        body = lambda k: {"inn": tokens[k][0], "staffid": ids[k], "title": "Т", "message": "М"}
        res = {}
        def flood():
            res["A"] = bench.load(f"{base}/api/v1/createmessage", body(0), tokens[0][1], 6, 32)
        def steady():
            res["B"] = bench.load(f"{base}/api/v1/createmessage", body(1), tokens[1][1], 6, 2, pause_ms=4.0)
        alone = bench.load(f"{base}/api/v1/createmessage", body(1), tokens[1][1], 6, 2, pause_ms=4.0)
        time.sleep(1)
        ts = [threading.Thread(target=flood), threading.Thread(target=steady)]
        [t.start() for t in ts]; [t.join() for t in ts]
        return {"rate": rate, "B_alone": alone, **res}
    finally:
        proc.terminate(); proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

for rate in sys.argv[1:]:
    r = run(int(rate))
    a, b, c = r["A"], r["B"], r["B_alone"]
    print(f"SIMO_PARTNER_RATE={rate}: other company alone {c['rps']}/s p50 {c['p50_ms']} p99 {c['p99_ms']} ms | "
          f"flood {a['rps']}/s, {a['rps'] * a['ok_share']:.0f}/s stored | other company meanwhile {b['rps']}/s "
          f"p50 {b['p50_ms']} p99 {b['p99_ms']} ms, {b['ok_share']:.1%} ok", flush=True)
