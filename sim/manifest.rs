//! `MANIFEST.sha256`: the SHA-256 of every file of an output folder, written as the folder's
//! last file and checked by every reader (`compare`, `report`, `sweep merge`) before it
//! parses anything, so a damaged or edited output is refused with the file named instead of
//! being read as a result.
//!
//! The format is `sha256sum`'s, so `sha256sum -c MANIFEST.sha256` checks a folder by hand:
//!
//! ```text
//! # unchained 0.1.0: SHA-256 of each output file (check: sha256sum -c MANIFEST.sha256)
//! 3f5a…  summary.parquet
//! …
//! # 18 files, SHA-256 of the lines above 9c0e…
//! ```
//!
//! The closing line (a count, and the digest of every line before it) makes a truncated or
//! damaged manifest detectable, comment lines included. Files in the folder that the
//! manifest does not list (a `report.html` written later, notes) are allowed, but a reader
//! reads only listed files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

pub const NAME: &str = "MANIFEST.sha256";

/// Largest file a reader accepts: far above any table a run or a merged sweep writes, and a
/// bound on what one corrupt or hostile file can make a reader allocate.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Largest manifest accepted (about 100,000 entries).
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

fn hex(digest: &[u8]) -> String {
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The digest of a file read a block at a time: a long run's `blocks.csv` is tens of MB, which
/// read whole would be the largest thing the run holds.
fn sha256_of_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = std::io::Read::read(&mut file, &mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// `path` relative to `dir`, with `/` separators, or an error when it lies outside.
fn relative(dir: &Path, path: &Path) -> Result<String, String> {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| match c {
            Component::Normal(p) => Ok(p.to_string_lossy().into_owned()),
            _ => Err(format!(
                "{}: not a file inside {}",
                path.display(),
                dir.display()
            )),
        })
        .collect::<Result<_, _>>()?;
    if parts.is_empty() {
        return Err(format!("{}: not a file", path.display()));
    }
    Ok(parts.join("/"))
}

/// Writes `dir/MANIFEST.sha256` over `files` (paths inside `dir`), through a temporary file
/// and a rename so a reader never sees half a manifest. Call it after every listed file is
/// complete.
pub fn write(dir: &Path, files: &[PathBuf]) -> Result<PathBuf, String> {
    let mut entries = BTreeMap::new();
    for f in files {
        let rel = relative(dir, f)?;
        if rel == NAME {
            continue;
        }
        let digest = sha256_of_file(&dir.join(&rel))
            .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        entries.insert(rel, digest);
    }
    let mut text = format!(
        "# unchained {}: SHA-256 of each output file (check: sha256sum -c {NAME})\n",
        env!("CARGO_PKG_VERSION")
    );
    for (name, digest) in &entries {
        let _ = writeln!(text, "{digest}  {name}");
    }
    let seal = sha256(text.as_bytes());
    let _ = writeln!(
        text,
        "# {} files, SHA-256 of the lines above {seal}",
        entries.len()
    );
    let path = dir.join(NAME);
    crate::atomic::write_file(&path, text.as_bytes())?;
    Ok(path)
}

/// Every regular file under `dir`, recursively, in a fixed order.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for e in entries.flatten() {
            let kind = e.file_type().map_err(|err| err.to_string())?;
            if kind.is_dir() {
                todo.push(e.path());
            } else if kind.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes the manifest over every file under `dir`.
pub fn write_all(dir: &Path) -> Result<PathBuf, String> {
    write(dir, &files_under(dir)?)
}

/// An output folder whose manifest has been read and every listed file checked.
#[derive(Debug)]
pub struct Verified {
    dir: PathBuf,
    entries: BTreeMap<String, String>,
}

const RERUN: &str = "re-run the command that wrote it (outputs are deterministic, so the same \
                     scenario and seed give the same results)";

impl Verified {
    /// Reads `dir/MANIFEST.sha256` and checks every file it lists.
    pub fn open(dir: &Path) -> Result<Verified, String> {
        let v = Verified::load(dir)?;
        for name in v.entries.keys() {
            v.read(name)?;
        }
        Ok(v)
    }

    /// Reads the manifest and checks only `names` (each must be listed): for a command that
    /// rewrites the folder's other files, whose damage must not stop it.
    pub fn open_only(dir: &Path, names: &[&str]) -> Result<Verified, String> {
        let v = Verified::load(dir)?;
        for name in names {
            v.read(name)?;
        }
        Ok(v)
    }

    fn load(dir: &Path) -> Result<Verified, String> {
        let path = dir.join(NAME);
        let bytes = match read_bounded(&path, MAX_MANIFEST_BYTES) {
            Ok(b) => b,
            Err(e) if !path.exists() => {
                return Err(format!(
                    "{}: no {NAME}, so its files cannot be checked ({e}): the folder is \
                     incomplete, or was written by an unchained older than its checksums; {RERUN}",
                    dir.display()
                ));
            }
            Err(e) => return Err(e),
        };
        Ok(Verified {
            dir: dir.to_path_buf(),
            entries: parse(&path, &bytes)?,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn lists(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The listed files, relative and `/`-separated, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The bytes of `name` (relative, `/`-separated), checked against the manifest. Parse
    /// these bytes rather than reopening the file, so what is parsed is what was checked.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        let path = self.dir.join(name);
        let manifest = self.dir.join(NAME);
        let want = self.entries.get(name).ok_or_else(|| {
            format!(
                "{}: not listed in {}; {RERUN}",
                path.display(),
                manifest.display()
            )
        })?;
        let bytes = read_bounded(&path, MAX_FILE_BYTES)
            .map_err(|e| format!("{e} (a file listed in {}); {RERUN}", manifest.display()))?;
        if sha256(&bytes) != *want {
            return Err(format!(
                "{}: damaged or edited: its SHA-256 differs from the one in {}; {RERUN}",
                path.display(),
                manifest.display()
            ));
        }
        Ok(bytes)
    }

    pub fn read_text(&self, name: &str) -> Result<String, String> {
        String::from_utf8(self.read(name)?)
            .map_err(|_| format!("{}: not UTF-8 text", self.dir.join(name).display()))
    }
}

/// Reads at most `limit` bytes; a larger file is refused before anything is allocated for it.
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{}: larger than {} MiB, more than any output of unchained; refused",
            path.display(),
            limit >> 20
        ));
    }
    Ok(bytes)
}

