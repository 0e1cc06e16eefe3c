//! `blocks` rows written to disk as the run goes, so that a family emitting a row per decision
//! (the notary: one per transaction) holds a chunk of rows in memory, not the run's history.
//!
//! Rows arrive in chunks, each sorted by `(height, block)` and appended to one file as a
//! sorted run; at the end the runs and the rows still held are merged into the table's order.
//! The file lives in the output's staging folder (`atomic::Staged`), so it is never part of
//! a folder that looks complete, and it is removed once the tables are written.

use super::BlockRow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Rows a producer holds before appending them as one sorted run: 16,384 rows of 88 bytes,
/// about 1.4 MB, while a 38,400 s notary run makes about 600,000 rows (37 runs to merge).
pub const CHUNK: usize = 16_384;

/// The file's name in the staging folder; hidden, and removed before the folder is committed.
pub const FILE: &str = ".blocks.rows";

/// Bytes of one row on disk: seven fixed-width fields, three optional times with a presence
/// byte each, and the stale flag.
const RECORD: usize = 4 + 4 + 4 + 8 + 8 + 4 + 3 * 9 + 1;

/// Where a run's closed rows go: shared by the world, which seals it at the end, and the
/// protocol's rows (`consensus::rows`), which append to it.
#[derive(Clone, Debug)]
pub struct Spill {
    writer: Arc<Mutex<Writer>>,
    chunk: usize,
}

#[derive(Debug)]
struct Writer {
    path: PathBuf,
    file: BufWriter<File>,
    at: u64,
    runs: Vec<Run>,
    kept_bytes: u64,
    /// The first write that failed; later appends are dropped and sealing reports it.
    failed: Option<io::Error>,
}

/// A sorted run of the file: where it starts and how many rows it holds.
#[derive(Clone, Copy, Debug)]
struct Run {
    offset: u64,
    rows: u64,
}

impl Spill {
    /// A new, empty file of rows in `dir`, appended a [`CHUNK`] at a time.
    pub fn create(dir: &Path) -> io::Result<Spill> {
        Spill::with_chunk(dir, CHUNK)
    }

    /// [`Spill::create`] with chunks of `chunk` rows (tests make many runs of few rows).
    pub fn with_chunk(dir: &Path, chunk: usize) -> io::Result<Spill> {
        let path = dir.join(FILE);
        let file = BufWriter::new(File::create(&path)?);
        let writer = Writer {
            path,
            file,
            at: 0,
            runs: Vec::new(),
            kept_bytes: 0,
            failed: None,
        };
        Ok(Spill {
            writer: Arc::new(Mutex::new(writer)),
            chunk: chunk.max(1),
        })
    }

    /// Rows a producer holds before appending them.
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// Sorts `rows` into table order and appends them as one run, leaving `rows` empty (its
    /// room kept for the next chunk).
    pub fn append(&self, rows: &mut Vec<BlockRow>) {
        if rows.is_empty() {
            return;
        }
        sort(rows);
        let mut w = self.writer.lock().expect("spill lock");
        if w.failed.is_none() {
            let mut buf = [0u8; RECORD];
            let written = rows.iter().try_for_each(|r| {
                encode(r, &mut buf);
                w.file.write_all(&buf)
            });
            match written {
                Ok(()) => {
                    let offset = w.at;
                    w.runs.push(Run {
                        offset,
                        rows: rows.len() as u64,
                    });
                    w.at += (rows.len() * RECORD) as u64;
                    w.kept_bytes += rows
                        .iter()
                        .filter(|r| !r.stale)
                        .map(|r| r.size_bytes)
                        .sum::<u64>();
                }
                Err(e) => w.failed = Some(e),
            }
        }
        rows.clear();
    }

    /// Rows appended so far.
    pub fn rows(&self) -> u64 {
        let w = self.writer.lock().expect("spill lock");
        w.runs.iter().map(|r| r.rows).sum()
    }

    /// Flushes the file and hands back what it holds; `None` if no row was appended (the file
    /// is then removed, and the table is written from the rows held, as without a spill).
    pub fn seal(self) -> io::Result<Option<Spilled>> {
        let mut w = self.writer.lock().expect("spill lock");
        if let Some(e) = w.failed.take() {
            return Err(e);
        }
        w.file.flush()?;
        if w.runs.is_empty() {
            std::fs::remove_file(&w.path)?;
            return Ok(None);
        }
        Ok(Some(Spilled {
            path: w.path.clone(),
            runs: std::mem::take(&mut w.runs),
            kept_bytes: w.kept_bytes,
        }))
    }
}

/// The `blocks` rows a run wrote to disk; with the rows it still held (`RunOutput::blocks`)
/// they make the table.
#[derive(Clone, Debug)]
pub struct Spilled {
    path: PathBuf,
    runs: Vec<Run>,
    kept_bytes: u64,
}

