"""End-to-end browser test of Gyre's web UI (headless Chromium through Selenium).

    "$GYRE_HOME/browser-venv/bin/python" Tests/Browser/ui_test.py \\
        --base http://127.0.0.1:PORT --login USER --password PASS \\
        --slug gh/acme/app --expect "TEXT" --screenshots DIR [--approve-slug SLUG]

Needs a running Gyre whose project SLUG has a pipeline whose first job prints
TEXT in one of its steps and then succeeds (with --approve-slug: a project whose
newest pipeline has an approval job on hold, or about to be). Prepare the
virtualenv with deploy/scripts/browser-env.sh.

Flow (screenshots DIR/NN-name.png):
  a. /login: a wrong password shows .error                       01-sign-in-error
  b. the right password lands on /, which lists SLUG             02-projects
  c. the project's page lists pipelines (newest first)           03-pipelines
  d. the newest pipeline's page shows its jobs                   04-pipeline
  e. the first job's page shows TEXT in a step's log, live       05-job-live
     (within 60 s, no page reload), then #job-status success     06-job-done
  f. (--approve-slug) approving the hold job makes its workflow
     succeed (within 60 s)                                       07-approved
  g. #sign-out leads back to /login
Also: every page passes a small accessibility check (one h1, lang, labelled
inputs, named buttons and links, a main landmark); the pipelines page triggers
a pipeline by keyboard alone (Tab to the form, Enter); the job page follows its
job over the WebSocket and reports how long STAMP lines took from the job to the
page; the job page holds at a phone's width (390 px)                08-job-phone
  h. (--big-slug) a job printing 50 MB: its page follows it live keeping at most
     a few MB in the page, shows the final line, loads earlier output on demand
     and finds a line of the head by searching the whole log      09-big-log-live
                                                                  10-big-log
  i. (--admin-login) the admin page, and the audit CSV downloaded  11-admin
On a failure it also saves 99-failure.png.

Prints one `[ui-test] ok ...` line per check and `[ui-test] all N checks passed`.
Exit codes: 0 all checks passed; 1 a check failed (a `[ui-test] FAIL ...` line on
stderr says which and why); 2 bad arguments; 3 the browser could not be started.
"""

import argparse
import os
import re
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gyre_browser import driver, page_snippet, shot, text_of, wait_for, wait_until  # noqa: E402

from selenium.common.exceptions import (  # noqa: E402
    ElementClickInterceptedException,
    NoAlertPresentException,
    WebDriverException,
)
from selenium.webdriver.common.by import By  # noqa: E402

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_BROWSER = 0, 1, 2, 3

# Statuses after which a job or workflow will never read "success".
FAILED_STATUSES = {
    "failed", "failing", "error", "errored", "canceled", "cancelled", "infrastructure_fail",
    "timedout", "not_run", "terminated-unknown", "unauthorized",
}
# Set on the job page's window object: gone if the page reloads.
NO_RELOAD_MARK = "__gyreUiTestNoReload"


