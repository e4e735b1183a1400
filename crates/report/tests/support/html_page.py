#!/usr/bin/env python3
"""Drives headless Chromium through microscanner's HTML report as a person would, at 1400 px and at
390 px wide: open the page, measure the layout (clipped cells, sideways scrolling, the folded feed
list, the severity bars), then type a package name in the search box, press the "critical"
severity filter, tick "fixable only" and "KEV only", counting the rows left visible after each
step; then open the page again with JavaScript off. Screenshots go to SCREENSHOT_DIR.

Talks the DevTools protocol over a pipe (--remote-debugging-pipe: NUL-separated JSON on file
descriptors 3 and 4) through crates/testkit/python/cdp_pipe.py, so it needs nothing but the
standard library and Debian's chromium.

usage: html_page.py CHROMIUM FILE SCREENSHOT_DIR SEARCH
prints: one JSON object, {"widths": {"1400": {...}, "390": {...}}, "nojs": {...},
        "csp_violations": N, "exceptions": [...]}
"""
import json
import os
import sys

# the shared DevTools-over-a-pipe client: crates/testkit/python/cdp_pipe.py
_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here[:_here.rindex(os.sep + "crates" + os.sep)], "crates", "testkit", "python"))
from cdp_pipe import Browser  # noqa: E402

chromium, page_file, shots, search = sys.argv[1:5]
url = "file://" + os.path.abspath(page_file)
browser = Browser(chromium, ["--window-size=1400,900"], timeout=60)
call, wait_event, evaluate = browser.call, browser.wait_event, browser.evaluate


def screenshot(session, name):
    browser.screenshot(session, os.path.join(shots, name))


def load(session):
    call("Page.navigate", {"url": url}, session)
    wait_event("Page.loadEventFired", session)


def click(session, selector):
    """Scrolls the element into view and clicks its middle with the mouse."""
    box = evaluate(session, f"""(() => {{
        const e = document.querySelector({json.dumps(selector)});
        e.scrollIntoView({{block: "center"}});
        const r = e.getBoundingClientRect();
        return [r.x + r.width / 2, r.y + r.height / 2];
    }})()""")
    for kind in ("mousePressed", "mouseReleased"):
        call("Input.dispatchMouseEvent",
             {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}, session)


VISIBLE_ROWS = """Array.from(document.querySelectorAll('#findings-table tbody tr'))
    .filter(r => r.getClientRects().length > 0).length"""

STATUS = "(document.getElementById('filter-status') || {}).textContent || null"

# Every table cell: inside its scroll container (the .table-wrap), not past its right edge, its
# content not overflowing the cell; no container scrolling sideways; no page-level sideways scroll.
LAYOUT = """(() => {
  const de = document.documentElement;
  const out = {doc_scroll_width: de.scrollWidth, client_width: de.clientWidth, inner_width: window.innerWidth,
               problems: [], wraps: [], cells: 0};
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    const table = wrap.querySelector('table');
    const name = table.id || 'table';
    out.wraps.push({table: name, scroll_width: wrap.scrollWidth, client_width: wrap.clientWidth});
    if (wrap.scrollWidth > wrap.clientWidth + 1)
      out.problems.push(`${name} scrolls sideways: ${wrap.scrollWidth} > ${wrap.clientWidth}`);
    const wr = wrap.getBoundingClientRect();
    const inner_right = wr.left + wrap.clientLeft + wrap.clientWidth;
    for (const cell of wrap.querySelectorAll('th, td')) {
      if (cell.getClientRects().length === 0) continue;
      out.cells += 1;
      const r = cell.getBoundingClientRect();
      const what = `${name} ${cell.tagName} "${cell.textContent.slice(0, 40)}"`;
      if (r.right - (wr.left + wrap.clientLeft) + wrap.scrollLeft > wrap.scrollWidth + 1)
        out.problems.push(`${what}: right edge beyond the container's scroll width`);
      if (r.right > inner_right + 1)
        out.problems.push(`${what}: cut off (right ${r.right} > ${inner_right})`);
      if (cell.scrollWidth > cell.clientWidth + 1)
        out.problems.push(`${what}: content overflows the cell (${cell.scrollWidth} > ${cell.clientWidth})`);
    }
  }
  return out;
})()"""

