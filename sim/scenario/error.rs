//! Errors that name what is wrong, where, and what would be accepted instead.

use std::fmt;

/// One invalid value: its dotted path, the value found, what is allowed, and the YAML line
/// where it was found when that can be located.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub path: String,
    pub value: String,
    pub allowed: String,
    pub line: Option<usize>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}: {}", self.path, self.value, self.allowed)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub enum ScenarioError {
    Io {
        path: String,
        source: std::io::Error,
    },
    Parse {
        origin: String,
        message: String,
    },
    Invalid {
        origin: String,
        errors: Vec<FieldError>,
    },
}

impl std::error::Error for ScenarioError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScenarioError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Always one line: keys and values echoed from the file may hold line breaks and other
/// control characters, which are shown escaped.
impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            ScenarioError::Io { path, source } => format!("cannot read scenario {path}: {source}"),
            ScenarioError::Parse { origin, message } => format!("{origin}: {message}"),
            ScenarioError::Invalid { origin, errors } => {
                format!("{origin}: invalid scenario: {}", join(errors))
            }
        };
        f.write_str(&one_line(&text))
    }
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `text` with every control character (line breaks, tabs, escapes, and the Unicode line and
/// paragraph separators) written as a Rust escape, so a message stays on one terminal line.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            one_line("a\nb\tc\r\u{1b}[2J\u{2028}é"),
            "a\\nb\\tc\\r\\u{1b}[2J\\u{2028}é"
        );
        assert_eq!(one_line("plain `text`"), "plain `text`");
    }
}