class UITest:
    def __init__(self, d, args):
        self.d = d
        self.args = args
        self.base = args.base.rstrip("/")
        self.prefix = urlsplit(self.base).path.rstrip("/")
        self.checks = 0
        self.stage = "start"

    # -- helpers -----------------------------------------------------------

    def ok(self, message):
        self.checks += 1
        print(f"[ui-test] ok   {message}", flush=True)

    def url(self, path):
        return self.base + path

    def path(self):
        p = urlsplit(self.d.current_url).path
        return p.rstrip("/") or "/"

    def want_path(self, path):
        return (self.prefix + path).rstrip("/") or "/"

    def wait_path(self, pattern, what, timeout=20):
        """Waits until the current URL's path equals pattern (a str) or fully matches it (a compiled regex)."""
        def matches():
            p = self.path()
            if isinstance(pattern, str):
                return p == self.want_path(pattern)
            return pattern.fullmatch(p) is not None
        wait_until(self.d, matches, what, timeout)
        return self.path()

    def shot(self, name):
        path = shot(self.d, name)
        print(f"[ui-test]      screenshot {path}", flush=True)

    def click(self, el):
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
        try:
            el.click()
        except ElementClickInterceptedException:
            self.d.execute_script("arguments[0].click();", el)

    def sign_out_present(self):
        wait_for(self.d, "#sign-out", timeout=10)

    def fill_sign_in(self, login, password):
        form = wait_for(self.d, "#sign-in-form")
        for css, name, value in (("#login", "login", login), ("#password", "password", password)):
            field = wait_for(self.d, css, timeout=5)
            if field.get_attribute("name") != name:
                raise AssertionError(f"{css} has name={field.get_attribute('name')!r}, expected {name!r}")
            field.clear()
            field.send_keys(value)
        button = wait_for(self.d, "#sign-in", timeout=5)
        return form, button

    def visible_error(self):
        for el in self.d.find_elements(By.CSS_SELECTOR, ".error"):
            if el.is_displayed():
                return el
        return None

    # -- the flow ----------------------------------------------------------

    def run(self):
        a = self.args
        self.sign_in_wrong()
        self.sign_in()
        self.projects()
        number = self.pipelines(a.slug)
        number = self.trigger_by_keyboard(a.slug, number)
        self.pipeline(a.slug, number)
        self.job(a.slug)
        self.phone()
        if a.approve_slug:
            self.approve(a.approve_slug)
        if a.big_slug:
            self.big_log(a.big_slug)
        self.insights(a.slug)
        self.sign_out()
        if a.admin_login:
            self.admin()

    # -- accessibility and keyboard ---------------------------------------

    A11Y = """
        const problems = [];
        if (!document.documentElement.lang) problems.push("html has no lang");
        if (document.querySelectorAll("h1").length !== 1) problems.push(`${document.querySelectorAll("h1").length} h1 elements`);
        if (!document.querySelector("main")) problems.push("no main landmark");
        if (!document.querySelector("nav[aria-label]")) problems.push("no labelled nav");
        const visible = el => el.offsetParent !== null || el.getClientRects().length > 0;
        for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
          const named = el.getAttribute("aria-label") || (el.id && document.querySelector(`label[for="${el.id}"]`))
                        || el.closest("label") || el.getAttribute("aria-labelledby");
          if (!named) problems.push("unlabelled " + el.outerHTML.slice(0, 90));
        }
        for (const el of document.querySelectorAll("button, a[href]")) {
          if (visible(el) && !(el.textContent.trim() || el.getAttribute("aria-label"))) problems.push("nameless " + el.outerHTML.slice(0, 90));
        }
        for (const el of document.querySelectorAll("img")) if (!el.hasAttribute("alt")) problems.push("img without alt");
        for (const table of document.querySelectorAll("table")) if (!table.querySelector("th")) problems.push("table without headers");
        return problems;
    """

    def a11y(self, page):
        problems = self.d.execute_script(self.A11Y)
        if problems:
            raise AssertionError(f"{page} fails the accessibility check: {problems[:5]}")
        count = self.d.execute_script("return document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, [tabindex]').length")
        self.ok(f"{page}: accessibility check passed ({count} focusable elements named or labelled)")

    def tab_to(self, css, limit=80):
        """Presses Tab from the top of the page until the element matching css has the focus; returns the count."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys
        wait_for(self.d, css)
        # The page may reload its content meanwhile (a status changed): compare by selector, not by node.
        self.d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);"
                              "document.body.setAttribute('tabindex', '-1'); document.body.focus();")
        for count in range(1, limit + 1):
            ActionChains(self.d).send_keys(Keys.TAB).perform()
            if self.d.execute_script("return document.activeElement && document.activeElement.matches(arguments[0]);", css):
                return count
        raise AssertionError(f"{css} was not reached with {limit} presses of Tab")

    def trigger_by_keyboard(self, slug, number):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys
        self.stage = f"c. trigger a pipeline of {slug} by keyboard"
        self.a11y(f"/pipelines/{slug}")
        tabs = self.tab_to("#trigger-ref")
        ActionChains(self.d).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys("main").perform()
        more = self.tab_to("#trigger")
        ActionChains(self.d).send_keys(Keys.ENTER).perform()

        def newer():
            return int(self.d.execute_script(
                'const row = document.querySelector("tr.pipeline"); return row ? row.getAttribute("data-number") : 0;') or 0) > number
        wait_until(self.d, newer, f"a pipeline newer than #{number} after pressing Enter on #trigger", 30)
        newest = self.newest_number()
        self.ok(f"triggered pipeline #{newest} by keyboard: Tab x{tabs} to the branch field, Tab x{more} to the button, Enter")
        return newest

    def phone(self):
        self.stage = "e. the job page at a phone's width"
        self.d.set_window_size(390, 844)
        try:
            self.d.refresh()
            wait_for(self.d, "#job-status")
            overflow = self.d.execute_script("return document.documentElement.scrollWidth - window.innerWidth;")
            if overflow > 1:
                raise AssertionError(f"at 390 px the job page is {overflow}px wider than the screen")
            self.shot("08-job-phone")
            job_url = self.d.current_url
            self.d.get(self.url(f"/pipelines/{self.args.slug}"))
            wait_for(self.d, "tr.pipeline")
            overflow = self.d.execute_script("return document.documentElement.scrollWidth - window.innerWidth;")
            if overflow > 1:
                raise AssertionError(f"at 390 px the pipelines page is {overflow}px wider than the screen")
            self.shot("08-pipelines-phone")
            self.d.get(job_url)
            self.ok("job and pipelines pages at 390 px: no sideways scrolling")
        finally:
            from gyre_browser import WINDOW
            self.d.set_window_size(*WINDOW)

    def sign_in_wrong(self):
        self.stage = "a. sign-in with a wrong password"
        self.d.get(self.url("/login"))
        _, button = self.fill_sign_in(self.args.login, "wrong-" + self.args.password)
        self.click(button)
        err = wait_until(self.d, self.visible_error, "a visible '.error' after a wrong password")
        if self.path() == self.want_path("/"):
            raise AssertionError("a wrong password signed in (the browser is on /)")
        message = " ".join(text_of(err).split())[:80]
        self.ok(f"wrong password refused: .error {message!r}")
        self.shot("01-sign-in-error")

    def sign_in(self):
        self.stage = "b. sign-in"
        _, button = self.fill_sign_in(self.args.login, self.args.password)
        self.click(button)
        self.wait_path("/", "the browser to land on / after signing in")
        self.ok(f"signed in as {self.args.login!r}: on /")

    def projects(self):
        self.stage = "b. projects page"
        slug = self.args.slug
        wait_for(self.d, "h1", text="Projects")

        def project_link():
            for el in self.d.find_elements(By.CSS_SELECTOR, "a.project"):
                if text_of(el).strip() == slug:
                    return el
            return None
        link = wait_until(self.d, project_link, f"a link 'a.project' whose text is {slug!r}")
        href = urlsplit(link.get_attribute("href") or "").path
        if href != self.want_path(f"/pipelines/{slug}"):
            raise AssertionError(f"project link {slug!r} goes to {href!r}, expected {self.want_path('/pipelines/' + slug)!r}")
        self.sign_out_present()
        self.ok(f"/ lists project {slug} (h1 Projects, a.project -> {href})")
        self.shot("02-projects")
        self.click(link)

    def pipelines(self, slug):
        self.stage = f"c. pipelines of {slug}"
        self.wait_path(f"/pipelines/{slug}", f"the project page /pipelines/{slug}")
        wait_for(self.d, "tr.pipeline")
        # One snapshot in the page (it reloads its content live).
        rows = self.d.execute_script("""
            return [...document.querySelectorAll("tr.pipeline")].map(row => ({
              number: row.getAttribute("data-number"), link: !!row.querySelector("a.pipeline-link"),
              status: (row.querySelector(".status") || {}).textContent || null}));
        """)
        numbers = []
        for row in rows:
            n = row["number"]
            if n is None or not n.strip().isdigit():
                raise AssertionError(f"tr.pipeline with data-number={n!r} (expected a pipeline number)")
            numbers.append(int(n))
            if not row["link"] or row["status"] is None:
                raise AssertionError(f"pipeline #{n} has no a.pipeline-link or no .status")
        if numbers != sorted(numbers, reverse=True):
            raise AssertionError(f"pipelines not newest first: data-number order {numbers}")
        status = rows[0]["status"].strip()
        self.sign_out_present()
        self.ok(f"/pipelines/{slug} lists {len(rows)} pipeline(s) newest first: {numbers[:10]}; "
                f"newest #{numbers[0]} is {status!r}")
        self.shot("03-pipelines")
        return numbers[0]

    def open_newest_pipeline(self, slug, number):
        # Pressed in the page in one go (a live list may replace its rows between two WebDriver calls).
        self.d.execute_script('document.querySelector("tr.pipeline a.pipeline-link").click();')
        self.wait_path(f"/pipelines/{slug}/{number}", f"the pipeline page /pipelines/{slug}/{number}")

    def newest_number(self):
        wait_for(self.d, "tr.pipeline")
        return int(self.d.execute_script('return document.querySelector("tr.pipeline").getAttribute("data-number");'))

    def open_first_job(self):
        """Opens the pipeline page's first job (found and pressed in one go); returns its name."""
        wait_for(self.d, ".job a.job-link")
        return self.d.execute_script("""
            const job = document.querySelector(".job"); job.querySelector("a.job-link").click();
            return job.getAttribute("data-name");
        """)

    def pipeline(self, slug, number):
        self.stage = f"d. pipeline {slug} #{number}"
        self.open_newest_pipeline(slug, number)
        wait_for(self.d, ".job")
        # One snapshot in the page (it reloads its content live; elements found one by one may be replaced meanwhile).
        snapshot = self.d.execute_script("""
            return [...document.querySelectorAll("section.workflow")].map(wf => ({
              status: wf.getAttribute("data-status"),
              jobs: [...wf.querySelectorAll(".job")].map(job => ({
                name: job.getAttribute("data-name"), status: job.getAttribute("data-status"),
                link: !!job.querySelector("a.job-link"), text: job.textContent.trim().slice(0, 80)}))}));
        """)
        summary = []
        for wf in snapshot:
            if wf["status"] is None:
                raise AssertionError("a section.workflow has no data-status")
            for job in wf["jobs"]:
                for attr in ("name", "status"):
                    if job[attr] is None:
                        raise AssertionError(f"a .job has no data-{attr}: {job['text']!r}")
                if not job["link"]:
                    raise AssertionError(f"job {job['name']!r} has no a.job-link")
            summary.append(f"workflow {wf['status']}: " + ", ".join(f"{j['name']}={j['status']}" for j in wf["jobs"]))
        if not summary:
            raise AssertionError("the pipeline page shows .job elements but no section.workflow")
        self.sign_out_present()
        self.ok(f"pipeline #{number} page: " + "; ".join(summary))
        wait_until(self.d, lambda: self.d.execute_script("return document.getElementById('main').dataset.liveState;") == "socket",
                   "the pipeline page to follow its pipeline over its WebSocket", 10)
        self.ok("the pipeline page follows its statuses over its WebSocket")
        self.shot("04-pipeline")

    def job(self, slug):
        a = self.args
        self.stage = "e. job page"
        name = self.open_first_job()
        job_path = self.wait_path(re.compile(re.escape(f"{self.prefix}/pipelines/{slug}/jobs/") + r"\d+"),
                                  f"the page of job {name!r} (/pipelines/{slug}/jobs/N)")
        status_el = wait_for(self.d, "#job-status")
        first_status = text_of(status_el).strip()
        self.d.execute_script(f"window.{NO_RELOAD_MARK} = true;")
        # When each STAMP <epoch ms> line the job prints reaches the page.
        self.d.execute_script("""
            window.__gyreStamps = []; const seen = new Set();
            new MutationObserver(records => {
              const now = Date.now();
              for (const record of records) for (const node of record.addedNodes) {
                for (const m of (node.textContent || "").matchAll(/STAMP (\\d{13})/g)) {
                  if (!seen.has(m[1])) { seen.add(m[1]); window.__gyreStamps.push(now - Number(m[1])); }
                }
              }
            }).observe(document.getElementById("steps"), {childList: true, subtree: true});
        """)
        self.a11y(job_path)
        self.sign_out_present()
        self.ok(f"job {name!r} page {job_path}: #job-status {first_status!r}")

        self.stage = f"e. live log of job {name!r}"
        t0 = time.monotonic()
        already = any(a.expect in text_of(el) for el in self.d.find_elements(By.CSS_SELECTOR, ".step pre.log"))
        log = wait_for(self.d, ".step pre.log", text=a.expect, timeout=a.expect_timeout)
        step = log.find_element(By.XPATH, "./ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' step ')][1]")
        self.assert_no_reload("the step output arrived")
        when = "already there on arrival" if already else f"arrived live after {time.monotonic() - t0:.1f}s"
        self.ok(f"step {step.get_attribute('data-index')} ({step.get_attribute('data-status')}) log shows "
                f"{a.expect!r}: {when}, no page reload")
        state = self.d.execute_script("return document.getElementById('main').dataset.liveState || '';")
        if state != "socket":
            raise AssertionError(f"the job page followed the job by {state or 'nothing'!r}, expected its WebSocket")
        self.ok("the job page follows the job over its WebSocket")
        self.shot("05-job-live")

        self.stage = f"e. job {name!r} finishing"

        def done():
            s = text_of(self.d.find_element(By.CSS_SELECTOR, "#job-status")).strip()
            if s.lower() in FAILED_STATUSES:
                raise AssertionError(f"job {name!r} ended {s!r}, expected 'success'; page text: {page_snippet(self.d)!r}")
            return s.lower() == "success"
        wait_until(self.d, done, "#job-status to read 'success'", a.done_timeout)
        self.assert_no_reload("the job finished")
        steps = [f"{s.get_attribute('data-index')}={s.get_attribute('data-status')}"
                 for s in self.d.find_elements(By.CSS_SELECTOR, ".step")]
        self.ok(f"job {name!r} #job-status 'success' (live, no page reload); steps {', '.join(steps)}")
        stamps = sorted(self.d.execute_script("return window.__gyreStamps || [];"))
        if len(stamps) < 3:
            raise AssertionError(f"only {len(stamps)} STAMP lines reached the page while it was open (expected 3 or more)")
        self.ok(f"printed -> shown in the page, {len(stamps)} lines: median {stamps[len(stamps) // 2]} ms, "
                f"max {stamps[-1]} ms")
        self.shot("06-job-done")

    def assert_no_reload(self, when):
        if not self.d.execute_script(f"return window.{NO_RELOAD_MARK} === true;"):
            raise AssertionError(f"the job page reloaded before {when}: its step output and status "
                                 "must update live, without a page reload")

    def approve(self, slug):
        a = self.args
        self.stage = f"f. approval in {slug}"
        self.d.get(self.url(f"/pipelines/{slug}"))
        number = self.newest_number()
        self.open_newest_pipeline(slug, number)
        pipeline_url = self.d.current_url
        # The hold may not have been reached yet: reload the page every few seconds if it doesn't update itself.
        self.wait_reloading(pipeline_url, lambda: self.d.find_elements(By.CSS_SELECTOR, "button.approve")[:1],
                            f"a 'button.approve' on pipeline #{number}", a.approve_timeout)
        # Found and pressed in one go: the page may reload its content between two WebDriver calls.
        index, job_name = self.d.execute_script("""
            const button = document.querySelector("button.approve");
            const sections = [...document.querySelectorAll("section.workflow")];
            const index = sections.indexOf(button.closest("section.workflow"));
            const name = button.closest(".job").getAttribute("data-name");
            button.scrollIntoView({block: "center"});
            button.click();
            return [index, name];
        """)
        try:  # a confirmation dialog, if the page asks
            self.d.switch_to.alert.accept()
        except NoAlertPresentException:
            pass

        def succeeded():
            sections = self.d.find_elements(By.CSS_SELECTOR, "section.workflow")
            if len(sections) <= index:
                return False
            s = (sections[index].get_attribute("data-status") or "").strip()
            if s.lower() in FAILED_STATUSES:
                raise AssertionError(f"the workflow ended {s!r} after approving {job_name!r}, expected 'success'")
            return s.lower() == "success"
        _, reloaded = self.wait_reloading(pipeline_url, succeeded,
                                          "the approved workflow's data-status to become 'success'", a.approve_timeout)
        self.ok(f"approved {job_name!r} on {slug} #{number}: workflow success "
                + ("(after reloading the page)" if reloaded else "(live)"))
        self.shot("07-approved")

    def wait_reloading(self, url, condition, what, timeout, every=5.0):
        """wait_until(condition), reloading url every `every` seconds meanwhile; returns (result, reloaded)."""
        deadline = time.monotonic() + timeout
        reloaded = False
        while True:
            left = deadline - time.monotonic()
            try:
                return wait_until(self.d, condition, what, max(0.1, min(every, left))), reloaded
            except AssertionError as e:
                # A condition's own verdict (e.g. the workflow failed) is final; only timeouts retry.
                if not str(e).startswith("timed out"):
                    raise
                if time.monotonic() >= deadline:
                    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} on {self.d.current_url} "
                                         f"(reloading every {every:.0f}s); page text: {page_snippet(self.d)!r}") from None
            self.d.get(url)
            reloaded = True

    def pre_window(self):
        """(bytes of log in the page, the furthest byte any step shows)."""
        return self.d.execute_script("""
            const pres = [...document.querySelectorAll('.step pre.log')];
            return [pres.reduce((n, p) => n + Number(p.dataset.bytes || 0) - Number(p.dataset.start || 0), 0),
                    Math.max(0, ...pres.map(p => Number(p.dataset.bytes || 0)))];
        """)

    def big_log(self, slug):
        a = self.args
        self.stage = f"h. a 50 MB log ({slug})"
        self.d.get(self.url(f"/pipelines/{slug}"))
        number = self.newest_number()
        self.open_newest_pipeline(slug, number)
        self.open_first_job()
        wait_for(self.d, "#job-status")
        if a.big_go_file:  # the job starts printing once the page is open
            wait_for(self.d, ".step", timeout=60)
            open(a.big_go_file, "w").close()
        t0 = time.monotonic()
        wait_for(self.d, ".step pre.log", text=a.big_expect, timeout=180)
        shown, furthest = self.pre_window()
        if furthest < 50_000_000:
            raise AssertionError(f"the page shows the log up to byte {furthest}, expected past 50,000,000")
        if shown > 3 << 20:
            raise AssertionError(f"the page holds {shown} bytes of log, expected at most 3 MiB")
        start = time.monotonic()
        self.d.execute_script("return 1;")
        answer_ms = (time.monotonic() - start) * 1000
        heap = self.d.execute_script("return performance.memory ? performance.memory.usedJSHeapSize : 0;")
        self.ok(f"50 MB log followed live: final line after {time.monotonic() - t0:.1f}s, {shown / 1e6:.2f} MB kept in "
                f"the page, script answers in {answer_ms:.0f} ms, JS heap {heap / 1e6:.1f} MB")
        self.shot("09-big-log-live")

        def done():
            return text_of(self.d.find_element(By.CSS_SELECTOR, "#job-status")).strip().lower() == "success"
        wait_until(self.d, done, "the 50 MB job to succeed", 120)
        self.d.refresh()
        wait_for(self.d, ".step pre.log", text=a.big_expect, timeout=30)
        load_ms = self.d.execute_script(
            "const t = performance.getEntriesByType('navigation')[0]; return Math.round(t.loadEventEnd - t.startTime);")
        shown, furthest = self.pre_window()
        # A step that succeeded starts collapsed: open it by its summary, as a person would.
        for step in self.d.find_elements(By.CSS_SELECTOR, "details.step"):
            if step.find_elements(By.CSS_SELECTOR, ".earlier-bar:not([hidden])") and not step.get_attribute("open"):
                self.click(step.find_element(By.CSS_SELECTOR, "summary"))
        bar = wait_for(self.d, ".earlier-bar:not([hidden]) button.earlier")
        if not bar.is_displayed():
            raise AssertionError("a finished 50 MB log shows no 'Load earlier output' button")
        self.ok(f"finished 50 MB log: page loaded in {load_ms} ms with its last {shown / 1e3:.0f} kB and the final line")
        pre = bar.find_element(By.XPATH, "./ancestor::details[1]//pre")
        before = int(pre.get_attribute("data-start"))
        self.click(bar)
        wait_until(self.d, lambda: int(pre.get_attribute("data-start")) < before, "earlier output to load", 20)
        self.ok(f"'Load earlier output' loaded {before - int(pre.get_attribute('data-start'))} more bytes")
        field = wait_for(self.d, "#log-search")
        field.clear()
        field.send_keys(a.big_head)
        self.click(wait_for(self.d, "#log-search-all"))
        hit = wait_for(self.d, "#search-results li", text=a.big_head, timeout=30)
        self.ok(f"searching the whole log found the head line: {' '.join(text_of(hit).split())[:60]!r}")
        self.shot("10-big-log")

    def insights(self, slug):
        self.stage = f"h. Insights of {slug}"
        self.d.get(self.url(f"/pipelines/{slug}"))
        self.click(wait_for(self.d, "#insights"))
        self.wait_path(f"/insights/{slug}", f"the Insights page of {slug}")
        table = wait_for(self.d, "#insights-workflows")
        rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
        if not rows:
            raise AssertionError("the Insights page lists no workflow, though the project ran pipelines")
        self.a11y(f"/insights/{slug}")
        self.ok(f"Insights of {slug}: {len(rows)} workflow(s): {' '.join(text_of(rows[0]).split())[:80]!r}")
        self.shot("14-insights")

    def admin(self):
        a = self.args
        self.stage = "i. admin page and audit CSV"
        self.d.get(self.url("/login"))
        _, button = self.fill_sign_in(a.admin_login, a.admin_password)
        self.click(button)
        self.wait_path("/", "the admin to land on / after signing in")
        self.click(wait_for(self.d, "#admin"))
        self.wait_path("/admin", "the admin page")
        wait_for(self.d, "h1", text="Administration")
        self.a11y("/admin")
        downloads = self.d.gyre_downloads_dir
        for name in os.listdir(downloads):
            os.remove(os.path.join(downloads, name))
        self.click(wait_for(self.d, "#audit-csv"))

        def downloaded():
            names = [n for n in os.listdir(downloads) if n.endswith(".csv")]
            return names[0] if names else None
        name = wait_until(self.d, downloaded, "the audit CSV in the downloads directory", 30)
        with open(os.path.join(downloads, name), encoding="utf-8") as f:
            lines = f.read().splitlines()
        if len(lines) < 2 or "action" not in lines[0]:
            raise AssertionError(f"the audit CSV has {len(lines)} lines, header {lines[:1]!r}")
        actions = sum(1 for line in lines[1:] if "user.logged_in" in line)
        if actions == 0:
            raise AssertionError("the audit CSV records no user.logged_in event, though users signed in")
        self.ok(f"downloaded {name}: {len(lines) - 1} events, {actions} sign-ins")
        self.shot("11-admin")
        # The settings pages, as an admin sees them (every form labelled).
        slug = a.slug
        org = "/".join(slug.split("/")[:2])
        for path, shot_name in ((f"/settings/project/{slug}", "12-project-settings"),
                                (f"/settings/organization/{org}", "13-organization-settings")):
            self.d.get(self.url(path))
            wait_for(self.d, "h1")
            self.a11y(path)
            self.shot(shot_name)

    def sign_out(self):
        self.stage = "g. sign-out"
        self.click(wait_for(self.d, "#sign-out"))
        self.wait_path("/login", "the browser to be back on /login after #sign-out")
        wait_for(self.d, "#sign-in-form")
        self.ok("signed out: back on /login")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="Gyre's web UI, e.g. http://127.0.0.1:8080")
    ap.add_argument("--login", required=True, help="user name to sign in with")
    ap.add_argument("--password", required=True, help="that user's password")
    ap.add_argument("--slug", required=True, help="project slug, e.g. gh/acme/app")
    ap.add_argument("--expect", required=True, help="text the first job's step output must show")
    ap.add_argument("--screenshots", required=True, help="directory for the PNG screenshots (made if missing)")
    ap.add_argument("--approve-slug", help="also approve the hold job of this project's newest pipeline")
    ap.add_argument("--expect-timeout", type=float, default=60, help="seconds for --expect to appear (60)")
    ap.add_argument("--done-timeout", type=float, default=120, help="seconds for the job to succeed (120)")
    ap.add_argument("--approve-timeout", type=float, default=60,
                    help="seconds for the hold button, then for the approved workflow to succeed (60 each)")
    ap.add_argument("--big-slug", help="a project whose newest pipeline's job prints about 50 MB")
    ap.add_argument("--big-go-file", help="a file to create once the 50 MB job's page is open (the job waits for it)")
    ap.add_argument("--big-expect", default="BIG-FINAL-LINE", help="the last line of that log")
    ap.add_argument("--big-head", default="BIG-HEAD-LINE", help="a line only at the start of that log")
    ap.add_argument("--admin-login", help="an installation admin, for the admin page and the audit CSV")
    ap.add_argument("--admin-password", help="that admin's password")
    args = ap.parse_args(argv)
    if urlsplit(args.base).scheme not in ("http", "https"):
        ap.error(f"--base must be an http(s) URL, got {args.base!r}")
    if not args.expect:
        ap.error("--expect must not be empty")

    try:
        d = driver(args.screenshots)
    except Exception as e:  # noqa: BLE001
        print(f"[ui-test] FAIL could not start headless Chromium: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return EXIT_NO_BROWSER
    test = UITest(d, args)
    t0 = time.monotonic()
    try:
        test.run()
    except (AssertionError, WebDriverException, IndexError, ValueError) as e:
        if isinstance(e, AssertionError):
            why = str(e).strip()
        elif isinstance(e, WebDriverException):  # its message without chromedriver's stack trace
            try:
                where = d.current_url
            except WebDriverException:
                where = "?"
            why = f"{type(e).__name__}: {(e.msg or '').strip().splitlines()[0] if e.msg else e!s} (on {where})"
        else:
            why = f"{type(e).__name__}: {e}"
        print(f"[ui-test] FAIL {test.stage}: {why}", file=sys.stderr, flush=True)
        try:
            test.shot("99-failure")
        except Exception:  # noqa: BLE001
            pass
        return EXIT_FAILED
    finally:
        d.quit()
    print(f"[ui-test] all {test.checks} checks passed in {time.monotonic() - t0:.1f}s", flush=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
