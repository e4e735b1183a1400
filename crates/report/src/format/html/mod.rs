//! The `html` report format: one self-contained page (inline CSS and a small vanilla script, no
//! request to anywhere), readable without JavaScript, light and dark.
//!
//! The database's feed sources are folded (`<details>`); the severity chart is on a log scale with
//! every bar labelled by its count; the findings table sorts and, with JavaScript, filters (search
//! by package, id or alias; severity; fixable; KEV: `filter.js`, whose bar is `hidden` until the
//! script shows it). No column is ever cut off: long cells wrap, and below 760 px each row becomes
//! a card (`style.css`). `tests/html_browser.rs` checks this in headless Chromium.
//!
//! Every string that comes from the report is HTML-escaped ([`esc`]): package names, versions,
//! paths and history lines come from the scanned image and are attacker-controlled; control and
//! bidi characters in them are shown visibly ([`crate::text`]). Links are made only from
//! `http(s)` URLs. As a second wall, a Content-Security-Policy allows only this page's
//! own style and script (by their SHA-256) and no loads at all, so even a missed escape could not
//! run a script or reach the network.

use std::collections::BTreeMap;

use microscanner_model::{Finding, FixState, RatingKind, Report, Severity, Summary, SuppressionKind};
use sha2::{Digest as _, Sha256};

use super::RenderError;
use super::sarif::fixed_label;
use crate::text::{escape_controls, is_web_url};

const STYLE: &str = include_str!("style.css");
/// The page's one inline script: sortable tables, then the findings filters. Its SHA-256 is in the
/// Content-Security-Policy, so no other script can run.
const SCRIPT: &str = concat!(include_str!("sort.js"), include_str!("filter.js"));

/// Severities, most severe first, as the page lists them.
const SEVERITIES: [Severity; 6] =
    [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Negligible, Severity::Unknown];

/// Renders `report` as one HTML page.
pub(super) fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut page = String::with_capacity(32 * 1024 + report.findings.len() * 1024);
    head(&mut page, report);
    header(&mut page, report);
    page.push_str("<main>\n");
    summary(&mut page, report);
    findings_table(&mut page, report);
    layers(&mut page, report);
    suppressed(&mut page, report);
    coverage(&mut page, report);
    page.push_str("</main>\n");
    page.push_str(&format!(
        "<footer>Written by {} {} from the scan of {}. This page is self-contained: it loads nothing from \
         anywhere.</footer>\n",
        esc(&report.generator.name),
        esc(&report.generator.version),
        esc(&report.created_at)
    ));
    page.push_str(&format!("<script>{SCRIPT}</script>\n</body>\n</html>\n"));
    Ok(page.into_bytes())
}

/// HTML-escapes text for element content and double- or single-quoted attribute values. Control
/// and bidi characters are first shown visibly ([`escape_controls`]): a line break in a package
/// name is `\n` on the page, not a line of the HTML source.
fn esc(s: &str) -> String {
    let s = escape_controls(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-…'` of a style or script body, for the Content-Security-Policy.
fn csp_hash(body: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(body.as_bytes())))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn head(page: &mut String, report: &Report) {
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    page.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n\
         <title>Vulnerability report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&report.generator.name),
        esc(&report.generator.version),
        esc(&report.image.name)
    ));
}

/// A `<div><dt>…</dt><dd>…</dd></div>` with `value` already escaped.
fn fact(page: &mut String, term: &str, value_html: &str) {
    page.push_str(&format!("<div><dt>{}</dt><dd>{value_html}</dd></div>\n", esc(term)));
}

