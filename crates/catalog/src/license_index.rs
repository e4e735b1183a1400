//! An index of the licence texts' word pairs, for [`crate::license`]'s matcher: it scores every
//! licence text against a copyright file in one pass over the file's word pairs, and finds the
//! run of lines that best matches a licence in time linear in the file.
//!
//! Its scores are estimates of the `spdx` crate's (Sørensen–Dice over word pairs): the words are
//! the lines lower-cased, punctuation dropped, URLs and copyright statements treated as the
//! crate treats them ([`split_words`]), which is most of what the crate's normalisation of a run
//! of lines does, but not all of it (a run's title line, a prefix common to its lines). So the
//! index only chooses *which* licence to look for and *where*; whether a licence is there is
//! always the crate's exact score of those lines (`TextData::match_score`). The crate's own way
//! to locate a licence normalises tens of views of the file from scratch and was most of the
//! cost of matching a file.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::license_texts::LicenseText;

/// The id of a word no licence text has: pairs with it count toward a text's size and match
/// nothing.
const UNKNOWN: u32 = u32::MAX;

/// A hasher for pair keys (already well spread ids): one multiplication.
#[derive(Default)]
pub(crate) struct PairHasher(u64);

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
}

/// One indexed licence text: an original text or a standard header.
pub(crate) struct Template<'s> {
    /// The licence text.
    pub(crate) text: &'s LicenseText,
    /// How many word pairs the text has.
    size: u32,
    /// Its distinct pairs, each to its slot (0, 1, ...) and how many times the text has it.
    pairs: HashMap<u64, (u32, u32), BuildHasherDefault<PairHasher>>,
}

/// Licence texts, indexed by word pair.
pub(crate) struct LicenseIndex<'s> {
    /// Every word of any licence text, to its id.
    words: HashMap<String, u32>,
    /// The texts, in name order (originals before headers of one licence).
    templates: Vec<Template<'s>>,
    /// For each pair, the texts that have it and how many times.
    postings: HashMap<u64, Vec<(u32, u32)>, BuildHasherDefault<PairHasher>>,
}

/// A text's words, line by line: what the index scores.
pub(crate) struct Words {
    /// The word ids, all lines one after another.
    ids: Vec<u32>,
    /// Where each line's words end in `ids`.
    line_ends: Vec<usize>,
    /// The pair that starts at each word, as its position in `distinct` ([`NO_PAIR`] for the
    /// last word, and when either word is [`UNKNOWN`]).
    pairs: Vec<u32>,
    /// The distinct pairs of known words.
    distinct: Vec<u64>,
    /// Each distinct pair's position in `distinct`.
    by_key: HashMap<u64, u32, BuildHasherDefault<PairHasher>>,
    /// How many times the text has each distinct pair.
    counts: Vec<u32>,
}

/// A word with no pair of known words after it.
const NO_PAIR: u32 = u32::MAX;

impl Words {
    /// Where line `line`'s words start in `ids`.
    fn line_start(&self, line: usize) -> usize {
        if line == 0 { 0 } else { self.line_ends.get(line - 1).copied().unwrap_or(self.ids.len()) }
    }

    /// Where line `line`'s words end in `ids`.
    fn line_end(&self, line: usize) -> usize {
        self.line_ends.get(line).copied().unwrap_or(self.ids.len())
    }

    /// How many lines.
    fn lines(&self) -> usize {
        self.line_ends.len()
    }
}

/// A run of lines of a text and how well it matches one licence text (the index's estimate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Located {
    /// The licence text's position in the index.
    pub(crate) template: usize,
    /// First line.
    pub(crate) start: usize,
    /// One past the last line.
    pub(crate) end: usize,
    /// The estimated score of those lines.
    pub(crate) score: f32,
}

