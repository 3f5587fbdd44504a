"""The job page's WebSocket at the protocol level (websocket-client, which Selenium brings into the venv).

    "$GYRE_HOME/browser-venv/bin/python" Tests/Browser/socket_test.py \\
        --base URL [--base URL2 ...] --token TOKEN --slug gh/acme/app --job N --marker LINE

Follows job N of SLUG through every --base (frontend replicas) at once, from its start to its end, then once
more asking only for what follows the first half of the step that prints MARKER lines. Checks: every message
is JSON with the job's status, steps and chunks; each step's chunks follow each other without a gap (offset ==
the previous end); the last message says final and the server closes the socket. Prints one JSON object:
{"bases": {URL: {"updates", "final", "statuses", "text"}}, "resumed": {"from", "text"}, "full": TEXT}
(TEXT: the whole output of the MARKER step as the first base sent it). Exit 1 with a message on a failed check.
"""

import argparse
import json
import sys
import threading

import websocket


def follow(base, token, slug, job, have=""):
    url = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/") + f"/ws/jobs/{slug}/{job}"
    if have:
        url += f"?have={have}"
    ws = websocket.create_connection(url, header=[f"Circle-Token: {token}"], timeout=120)
    logs, ends, statuses, keys = {}, {}, [], {}
    updates, final = 0, False
    while True:
        try:
            message = ws.recv()
        except websocket.WebSocketConnectionClosedException:
            break
        if not message:
            break
        update = json.loads(message)
        updates += 1
        if not statuses or statuses[-1] != update["status"]:
            statuses.append(update["status"])
        for step in update["steps"]:
            keys[step["key"]] = step["name"]
        for chunk in update["chunks"]:
            key = chunk["key"]
            if key in ends and chunk["offset"] != ends[key] and not chunk["skipped"]:
                raise AssertionError(f"{base}: step {key} jumped from byte {ends[key]} to {chunk['offset']}")
            if key not in ends and have == "" and chunk["offset"] != 0 and not chunk["skipped"]:
                raise AssertionError(f"{base}: step {key} began at byte {chunk['offset']}")
            logs[key] = logs.get(key, "") + chunk["text"]
            ends[key] = chunk["end"]
        if update["final"]:
            final = True
    ws.close()
    return {"updates": updates, "final": final, "statuses": statuses, "logs": logs, "ends": ends}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", action="append", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--slug", required=True)
    ap.add_argument("--job", required=True, type=int)
    ap.add_argument("--marker", required=True)
    a = ap.parse_args()
    results, errors = {}, []

    def run(base):
        try:
            results[base] = follow(base, a.token, a.slug, a.job)
        except Exception as e:  # noqa: BLE001
            errors.append(f"{base}: {type(e).__name__}: {e}")
    threads = [threading.Thread(target=run, args=(base,)) for base in a.base]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("; ".join(errors), file=sys.stderr)
        return 1
    first = results[a.base[0]]
    key = next((k for k, text in first["logs"].items() if a.marker in text), None)
    if key is None:
        print(f"no step printed {a.marker!r}: {list(first['logs'])}", file=sys.stderr)
        return 1
    full = first["logs"][key].encode()
    half = len(full) // 2
    while half > 0 and (full[half] & 0xC0) == 0x80:  # start at a character
        half -= 1
    node, index = key.split(":")
    resumed = follow(a.base[-1], a.token, a.slug, a.job, have=f"{node}.{index}.{half}")
    print(json.dumps({
        "bases": {base: {"updates": r["updates"], "final": r["final"], "statuses": r["statuses"],
                         "text": r["logs"].get(key, "")} for base, r in results.items()},
        "resumed": {"from": half, "text": resumed["logs"].get(key, "")},
        "full": full.decode(),
        "tail": full[half:].decode(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