fn header(page: &mut String, report: &Report) {
    page.push_str("<header class=\"top\">\n<h1>Vulnerability report</h1>\n");
    page.push_str(&format!("<p class=\"target\"><code>{}</code></p>\n", esc(&report.image.name)));
    page.push_str(&verdict(report));
    if !report.coverage.complete {
        page.push_str(
            "<p class=\"warn\"><strong>Incomplete scan:</strong> part of the image could not be analysed, so \
             findings may be missing. See <a href=\"#coverage\">Coverage</a>.</p>\n",
        );
    }
    page.push_str("<dl class=\"facts\">\n");
    let image = &report.image;
    let mut kind = esc(&image.source);
    if let (Some(os), Some(arch)) = (&image.os, &image.architecture) {
        kind.push_str(&format!(", {}/{}", esc(os), esc(arch)));
    }
    fact(page, "Source", &kind);
    if let Some(digest) = &image.config_digest {
        fact(page, "Image id (config digest)", &format!("<code>{}</code>", esc(digest)));
    }
    if let Some(digest) = &image.manifest_digest {
        fact(page, "Manifest digest", &format!("<code>{}</code>", esc(digest)));
    }
    let os = match &report.os {
        Some(os) => match &os.pretty_name {
            Some(pretty) => esc(pretty),
            None => esc(&format!("{} {}", os.family, os.version)),
        },
        None => "<span class=\"muted\">not recognised</span>".to_owned(),
    };
    fact(page, "Operating system", &os);
    let db = match &report.database {
        Some(db) => {
            let mut s = format!("built {}", esc(&db.built_at));
            let sources: Vec<String> = db
                .sources
                .iter()
                .map(|src| match &src.timestamp {
                    Some(t) => format!("{} <span class=\"muted\">{}</span>", esc(&src.name), esc(t)),
                    None => esc(&src.name),
                })
                .collect();
            if !sources.is_empty() {
                // folded: a database built from many feeds would otherwise fill the first screen
                let label = if sources.len() == 1 {
                    "1 feed source".to_owned()
                } else {
                    format!("{} feed sources", sources.len())
                };
                s.push_str(&format!(
                    "<details class=\"sources\" id=\"feed-sources\"><summary>{label}</summary><ul>{}</ul></details>",
                    sources.iter().map(|src| format!("<li>{src}</li>")).collect::<String>()
                ));
            }
            s
        }
        None => "<span class=\"muted\">none</span>".to_owned(),
    };
    fact(page, "Vulnerability database", &db);
    let duration = if report.duration_seconds.is_finite() {
        format!(" in {:.2} s", report.duration_seconds)
    } else {
        String::new()
    };
    fact(page, "Scanned", &format!("{}{duration}", esc(&report.created_at)));
    fact(page, "Packages", &report.coverage.packages.max(report.packages.len()).to_string());
    page.push_str("</dl>\n</header>\n");
}

/// The policy verdict line.
fn verdict(report: &Report) -> String {
    let p = &report.policy;
    let mut notes = Vec::new();
    if !p.severities.is_empty() {
        let names: Vec<&str> = p.severities.iter().map(|s| s.as_str()).collect();
        notes.push(format!("showing {}", names.join(", ")));
    }
    if p.ignore_unfixed {
        notes.push("findings without a fix hidden".to_owned());
    }
    if let Some(baseline) = &p.baseline {
        notes.push(format!("baseline {}", esc(baseline)));
    }
    let notes =
        if notes.is_empty() { String::new() } else { format!(" <span class=\"muted\">({})</span>", notes.join("; ")) };
    let findings = |n: usize| if n == 1 { "1 finding".to_owned() } else { format!("{n} findings") };
    match p.fail_on {
        Some(threshold) if p.failed => format!(
            "<p class=\"verdict fail\">Policy: FAILED: {} at or above {threshold}{notes}</p>\n",
            findings(p.failing)
        ),
        Some(threshold) => {
            format!("<p class=\"verdict pass\">Policy: passed: nothing at or above {threshold}{notes}</p>\n")
        }
        None => format!("<p class=\"verdict\">Policy: no failure threshold set{notes}</p>\n"),
    }
}

