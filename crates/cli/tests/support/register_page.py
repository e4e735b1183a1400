#!/usr/bin/env python3
"""Drives headless Chromium through microscanner's registration page as a person would: open the
page, type the address, tick "I accept", press the button, and read the page that comes back.

Talks the DevTools protocol over a pipe (--remote-debugging-pipe: NUL-separated JSON on file
descriptors 3 and 4), so it needs nothing but the standard library and Debian's chromium.

usage: register_page.py CHROMIUM URL EMAIL SCREENSHOT_DIR
prints: {"before": TEXT, "after": TEXT, "csp_violations": N}
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

chromium, url, email, shots = sys.argv[1:5]

to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()
profile = tempfile.mkdtemp(prefix="ms-chromium-")


# The shell puts the pipe ends where Chromium expects them (3: commands in, 4: answers out).
proc = subprocess.Popen(
    ["/bin/sh", "-c", f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}',
     chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
     f"--user-data-dir={profile}", "--window-size=1000,900", "about:blank"],
    pass_fds=(to_chrome_r, from_chrome_w),
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_chrome_r)
os.close(from_chrome_w)
reader = os.fdopen(from_chrome_r, "rb", buffering=0)
writer = os.fdopen(to_chrome_w, "wb", buffering=0)
pending = b""
events = []
next_id = 0


def read_message(deadline):
    global pending
    while b"\0" not in pending:
        if time.time() > deadline:
            raise TimeoutError("chromium did not answer")
        chunk = reader.read(65536)
        if not chunk:
            raise EOFError("chromium closed the pipe")
        pending += chunk
    raw, pending = pending.split(b"\0", 1)
    return json.loads(raw)


def call(method, params=None, session=None, timeout=30):
    global next_id
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    writer.write(json.dumps(msg).encode() + b"\0")
    deadline = time.time() + timeout
    while True:
        m = read_message(deadline)
        if m.get("id") == next_id:
            if "error" in m:
                raise RuntimeError(f"{method}: {m['error']}")
            return m.get("result", {})
        events.append(m)


def wait_event(name, session, timeout=30):
    deadline = time.time() + timeout
    while True:
        for i, e in enumerate(events):
            if e.get("method") == name and e.get("sessionId") == session:
                events.pop(i)
                return e
        events.append(read_message(deadline))


def evaluate(session, expression):
    r = call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    return r.get("result", {}).get("value")


def screenshot(session, name):
    data = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(os.path.join(shots, name), "wb") as f:
        f.write(base64.b64decode(data))


try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", session=session)
    call("Runtime.enable", session=session)
    call("Log.enable", session=session)
    call("Page.navigate", {"url": url + "/"}, session)
    wait_event("Page.loadEventFired", session)
    before = evaluate(session, "document.body.innerText")
    screenshot(session, "register-form.png")
    # type and click as a person would: focus the field, insert text, click the box and the button
    evaluate(session, "document.getElementById('email').focus()")
    call("Input.insertText", {"text": email}, session)
    for element in ("accept", "submit"):
        box = evaluate(session, f"(() => {{ const r = document.getElementById('{element}').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()")
        for kind in ("mousePressed", "mouseReleased"):
            call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}, session)
        if element == "submit":
            wait_event("Page.loadEventFired", session)
    after = evaluate(session, "document.body.innerText")
    screenshot(session, "register-done.png")
    violations = sum(1 for e in events if e.get("method") == "Log.entryAdded"
                     and "Content Security Policy" in e["params"]["entry"].get("text", ""))
    print(json.dumps({"before": before, "after": after, "csp_violations": violations}))
finally:
    try:
        call("Browser.close", timeout=5)
    except Exception:
        pass
    proc.kill()
    proc.wait()