/// The key of the pair of word ids `a` then `b`.
fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// The words of `lines` (a text's lines as it is, or as the crate normalised them: both give the
/// same words): lower-cased, split at whitespace and at `/`, `\\` and `|` (the crate makes them
/// spaces), everything but letters, digits and `_` dropped (`don't` is `dont`, as the crate
/// does), a URL as the crate's stand-in for one (`http blackboxed url`), and copyright
/// statements left out, as the crate removes them. A first line ending in `license` (a title:
/// "MIT License") followed by an empty line is left out too.
fn split_words<L: AsRef<str>>(lines: &[L], mut each_line: impl FnMut(usize, &mut dyn Iterator<Item = &str>)) {
    let mut buffer = String::new();
    let titled = lines.len() > 1
        && lines.get(1).is_some_and(|l| l.as_ref().trim().is_empty())
        && lines.first().is_some_and(|l| is_title(l.as_ref()));
    for (n, line) in lines.iter().enumerate() {
        buffer.clear();
        for token in line.as_ref().split(char::is_whitespace) {
            let url = url_start(token);
            push_cleaned(&mut buffer, token.get(..url.unwrap_or(token.len())).unwrap_or(token));
            if url.is_some() {
                buffer.push_str(" http blackboxed url");
            }
            buffer.push(' ');
        }
        let mut words = buffer.split_whitespace();
        if (n == 0 && titled) || is_copyright_statement(&buffer) {
            each_line(n, &mut std::iter::empty());
        } else {
            each_line(n, &mut words);
        }
    }
}

/// Where a URL (`http://` or `https://`) starts in `token`.
fn url_start(token: &str) -> Option<usize> {
    token
        .match_indices('h')
        .map(|(at, _)| at)
        .find(|&at| token.get(at..).is_some_and(|rest| rest.starts_with("http://") || rest.starts_with("https://")))
}

/// Appends `token` lower-cased, `/`, `\\`, `|` and `⁄` as spaces, other characters that are not
/// letters, digits or `_` dropped.
fn push_cleaned(buffer: &mut String, token: &str) {
    for c in token.chars() {
        if c.is_alphanumeric() || c == '_' {
            buffer.extend(c.to_lowercase());
        } else if matches!(c, '/' | '\\' | '|' | '\u{2044}') {
            buffer.push(' ');
        }
    }
}

/// Whether a line (lower-cased, punctuation dropped) is a copyright statement: `copyright`
/// followed by `c` or a year ("Copyright (C) 2000-2022 ...", "Copyright: 2001 ..."), not a
/// sentence that starts with the word ("Copyright and Related Rights ...").
fn is_copyright_statement(line: &str) -> bool {
    let mut words = line.split_whitespace();
    words.next() == Some("copyright")
        && words.next().is_some_and(|w| w == "c" || w.bytes().next().is_some_and(|b| b.is_ascii_digit()))
}

/// Whether `line` is a licence's title ("GNU General Public License", "... License version 2").
fn is_title(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    match words.as_slice() {
        [.., last] if last.trim_end_matches(|c: char| !c.is_alphanumeric()) == "license" => true,
        [.., l, v, _] if *l == "license" && *v == "version" => true,
        _ => false,
    }
}

impl<'s> LicenseIndex<'s> {
    /// Indexes `texts` (in their order).
    pub(crate) fn new(texts: &'s [LicenseText]) -> Self {
        let mut words: HashMap<String, u32> = HashMap::new();
        let mut templates = Vec::new();
        for text in texts {
            let mut ids = Vec::new();
            split_words(&text.lines, |_, line| {
                for w in line {
                    let next = u32::try_from(words.len()).unwrap_or(UNKNOWN - 1);
                    ids.push(*words.entry(w.to_owned()).or_insert(next));
                }
            });
            let mut pairs: HashMap<u64, (u32, u32), BuildHasherDefault<PairHasher>> = HashMap::default();
            for w in ids.windows(2) {
                if let [a, b] = w {
                    let slot = u32::try_from(pairs.len()).unwrap_or(u32::MAX);
                    pairs.entry(pair(*a, *b)).or_insert((slot, 0)).1 += 1;
                }
            }
            let size = u32::try_from(ids.len().saturating_sub(1)).unwrap_or(u32::MAX);
            templates.push(Template { text, size, pairs });
        }
        let mut postings: HashMap<u64, Vec<(u32, u32)>, BuildHasherDefault<PairHasher>> = HashMap::default();
        for (t, template) in templates.iter().enumerate() {
            let t = u32::try_from(t).unwrap_or(u32::MAX);
            for (&p, &(_, count)) in &template.pairs {
                postings.entry(p).or_default().push((t, count));
            }
        }
        Self { words, templates, postings }
    }