fn summary(page: &mut String, report: &Report) {
    let s = &report.summary;
    page.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"summary\">\n");
    // the chart: one horizontal bar per severity on a log scale, so 3 critical beside 253 unknown
    // still has a bar to see; every bar is labelled with its count
    let (label_w, bar_w, count_w, row_h) = (100_u32, 260_u32, 56_u32, 30_u32);
    let max = SEVERITIES.iter().map(|sev| s.counts.of(*sev)).max().unwrap_or(0).max(1);
    let height = row_h * 6 + 10;
    page.push_str(&format!(
        "<figure class=\"chart\"><svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" role=\"img\" aria-labelledby=\"chart-title\">\n<title id=\"chart-title\">Findings by \
         severity: {}</title>\n",
        SEVERITIES.iter().map(|sev| format!("{} {sev}", s.counts.of(*sev))).collect::<Vec<_>>().join(", "),
        w = label_w + bar_w + count_w,
    ));
    for (row, sev) in SEVERITIES.iter().enumerate() {
        let count = s.counts.of(*sev);
        let y = 5 + row_h * u32::try_from(row).unwrap_or(0);
        let len = bar_length(count, max, bar_w);
        page.push_str(&format!(
            "<g class=\"bar\" data-severity=\"{sev}\" data-count=\"{count}\"><text x=\"0\" y=\"{ty}\">{sev}</text>\
             <rect class=\"track\" x=\"{label_w}\" y=\"{y}\" width=\"{bar_w}\" height=\"20\" rx=\"3\"/><rect \
             class=\"fill-{sev}\" x=\"{label_w}\" y=\"{y}\" width=\"{len}\" height=\"20\" rx=\"3\"/><text class=\"count\" \
             x=\"{cx}\" y=\"{ty}\">{count}</text></g>\n",
            ty = y + 15,
            cx = label_w + bar_w + 8,
        ));
    }
    page.push_str(
        "</svg><figcaption class=\"muted\">Bar lengths on a log scale, so a small count stays visible \
         beside a large one; the numbers are the counts.</figcaption></figure>\n<div class=\"tiles\">\n",
    );
    for (label, n) in [
        ("findings", s.counts.total),
        ("with a fix", s.fixable),
        ("known exploited", s.known_exploited),
        ("suppressed", s.suppressed),
    ] {
        page.push_str(&format!("<div class=\"tile\"><b>{n}</b>{label}</div>\n"));
    }
    page.push_str("</div>\n</div>\n</section>\n");
}

/// The length in px of the bar for `count` findings when the largest count is `max`: on a log
/// scale (`ln(1 + count) / ln(1 + max)` of `full`), and at least 12 px for any non-zero count.
fn bar_length(count: usize, max: usize, full: u32) -> u32 {
    if count == 0 {
        return 0;
    }
    let ratio = ((count as f64).ln_1p() / (max.max(count) as f64).ln_1p()).clamp(0.0, 1.0);
    // ratio is in 0..=1, so the product is in 0..=full
    let len = (ratio * f64::from(full)).round() as u32;
    len.clamp(12, full)
}

/// A link to an advisory when `url` is an `http(s)` URL, else the escaped text.
fn link(text: &str, url: Option<&str>) -> String {
    match url.filter(|u| is_web_url(u)) {
        Some(u) => format!("<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>", esc(u), esc(text)),
        None => esc(text),
    }
}

fn severity_badge(s: Severity) -> String {
    format!("<span class=\"sev sev-{s}\">{s}</span>")
}

