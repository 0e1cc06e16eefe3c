use std::collections::BTreeMap;

use super::*;

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("unchained-atomic-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&p);
    fs::create_dir_all(&p).unwrap();
    p
}

/// Every entry of `dir`, hidden ones included, with the bytes of files (folders read
/// recursively, their files listed as `folder/file`).
fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            for (k, v) in listing(&e.path()) {
                out.insert(format!("{name}/{k}"), v);
            }
            out.insert(format!("{name}/"), vec![]);
        } else {
            out.insert(name, fs::read(e.path()).unwrap());
        }
    }
    out
}

fn folder(path: &Path, files: &[(&str, &str)]) {
    fs::create_dir_all(path).unwrap();
    for (name, text) in files {
        fs::write(path.join(name), text).unwrap();
    }
}

/// A process id that existed and no longer does.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_file_is_replaced_whole_and_leaves_nothing_beside_it() {
    let dir = temp("file");
    let path = dir.join("combined.csv");
    write_file(&path, b"first").unwrap();
    write_file(&path, b"second").unwrap();
    let all = listing(&dir);
    assert_eq!(all.keys().collect::<Vec<_>>(), ["combined.csv"]);
    assert_eq!(all["combined.csv"], b"second");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_existing_folder_is_refused_without_replace_and_left_as_it_was() {
    let dir = temp("refuse");
    let out = dir.join("run");
    folder(&out, &[("mine.txt", "keep me")]);
    let before = listing(&dir);
    let err = Staged::begin(&out, false).unwrap_err();
    assert!(err.contains("--force") && err.contains("run"), "{err}");
    assert!(!err.contains('\n'));
    assert_eq!(listing(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_folder_appearing_meanwhile_is_not_overwritten_without_replace() {
    let dir = temp("meanwhile");
    let out = dir.join("run");
    let staged = Staged::begin(&out, false).unwrap();
    fs::write(staged.path().join("new.txt"), "new").unwrap();
    folder(&out, &[("other.txt", "someone else's")]);
    assert!(staged.commit().unwrap_err().contains("--force"));
    let all = listing(&dir);
    assert_eq!(all.keys().collect::<Vec<_>>(), ["run/", "run/other.txt"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn replace_swaps_in_the_new_folder_and_deletes_the_old() {
    let dir = temp("replace");
    let out = dir.join("run");
    folder(&out, &[("a", "old"), ("only-old", "x")]);
    let staged = Staged::begin(&out, true).unwrap();
    folder(&staged.path().join("charts"), &[("c.svg", "<svg/>")]);
    fs::write(staged.path().join("a"), "new").unwrap();
    assert_eq!(
        listing(&out)["a"],
        b"old",
        "the old folder stays until commit"
    );
    staged.commit().unwrap();
    let all = listing(&dir);
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        ["run/", "run/a", "run/charts/", "run/charts/c.svg"]
    );
    assert_eq!(all["run/a"], b"new");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_uncommitted_folder_removes_itself() {
    let dir = temp("drop");
    let out = dir.join("run");
    {
        let staged = Staged::begin(&out, false).unwrap();
        fs::write(staged.path().join("half"), "x").unwrap();
    }
    assert!(listing(&dir).is_empty());
    fs::remove_dir_all(dir).unwrap();
}

/// What a killed process left on disk: `out`, its hidden partial sibling, and whether an old
/// folder is aside; and what `out` must hold after the next `recover`.
struct Left<'a> {
    what: &'a str,
    out: Option<&'a [(&'a str, &'a str)]>,
    partial: Option<&'a [(&'a str, &'a str)]>,
    aside: bool,
    expect: &'a str,
}

/// The states a process killed during `Staged` can leave, built by hand with the names a
/// dead process would have used, and what the next `recover` must make of each.
#[test]
fn every_state_a_killed_replacement_leaves_is_recovered() {
    let pid = dead_pid();
    let old: &[(&str, &str)] = &[("a", "old"), ("b", "old")];
    let new: &[(&str, &str)] = &[("a", "new"), ("b", "new")];
    let left = |what, out, partial, aside, expect| Left {
        what,
        out,
        partial,
        aside,
        expect,
    };
    let states = [
        left(
            "killed while writing",
            Some(old),
            Some(&new[..1]),
            false,
            "old",
        ),
        left("killed before swapping", Some(old), Some(new), false, "old"),
        left(
            "killed after moving the old aside",
            None,
            Some(new),
            true,
            "old",
        ),
        left(
            "killed before deleting the old",
            Some(new),
            None,
            true,
            "new",
        ),
        left(
            "killed during a first write",
            None,
            Some(&new[..1]),
            false,
            "absent",
        ),
    ];
    for Left {
        what,
        out: out_files,
        partial,
        aside,
        expect,
    } in states
    {
        let dir = temp("states");
        let out = dir.join("run");
        if let Some(files) = out_files {
            folder(&out, files);
        }
        if let Some(files) = partial {
            folder(&dir.join(format!(".run.partial-{pid}-0")), files);
        }
        if aside {
            folder(&dir.join(format!(".run.old-{pid}-1")), old);
        }
        // An unrelated output's leftovers and a live writer's folder are not touched.
        folder(&dir.join(format!(".other.partial-{pid}-0")), &[("x", "1")]);
        let live = format!(".run.partial-{}-99", std::process::id());
        folder(&dir.join(&live), &[("x", "1")]);
        recover(&dir, "run").unwrap();
        let after = listing(&dir);
        let hidden: Vec<&String> = after
            .keys()
            .filter(|k| k.starts_with('.') && k.ends_with('/'))
            .collect();
        assert_eq!(
            hidden,
            [&format!(".other.partial-{pid}-0/"), &format!("{live}/")],
            "{what}"
        );
        match expect {
            "absent" => assert!(!out.exists(), "{what}"),
            version => {
                assert_eq!(after["run/a"], version.as_bytes(), "{what}");
                assert_eq!(after["run/b"], version.as_bytes(), "{what}");
            }
        }
        fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn hidden_names_are_read_back_exactly() {
    assert_eq!(
        parse_hidden(".run.partial-12-3", "run"),
        Some((PARTIAL, 12))
    );
    assert_eq!(parse_hidden(".run.old-12-3", "run"), Some((OLD, 12)));
    // The form written before sequence numbers were added.
    assert_eq!(parse_hidden(".run.partial-12", "run"), Some((PARTIAL, 12)));
    for other in [
        ".run.partial-",
        ".run.partial-x",
        ".run.partial-1-2-3",
        ".runs.partial-1",
        "run.partial-1",
        ".run.old",
        ".a.old-5.partial-7-0",
    ] {
        let name = if other.starts_with(".a.") { "a" } else { "run" };
        assert_eq!(parse_hidden(other, name), None, "{other}");
    }
    let h = hidden("run", OLD);
    assert_eq!(parse_hidden(&h, "run"), Some((OLD, std::process::id())));
}
