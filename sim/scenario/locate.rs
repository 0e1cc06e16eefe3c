//! Finds the YAML line of a field named by its dotted path (`devices[1].connectivity.on_s`).
//!
//! Validation runs on the deserialised scenario, which has forgotten where each value came
//! from; rather than parse the text a second time into a position-carrying tree (serde_yaml
//! keeps no spans), this scans indentation. It understands block mappings, block sequences
//! (indented or at the parent key's own indent) and flow collections (`{ a: 1 }`, `[1, 2]`),
//! which covers how scenario files are written. Anything it cannot follow — anchors and
//! merge keys, keys spelled in unusual quoting, values that came from defaults — yields
//! `None`, because a missing line is better than a wrong one.

/// One step of a dotted path.
#[derive(Clone, Debug, PartialEq)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// A content line as the scan sees it. Sequence items are re-read with their `- ` turned into
/// indentation, so the mapping inside an item looks like any other block mapping.
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

/// The 1-based line of the field at `path`, or `None` when the text does not spell it out.
pub fn line_of(text: &str, path: &str) -> Option<usize> {
    let segments = parse_path(path)?;
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let trimmed = raw.trim_start_matches(' ');
            let content = trimmed.trim_end();
            if content.is_empty() || content.starts_with('#') || is_document_marker(content) {
                None
            } else {
                Some(Line {
                    number: i + 1,
                    indent: raw.len() - trimmed.len(),
                    text: content,
                })
            }
        })
        .collect();
    find(&lines, &segments)
}

fn is_document_marker(content: &str) -> bool {
    // `---` and `...` alone (or followed by a comment) delimit documents; `--- key: v` does
    // not occur in scenario files.
    ["---", "..."].iter().any(|m| {
        content
            .strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(" #"))
    })
}

fn parse_path(path: &str) -> Option<Vec<Segment<'_>>> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            segments.push(Segment::Key(key));
        }
        while !rest.is_empty() {
            let close = rest.find(']')?;
            let index = rest.get(1..close)?.parse().ok()?;
            segments.push(Segment::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    if segments.is_empty() {
        None
    } else {
        Some(segments)
    }
}

/// Resolves `segments` within `scope`, the lines of one block collection (a mapping or a
/// sequence) and everything nested in it.
fn find(scope: &[Line], segments: &[Segment]) -> Option<usize> {
    let (first, rest) = segments.split_first()?;
    let head = scope.first()?;
    // A flow collection (`key: { a: 1 }` or an item `- [1, 2]`) is searched as text.
    if head.text.starts_with('{') || head.text.starts_with('[') {
        return find_in_flow(scope, segments);
    }
    match *first {
        Segment::Key(key) => {
            let at = scope
                .iter()
                .position(|l| l.indent == head.indent && value_after_key(l.text, key).is_some())?;
            let line = scope[at];
            if rest.is_empty() {
                return Some(line.number);
            }
            let value = value_after_key(line.text, key)?;
            if value.is_empty() {
                find(child_block(scope, at), rest)
            } else if value.starts_with('{') || value.starts_with('[') {
                // The flow value continues on the following lines when it is not closed here.
                let value_line = Line {
                    number: line.number,
                    indent: line.indent + 1,
                    text: value,
                };
                let mut flow = vec![value_line];
                flow.extend_from_slice(child_block(scope, at));
                find_in_flow(&flow, rest)
            } else {
                // A scalar has no fields or items.
                None
            }
        }
        Segment::Index(index) => {
            let items = scope.iter().enumerate().filter(|(_, l)| {
                l.indent == head.indent && (l.text == "-" || l.text.starts_with("- "))
            });
            let (at, item) = items.map(|(i, l)| (i, *l)).nth(index)?;
            if rest.is_empty() {
                return Some(item.number);
            }
            let end = scope[at + 1..]
                .iter()
                .position(|l| l.indent <= item.indent)
                .map_or(scope.len(), |p| at + 1 + p);
            let after_dash = item.text[1..].trim_start_matches(' ');
            let mut body = Vec::with_capacity(end - at);
            if !after_dash.is_empty() && !after_dash.starts_with('#') {
                let indent = item.indent + (item.text.len() - after_dash.len());
                body.push(Line {
                    number: item.number,
                    indent,
                    text: after_dash,
                });
            }
            body.extend_from_slice(&scope[at + 1..end]);
            find(&body, rest)
        }
    }
}

/// The lines nested under the key at `scope[at]`: deeper-indented lines, and sequence items at
/// the key's own indent (YAML allows `key:` followed directly by `- item` lines).
fn child_block<'s, 'a>(scope: &'s [Line<'a>], at: usize) -> &'s [Line<'a>] {
    let key = scope[at];
    let len = scope[at + 1..]
        .iter()
        .take_while(|l| {
            l.indent > key.indent
                || (l.indent == key.indent && (l.text == "-" || l.text.starts_with("- ")))
        })
        .count();
    &scope[at + 1..at + 1 + len]
}