/// The entries of a manifest; any line out of form, an unsafe name, or a count that does not
/// close the file is an error naming the manifest and the line.
fn parse(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let bad = |line: usize, why: &str| {
        format!(
            "{} line {line}: {why}: the manifest is damaged; {RERUN}",
            path.display()
        )
    };
    let text = std::str::from_utf8(bytes).map_err(|_| bad(1, "not UTF-8 text"))?;
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| bad(text.lines().count(), "does not end with a newline"))?;
    let lines: Vec<&str> = body.split('\n').collect();
    if !lines[0].starts_with("# unchained ") {
        return Err(bad(1, "does not start with `# unchained VERSION`"));
    }
    let last = lines.len();
    let (count, seal) = lines[last - 1]
        .strip_prefix("# ")
        .and_then(|l| l.split_once(" files, SHA-256 of the lines above "))
        .and_then(|(n, seal)| Some((n.parse::<usize>().ok()?, seal)))
        .ok_or_else(|| {
            bad(
                last,
                "the closing `# N files, SHA-256 …` line is missing (truncated?)",
            )
        })?;
    let body_len = text.len() - lines[last - 1].len() - 1;
    if sha256(&bytes[..body_len]) != seal {
        return Err(bad(last, "the lines above do not match their SHA-256 here"));
    }
    let mut entries = BTreeMap::new();
    for (i, line) in lines[1..last - 1].iter().enumerate() {
        let (digest, name) = line
            .split_once("  ")
            .ok_or_else(|| bad(i + 2, "not `SHA256  FILE`"))?;
        let hex_ok = digest.len() == 64
            && digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let name_ok = !name.is_empty()
            && name
                .split('/')
                .all(|p| !p.is_empty() && p != "." && p != ".." && !p.contains('\\'));
        if !hex_ok || !name_ok {
            return Err(bad(
                i + 2,
                "not `SHA256  FILE` with a file inside the folder",
            ));
        }
        if entries
            .insert(name.to_string(), digest.to_string())
            .is_some()
        {
            return Err(bad(i + 2, &format!("{name} is listed twice")));
        }
    }
    if entries.len() != count {
        return Err(bad(
            last,
            &format!("lists {} files but closes with {count}", entries.len()),
        ));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("unchained-manifest-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("charts")).unwrap();
        std::fs::write(d.join("a.parquet"), b"table").unwrap();
        std::fs::write(d.join("charts/b.svg"), b"<svg/>").unwrap();
        d
    }

    #[test]
    fn round_trip_and_every_kind_of_damage_is_named() {
        let d = temp("damage");
        write_all(&d).unwrap();
        let text = std::fs::read_to_string(d.join(NAME)).unwrap();
        // The digest of "table" by `printf table | sha256sum`.
        assert!(text.contains(
            "0d4fc4a78d3706edccafb665a8b2fdd9309e82c78625bb0f2b8e7bb9e1c4d21c  a.parquet\n"
        ));
        assert!(
            text.contains("\n# 2 files, SHA-256 of the lines above "),
            "{text}"
        );
        let v = Verified::open(&d).unwrap();
        assert_eq!(v.read("charts/b.svg").unwrap(), b"<svg/>");
        assert!(v.read("c.parquet").unwrap_err().contains("not listed"));

        std::fs::write(d.join("a.parquet"), b"tablE").unwrap();
        let e = Verified::open(&d).unwrap_err();
        assert!(e.contains("a.parquet: damaged or edited"), "{e}");
        std::fs::write(d.join("a.parquet"), b"table").unwrap();

        std::fs::write(d.join(NAME), &text[..text.len() - 10]).unwrap();
        assert!(Verified::open(&d).unwrap_err().contains(NAME));
        let dropped: String = text
            .lines()
            .filter(|l| !l.ends_with("b.svg"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(d.join(NAME), dropped).unwrap();
        let e = Verified::open(&d).unwrap_err();
        assert!(e.contains("line 3: the lines above do not match"), "{e}");
        std::fs::write(d.join(NAME), text.replace("output file", "outpux file")).unwrap();
        assert!(Verified::open(&d).unwrap_err().contains("line 4"));
        // Forged with a matching seal: names must still stay inside the folder and be unique.
        let forge = |body: String| {
            let lines = body.lines().count() - 1;
            format!(
                "{body}# {lines} files, SHA-256 of the lines above {}\n",
                sha256(body.as_bytes())
            )
        };
        let body = |t: &str| t[..t.rfind("# 2 files").unwrap()].to_string();
        std::fs::write(
            d.join(NAME),
            forge(body(&text).replace("a.parquet", "../a.parquet")),
        )
        .unwrap();
        assert!(
            Verified::open(&d)
                .unwrap_err()
                .contains("inside the folder")
        );
        std::fs::write(
            d.join(NAME),
            forge(body(&text).replace("charts/b.svg", "a.parquet")),
        )
        .unwrap();
        assert!(Verified::open(&d).unwrap_err().contains("listed twice"));

        std::fs::remove_file(d.join(NAME)).unwrap();
        let e = Verified::open(&d).unwrap_err();
        assert!(
            e.contains("no MANIFEST.sha256") && e.contains("re-run"),
            "{e}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