    /// The licence text at `index`.
    pub(crate) fn template(&self, index: usize) -> Option<&Template<'s>> {
        self.templates.get(index)
    }

    /// The words of a text's lines, as ids.
    pub(crate) fn words<L: AsRef<str>>(&self, lines: &[L]) -> Words {
        let mut out = Words {
            ids: Vec::new(),
            line_ends: Vec::with_capacity(lines.len()),
            pairs: Vec::new(),
            distinct: Vec::new(),
            by_key: HashMap::default(),
            counts: Vec::new(),
        };
        split_words(lines, |_, line| {
            out.ids.extend(line.map(|w| self.words.get(w).copied().unwrap_or(UNKNOWN)));
            out.line_ends.push(out.ids.len());
        });
        out.pairs.reserve(out.ids.len());
        for (at, &a) in out.ids.iter().enumerate() {
            let next = out.ids.get(at + 1).copied().unwrap_or(UNKNOWN);
            if a == UNKNOWN || next == UNKNOWN {
                out.pairs.push(NO_PAIR);
                continue;
            }
            let fresh = u32::try_from(out.distinct.len()).unwrap_or(NO_PAIR);
            let d = *out.by_key.entry(pair(a, next)).or_insert(fresh);
            if d == fresh {
                out.distinct.push(pair(a, next));
                out.counts.push(0);
            }
            if let Some(c) = out.counts.get_mut(d as usize) {
                *c += 1;
            }
            out.pairs.push(d);
        }
        out
    }

    /// The licence texts that some run of lines of `words` could match with at least `floor`:
    /// with t the pairs of the whole text, l a licence's and m their common pairs, a run of lines
    /// with c ≤ m common pairs of p scores 2c / (p + l) ≤ 2m / (m + l). In decreasing order of
    /// that bound, the index of each and its bound.
    pub(crate) fn candidates(&self, words: &Words, floor: f32) -> Vec<(usize, f32)> {
        let mut common = vec![0u32; self.templates.len()];
        for (p, &count) in words.distinct.iter().zip(&words.counts) {
            for &(t, in_licence) in self.postings.get(p).map(Vec::as_slice).unwrap_or_default() {
                if let Some(c) = common.get_mut(t as usize) {
                    *c += count.min(in_licence);
                }
            }
        }
        let mut out: Vec<(usize, f32)> = common
            .iter()
            .zip(&self.templates)
            .enumerate()
            .filter(|(_, (m, _))| **m > 0)
            .map(|(t, (&m, template))| (t, dice(m, m, template.size)))
            .filter(|(_, bound)| *bound >= floor)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The run of lines of `words` that best matches licence text `template` (the index's
    /// estimate): the best end for the text's start, then the best start for that end, then the
    /// best end for that start, each a single pass over the words; the same from the densest part
    /// of the text ([`Sweep::densest_line`]); the better of the two. Ties keep the shorter run.
    pub(crate) fn locate(&self, words: &Words, template: usize) -> Option<Located> {
        let licence = self.templates.get(template)?;
        let mut slots = vec![(NO_PAIR, 0u32); words.distinct.len()];
        for (key, &slot) in &licence.pairs {
            if let Some(s) = words.by_key.get(key).and_then(|&d| slots.get_mut(d as usize)) {
                *s = slot;
            }
        }
        let sweep = Sweep { words, licence, slots: &slots };
        let from = |seed: usize| {
            let end = sweep.best_end(seed).0;
            let start = sweep.best_start(end).0;
            let (end, score) = sweep.best_end(start);
            Located { template, start, end, score }
        };
        let from_start = from(0);
        let from_densest = from(sweep.densest_line());
        Some(if from_densest.score > from_start.score { from_densest } else { from_start })
    }
}

/// Sørensen–Dice of `common` pairs between a text of `size` pairs and a licence of `licence`.
fn dice(common: u32, size: u32, licence: u32) -> f32 {
    let total = u64::from(size) + u64::from(licence);
    if size == 0 || licence == 0 { 0.0 } else { (2.0 * f64::from(common) / total as f64) as f32 }
}

/// Runs of lines of a text scored against one licence, each pass linear in the words it covers.
struct Sweep<'a> {
    words: &'a Words,
    licence: &'a Template<'a>,
    /// For each distinct pair of the text, its slot in the licence's pairs and how many times the
    /// licence has it (slot [`NO_PAIR`] when it does not).
    slots: &'a [(u32, u32)],
}

