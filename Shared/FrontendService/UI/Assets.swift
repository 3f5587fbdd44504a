import Hummingbird

/// The web UI's stylesheet and script, small and hand-written (no build step,
/// nothing fetched from elsewhere).
enum Assets {
    static let css = """
        :root { --fg: #1d2330; --muted: #5c6678; --line: #d9dee7; --bg: #f6f7f9; --ok: #1f7a3a; --bad: #b42318;
                --run: #1d4ed8; --wait: #8a5a00; font-family: system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        body { margin: 0; }
        header nav { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #111827; color: #fff; }
        header a { color: #fff; } .brand { font-weight: 700; margin-right: auto; text-decoration: none; }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
        table { width: 100%; border-collapse: collapse; background: #fff; }
        th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        a { color: #1d4ed8; } a:focus, button:focus, input:focus { outline: 3px solid #f59e0b; outline-offset: 1px; }
        .status { display: inline-block; padding: .05rem .45rem; border-radius: .6rem; font-size: .85rem; background: #e5e7eb; }
        .s-success { background: #dcfce7; color: var(--ok); } .s-failed, .s-error, .s-infrastructure_fail, .s-timedout,
        .s-unauthorized, .s-errored { background: #fee2e2; color: var(--bad); }
        .s-running, .s-created { background: #dbeafe; color: var(--run); } .s-on_hold, .s-queued, .s-blocked, .s-setup
        { background: #fef3c7; color: var(--wait); }
        .workflow { background: #fff; border: 1px solid var(--line); border-radius: .4rem; padding: .6rem 1rem; margin: 1rem 0; }
        .graph { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
        .column { display: flex; flex-direction: column; gap: .5rem; min-width: 12rem; }
        .job { border: 1px solid var(--line); border-radius: .4rem; padding: .4rem .6rem; background: var(--bg); }
        .job .requires { color: var(--muted); font-size: .8rem; }
        .step { background: #fff; border: 1px solid var(--line); border-radius: .4rem; margin: .6rem 0; }
        .step summary { padding: .45rem .6rem; cursor: pointer; display: flex; gap: .8rem; align-items: center; }
        .step .meta { color: var(--muted); font-size: .85rem; margin-left: auto; }
        pre.log { margin: 0; padding: .6rem; background: #0b1020; color: #e5e7eb; overflow: auto; max-height: 32rem;
                  white-space: pre-wrap; word-break: break-all; font-size: .85rem; }
        .error { color: var(--bad); background: #fee2e2; padding: .5rem .7rem; border-radius: .3rem; }
        form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .5rem 0 1rem; }
        form.inline input { padding: .3rem; } .actions { margin: .3rem 0; }
        button.cancel { background: #fff; color: var(--bad); border-color: var(--bad); }
        form.sign-in { max-width: 22rem; background: #fff; padding: 1rem 1.2rem; border: 1px solid var(--line); border-radius: .4rem; }
        form.sign-in label { display: block; margin: .6rem 0 .2rem; } form.sign-in input { width: 100%; padding: .4rem; box-sizing: border-box; }
        button { padding: .35rem .8rem; border-radius: .3rem; border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; cursor: pointer; }
        .muted { color: var(--muted); } .a-1 { color: #f87171; } .a-2 { color: #4ade80; } .a-3 { color: #facc15; }
        .a-4 { color: #60a5fa; } .a-5 { color: #e879f9; } .a-6 { color: #22d3ee; } .a-b { font-weight: 700; }
        .nodes { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; align-items: start; }
        .node h2 { margin: .2rem 0; } .earlier-bar { margin: 0; padding: .3rem .6rem; font-size: .85rem; }
        pre.message { background: #fef2f2; color: var(--bad); padding: .4rem; white-space: pre-wrap; margin: .3rem 0 0; }
        #search-results code { white-space: pre-wrap; word-break: break-all; } .artifacts { background: #fff; padding: .6rem 2rem; }
        @media (max-width: 40rem) { th.optional, td.optional { display: none; } .column { min-width: 100%; }
          table { display: block; overflow-x: auto; } main { padding: .6rem; } }
        th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
        """

