//! Bounds checked on YAML input (scenario, sweep and plan files) before it is parsed.
//!
//! The YAML parser's time grows with the square of the nesting depth (80,000 levels took 45 s
//! to reject) and it loads the whole document before serde sees any of it, so a hostile or
//! broken file is refused by a cheap scan first. The scan over-counts rather than under-counts
//! (brackets inside block scalars count as nesting), which only matters for files far beyond
//! what a scenario needs.

use std::io::Read;
use std::path::Path;

/// Largest YAML file read. The largest shipped scenario or sweep file is a few kilobytes; a
/// megabyte leaves room for long lists of crashes or hash shares.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Deepest nesting of mappings and sequences. Scenario files nest at most six levels deep
/// (`faults.partitions[0].groups[0][0]`).
pub const MAX_DEPTH: usize = 64;

/// The file name that reads standard input: scenario, sweep and plan text piped in (the
/// Python package passes text and dicts this way), with relative names in it resolved
/// against the working directory.
pub const STDIN: &str = "-";

pub fn is_stdin(path: &Path) -> bool {
    path == Path::new(STDIN)
}

/// How errors name the source: the path, or `stdin`.
pub fn origin(path: &Path) -> String {
    if is_stdin(path) {
        "stdin".into()
    } else {
        path.display().to_string()
    }
}

/// The folder relative names in `path` are resolved against: the file's own, the working
/// directory for standard input.
pub fn folder_of(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(p) if !is_stdin(path) && !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// Reads a YAML file (`-`: standard input) of at most [`MAX_FILE_BYTES`], refusing larger
/// ones without reading them whole. Errors do not repeat the path: callers put it first.
pub fn read(path: &Path) -> Result<String, String> {
    let file: Box<dyn Read> = if is_stdin(path) {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?)
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "file is larger than {MAX_FILE_BYTES} bytes, the most read"
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))
}

/// Refuses text longer than [`MAX_FILE_BYTES`] or nested deeper than [`MAX_DEPTH`].
pub fn check(text: &str) -> Result<(), String> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "text is {} bytes: at most {MAX_FILE_BYTES} are read",
            text.len()
        ));
    }
    if let Some((line, column, c)) = unprintable(text) {
        return Err(format!(
            "line {line} column {column}: character {:?} is not allowed in YAML; inside double \
             quotes write it as an escape such as \"\\x1b\"",
            c
        ));
    }
    if let Some((depth, line)) = too_deep(text, MAX_DEPTH) {
        return Err(format!(
            "nesting reaches {depth} levels at line {line}: at most {MAX_DEPTH} levels of \
             mappings and sequences are read"
        ));
    }
    Ok(())
}

/// The first character outside YAML's printable set, with its line and column (1-based). The
/// parser reports these by byte offset only.
fn unprintable(text: &str) -> Option<(usize, usize, char)> {
    text.lines().enumerate().find_map(|(i, line)| {
        line.chars().enumerate().find_map(|(k, c)| {
            let printable = matches!(c, '\t' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}')
                || matches!(c, '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
            (!printable).then_some((i + 1, k + 1, c))
        })
    })
}

/// The bound and the first line where an upper bound of the nesting depth exceeds `max`: the
/// block levels open at that line (by indentation), plus the `- ` and `? ` indicators that
/// start it, plus the flow collections (`[`, `{`) open on it.
fn too_deep(text: &str, max: usize) -> Option<(usize, usize)> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let body = raw.trim_start_matches([' ', '\t']);
        let mut depth;
        if flow == 0 {
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let indent = raw.len() - body.len();
            while indents.last().is_some_and(|&top| top >= indent) {
                indents.pop();
            }
            indents.push(indent);
            depth = indents.len();
            let mut rest = body;
            while let Some(r) = rest.strip_prefix("- ").or(rest.strip_prefix("? ")) {
                depth += 1;
                rest = r.trim_start_matches(' ');
            }
        } else {
            depth = indents.len();
        }
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        for c in body.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '#' if prev == ' ' => break,
                    '"' | '\'' if matches!(prev, ' ' | '[' | '{' | ',' | ':') => quote = Some(c),
                    '[' | '{' => flow += 1,
                    ']' | '}' => flow = flow.saturating_sub(1),
                    _ => {}
                },
            }
            prev = c;
            if depth + flow > max {
                return Some((depth + flow, i + 1));
            }
        }
        if depth + flow > max {
            return Some((depth + flow, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_are_far_below_the_bounds() {
        for dir in ["scenarios", "scenarios/sweeps", "scenarios/validation"] {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "yaml") {
                    let text = read(&path).unwrap();
                    assert_eq!(too_deep(&text, 12), None, "{}", path.display());
                }
            }
        }
    }

    #[test]
    fn deep_flow_block_and_sequence_nesting_are_refused() {
        let flow = format!("a: {}{}\n", "[".repeat(65), "]".repeat(65));
        assert!(check(&flow).unwrap_err().contains("line 1"));
        let block: String = (0..70)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert!(check(&block).unwrap_err().contains("line 65"));
        let seq = format!("a:\n{}x\n", "- ".repeat(70));
        assert!(check(&seq).unwrap_err().contains("line 2"));
        let ok = format!("a: {}{}\n", "[".repeat(60), "]".repeat(60));
        assert_eq!(check(&ok), Ok(()));
        // Brackets inside quotes and comments do not nest.
        let quoted = format!("a: \"{}\" # {}\n", "[".repeat(100), "{".repeat(100));
        assert_eq!(check(&quoted), Ok(()));
    }

    #[test]
    fn control_characters_are_refused_with_their_line() {
        let e = check("a: 1\nb: \"x\u{1b}[2J\"\n").unwrap_err();
        assert!(e.starts_with("line 2 column 6: character '\\u{1b}'"), "{e}");
        assert_eq!(check("a: \"tab\there\", é ☃ \u{feff}\"\r\n"), Ok(()));
    }

    #[test]
    fn long_text_is_refused() {
        let text = "#".repeat(MAX_FILE_BYTES as usize + 1);
        assert!(check(&text).unwrap_err().contains("bytes"));
    }
}