impl Spilled {
    pub fn rows(&self) -> u64 {
        self.runs.iter().map(|r| r.rows).sum()
    }

    /// Bytes of the rows not stale, for the ledger's size.
    pub fn kept_bytes(&self) -> u64 {
        self.kept_bytes
    }

    /// Every row in table order: the runs on disk merged with `held` (sorted), ties taken
    /// from earlier runs first and `held` last, so that the order is the one a stable sort of
    /// all rows in the order they were produced gives.
    pub fn merged<'a>(&self, held: &'a [BlockRow]) -> io::Result<Merged<'a>> {
        let mut readers = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let mut file = File::open(&self.path)?;
            file.seek(SeekFrom::Start(run.offset))?;
            readers.push((BufReader::with_capacity(16 * 1024, file), run.rows));
        }
        let mut m = Merged {
            readers,
            held,
            next_held: 0,
            heap: BinaryHeap::new(),
            rows: Vec::new(),
        };
        for i in 0..m.readers.len() {
            m.pull(i)?;
        }
        m.pull_held();
        Ok(m)
    }

    /// Deletes the file.
    pub fn remove(&self) -> io::Result<()> {
        std::fs::remove_file(&self.path)
    }
}

/// Rows in table order written back to disk, read again a range at a time: a Parquet row
/// group is written a column at a time, each column read from here.
#[derive(Clone, Debug)]
pub struct Sorted {
    path: PathBuf,
    rows: u64,
}

impl Sorted {
    /// Writes `rows`, already in table order, to `path`.
    pub fn write(
        path: &Path,
        rows: impl Iterator<Item = io::Result<BlockRow>>,
    ) -> io::Result<Sorted> {
        let mut file = BufWriter::new(File::create(path)?);
        let mut buf = [0u8; RECORD];
        let mut n = 0;
        for r in rows {
            encode(&r?, &mut buf);
            file.write_all(&buf)?;
            n += 1;
        }
        file.flush()?;
        Ok(Sorted {
            path: path.to_path_buf(),
            rows: n,
        })
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The `n` rows from the `start`th on.
    pub fn range(
        &self,
        start: u64,
        n: u64,
    ) -> io::Result<impl Iterator<Item = io::Result<BlockRow>> + use<>> {
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(start * RECORD as u64))?;
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        Ok((0..n.min(self.rows.saturating_sub(start))).map(move |_| {
            let mut buf = [0u8; RECORD];
            reader.read_exact(&mut buf)?;
            Ok(decode(&buf))
        }))
    }

    /// Deletes the file.
    pub fn remove(&self) -> io::Result<()> {
        std::fs::remove_file(&self.path)
    }
}

/// Table order: by height, then block.
pub fn sort(rows: &mut [BlockRow]) {
    rows.sort_by_key(|r| (r.height, r.block));
}

/// The merge of [`Spilled::merged`]: one row waiting from each run and from the held rows.
pub struct Merged<'a> {
    readers: Vec<(BufReader<File>, u64)>,
    held: &'a [BlockRow],
    next_held: usize,
    /// `(height, block, source)` of each source's waiting row, smallest first.
    heap: BinaryHeap<Reverse<(u32, u32, usize)>>,
    /// The waiting row of each source (the held rows are the last source).
    rows: Vec<Option<BlockRow>>,
}

impl Merged<'_> {
    fn wait(&mut self, source: usize, row: BlockRow) {
        if self.rows.len() <= source {
            self.rows.resize(source + 1, None);
        }
        self.heap.push(Reverse((row.height, row.block, source)));
        self.rows[source] = Some(row);
    }

    fn pull(&mut self, source: usize) -> io::Result<()> {
        let (reader, left) = &mut self.readers[source];
        if *left == 0 {
            return Ok(());
        }
        *left -= 1;
        let mut buf = [0u8; RECORD];
        reader.read_exact(&mut buf)?;
        self.wait(source, decode(&buf));
        Ok(())
    }

    fn pull_held(&mut self) {
        if let Some(r) = self.held.get(self.next_held) {
            self.next_held += 1;
            let source = self.readers.len();
            self.wait(source, r.clone());
        }
    }
}

impl Iterator for Merged<'_> {
    type Item = io::Result<BlockRow>;

    fn next(&mut self) -> Option<io::Result<BlockRow>> {
        let Reverse((_, _, source)) = self.heap.pop()?;
        let row = self.rows[source].take().expect("waiting row");
        let refilled = if source == self.readers.len() {
            self.pull_held();
            Ok(())
        } else {
            self.pull(source)
        };
        Some(refilled.map(|()| row))
    }
}