impl Sweep<'_> {
    /// The licence's slot and count of the pair that starts at word `at`.
    fn slot(&self, at: usize) -> Option<(u32, u32)> {
        let d = *self.words.pairs.get(at)?;
        self.slots.get(d as usize).copied().filter(|(slot, _)| *slot != NO_PAIR)
    }

    /// The line where the run of as many words as the licence has the most of its pairs starts:
    /// where to search from when the licence is far from the text's start (a run from the start
    /// to a licence after long other texts scores less than one ending before it).
    fn densest_line(&self) -> usize {
        let width = (self.licence.size as usize).max(1);
        let hits: Vec<u32> = (0..self.words.pairs.len()).map(|at| u32::from(self.slot(at).is_some())).collect();
        let mut best = (0usize, 0u32);
        let mut count: u32 = hits.iter().take(width).sum();
        for at in 0..hits.len() {
            if count > best.1 {
                best = (at, count);
            }
            count += hits.get(at + width).copied().unwrap_or(0);
            count -= hits.get(at).copied().unwrap_or(0);
        }
        self.words.line_ends.partition_point(|&end| end <= best.0)
    }

    /// The end (one past the last line, in `start + 1..=lines`) of the best run from `start`.
    fn best_end(&self, start: usize) -> (usize, f32) {
        let lines = self.words.lines();
        let first = self.words.line_start(start);
        let mut counts = vec![0u32; self.licence.pairs.len()];
        let mut common = 0u32;
        let mut at = first;
        let mut best = (lines.min(start + 1), 0.0f32);
        for line in start..lines {
            let end = self.words.line_end(line);
            while at + 1 < end {
                common += self.slot(at).map_or(0, |slot| count_in(&mut counts, slot));
                at += 1;
            }
            let size = u32::try_from(end.saturating_sub(first).saturating_sub(1)).unwrap_or(u32::MAX);
            let score = dice(common, size, self.licence.size);
            if score > best.1 {
                best = (line + 1, score);
            }
        }
        best
    }

    /// The start (in `0..end`) of the best run that ends at `end`.
    fn best_start(&self, end: usize) -> (usize, f32) {
        let last = self.words.line_end(end.saturating_sub(1));
        let mut counts = vec![0u32; self.licence.pairs.len()];
        let mut common = 0u32;
        // The next pair to add starts at `at - 1` (pairs end before `last`).
        let mut at = last.saturating_sub(1);
        let mut best = (end.saturating_sub(1), 0.0f32);
        for line in (0..end).rev() {
            let first = self.words.line_start(line);
            while at > first {
                at -= 1;
                common += self.slot(at).map_or(0, |slot| count_in(&mut counts, slot));
            }
            let size = u32::try_from(last.saturating_sub(first).saturating_sub(1)).unwrap_or(u32::MAX);
            let score = dice(common, size, self.licence.size);
            if score > best.1 {
                best = (line, score);
            }
        }
        best
    }
}

/// Counts a pair (its licence slot and count) in a run's `counts`: 1 when the licence has the
/// pair more times than the run had it before, else 0.
fn count_in(counts: &mut [u32], (slot, in_licence): (u32, u32)) -> u32 {
    match counts.get_mut(slot as usize) {
        Some(count) => {
            *count += 1;
            u32::from(*count <= in_licence)
        }
        None => 0,
    }
}
