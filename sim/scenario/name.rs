//! The scenario's name is the folder `run` writes into (`reports/<name>`), so it must be one
//! plain folder name: never a path that leads elsewhere, never hidden, never too long.

/// File names are limited to 255 bytes on common file systems; the hidden sibling a run
/// writes first (`.NAME.partial-PID-N`) needs room for its prefix and suffix.
pub const MAX_NAME_BYTES: usize = 200;

/// Why `name` cannot name an output folder, or `None` when it can.
pub fn name_problem(name: &str) -> Option<String> {
    let rule = "must be one plain folder name (the run writes reports/<name>)";
    let why = if name.trim().is_empty() {
        "must not be empty".to_string()
    } else if name.contains(['/', '\\']) {
        format!("{rule}: no '/' or '\\'")
    } else if name.starts_with('.') {
        format!("{rule}: must not start with '.'")
    } else if name.chars().any(char::is_control) {
        format!("{rule}: no control characters")
    } else if name.len() > MAX_NAME_BYTES {
        format!(
            "{rule}: at most {MAX_NAME_BYTES} bytes, found {}",
            name.len()
        )
    } else {
        return None;
    };
    Some(why)
}

/// The name as it appears in an error: quoted with escapes (so the message stays on one
/// line) and shortened when long.
pub fn shown(name: &str) -> String {
    const SHOWN_CHARS: usize = 40;
    if name.chars().count() <= SHOWN_CHARS {
        format!("{name:?}")
    } else {
        let head: String = name.chars().take(SHOWN_CHARS).collect();
        format!("{:?}…", head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_folder_names_pass() {
        for ok in ["quickstart", "pbft-validators", "run 2", "a.b", "é"] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        for bad in [
            "",
            " ",
            ".",
            "..",
            "../../victim",
            "/tmp/victim",
            "a/b",
            "a\\b",
            ".hidden",
            "a\0b",
            "a\nb",
            &long,
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(name_problem(&"x".repeat(MAX_NAME_BYTES)), None);
    }

    #[test]
    fn long_names_are_shortened_and_escaped() {
        assert_eq!(shown("a\nb"), "\"a\\nb\"");
        assert_eq!(shown(&"y".repeat(300)), format!("\"{}\"…", "y".repeat(40)));
    }
}
