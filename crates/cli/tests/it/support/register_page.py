#!/usr/bin/env python3
"""Drives headless Chromium through microscanner's registration page as a person would: open the
page, type the address, tick "I accept", press the button, and read the page that comes back.

Talks the DevTools protocol over a pipe (--remote-debugging-pipe: NUL-separated JSON on file
descriptors 3 and 4) through crates/testkit/python/cdp_pipe.py, so it needs nothing but the
standard library and Debian's chromium.

usage: register_page.py CHROMIUM URL EMAIL SCREENSHOT_DIR
prints: {"before": TEXT, "after": TEXT, "csp_violations": N}
"""
import json
import os
import sys

# the shared DevTools-over-a-pipe client: crates/testkit/python/cdp_pipe.py
_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here[:_here.rindex(os.sep + "crates" + os.sep)], "crates", "testkit", "python"))
from cdp_pipe import Browser  # noqa: E402

chromium, url, email, shots = sys.argv[1:5]
browser = Browser(chromium, ["--window-size=1000,900"], timeout=30)
call, wait_event, evaluate = browser.call, browser.wait_event, browser.evaluate


def screenshot(session, name):
    browser.screenshot(session, os.path.join(shots, name))


try:
    session = browser.open_tab()
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
    violations = len(browser.csp_violations())
    print(json.dumps({"before": before, "after": after, "csp_violations": violations}))
finally:
    browser.close()
