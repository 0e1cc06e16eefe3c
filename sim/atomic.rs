//! Outputs that appear only complete, and never destroy what was there before a crash.
//!
//! A file is written under a hidden temporary name beside it and renamed over the old one.
//! A folder is written into a hidden sibling (`.NAME.partial-PID-N`); to replace an old
//! folder, the old one is renamed aside (`.NAME.old-PID-N`), the new one renamed in, and only
//! then the old one deleted. A process killed at any moment therefore leaves `NAME` either
//! old and complete, new and complete, or absent with the old one intact aside — and the
//! next write of `NAME` ([`recover`]) puts an orphaned old folder back and deletes the
//! leftovers of processes that no longer exist.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const PARTIAL: &str = "partial";
const OLD: &str = "old";

/// Writes `bytes` to `path` through a temporary sibling and a rename, so a reader (or a
/// concurrent writer of the same bytes) never sees a half-written file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let (parent, name) = split(path)?;
    recover(parent, name)?;
    let tmp = parent.join(hidden(name, PARTIAL));
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let moved = written.and_then(|()| fs::rename(&tmp, path));
    moved.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Refuses to let the file a user named with `option` be replaced, unless `force`; never
/// when it is not a plain file (a device or a pipe would be renamed over, not written to).
pub fn refuse_file(option: &str, path: &Path, force: bool) -> Result<(), String> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.is_file() {
        return Err(format!(
            "{option} {}: not a plain file; the output is written to a new file or replaces a plain one",
            path.display()
        ));
    }
    if !force {
        return Err(format!(
            "{option} {} already exists; pass --force to replace it",
            path.display()
        ));
    }
    Ok(())
}

/// An output folder being written: a hidden sibling of its destination until [`commit`]
/// swaps it in. Dropped without a commit, it removes itself.
///
/// [`commit`]: Staged::commit
#[derive(Debug)]
pub struct Staged {
    out: PathBuf,
    tmp: PathBuf,
    replace: bool,
    committed: bool,
}

impl Staged {
    /// Recovers what earlier processes left of `out`, refuses an existing `out` unless
    /// `replace`, and creates the hidden folder to write into. Call it before the long work,
    /// so a refusal or an unwritable destination costs nothing.
    pub fn begin(out: &Path, replace: bool) -> Result<Staged, String> {
        let (parent, name) = split(out)?;
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        recover(parent, name)?;
        refuse_existing(out, replace)?;
        let tmp = parent.join(hidden(name, PARTIAL));
        fs::create_dir(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        Ok(Staged {
            out: out.to_path_buf(),
            tmp,
            replace,
            committed: false,
        })
    }

    /// The hidden folder to write into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Makes the written folder durable and puts it in place of `out`.
    pub fn commit(mut self) -> Result<(), String> {
        refuse_existing(&self.out, self.replace)?;
        sync_tree(&self.tmp).map_err(|e| format!("cannot write {}: {e}", self.tmp.display()))?;
        let (parent, name) = split(&self.out)?;
        let aside = match exists(&self.out) {
            true => {
                let aside = parent.join(hidden(name, OLD));
                fs::rename(&self.out, &aside)
                    .map_err(|e| format!("cannot replace {}: {e}", self.out.display()))?;
                Some(aside)
            }
            false => None,
        };
        if let Err(e) = fs::rename(&self.tmp, &self.out) {
            if let Some(aside) = &aside {
                let _ = fs::rename(aside, &self.out);
            }
            return Err(format!(
                "cannot move output into {}: {e}",
                self.out.display()
            ));
        }
        self.committed = true;
        let _ = sync_dir(parent);
        // The new folder is in place; an old one that cannot be deleted now is deleted by
        // the next `recover` of this name.
        if let Some(aside) = aside {
            let _ = remove(&aside);
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Cleans up after processes that died while writing `parent/name`: their partial files and
/// folders are deleted, and an old folder they had renamed aside is renamed back when its
/// replacement never arrived (and deleted when it did). Leftovers of live processes, this
/// one included, are left alone.
pub fn recover(parent: &Path, name: &str) -> Result<(), String> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let mut leftovers: Vec<(PathBuf, &str)> = entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name();
            let (kind, pid) = parse_hidden(file.to_str()?, name)?;
            (!alive(pid)).then(|| (e.path(), kind))
        })
        .collect();
    leftovers.sort();
    let dest = parent.join(name);
    for (path, kind) in leftovers {
        let result = if kind == OLD && !exists(&dest) {
            fs::rename(&path, &dest)
        } else {
            remove(&path)
        };
        result.map_err(|e| format!("cannot clean up {}: {e}", path.display()))?;
    }
    Ok(())
}

fn refuse_existing(out: &Path, replace: bool) -> Result<(), String> {
    if !replace && exists(out) {
        return Err(format!(
            "{} already exists; pass --force to replace it",
            out.display()
        ));
    }
    Ok(())
}

fn split(path: &Path) -> Result<(&Path, &str), String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} names no file or folder", path.display()))?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok((parent, name))
}

/// `.NAME.KIND-PID-N`, unique within this process by `N`.
fn hidden(name: &str, kind: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.{kind}-{}-{n}", std::process::id())
}

/// The kind and process id of a hidden sibling of `name`, also in the older form
/// `.NAME.partial-PID` without a sequence number.
fn parse_hidden(file: &str, name: &str) -> Option<(&'static str, u32)> {
    let rest = file
        .strip_prefix('.')?
        .strip_prefix(name)?
        .strip_prefix('.')?;
    [PARTIAL, OLD].into_iter().find_map(|kind| {
        let tail = rest.strip_prefix(kind)?.strip_prefix('-')?;
        let (pid, seq) = tail.split_once('-').unwrap_or((tail, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (digits(pid) && digits(seq)).then_some((kind, pid.parse().ok()?))
    })
}

/// Whether process `pid` exists on this machine. Where `/proc` is missing, `kill -0` asks
/// without sending anything; when even that cannot be asked, the process counts as alive,
/// so nothing of a live writer is ever deleted.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .map_or(true, |s| s.success())
}

/// Whether anything (a dangling symbolic link included) is at `path`.
fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// Deletes a file, a link (not its target) or a whole folder.
fn remove(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Flushes every file under `dir` and the folders themselves, so the folder renamed into
/// place holds its data even after a power loss.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            sync_tree(&entry.path())?;
        } else if kind.is_file() {
            File::open(entry.path())?.sync_all()?;
        }
    }
    sync_dir(dir)
}

/// Some systems cannot open a folder for syncing; there is nothing more to do then.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    match File::open(dir) {
        Ok(f) => f.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