FEEDS = """(() => {
  const d = document.getElementById('feed-sources');
  if (!d) return null;
  const ul = d.querySelector('ul');
  return {open: d.open, list_rendered: ul.checkVisibility() && ul.getBoundingClientRect().height > 0,
          summary: d.querySelector('summary').innerText, items: d.querySelectorAll('li').length,
          summary_section_top: document.getElementById('summary').getBoundingClientRect().top,
          inner_height: window.innerHeight};
})()"""

BARS = """Array.from(document.querySelectorAll('svg.chart g.bar')).map(g => {
  const bar = g.querySelector('rect[class^="fill-"]').getBoundingClientRect();
  const label = g.querySelector('text.count');
  const lr = label.getBoundingClientRect();
  return {severity: g.getAttribute('data-severity'), count: Number(g.getAttribute('data-count')),
          width: bar.width, height: bar.height, label: label.textContent,
          label_visible: lr.width > 0 && lr.left >= 0 && lr.right <= document.documentElement.clientWidth};
})"""


def at_width(session, width, height):
    call("Emulation.setDeviceMetricsOverride",
         {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}, session)
    load(session)
    result = {
        "layout": evaluate(session, LAYOUT),
        "feeds": evaluate(session, FEEDS),
        "bars": evaluate(session, BARS),
        "filter_bar_visible": evaluate(session,
                                       "document.getElementById('findings-filters').getClientRects().length > 0"),
        "counts": {"all": evaluate(session, VISIBLE_ROWS)},
        "status": {"all": evaluate(session, STATUS)},
    }
    screenshot(session, f"html-report-{width}-top.png")
    evaluate(session, "window.scrollTo(0, document.getElementById('summary').offsetTop)")
    screenshot(session, f"html-report-{width}-summary.png")
    evaluate(session, "window.scrollTo(0, 0)")
    counts, status = result["counts"], result["status"]

    def step(name):
        counts[name] = evaluate(session, VISIBLE_ROWS)
        status[name] = evaluate(session, STATUS)

    # type a package name, as a person would: click the box, type
    click(session, "#filter-text")
    call("Input.insertText", {"text": search}, session)
    step("search")
    click(session, "#filter-clear")
    # the "critical" severity toggle; then also "fixable only"
    click(session, '#findings-filters button[data-severity="critical"]')
    step("critical")
    result["layout_critical"] = evaluate(session, LAYOUT)
    evaluate(session, "window.scrollTo(0, document.getElementById('findings').offsetTop)")
    screenshot(session, f"html-report-{width}-critical.png")
    click(session, "#filter-fixable")
    step("critical_fixable")
    click(session, "#filter-clear")
    click(session, "#filter-fixable")
    step("fixable")
    click(session, "#filter-clear")
    click(session, "#filter-kev")
    step("kev")
    click(session, "#filter-clear")
    step("cleared")
    return result


try:
    os.makedirs(shots, exist_ok=True)
    session = browser.open_tab()
    widths = {str(w): at_width(session, w, h) for w, h in ((1400, 900), (390, 844))}
    # without JavaScript: every row shows and the filter bar stays hidden
    call("Emulation.setScriptExecutionDisabled", {"value": True}, session)
    call("Emulation.setDeviceMetricsOverride",
         {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
    load(session)
    nojs = {"rows": len(call("DOM.querySelectorAll", {
        "nodeId": call("DOM.getDocument", session=session)["root"]["nodeId"],
        "selector": "#findings-table tbody tr"}, session)["nodeIds"])}
    call("Emulation.setScriptExecutionDisabled", {"value": False}, session)
    screenshot(session, "html-report-1400-nojs.png")
    # read the no-JS page with scripts back on, without reloading: the bar is still hidden
    nojs["visible_rows"] = evaluate(session, VISIBLE_ROWS)
    nojs["filter_bar_visible"] = evaluate(
        session, "document.getElementById('findings-filters').getClientRects().length > 0")
    violations = browser.csp_violations()
    exceptions = [e["params"]["exceptionDetails"].get("text", "") for e in browser.events
                  if e.get("method") == "Runtime.exceptionThrown"]
    print(json.dumps({"widths": widths, "nojs": nojs, "csp_violations": violations, "exceptions": exceptions}))
finally:
    browser.close()