fn encode(r: &BlockRow, buf: &mut [u8; RECORD]) {
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(&r.block.to_le_bytes());
    put(&r.height.to_le_bytes());
    put(&r.miner.to_le_bytes());
    put(&r.mined_at_s.to_bits().to_le_bytes());
    put(&r.size_bytes.to_le_bytes());
    put(&r.tx_count.to_le_bytes());
    for t in [r.propagation_50_s, r.propagation_90_s, r.propagation_100_s] {
        put(&[t.is_some() as u8]);
        put(&t.unwrap_or(0.0).to_bits().to_le_bytes());
    }
    put(&[r.stale as u8]);
}

fn decode(buf: &[u8; RECORD]) -> BlockRow {
    let mut at = 0;
    let mut take = |n: usize| {
        let s = &buf[at..at + n];
        at += n;
        s
    };
    let u32_of = |s: &[u8]| u32::from_le_bytes(s.try_into().expect("4 bytes"));
    let u64_of = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
    let block = u32_of(take(4));
    let height = u32_of(take(4));
    let miner = u32_of(take(4));
    let mined_at_s = f64::from_bits(u64_of(take(8)));
    let size_bytes = u64_of(take(8));
    let tx_count = u32_of(take(4));
    let mut time = || {
        let present = take(1)[0] == 1;
        let bits = u64_of(take(8));
        present.then(|| f64::from_bits(bits))
    };
    let (propagation_50_s, propagation_90_s, propagation_100_s) = (time(), time(), time());
    let stale = take(1)[0] == 1;
    BlockRow {
        block,
        height,
        miner,
        mined_at_s,
        size_bytes,
        tx_count,
        propagation_50_s,
        propagation_90_s,
        propagation_100_s,
        stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder per test, removed at the end.
    struct Dir(PathBuf);

    impl Dir {
        fn new(tag: &str) -> Dir {
            let path =
                std::env::temp_dir().join(format!("unchained-spill-{}-{tag}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn row(height: u32, block: u32, p50: Option<f64>) -> BlockRow {
        BlockRow {
            block,
            height,
            miner: block % 3,
            mined_at_s: height as f64 * 0.5,
            size_bytes: 100 + block as u64,
            tx_count: block,
            propagation_50_s: p50,
            propagation_90_s: None,
            propagation_100_s: Some(f64::NAN),
            stale: block.is_multiple_of(2),
        }
    }

    fn same(a: &BlockRow, b: &BlockRow) -> bool {
        let bits = |t: Option<f64>| t.map(f64::to_bits);
        (
            a.block,
            a.height,
            a.miner,
            a.size_bytes,
            a.tx_count,
            a.stale,
        ) == (
            b.block,
            b.height,
            b.miner,
            b.size_bytes,
            b.tx_count,
            b.stale,
        ) && a.mined_at_s.to_bits() == b.mined_at_s.to_bits()
            && bits(a.propagation_50_s) == bits(b.propagation_50_s)
            && bits(a.propagation_90_s) == bits(b.propagation_90_s)
            && bits(a.propagation_100_s) == bits(b.propagation_100_s)
    }

    /// Rows produced out of order, in three chunks and a held rest, come back as one stable
    /// sort of them all would put them, every field as it went in.
    #[test]
    fn runs_and_held_rows_merge_into_the_order_of_one_stable_sort() {
        let dir = Dir::new("merge");
        let produced: Vec<BlockRow> = [
            (5, 50),
            (1, 10),
            (9, 90),
            (3, 30),
            (3, 30),
            (2, 20),
            (8, 80),
            (1, 11),
            (7, 70),
            (4, 40),
            (6, 60),
            (3, 30),
        ]
        .iter()
        .enumerate()
        .map(|(i, &(h, b))| row(h, b, (i % 3 != 0).then_some(i as f64 * 0.25)))
        .collect();
        let spill = Spill::create(dir.path()).unwrap();
        for chunk in produced[..9].chunks(3) {
            spill.append(&mut chunk.to_vec());
        }
        let mut held = produced[9..].to_vec();
        sort(&mut held);
        let sealed = spill.seal().unwrap().expect("rows appended");
        assert_eq!(sealed.rows(), 9);
        let kept: u64 = produced[..9]
            .iter()
            .filter(|r| !r.stale)
            .map(|r| r.size_bytes)
            .sum();
        assert_eq!(sealed.kept_bytes(), kept);
        let merged: Vec<BlockRow> = sealed.merged(&held).unwrap().map(Result::unwrap).collect();
        let mut all = produced.clone();
        all.sort_by_key(|r| (r.height, r.block));
        assert_eq!(merged.len(), all.len());
        for (m, a) in merged.iter().zip(&all) {
            assert!(same(m, a), "{m:?} != {a:?}");
        }
        sealed.remove().unwrap();
        assert!(!dir.path().join(FILE).exists());
    }

    #[test]
    fn a_spill_with_nothing_appended_leaves_no_file() {
        let dir = Dir::new("empty");
        let spill = Spill::create(dir.path()).unwrap();
        assert!(spill.seal().unwrap().is_none());
        assert!(!dir.path().join(FILE).exists());
    }
}
