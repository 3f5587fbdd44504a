"""Helpers for Gyre's browser tests: headless Chromium driven by Selenium.

Chromium and its driver are Debian's (packages chromium, chromium-driver, from
deploy/scripts/install-deps.sh); Selenium lives in the virtualenv that
deploy/scripts/browser-env.sh makes at $GYRE_HOME/browser-venv. Selenium Manager
is never used (the driver's path is given), so nothing is downloaded at run time.

    d = driver("/tmp/shots")
    d.get("http://127.0.0.1:8080/login")
    wait_for(d, "#sign-in-form")
    shot(d, "01-sign-in")          # /tmp/shots/01-sign-in.png
    d.quit()
"""

import os
import re
import time

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver import Chrome, ChromeOptions, ChromeService
from selenium.webdriver.common.by import By

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1280, 900)


def driver(screenshots_dir):
    """Starts headless Chromium (1280x900) that saves shot()s into screenshots_dir.

    The flags let it run as root in a container: no sandbox (needs user
    namespaces), no /dev/shm (often only 64 MB in containers)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            raise RuntimeError(
                f"{path} not found: run deploy/scripts/install-deps.sh (packages chromium, chromium-driver)")
    os.makedirs(screenshots_dir, exist_ok=True)
    options = ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",  # no update/safe-browsing calls: the machine has no internet
        "--disable-component-update",
        "--disable-sync",
        "--lang=en-US",
    ):
        options.add_argument(flag)
    # Downloads (the audit CSV) go to DIR/downloads without asking.
    downloads = os.path.join(os.path.abspath(screenshots_dir), "downloads")
    os.makedirs(downloads, exist_ok=True)
    options.add_experimental_option("prefs", {
        "download.default_directory": downloads,
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    service = ChromeService(executable_path=CHROMEDRIVER)
    d = Chrome(service=service, options=options)
    try:
        d.set_window_size(*WINDOW)
        d.set_page_load_timeout(30)
    except Exception:
        d.quit()
        raise
    d.gyre_screenshots_dir = os.path.abspath(screenshots_dir)
    d.gyre_downloads_dir = downloads
    return d


def shot(d, name):
    """Saves a PNG screenshot of the window as <screenshots_dir>/<name>.png; returns its path."""
    if not name.endswith(".png"):
        name += ".png"
    path = os.path.join(d.gyre_screenshots_dir, name)
    if not d.save_screenshot(path):
        raise AssertionError(f"could not save screenshot {path}")
    return path


def text_of(el):
    """An element's text, hidden parts included (textContent), whitespace as in the page."""
    return el.get_attribute("textContent") or ""


def page_snippet(d, limit=600):
    """The page's visible text, whitespace collapsed, cut to limit characters."""
    try:
        body = d.find_element(By.TAG_NAME, "body").text
    except WebDriverException:
        body = d.page_source or ""
    body = re.sub(r"\s+", " ", body).strip()
    return body if len(body) <= limit else body[:limit] + "..."


def wait_for(d, css, text=None, timeout=20):
    """Polls until an element matching css exists (and, with text, contains it
    in its text content); returns that element. Raises AssertionError naming the
    page's URL and showing a snippet of its text on timeout."""
    def find():
        for el in d.find_elements(By.CSS_SELECTOR, css):
            if text is None or text in text_of(el):
                return el
        return None

    want = f"{css!r} containing {text!r}" if text is not None else repr(css)
    return wait_until(d, find, want, timeout)


def wait_until(d, condition, what, timeout=20):
    """Polls condition() until it returns something truthy, and returns that.
    Stale elements count as "not yet". Raises AssertionError saying what was
    awaited, with the page's URL and a snippet of its text, on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
            if result:
                return result
        except StaleElementReferenceException:
            pass
        except WebDriverException as e:
            # A node replaced while it was being read (live pages reload their content): "not yet" too.
            if "does not belong to the document" not in str(e):
                raise
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what} on {d.current_url}; "
                f"page text: {page_snippet(d)!r}")
        time.sleep(0.2)
