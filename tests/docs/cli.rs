//! The command line against the READMEs: every `--flag` a README mentions is one the command
//! line has (or a named foreign tool's), and every argument of every command has help text.

use super::*;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_unchained"))
}

/// `unchained … --help` of every command and subcommand, by command path.
fn helps() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let o = bin().args(&path).arg("--help").output().unwrap();
        assert!(
            o.status.success(),
            "unchained {} --help failed",
            path.join(" ")
        );
        let text = String::from_utf8(o.stdout).unwrap();
        for name in section(&text, "Commands:") {
            let name = name.split_whitespace().next().unwrap().to_string();
            if name != "help" {
                let mut sub = path.clone();
                sub.push(name);
                todo.push(sub);
            }
        }
        out.insert(path.join(" "), text);
    }
    out
}

/// The entry lines of a help section (`Options:`), up to the next blank line.
fn section<'t>(help: &'t str, title: &str) -> Vec<&'t str> {
    help.lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("          "))
        .collect()
}

/// Flags of other programs that the READMEs show, each accepted only on a line that names
/// its program (`-- --ignored` is libtest's, after cargo's `--`).
const FOREIGN: &[(&str, &[&str])] = &[
    (
        "cargo",
        &["--release", "--bench", "--test", "--bin", "--lib"],
    ),
    ("-- --ignored", &["--ignored"]),
    (
        "sbatch",
        &["--array", "--wait", "--wrap", "--parsable", "--dependency"],
    ),
    (
        "SBATCH",
        &[
            "--array",
            "--cpus-per-task",
            "--time",
            "--output",
            "--mem",
            "--job-name",
        ],
    ),
    ("nbconvert", &["--to", "--execute"]),
    ("valgrind", &["--tool", "--cache-sim"]),
    ("perf record", &["--call-graph"]),
    ("heaptrack_print", &["--print-peaks"]),
];

fn flags_in(line: &str) -> Vec<(usize, String)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'-');
        if boundary && b[i] == b'-' && b[i + 1] == b'-' && b[i + 2].is_ascii_lowercase() {
            let end = (i + 2..b.len())
                .find(|&j| !(b[j].is_ascii_lowercase() || b[j].is_ascii_digit() || b[j] == b'-'))
                .unwrap_or(b.len());
            out.push((i, line[i..end].trim_end_matches('-').to_string()));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn every_flag_the_readmes_mention_exists_in_the_command_line() {
    let known: BTreeSet<String> = helps()
        .values()
        .flat_map(|h| flags_in(h).into_iter().map(|(_, f)| f))
        .collect();
    assert!(known.contains("--allow-changed-inputs"), "{known:?}");
    let mut unknown = Vec::new();
    let mut seen = 0;
    for file in readmes() {
        for (n, line) in read(&file).lines().enumerate() {
            for (at, flag) in flags_in(line) {
                seen += 1;
                let foreign = FOREIGN.iter().any(|(tool, flags)| {
                    flags.contains(&flag.as_str()) && line[..at + flag.len()].contains(tool)
                });
                if !known.contains(&flag) && !foreign {
                    unknown.push(format!("{}:{}: {flag}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(seen > 50, "only {seen} flags found in the READMEs");
    assert!(
        unknown.is_empty(),
        "flags in the READMEs that no `unchained … --help` lists (a renamed or removed option, \
         or another program's flag missing from FOREIGN in tests/docs.rs):\n{}",
        unknown.join("\n")
    );
}

/// What is wrong with one command's help: arguments without help text, internal target ids.
fn help_problems(command: &str, help: &str) -> Vec<String> {
    let mut bare = Vec::new();
    for title in ["Arguments:", "Options:"] {
        for entry in section(help, title) {
            // `  --out <OUT>  Output folder …`: the argument, two spaces, its help.
            let described = entry
                .trim_start()
                .split_once("  ")
                .is_some_and(|(_, h)| !h.trim().is_empty());
            if !described {
                bare.push(format!("unchained {command}: {}", entry.trim()));
            }
        }
    }
    // Internal target ids (`PHOLD (T24)`) say nothing to someone reading the help.
    if let Some(l) = help.lines().find(|l| {
        l.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
            w.len() == 3 && w.starts_with('T') && w[1..].chars().all(|c| c.is_ascii_digit())
        })
    }) {
        bare.push(format!("unchained {command}: a target id in {l:?}"));
    }
    bare
}

#[test]
fn every_argument_of_every_command_has_help_text() {
    // The check itself catches a bare option, a bare positional and a target id.
    let fake = "About\n\nArguments:\n  <FILE>  The file\n  <DIR>\n\nOptions:\n      --out <OUT>  \
                Output\n      --quiet\n  -h, --help   Print help (T24)\n";
    assert_eq!(help_problems("fake", fake).len(), 3, "{fake}");
    let bare: Vec<String> = helps()
        .iter()
        .flat_map(|(command, help)| help_problems(command, help))
        .collect();
    assert!(
        bare.is_empty(),
        "arguments without help text (add a doc comment to the clap field in sim/main.rs or sim/cli/):\n{}",
        bare.join("\n")
    );
}