/// The rank that sorts severities (critical highest).
fn severity_rank(s: Severity) -> usize {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// The best CVSS score of a finding, for the table (v3 or v4 first, then v2).
fn cvss(f: &Finding) -> Option<(f64, &str)> {
    let scored = |kinds: &[RatingKind]| {
        f.ratings
            .iter()
            .filter(|r| kinds.contains(&r.kind))
            .filter_map(|r| r.score.filter(|s| s.is_finite()).map(|s| (s, r.value.as_str())))
            .reduce(|a, b| if b.0 > a.0 { b } else { a })
    };
    scored(&[RatingKind::CvssV3, RatingKind::CvssV4]).or_else(|| scored(&[RatingKind::CvssV2]))
}

/// The id cell: a link to the advisory, the KEV badge, the aliases.
fn id_cell(f: &Finding) -> String {
    let mut cell = format!("<span class=\"vid\">{}</span>", link(&f.id, f.primary_url.as_deref()));
    if f.kev.is_some() {
        cell.push_str("<span class=\"badge\" title=\"on CISA's Known Exploited Vulnerabilities list\">KEV</span>");
    }
    if !f.aliases.is_empty() {
        cell.push_str(&format!("<span class=\"aka\">{}</span>", esc(&f.aliases.join(", "))));
    }
    cell
}

fn findings_table(page: &mut String, report: &Report) {
    page.push_str(&format!("<section id=\"findings\">\n<h2>Findings ({})</h2>\n", report.findings.len()));
    if report.findings.is_empty() {
        page.push_str("<p class=\"empty\">No vulnerabilities found in the packages scanned.</p>\n</section>\n");
        return;
    }
    filters(page, report);
    page.push_str(
        "<div class=\"table-wrap cards\"><table class=\"sortable\" id=\"findings-table\">\n<thead><tr>\
         <th data-type=\"number\" data-first=\"descending\" aria-sort=\"descending\"><button type=\"button\">Severity</button></th>\
         <th><button type=\"button\">Vulnerability</button></th>\
         <th><button type=\"button\">Package</button></th>\
         <th><button type=\"button\">Installed</button></th>\
         <th><button type=\"button\">Fixed in</button></th>\
         <th class=\"num\" data-type=\"number\" data-first=\"descending\"><button type=\"button\">CVSS</button></th>\
         <th class=\"num\" data-type=\"number\" data-first=\"descending\"><button type=\"button\">EPSS</button></th>\
         <th class=\"num\" data-type=\"number\"><button type=\"button\">Layer</button></th>\
         <th><button type=\"button\">Title</button></th>\
         </tr></thead>\n<tbody>\n",
    );
    let dash = "<span class=\"muted\">–</span>";
    for f in &report.findings {
        let (cvss_sort, cvss_html) = match cvss(f) {
            Some((score, vector)) => (format!("{score}"), format!("<span title=\"{}\">{score:.1}</span>", esc(vector))),
            None => ("-1".to_owned(), dash.to_owned()),
        };
        let (epss_sort, epss_html) = match f.epss.as_ref().filter(|e| e.score.is_finite()) {
            Some(e) => (format!("{}", e.score), format!("{:.2}%", e.score * 100.0)),
            None => ("-1".to_owned(), dash.to_owned()),
        };
        let (layer_sort, layer_html) = match &f.package.layer {
            Some(l) => (l.index.to_string(), l.index.to_string()),
            None => ("-1".to_owned(), dash.to_owned()),
        };
        let title = match f.title.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => esc(t),
            None => dash.to_owned(),
        };
        page.push_str(&format!(
            "<tr data-severity=\"{sev}\" data-fixable=\"{fixable}\" data-kev=\"{kev}\" data-search=\"{search}\">\
             <td data-label=\"Severity\" data-sort=\"{rank}\">{badge}</td><td data-label=\"Vulnerability\">{id}</td>\
             <td data-label=\"Package\" class=\"pkg\" data-sort=\"{name}\">{name}<span class=\"aka\">{kind} · <code>{location}</code></span></td>\
             <td data-label=\"Installed\" class=\"ver\"><code>{installed}</code></td>\
             <td data-label=\"Fixed in\" class=\"ver fixed\">{fixed}</td>\
             <td data-label=\"CVSS\" class=\"num\" data-sort=\"{cvss_sort}\">{cvss_html}</td>\
             <td data-label=\"EPSS\" class=\"num\" data-sort=\"{epss_sort}\">{epss_html}</td>\
             <td data-label=\"Layer\" class=\"num\" data-sort=\"{layer_sort}\">{layer_html}</td>\
             <td data-label=\"Title\" class=\"title\">{title}</td></tr>\n",
            sev = f.severity,
            fixable = yes_no(f.fix.state == FixState::Fixed),
            kev = yes_no(f.kev.is_some()),
            search = esc(&search_key(f)),
            rank = severity_rank(f.severity),
            badge = severity_badge(f.severity),
            id = id_cell(f),
            name = esc(&f.package.name),
            kind = esc(f.package.kind.purl_type()),
            location = esc(&f.package.location),
            installed = esc(&f.package.version),
            fixed = fixed_cell(f),
        ));
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// How many fixed versions a cell shows before folding the rest into a `<details>`.
const FIXED_SHOWN: usize = 5;

/// The "Fixed in" cell: each version its own `<code class="v">` (a line breaks between versions,
/// inside one only when it is wider than the column), the versions past the first
/// [`FIXED_SHOWN`] folded ("and 35 more", opens without JavaScript); else what the fix state says.
fn fixed_cell(f: &Finding) -> String {
    let versions = &f.fix.versions;
    if f.fix.state != FixState::Fixed || versions.is_empty() {
        return esc(&fixed_label(f));
    }
    let list = |vs: &[String]| {
        vs.iter().map(|v| format!("<code class=\"v\">{}</code>", esc(v))).collect::<Vec<_>>().join(", ")
    };
    if versions.len() <= FIXED_SHOWN + 1 {
        return list(versions);
    }
    let (shown, rest) = versions.split_at(FIXED_SHOWN);
    format!(
        "{}, <details class=\"more\"><summary>and {} more</summary>{}</details>",
        list(shown),
        rest.len(),
        list(rest)
    )
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// What the search box matches, lowercased: the package name, the vulnerability id and its
/// aliases. (The script lowercases what is typed and keeps a row when every word of it is in
/// this text.)
fn search_key(f: &Finding) -> String {
    let mut key = f.package.name.to_lowercase();
    for id in std::iter::once(&f.id).chain(&f.aliases) {
        key.push(' ');
        key.push_str(&id.to_lowercase());
    }
    key
}

/// The filter bar above the findings table: a search box, a toggle per severity present, "fixable
/// only" and "KEV only". It is `hidden` in the HTML and shown by the script, so a page read
/// without JavaScript has no dead controls and shows every row.
fn filters(page: &mut String, report: &Report) {
    // counted from the rows the filters act on
    let s = Summary::count(&report.findings, 0);
    page.push_str(
        "<div class=\"filters\" id=\"findings-filters\" role=\"search\" aria-label=\"Filter the findings\" hidden>\n\
         <label class=\"search\"><span>Search</span><input type=\"search\" id=\"filter-text\" \
         placeholder=\"package, CVE or alias\" autocomplete=\"off\" spellcheck=\"false\"></label>\n\
         <div class=\"chips\" role=\"group\" aria-label=\"Severity\">",
    );
    for sev in SEVERITIES.iter().filter(|sev| s.counts.of(**sev) > 0) {
        page.push_str(&format!(
            "<button type=\"button\" class=\"chip chip-{sev}\" data-severity=\"{sev}\" aria-pressed=\"false\">{sev} \
             <b>{}</b></button>",
            s.counts.of(*sev)
        ));
    }
    page.push_str(&format!(
        "</div>\n<label class=\"check\"><input type=\"checkbox\" id=\"filter-fixable\"> fixable only <b>{}</b></label>\n\
         <label class=\"check\"><input type=\"checkbox\" id=\"filter-kev\"> KEV only <b>{}</b></label>\n\
         <p id=\"filter-status\" aria-live=\"polite\"></p>\n\
         <button type=\"button\" id=\"filter-clear\">Clear filters</button>\n</div>\n",
        s.fixable, s.known_exploited
    ));
}

/// A layer as the page shows it.
struct Layer<'a> {
    diff_id: Option<&'a str>,
    created_by: Option<&'a str>,
    findings: Vec<&'a Finding>,
}

fn layers(page: &mut String, report: &Report) {
    let mut by_index: BTreeMap<usize, Layer<'_>> = BTreeMap::new();
    for (index, l) in report.image.layers.iter().enumerate() {
        by_index.insert(
            index,
            Layer { diff_id: Some(&l.diff_id), created_by: l.created_by.as_deref(), findings: Vec::new() },
        );
    }
    let mut unattributed = Vec::new();
    for f in &report.findings {
        match &f.package.layer {
            Some(l) => {
                let layer = by_index.entry(l.index).or_insert_with(|| Layer {
                    diff_id: Some(&l.diff_id),
                    created_by: l.created_by.as_deref(),
                    findings: Vec::new(),
                });
                if layer.created_by.is_none() {
                    layer.created_by = l.created_by.as_deref();
                }
                layer.findings.push(f);
            }
            None => unattributed.push(f),
        }
    }
    page.push_str("<section id=\"layers\">\n<h2>Findings by layer</h2>\n");
    if by_index.is_empty() && unattributed.is_empty() {
        page.push_str("<p class=\"empty\">The image has no layer information.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<p class=\"muted\">Each layer with the image history line that made it, and the findings in the packages \
         it introduced.</p>\n<ol class=\"layers\">\n",
    );
    for (index, layer) in &by_index {
        let created_by = match layer.created_by {
            Some(line) => format!("<code class=\"created-by\">{}</code>", esc(line)),
            None => "<span class=\"created-by muted\">no history line recorded</span>".to_owned(),
        };
        page.push_str(&format!(
            "<li id=\"layer-{index}\"><div class=\"layer-head\"><h3>Layer {index}</h3>{created_by}<span \
             class=\"muted\">{}</span></div>\n",
            count_label(layer.findings.len())
        ));
        if let Some(diff_id) = layer.diff_id {
            page.push_str(&format!("<div class=\"muted\"><code>{}</code></div>\n", esc(diff_id)));
        }
        layer_findings(page, &layer.findings);
        page.push_str("</li>\n");
    }
    if !unattributed.is_empty() {
        page.push_str(&format!(
            "<li id=\"layer-none\"><div class=\"layer-head\"><h3>Not attributed to a layer</h3><span \
             class=\"muted\">{}</span></div>\n",
            count_label(unattributed.len())
        ));
        layer_findings(page, &unattributed);
        page.push_str("</li>\n");
    }
    page.push_str("</ol>\n</section>\n");
}

fn count_label(n: usize) -> String {
    match n {
        0 => "no findings".to_owned(),
        1 => "1 finding".to_owned(),
        n => format!("{n} findings"),
    }
}

fn layer_findings(page: &mut String, findings: &[&Finding]) {
    if findings.is_empty() {
        return;
    }
    page.push_str("<ul class=\"layer-findings\">\n");
    for f in findings {
        page.push_str(&format!(
            "<li>{} {} in <strong>{}</strong> <code>{}</code>: {}</li>\n",
            severity_badge(f.severity),
            link(&f.id, f.primary_url.as_deref()),
            esc(&f.package.name),
            esc(&f.package.version),
            fix_phrase(f)
        ));
    }
    page.push_str("</ul>\n");
}

/// "fixed in 1.2.3" (a long list folded as in the table), or what the fix state says; HTML.
fn fix_phrase(f: &Finding) -> String {
    match f.fix.state {
        FixState::Fixed if !f.fix.versions.is_empty() => format!("fixed in {}", fixed_cell(f)),
        _ => esc(&fixed_label(f)),
    }
}

fn suppressed(page: &mut String, report: &Report) {
    page.push_str(&format!("<section id=\"suppressed\">\n<h2>Suppressed ({})</h2>\n", report.suppressed.len()));
    if report.suppressed.is_empty() {
        page.push_str("<p class=\"empty\">No finding was suppressed by the ignore file or VEX.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<div class=\"table-wrap cards\"><table class=\"sortable\" id=\"suppressed-table\">\n<thead><tr>\
         <th data-type=\"number\" data-first=\"descending\"><button type=\"button\">Severity</button></th>\
         <th><button type=\"button\">Vulnerability</button></th>\
         <th><button type=\"button\">Package</button></th>\
         <th><button type=\"button\">Suppressed by</button></th>\
         <th><button type=\"button\">Status</button></th>\
         <th><button type=\"button\">Justification</button></th>\
         <th><button type=\"button\">Reason</button></th>\
         <th><button type=\"button\">Expires</button></th>\
         </tr></thead>\n<tbody>\n",
    );
    let dash = "<span class=\"muted\">–</span>";
    for f in &report.suppressed {
        let (by, status, justification, reason, expires) = match &f.suppression {
            Some(s) => {
                let kind = match s.kind {
                    SuppressionKind::Vex => "VEX",
                    SuppressionKind::IgnoreFile => "ignore file",
                };
                let opt = |v: &Option<String>| v.as_deref().map_or_else(|| dash.to_owned(), esc);
                (
                    format!("{kind}<span class=\"aka\"><code>{}</code></span>", esc(&s.source)),
                    opt(&s.status),
                    opt(&s.justification),
                    opt(&s.reason),
                    opt(&s.expires),
                )
            }
            None => (dash.to_owned(), dash.to_owned(), dash.to_owned(), dash.to_owned(), dash.to_owned()),
        };
        page.push_str(&format!(
            "<tr><td data-label=\"Severity\" data-sort=\"{}\">{}</td><td data-label=\"Vulnerability\">{}</td>\
             <td data-label=\"Package\">{} <code>{}</code></td><td data-label=\"Suppressed by\">{by}</td>\
             <td data-label=\"Status\">{status}</td><td data-label=\"Justification\">{justification}</td>\
             <td data-label=\"Reason\">{reason}</td><td data-label=\"Expires\">{expires}</td></tr>\n",
            severity_rank(f.severity),
            severity_badge(f.severity),
            id_cell(f),
            esc(&f.package.name),
            esc(&f.package.version),
        ));
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn coverage(page: &mut String, report: &Report) {
    let c = &report.coverage;
    page.push_str("<section id=\"coverage\">\n<h2>Coverage</h2>\n");
    if c.complete {
        page.push_str("<p>The whole image was analysed.</p>\n");
    } else {
        page.push_str(
            "<p class=\"warn\"><strong>Incomplete:</strong> part of the image could not be analysed (listed below); \
             findings there may be missing.</p>\n",
        );
    }
    page.push_str(&format!(
        "<p>{} packages in the inventory, {} looked up in the vulnerability database.</p>\n",
        c.packages, c.packages_matched
    ));
    if !c.ecosystems.is_empty() {
        page.push_str(
            "<div class=\"table-wrap\"><table>\n<thead><tr><th>Ecosystem</th><th class=\"num\">Packages</th><th \
             class=\"num\">Database entries</th></tr></thead>\n<tbody>\n",
        );
        for e in &c.ecosystems {
            let entries = if e.database_entries == 0 {
                "0 <span class=\"badge\">no data: nothing could be found</span>".to_owned()
            } else {
                e.database_entries.to_string()
            };
            page.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{entries}</td></tr>\n",
                esc(&e.ecosystem),
                e.packages
            ));
        }
        page.push_str("</tbody>\n</table></div>\n");
    }
    if !c.skipped.is_empty() {
        page.push_str("<h3>Skipped</h3>\n<ul>\n");
        for s in &c.skipped {
            page.push_str(&format!("<li><code>{}</code>: {}</li>\n", esc(&s.what), esc(&s.reason)));
        }
        page.push_str("</ul>\n");
    }
    if !report.diagnostics.is_empty() {
        page.push_str("<h3>Problems met</h3>\n<ul>\n");
        for d in &report.diagnostics {
            page.push_str(&format!("<li>{}</li>\n", esc(&d.to_string())));
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_base64() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(link("x", Some("javascript:alert(1)")), "x");
        assert!(!STYLE.contains("</style") && !SCRIPT.contains("</script"));
    }

    #[test]
    fn bars_are_on_a_log_scale_and_never_vanish() {
        assert_eq!(bar_length(0, 253, 260), 0);
        assert_eq!(bar_length(253, 253, 260), 260);
        // 3 beside 253: a quarter of the track, not 3 px
        assert!((60..=70).contains(&bar_length(3, 253, 260)), "{}", bar_length(3, 253, 260));
        assert_eq!(bar_length(1, 10_000_000, 260), 12, "a minimum length");
        assert!(bar_length(5, 253, 260) > bar_length(3, 253, 260));
    }
}
