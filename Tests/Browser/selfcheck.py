"""Self-check of the browser-test machinery (not part of CI).

Serves a small static page from a thread on 127.0.0.1, loads it in headless
Chromium through gyre_browser, waits for an element that the page's script adds
later (and for text it appends later, like a live log), checks that wait_for
times out with a useful message, and saves a screenshot.

    "$GYRE_HOME/browser-venv/bin/python" Tests/Browser/selfcheck.py [--screenshots DIR]

Exits 0 when all is well, 1 otherwise; prints one line per check.
"""

import argparse
import functools
import http.server
import os
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gyre_browser  # noqa: E402

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Gyre browser self-check</title>
<style>
 body { font-family: sans-serif; margin: 2em; }
 .step { border: 1px solid #888; padding: .5em; margin: .5em 0; }
 pre.log { background: #111; color: #0f0; padding: .5em; }
</style></head>
<body>
<h1>Browser self-check</h1>
<p id="static">Served by Python's http.server from a thread.</p>
<div id="steps"></div>
<script>
setTimeout(function () {
  var step = document.createElement("div");
  step.className = "step"; step.setAttribute("data-index", "0");
  step.setAttribute("data-status", "running");
  step.innerHTML = '<b>Step 0</b><pre class="log">starting\\n</pre>';
  document.getElementById("steps").appendChild(step);
}, 700);
setTimeout(function () {
  var log = document.querySelector(".step pre.log");
  log.textContent += "hello from the self-check\\n";
  log.parentNode.setAttribute("data-status", "success");
}, 1500);
</script>
</body></html>
"""


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path not in ("/", "/index.html"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--screenshots", default=None, help="where to save the screenshot (default: a new temp dir)")
    args = ap.parse_args()
    shots = args.screenshots or tempfile.mkdtemp(prefix="gyre-browser-selfcheck-")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=shots))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"

    d = None
    try:
        t0 = time.monotonic()
        d = gyre_browser.driver(shots)
        caps = d.capabilities
        print(f"[selfcheck] ok   browser started in {time.monotonic() - t0:.1f}s: "
              f"{caps.get('browserName')} {caps.get('browserVersion')}, "
              f"chromedriver {caps.get('chrome', {}).get('chromedriverVersion', '?').split(' ')[0]}", flush=True)

        d.get(url)
        gyre_browser.wait_for(d, "h1", text="Browser self-check")
        print(f"[selfcheck] ok   page {url} loaded", flush=True)

        gyre_browser.wait_for(d, ".step[data-index='0'] pre.log", timeout=10)
        print("[selfcheck] ok   element added by script found", flush=True)

        el = gyre_browser.wait_for(d, ".step pre.log", text="hello from the self-check", timeout=10)
        assert el.tag_name == "pre", el.tag_name
        print("[selfcheck] ok   text appended later found (live update, no reload)", flush=True)

        try:
            gyre_browser.wait_for(d, "#never-there", timeout=1)
        except AssertionError as e:
            msg = str(e)
            assert url in msg and "Browser self-check" in msg, msg
            print(f"[selfcheck] ok   wait_for times out with: {msg[:110]}...", flush=True)
        else:
            raise AssertionError("wait_for did not time out on a missing element")

        path = gyre_browser.shot(d, "selfcheck")
        w, h = png_size(path)
        assert os.path.getsize(path) > 1000, f"{path} is suspiciously small"
        print(f"[selfcheck] ok   screenshot {path} ({w}x{h}, {os.path.getsize(path)} bytes)", flush=True)
    except Exception as e:  # noqa: BLE001 - report anything as a failed self-check
        print(f"[selfcheck] FAIL {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        if d is not None:
            d.quit()
        server.shutdown()
    print("[selfcheck] all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