    static let script = #"""
        "use strict";
        const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
        const final = new Set(["success", "failed", "error", "canceled", "not_run", "unauthorized", "infrastructure_fail",
                               "timedout", "terminated-unknown", "errored", "created"]);

        // ANSI colours (SGR 30-37, 90-97, bold, reset) to spans; everything else escaped.
        function ansi(text) {
          const esc = s => s.replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
          let out = "", open = 0;
          for (const part of text.split(/(\x1b\[[0-9;]*m)/)) {
            const m = /^\x1b\[([0-9;]*)m$/.exec(part);
            if (!m) { out += esc(part); continue; }
            for (const code of (m[1] || "0").split(";").map(Number)) {
              if (code === 0) { out += "</span>".repeat(open); open = 0; }
              else if (code === 1) { out += '<span class="a-b">'; open++; }
              else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) { out += `<span class="a-${code % 10}">`; open++; }
            }
          }
          return out + "</span>".repeat(open);
        }

        // The job page. Each step's <pre> holds a window of its log, [data-start, data-bytes), as chunks
        // (<span class="chunk" data-bytes=N>); at most maxLogBytes stay in the page, the earliest dropped first,
        // and "Load earlier output" brings earlier bytes back on demand.
        const maxLogBytes = 2 << 20, earlierBytes = 256 << 10;
        const utf8 = new TextEncoder();
        function chunkHTML(text, bytes) { return `<span class="chunk" data-bytes="${bytes}">${ansi(text)}</span>`; }
        function earlierBar(box) {
          const pre = box.querySelector("pre.log"), bar = box.querySelector(".earlier-bar");
          const start = Number(pre.dataset.start || 0);
          if (!bar) return;
          bar.hidden = start === 0;
          bar.querySelector(".earlier-note").textContent = start ? `${start} earlier bytes not shown` : "";
        }
        function stepBox(step) {
          const key = step.node_index + ":" + step.index;
          let box = document.querySelector(`.step[data-key="${key}"]`);
          if (box) return box;
          const steps = document.getElementById("steps");
          let parent = steps;
          if (steps.dataset.parallel === "1") {
            parent = steps.querySelector(`.node[data-node="${step.node_index}"]`);
            if (!parent) {
              parent = document.createElement("section");
              parent.className = "node"; parent.dataset.node = step.node_index;
              parent.setAttribute("aria-label", "node " + step.node_index);
              parent.innerHTML = `<h2>Node ${step.node_index}</h2>`;
              steps.appendChild(parent);
            }
          }
          box = document.createElement("details");
          box.className = "step"; box.open = true; box.dataset.key = key; box.dataset.index = step.index; box.dataset.node = step.node_index;
          const output = `${document.getElementById("main").dataset.liveJob}/steps/${step.index}/output?node_index=${step.node_index}`;
          box.innerHTML = `<summary><span class="status"></span><span class="name"></span><span class="meta"></span></summary>` +
            `<p class="earlier-bar" hidden><button type="button" class="earlier">Load earlier output</button> ` +
            `<span class="muted earlier-note"></span> · <a href="${output}">the whole log</a></p>` +
            `<pre class="log" tabindex="0" data-output="${output}" data-start="0" data-bytes="0"></pre>`;
          box.querySelector(".name").textContent = step.name;
          box.querySelector("pre.log").setAttribute("aria-label", "output of " + step.name);
          parent.appendChild(box);
          return box;
        }
        function showStep(box, step) {
          box.dataset.status = step.status;
          const badge = box.querySelector("summary .status");
          badge.textContent = step.status; badge.className = "status s-" + step.status; badge.dataset.status = step.status;
          const exit = step.exit_code === null || step.exit_code === undefined ? "" : "exit " + step.exit_code;
          box.querySelector(".meta").textContent = [exit, step.duration || ""].join(" ").trim();
        }
        // Appends bytes [offset, end) of a step's log; a gap (the page was sent the tail only) starts the window again.
        function appendLog(box, text, offset, end) {
          const pre = box.querySelector("pre.log");
          let have = Number(pre.dataset.bytes || 0);
          if (end <= have) return;
          if (offset !== have) { pre.textContent = ""; pre.dataset.start = offset; have = offset; }
          const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          pre.insertAdjacentHTML("beforeend", chunkHTML(text, end - offset));
          pre.dataset.bytes = end;
          let start = Number(pre.dataset.start || 0);
          while (end - start > maxLogBytes && pre.firstElementChild) {
            start += Number(pre.firstElementChild.dataset.bytes || 0);
            pre.firstElementChild.remove();
          }
          pre.dataset.start = start;
          earlierBar(box);
          if (atEnd) pre.scrollTop = pre.scrollHeight;
        }
        function showJob(status) {
          const badge = document.getElementById("job-status");
          badge.textContent = status; badge.dataset.status = status; badge.className = "status s-" + status;
          if (final.has(status)) document.getElementById("cancel-job")?.remove();
        }

        // A page's live socket: `query()` gives the query string of each (re)connection; `onMessage` gets each
        // message and returns true once nothing more will come. After three failed attempts in a row (no
        // message heard), `fallback` takes over.
        function live(main, query, onMessage, fallback) {
          if (!("WebSocket" in window)) { fallback(main); return; }
          let failures = 0, done = false;
          const connect = () => {
            let socket, heard = false;
            const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${main.dataset.liveSocket}?${query()}`;
            try { socket = new WebSocket(url); } catch (error) { fallback(main); return; }
            socket.onmessage = event => {
              heard = true; failures = 0; main.dataset.liveState = "socket";
              done = onMessage(JSON.parse(event.data)) || done;
            };
            socket.onclose = () => {
              if (done) return;
              if (!heard && ++failures >= 3) { fallback(main); return; }
              setTimeout(connect, heard ? 250 : 1000);
            };
          };
          connect();
        }

        // Live updates over the job's WebSocket (saying which bytes of each step the page has); else the steps API is polled.
        function followJob(main) {
          const have = () => "have=" + [...document.querySelectorAll(".step")].map(box =>
            `${box.dataset.node || 0}.${box.dataset.index}.${box.querySelector("pre.log").dataset.bytes || 0}`).join(",");
          live(main, have, update => {
            showJob(update.status);
            for (const step of update.steps) showStep(stepBox(step), step);
            for (const chunk of update.chunks) {
              const [node, index] = chunk.key.split(":");
              appendLog(stepBox({node_index: Number(node), index: Number(index), name: ""}), chunk.text, chunk.offset, chunk.end);
            }
            return update.final;
          }, pollJob);
        }

        // How many bytes hold whole UTF-8 characters (a sequence cut at the end waits for the rest).
        function wholeChars(bytes) {
          for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
            const b = bytes[i];
            if ((b & 0xC0) === 0x80) continue;
            const length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return length > bytes.length - i ? i : bytes.length;
          }
          return bytes.length;
        }

        async function pollJob(main) {
          main.dataset.liveState = "polling";
          const api = main.dataset.liveJob;
          for (;;) {
            try {
              const job = await (await fetch(api)).json();
              showJob(job.status);
              const list = (await (await fetch(api + "/steps?output=false")).json()).items || [];
              for (const step of list) {
                const box = stepBox(step);
                showStep(box, step);
                const pre = box.querySelector("pre.log");
                let have = Number(pre.dataset.bytes || 0);
                if (step.output_bytes > have) {
                  if (step.output_bytes - have > 2 * earlierBytes * 4) have = step.output_bytes - earlierBytes;
                  const answer = await fetch(`${pre.dataset.output}&offset=${have}&limit=${earlierBytes}`);
                  const bytes = new Uint8Array(await answer.arrayBuffer());
                  const cut = have + bytes.length < step.output_bytes ? wholeChars(bytes) : bytes.length;
                  if (cut > 0) appendLog(box, new TextDecoder().decode(bytes.subarray(0, cut)), have, have + cut);
                }
              }
              if (final.has(job.status)) return;
            } catch (error) { console.warn(error); }
            await new Promise(resolve => setTimeout(resolve, 250));
          }
        }

        // Earlier output of a step, loaded on demand and put before what the page shows.
        document.addEventListener("click", async event => {
          const button = event.target.closest("button.earlier");
          if (!button) return;
          const box = button.closest(".step"), pre = box.querySelector("pre.log");
          const start = Number(pre.dataset.start || 0);
          const from = Math.max(0, start - earlierBytes);
          button.disabled = true;
          const bytes = new Uint8Array(await (await fetch(`${pre.dataset.output}&offset=${from}&limit=${start - from}`)).arrayBuffer());
          button.disabled = false;
          let skip = 0;
          while (from > 0 && skip < 4 && skip < bytes.length && (bytes[skip] & 0xC0) === 0x80) skip++;
          pre.insertAdjacentHTML("afterbegin", chunkHTML(new TextDecoder().decode(bytes.subarray(skip)), bytes.length));
          pre.dataset.start = from;
          earlierBar(box);
          button.focus();
        });

        // Lists and the pipeline page: their content reloaded in place when a status they show changes (told by
        // the page's WebSocket), or, without one, every 1.5 s while something moves. Not while a control has the focus.
        async function reloadMain(main) {
          if (main.contains(document.activeElement) && document.activeElement !== document.body) {
            setTimeout(() => reloadMain(main), 1500);
            return;
          }
          try {
            const html = await (await fetch(location.href, {headers: {"Accept": "text/html"}})).text();
            const next = new DOMParser().parseFromString(html, "text/html").getElementById("main");
            if (next) { main.innerHTML = next.innerHTML; if (next.dataset.liveVersion) main.dataset.liveVersion = next.dataset.liveVersion; }
          } catch (error) { console.warn(error); }
        }
        function refresh(main) {
          if (!main.dataset.liveSocket) { pollPage(main); return; }
          // The page's own query (page, branch) and the version of what it shows: a change before the socket opened is told at once.
          const query = () => {
            const query = new URLSearchParams(location.search);
            query.set("version", main.dataset.liveVersion || "");
            return query.toString();
          };
          live(main, query, message => { if (message.type === "changed") reloadMain(main); return false; }, pollPage);
        }
        async function pollPage(main) {
          main.dataset.liveState = "polling";
          for (;;) {
            await new Promise(resolve => setTimeout(resolve, 1500));
            const moving = [...main.querySelectorAll("[data-status]")].some(e => !final.has(e.dataset.status) && e.dataset.status !== "on_hold");
            if (moving) await reloadMain(main);
          }
        }

        // Approve, cancel and rerun buttons post to the API with the session's CSRF token.
        document.addEventListener("click", async event => {
          const button = event.target.closest("button.approve, button.action");
          if (!button) return;
          button.disabled = true;
          const answer = await fetch(button.dataset.url, {method: button.dataset.method || "POST", body: button.dataset.body || undefined,
                                     headers: {"X-CSRF-Token": csrf(), "Content-Type": "application/json"}});
          if (!answer.ok) { button.disabled = false; alert((await answer.json()).message || answer.statusText); return; }
          location.reload();
        });

        // Settings forms: the inputs as a JSON body (`a.b` names nest; `{name}` in the URL takes that field).
        document.addEventListener("submit", async event => {
          const form = event.target.closest("form.api");
          if (!form) return;
          event.preventDefault();
          let url = form.dataset.url;
          const body = {};
          for (const input of form.querySelectorAll("input[name], textarea[name]")) {
            if (url.includes(`{${input.name}}`)) { url = url.replace(`{${input.name}}`, encodeURIComponent(input.value)); continue; }
            const path = input.name.split(".");
            let target = body;
            for (const key of path.slice(0, -1)) target = target[key] = target[key] || {};
            target[path[path.length - 1]] = input.value;
          }
          const answer = await fetch(url, {method: form.dataset.method || "POST", body: JSON.stringify(body),
                                     headers: {"X-CSRF-Token": csrf(), "Content-Type": "application/json"}});
          if (!answer.ok) { alert((await answer.json()).message || answer.statusText); return; }
          location.reload();
        });

        // Trigger a pipeline from the pipelines page.
        document.addEventListener("submit", async event => {
          const form = event.target.closest("#trigger-form");
          if (!form) return;
          event.preventDefault();
          const body = {};
          body[form.querySelector("#trigger-kind").value] = form.querySelector("#trigger-ref").value;
          const parameters = form.querySelector("#trigger-parameters").value.trim();
          if (parameters) {
            try { body.parameters = JSON.parse(parameters); } catch (error) { alert("Parameters must be JSON: " + error.message); return; }
          }
          const answer = await fetch(form.dataset.url, {method: "POST", body: JSON.stringify(body),
                                     headers: {"X-CSRF-Token": csrf(), "Content-Type": "application/json"}});
          if (!answer.ok) { alert((await answer.json()).message || answer.statusText); return; }
          location.reload();
        });

        // Search whole logs on the server (a long log is only partly in the page): the matching lines, by step.
        document.addEventListener("submit", async event => {
          const form = event.target.closest("#log-search-form");
          if (!form) return;
          event.preventDefault();
          const term = document.getElementById("log-search").value;
          const results = document.getElementById("search-results");
          results.textContent = "";
          if (!term) return;
          let total = 0;
          for (const box of document.querySelectorAll(".step")) {
            const pre = box.querySelector("pre.log");
            const answer = await fetch(`${pre.dataset.output}&search=${encodeURIComponent(term)}`);
            if (!answer.ok) continue;
            const found = await answer.json();
            if (!found.items.length) continue;
            total += found.items.length;
            const section = document.createElement("section");
            section.className = "search-step";
            const title = document.createElement("h3");
            title.textContent = `${box.querySelector(".name").textContent}: ${found.items.length}${found.truncated ? "+" : ""} line${found.items.length === 1 ? "" : "s"}`;
            section.appendChild(title);
            const list = document.createElement("ol");
            for (const item of found.items) {
              const entry = document.createElement("li");
              const link = document.createElement("a");
              link.href = `${pre.dataset.output}&offset=${item.offset}&limit=65536`;
              link.textContent = `line ${item.line}`;
              const text = document.createElement("code");
              text.textContent = item.text;
              entry.append(link, " ", text);
              list.appendChild(entry);
            }
            section.appendChild(list);
            results.appendChild(section);
          }
          document.getElementById("log-matches").textContent = `${total} matching line${total === 1 ? "" : "s"} in the whole logs`;
        });

        // Find in the logs: matching lines highlighted, their count shown, the first one scrolled to.
        document.addEventListener("input", event => {
          if (event.target.id !== "log-search") return;
          const term = event.target.value.toLowerCase();
          let count = 0, first = null;
          for (const pre of document.querySelectorAll("pre.log")) {
            pre.querySelectorAll("mark").forEach(mark => mark.replaceWith(...mark.childNodes));
            if (!term) continue;
            const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
            const hits = [];
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              if (node.nodeValue.toLowerCase().includes(term)) hits.push(node);
            }
            for (const node of hits) {
              const index = node.nodeValue.toLowerCase().indexOf(term);
              const match = node.splitText(index); match.splitText(term.length);
              const mark = document.createElement("mark"); match.replaceWith(mark); mark.appendChild(match);
              count++; first = first || mark;
              pre.closest("details").open = true;
            }
          }
          document.getElementById("log-matches").textContent = term ? `${count} match${count === 1 ? "" : "es"}` : "";
          first?.scrollIntoView({block: "center"});
        });

        document.addEventListener("DOMContentLoaded", () => {
          const main = document.getElementById("main");
          for (const pre of document.querySelectorAll("pre.log")) {
            pre.innerHTML = chunkHTML(pre.textContent, Number(pre.dataset.bytes || 0) - Number(pre.dataset.start || 0));
            pre.scrollTop = pre.scrollHeight;
          }
          if (main.dataset.liveJob) followJob(main); else if (main.dataset.refresh) refresh(main);
        });
        """#

    static func response(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