/// If `text` is the mapping entry `key: value`, the value (empty when it is on later lines).
fn value_after_key<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let rest = strip_key(text, key)?
        .trim_start_matches(' ')
        .strip_prefix(':')?;
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let value = rest.trim_start_matches(' ');
    Some(if value.starts_with('#') { "" } else { value })
}

fn strip_key<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    if let Some(rest) = text.strip_prefix(key) {
        return Some(rest);
    }
    ['"', '\'']
        .iter()
        .find_map(|q| text.strip_prefix(*q)?.strip_prefix(key)?.strip_prefix(*q))
}

/// Resolves the remaining path inside a flow collection that starts on `lines[0]` and may
/// continue on the following lines. Keys are matched in order, each one level deeper than the
/// last, so `on.mean_s` finds the `mean_s` inside `on: {...}` and never one inside
/// `off: {...}`. Items of flow lists are not counted: a trailing index resolves to the line of
/// the list, and a path that continues past an index is not followed.
fn find_in_flow(lines: &[Line], segments: &[Segment]) -> Option<usize> {
    let mut keys = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Key(key) => keys.push(*key),
            Segment::Index(_) if i + 1 == segments.len() => {}
            Segment::Index(_) => return None,
        }
    }
    let mut matched_line = lines.first()?.number;
    let mut depth = 0usize;
    let mut next = 0usize;
    // After a key that is not the last, its value must open a nested collection.
    let mut expect_open = false;
    for line in lines {
        let bytes = line.text.as_bytes();
        let mut i = 0;
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if b == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            if next == keys.len() {
                return Some(matched_line);
            }
            if expect_open && !matches!(b, b' ' | b'{' | b'[' | b'#') {
                return None;
            }
            match b {
                b'#' if i == 0 || bytes[i - 1] == b' ' => break,
                b'"' | b'\'' => quote = Some(b),
                b'{' | b'[' => {
                    depth += 1;
                    expect_open = false;
                }
                b'}' | b']' => {
                    // Leaving the collection the wanted key belongs in: it is not there.
                    if depth <= next + 1 {
                        return None;
                    }
                    depth -= 1;
                }
                _ if depth == next + 1
                    && (i == 0 || matches!(bytes[i - 1], b'{' | b',' | b' ')) =>
                {
                    if let Some(after) = value_after_flow_key(&line.text[i..], keys[next]) {
                        matched_line = line.number;
                        next += 1;
                        expect_open = next < keys.len();
                        i = line.text.len() - after.len();
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
    (next == keys.len()).then_some(matched_line)
}

/// Like [`value_after_key`], but in a flow mapping the colon may be followed directly by a
/// nested collection or by the end of the entry. Returns the text after the colon.
fn value_after_flow_key<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    let rest = strip_key(text, key)?
        .trim_start_matches(' ')
        .strip_prefix(':')?;
    if rest.is_empty() || rest.starts_with([' ', '{', '[', ',', '}']) {
        Some(rest)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::line_of;

    const BLOCK: &str = "\
# a comment
---
name: demo
duration_s: 60   # one minute
devices:
  - name: meters
    count: 1000
    connectivity:
      model: duty_cycle
      period_s: 600
      on_s: 60
    workload: { model: periodic, interval_s: 600, jitter_s: 30 }

  - name: trackers
    count: 10
    connectivity: { model: on_off, on: { dist: exponential, mean_s: 5 },
                    off: { dist: constant, value_s: 0 } }
    workload:
      model: poisson
      rate_per_s: 0.5
validators: { count: 4 }
consensus:
  protocol: nakamoto
  hash_power:
    model: shares
    shares:
    - 0.5
    - 0.25
    - 0.25
metrics:
  quantiles: [0.5, 1.5]
";

    #[test]
    fn top_level_keys() {
        assert_eq!(line_of(BLOCK, "name"), Some(3));
        assert_eq!(line_of(BLOCK, "duration_s"), Some(4));
        assert_eq!(line_of(BLOCK, "devices"), Some(5));
        assert_eq!(line_of(BLOCK, "consensus"), Some(22));
        assert_eq!(line_of(BLOCK, "seed"), None);
    }

    #[test]
    fn sequence_items_and_their_fields() {
        assert_eq!(line_of(BLOCK, "devices[0]"), Some(6));
        assert_eq!(line_of(BLOCK, "devices[0].name"), Some(6));
        assert_eq!(line_of(BLOCK, "devices[0].count"), Some(7));
        assert_eq!(line_of(BLOCK, "devices[0].connectivity.on_s"), Some(11));
        assert_eq!(line_of(BLOCK, "devices[1]"), Some(14));
        assert_eq!(line_of(BLOCK, "devices[1].count"), Some(15));
        assert_eq!(line_of(BLOCK, "devices[1].workload.rate_per_s"), Some(20));
        assert_eq!(line_of(BLOCK, "devices[2]"), None);
        assert_eq!(line_of(BLOCK, "devices[2].count"), None);
    }

    #[test]
    fn fields_do_not_leak_between_items() {
        // `tx_bytes` is nowhere; `count` of item 0 must not be taken from item 1.
        assert_eq!(line_of(BLOCK, "devices[0].tx_bytes"), None);
        assert_eq!(line_of(BLOCK, "devices[1].connectivity.period_s"), None);
    }

    #[test]
    fn flow_mappings_on_one_and_several_lines() {
        assert_eq!(line_of(BLOCK, "devices[0].workload.jitter_s"), Some(12));
        assert_eq!(line_of(BLOCK, "validators.count"), Some(21));
        assert_eq!(
            line_of(BLOCK, "devices[1].connectivity.on.mean_s"),
            Some(16)
        );
        assert_eq!(
            line_of(BLOCK, "devices[1].connectivity.off.value_s"),
            Some(17)
        );
        assert_eq!(line_of(BLOCK, "devices[1].connectivity.off.mean_s"), None);
        assert_eq!(line_of(BLOCK, "devices[1].connectivity.on.value_s"), None);
        assert_eq!(line_of(BLOCK, "validators.missing"), None);
    }

    #[test]
    fn sequences_at_the_parent_indent_and_flow_lists() {
        assert_eq!(line_of(BLOCK, "consensus.hash_power.shares"), Some(26));
        assert_eq!(line_of(BLOCK, "consensus.hash_power.shares[0]"), Some(27));
        assert_eq!(line_of(BLOCK, "consensus.hash_power.shares[2]"), Some(29));
        assert_eq!(line_of(BLOCK, "consensus.hash_power.shares[3]"), None);
        assert_eq!(line_of(BLOCK, "metrics.quantiles[1]"), Some(31));
        // `metrics` has no `consensus`; `protocol` is a scalar with no fields.
        assert_eq!(line_of(BLOCK, "metrics.protocol"), None);
        assert_eq!(line_of(BLOCK, "consensus.protocol.x"), None);
    }

    #[test]
    fn flow_items_in_a_block_sequence() {
        let text = "devices:\n- { name: a, count: 1 }\n- {name: b, count: 2}\n";
        assert_eq!(line_of(text, "devices[1].count"), Some(3));
        assert_eq!(line_of(text, "devices[0].name"), Some(2));
        assert_eq!(line_of(text, "devices[0].tx_bytes"), None);
    }

    #[test]
    fn key_prefixes_comments_and_quotes_are_not_confused() {
        let text = "duration_s_extra: 1\n# duration_s: 2\n\"duration_s\": 3\nx: { a_b: 1, b: 2 }\n";
        assert_eq!(line_of(text, "duration_s"), Some(3));
        assert_eq!(line_of(text, "x.b"), Some(4));
        assert_eq!(line_of(text, "x.a"), None);
    }

    #[test]
    fn item_with_content_on_following_lines() {
        let text = "devices:\n  -\n    name: a\n    count: 1\n  - name: b\n";
        assert_eq!(line_of(text, "devices[0].count"), Some(4));
        assert_eq!(line_of(text, "devices[1].name"), Some(5));
    }

    #[test]
    fn malformed_paths_are_not_located() {
        assert_eq!(line_of(BLOCK, ""), None);
        assert_eq!(line_of(BLOCK, "devices[x]"), None);
        assert_eq!(line_of(BLOCK, "devices[0"), None);
        assert_eq!(line_of(BLOCK, "devices[0]count"), None);
    }

    #[test]
    fn odd_text_never_panics() {
        let texts = [
            "",
            "-",
            "- - -",
            "ä: { ö: [ü, {é: 1}] }\n  - ☃: 2\n",
            "a: {\n b: }}}]]\n",
            "a: '{ b: 1'\n",
            "a: \"{ b: 1\n",
            "a:\tb\n\t- c\n",
            "\u{feff}duration_s: 60\n",
        ];
        let paths = [
            "a",
            "a.b",
            "a[0]",
            "a[0].b",
            "ä.ö",
            "ä.ö[1].é",
            "duration_s",
            "-",
            "[0]",
        ];
        for text in texts {
            for path in paths {
                let _ = line_of(text, path);
            }
        }
        assert_eq!(line_of("a: '{ b: 1'\n", "a.b"), None);
        assert_eq!(line_of("ä: { ö: [ü, {é: 1}] }\n", "ä.ö"), Some(1));
    }
}
