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
        @media (max-width: 40rem) { th.optional, td.optional { display: none; } .column { min-width: 100%; } }
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

        // The job page: steps and their logs arrive while the job runs (only the new bytes are fetched).
        async function followJob(main) {
          const api = main.dataset.liveJob;
          const steps = document.getElementById("steps");
          const loaded = new Map();
          for (const pre of document.querySelectorAll(".step pre.log")) {
            loaded.set(pre.closest(".step").dataset.key, Number(pre.dataset.bytes || 0));
          }
          const decoder = new TextDecoder();
          for (;;) {
            try {
              const job = await (await fetch(api)).json();
              const status = document.getElementById("job-status");
              status.textContent = job.status; status.dataset.status = job.status; status.className = "status s-" + job.status;
              const list = (await (await fetch(api + "/steps?output=false")).json()).items || [];
              for (const step of list) {
                const key = step.node_index + ":" + step.index;
                let box = steps.querySelector(`.step[data-key="${key}"]`);
                if (!box) {
                  box = document.createElement("details");
                  box.className = "step"; box.open = true; box.dataset.key = key; box.dataset.index = step.index;
                  box.innerHTML = `<summary><span class="status"></span><span class="name"></span><span class="meta"></span></summary>` +
                                  `<pre class="log" tabindex="0"></pre>`;
                  box.querySelector(".name").textContent = step.name;
                  steps.appendChild(box);
                }
                box.dataset.status = step.status;
                const badge = box.querySelector("summary .status");
                badge.textContent = step.status; badge.className = "status s-" + step.status;
                if (step.exit_code !== null && step.exit_code !== undefined) box.querySelector(".meta").textContent = "exit " + step.exit_code;
                const have = loaded.get(key) || 0;
                if (step.output_bytes > have) {
                  const answer = await fetch(`${api}/steps/${step.index}/output?node_index=${step.node_index}&offset=${have}`);
                  const bytes = new Uint8Array(await answer.arrayBuffer());
                  const pre = box.querySelector("pre.log");
                  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
                  pre.insertAdjacentHTML("beforeend", ansi(decoder.decode(bytes, {stream: true})));
                  if (atEnd) pre.scrollTop = pre.scrollHeight;
                  loaded.set(key, have + bytes.length);
                }
              }
              if (final.has(job.status)) { document.getElementById("cancel-job")?.remove(); return; }
            } catch (error) { console.warn(error); }
            await new Promise(resolve => setTimeout(resolve, 250));
          }
        }

        // Lists and the pipeline page: refreshed in place while something is still moving.
        async function refresh(main) {
          for (;;) {
            await new Promise(resolve => setTimeout(resolve, 1500));
            const moving = [...main.querySelectorAll("[data-status]")].some(e => !final.has(e.dataset.status) && e.dataset.status !== "on_hold");
            if (!moving) continue;
            try {
              const html = await (await fetch(location.href, {headers: {"Accept": "text/html"}})).text();
              const next = new DOMParser().parseFromString(html, "text/html").getElementById("main");
              if (next && !main.contains(document.activeElement)) main.innerHTML = next.innerHTML;
            } catch (error) { console.warn(error); }
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
          for (const pre of document.querySelectorAll("pre.log")) pre.innerHTML = ansi(pre.textContent);
          if (main.dataset.liveJob) followJob(main); else if (main.dataset.refresh) refresh(main);
        });
        """#

    static func response(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
