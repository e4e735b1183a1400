"""A headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
NUL-separated JSON on file descriptors 3 and 4), for the browser tests' scripts
(crates/report/tests/support/html_page.py, crates/cli/tests/it/support/register_page.py).
Standard library only, so the tests need nothing but Debian's chromium.

    browser = Browser(chromium, ["--window-size=1400,900"])
    try:
        session = browser.open_tab()
        browser.call("Page.navigate", {"url": url}, session)
        browser.wait_event("Page.loadEventFired", session)
        text = browser.evaluate(session, "document.body.innerText")
    finally:
        browser.close()
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

# Flags for a quiet, reproducible headless run that talks to nothing but the page under test.
QUIET = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


class Browser:
    """One Chromium process with a throwaway profile; `events` keeps the events seen while waiting
    for answers (Log.entryAdded, Runtime.exceptionThrown, ...), for the caller to inspect."""

    def __init__(self, chromium, args, timeout=60):
        self.timeout = timeout
        self.events = []
        self._pending = b""
        self._next_id = 0
        self._profile = tempfile.mkdtemp(prefix="ms-chromium-")
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # The shell puts the pipe ends where Chromium expects them (3: commands in, 4: answers out).
        self._proc = subprocess.Popen(
            ["/bin/sh", "-c", f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}', chromium, *QUIET,
             "--remote-debugging-pipe", f"--user-data-dir={self._profile}", *args, "about:blank"],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._reader = os.fdopen(from_chrome_r, "rb", buffering=0)
        self._writer = os.fdopen(to_chrome_w, "wb", buffering=0)

    def _read_message(self, deadline):
        while b"\0" not in self._pending:
            if time.time() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = self._reader.read(65536)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self._pending += chunk
        raw, self._pending = self._pending.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=None):
        """Sends one command and returns its result; events met on the way go to `events`."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._writer.write(json.dumps(msg).encode() + b"\0")
        deadline = time.time() + (timeout or self.timeout)
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, name, session, timeout=None):
        """Waits for (and removes from `events`) the next event `name` of `session`."""
        deadline = time.time() + (timeout or self.timeout)
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == name and e.get("sessionId") == session:
                    self.events.pop(i)
                    return e
            self.events.append(self._read_message(deadline))

    def open_tab(self):
        """A new tab with Page, Runtime and Log events on; returns its session id."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        return session

    def evaluate(self, session, expression):
        """The value of a JavaScript expression in the page; a thrown exception is an error."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    def screenshot(self, session, path):
        """Saves a PNG of the visible page to `path`."""
        data = self.call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def csp_violations(self):
        """The console messages that report a Content Security Policy violation."""
        return [e["params"]["entry"].get("text", "") for e in self.events
                if e.get("method") == "Log.entryAdded"
                and "Content Security Policy" in e["params"]["entry"].get("text", "")]

    def close(self):
        """Closes the browser, kills it if it does not go, and removes its profile."""
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        self._proc.kill()
        self._proc.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

