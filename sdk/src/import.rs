//! Bulk, resumable import of records from a CSV file.
//!
//! **Input.** A CSV file with a header row; one row per record; a `kind` column names the
//! record kind (how a row's other cells become a record is the caller's `to_record`: the
//! `liangxin` CLI uses its subcommands' flags as column names). Empty cells are absent
//! fields. Lines starting with `#` are comments; a UTF-8 byte-order mark is ignored.
//!
//! **Progress.** Beside `FILE.csv`, `FILE.csv.progress` records every row that became final,
//! one line each, appended and synced as it happens:
//!
//! ```text
//! # liangxin import progress v1
//! <line number>\t<row digest>\t<tx id>\t<leaf index>
//! ```
//!
//! A rerun skips the rows listed with the same line number *and* the same content digest (a
//! row edited since is imported again). A row that failed is not listed, so a rerun tries it
//! again. A line cut short by a crash is ignored.
//!
//! **Submission.** Rows are signed with consecutive sequence numbers and submitted in windows
//! (`lx_submit`, in order), then each is followed until final (`lx_tx`). Rows refused with
//! `bad_sequence` (e.g. after an earlier row of the window was rejected) or forgotten by the
//! node are signed again with fresh numbers; a busy node is retried with back-off; any other
//! rejection marks the row failed and the import goes on.

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use liangxin_contracts::{Code, Record};
use liangxin_rpc::RpcError;
use liangxin_rpc::dto::TxStatus;
use liangxin_types::Hash;
use liangxin_types::hash::document_digest;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::signer::Signer;

/// One data row of the CSV file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Its line number in the file (1-based; the header is line 1).
    pub line: u64,
    /// The `kind` cell.
    pub kind: String,
    /// The other non-empty cells: (column, value), in column order.
    pub fields: Vec<(String, String)>,
    /// A digest of the row's content (kind and fields), to notice edits between runs.
    pub digest: String,
}

impl Row {
    /// The value of a column, if the cell is not empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads every data row of a CSV file (see the module docs for the format).
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Error::io(path, e))?;
    let headers = reader.headers().map_err(|e| Error::io(path, e))?.clone();
    let kind_col = headers
        .iter()
        .position(|h| h == "kind")
        .ok_or_else(|| Error::io(path, "the header row has no `kind` column"))?;
    let mut seen = std::collections::HashSet::new();
    for h in headers.iter() {
        if !seen.insert(h) {
            return Err(Error::io(path, format!("column {h:?} appears twice")));
        }
    }
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| Error::io(path, e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let kind = rec.get(kind_col).unwrap_or("").to_string();
        let fields: Vec<(String, String)> = headers
            .iter()
            .zip(rec.iter())
            .enumerate()
            .filter(|(i, (_, v))| *i != kind_col && !v.is_empty())
            .map(|(_, (h, v))| (h.to_string(), v.to_string()))
            .collect();
        let mut content = kind.clone();
        for (h, v) in &fields {
            content.push('\u{1f}');
            content.push_str(h);
            content.push('\u{1e}');
            content.push_str(v);
        }
        let digest = document_digest(content.as_bytes()).to_hex()[..16].to_string();
        rows.push(Row {
            line,
            kind,
            fields,
            digest,
        });
    }
    Ok(rows)
}

/// The progress side file of an import.
#[derive(Debug)]
pub struct Progress {
    path: PathBuf,
    done: HashMap<u64, String>,
    file: std::fs::File,
}

const PROGRESS_HEADER: &str = "# liangxin import progress v1";

impl Progress {
    /// The side file of `csv`: `<csv>.progress`.
    pub fn path_for(csv: &Path) -> PathBuf {
        let mut p = csv.as_os_str().to_owned();
        p.push(".progress");
        PathBuf::from(p)
    }

    /// Opens (or creates) the side file of `csv` and reads the rows already done.
    pub fn open(csv: &Path) -> Result<Self> {
        let path = Self::path_for(csv);
        let mut done = HashMap::new();
        let existing = match std::fs::read_to_string(&path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&path, e)),
        };
        if let Some(text) = &existing {
            for line in text.lines() {
                if line.starts_with('#') {
                    continue;
                }
                let parts: Vec<&str> = line.split('\t').collect();
                if let [row, digest, tx, leaf] = parts.as_slice()
                    && let Ok(row) = row.parse::<u64>()
                    && Hash::from_hex(tx).is_ok()
                    && leaf.parse::<u64>().is_ok()
                    && digest.len() == 16
                {
                    done.insert(row, digest.to_string());
                }
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match &existing {
            None => writeln!(file, "{PROGRESS_HEADER}").map_err(|e| Error::io(&path, e))?,
            // A crash may have cut the last line: start on a fresh line.
            Some(t) if !t.is_empty() && !t.ends_with('\n') => {
                writeln!(file).map_err(|e| Error::io(&path, e))?
            }
            Some(_) => {}
        }
        Ok(Progress { path, done, file })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `row` is done (same line, same content).
    pub fn is_done(&self, row: &Row) -> bool {
        self.done.get(&row.line) == Some(&row.digest)
    }

    /// How many rows are recorded done.
    pub fn done_count(&self) -> usize {
        self.done.len()
    }

    /// Records `row` as final (appended and synced before returning).
    pub fn mark_done(&mut self, row: &Row, tx_id: &Hash, leaf_index: u64) -> Result<()> {
        writeln!(
            self.file,
            "{}\t{}\t{}\t{}",
            row.line, row.digest, tx_id, leaf_index
        )
        .and_then(|()| self.file.sync_data())
        .map_err(|e| Error::io(&self.path, e))?;
        self.done.insert(row.line, row.digest.clone());
        Ok(())
    }
}

/// What happened to a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Already done in an earlier run.
    Skipped {
        /// The row's line.
        line: u64,
    },
    /// Final.
    Done {
        /// The row's line.
        line: u64,
        /// Its transaction.
        tx_id: Hash,
        /// Its leaf index.
        leaf_index: u64,
    },
    /// Will be signed and submitted again.
    Retry {
        /// The row's line.
        line: u64,
        /// Why.
        reason: String,
    },
    /// Failed (bad row or rejected); not recorded, so a rerun tries it again.
    Failed {
        /// The row's line.
        line: u64,
        /// Why.
        reason: String,
    },
}

/// The outcome of an import.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Data rows in the file.
    pub rows: usize,
    /// Rows skipped as done by an earlier run.
    pub skipped: usize,
    /// Rows made final by this run.
    pub done: usize,
    /// Rows that failed: (line, reason).
    pub failed: Vec<(u64, String)>,
}

/// Settings of an import.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rows submitted before waiting for them to be final.
    pub window: usize,
    /// How long to wait for one window to be final before giving up (the import can be
    /// resumed).
    pub final_timeout: Duration,
    /// How many times a row is signed again (after `bad_sequence` or being forgotten).
    pub max_retries: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            window: 64,
            final_timeout: Duration::from_secs(120),
            max_retries: 5,
        }
    }
}

fn rejection_code(e: &Error) -> Option<u16> {
    match e {
        Error::Rpc(RpcError::Rejected { rejection, .. }) => Some(rejection.code),
        _ => None,
    }
}

fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Rpc(RpcError::Busy(_)))
}

/// Imports `rows`: skips those `progress` lists, turns the others into records with
/// `to_record`, signs them with `signer` and submits them through `client` (see the module
/// docs). Reports each row to `on_event`. Returns an error only when it cannot go on (the
/// node unreachable, a window not final in time, the progress file not writable); the
/// import can then be run again.
pub async fn run(
    client: &Client,
    signer: &Signer,
    rows: &[Row],
    progress: &mut Progress,
    options: &Options,
    to_record: impl Fn(&Row) -> Result<Record>,
    mut on_event: impl FnMut(&Event),
) -> Result<Summary> {
    let mut summary = Summary {
        rows: rows.len(),
        ..Summary::default()
    };
    let mut queue: VecDeque<(usize, u32)> = VecDeque::new();
    for (i, row) in rows.iter().enumerate() {
        if progress.is_done(row) {
            summary.skipped += 1;
            on_event(&Event::Skipped { line: row.line });
        } else {
            queue.push_back((i, 0));
        }
    }
    if queue.is_empty() {
        return Ok(summary);
    }
    let chain = client.chain_id().await?;
    let key = signer.public_key();
    let mut seq = client.account(&key).await?.pending_next_seq;
    let mut busy_wait = Duration::from_millis(100);
    let window = options.window.max(1);
    fn fail(summary: &mut Summary, on_event: &mut impl FnMut(&Event), line: u64, reason: String) {
        on_event(&Event::Failed {
            line,
            reason: reason.clone(),
        });
        summary.failed.push((line, reason));
    }

    while !queue.is_empty() {
        // Sign and submit one window, in sequence order.
        let mut submitted: Vec<(usize, u32, Hash)> = Vec::new();
        let mut retry: Vec<(usize, u32, String)> = Vec::new();
        let mut refresh_seq = false;
        while submitted.len() < window {
            let Some((i, tries)) = queue.pop_front() else {
                break;
            };
            let row = &rows[i];
            let record = match to_record(row) {
                Ok(r) => r,
                Err(e) => {
                    fail(&mut summary, &mut on_event, row.line, e.to_string());
                    continue;
                }
            };
            let tx = signer.sign(&chain, seq, &record)?;
            match client.submit_tx(&tx).await {
                Ok(s) => {
                    submitted.push((i, tries, s.tx_id));
                    seq += 1;
                }
                Err(e) if is_busy(&e) => {
                    // Back off, then go on with this row.
                    queue.push_front((i, tries));
                    tokio::time::sleep(busy_wait).await;
                    busy_wait = (busy_wait * 2).min(Duration::from_secs(5));
                    break;
                }
                Err(e) if rejection_code(&e) == Some(Code::BadSequence.number()) => {
                    retry.push((i, tries, e.to_string()));
                    refresh_seq = true;
                    break;
                }
                Err(e @ Error::Rpc(_)) => {
                    fail(&mut summary, &mut on_event, row.line, e.to_string())
                }
                Err(e) => return Err(e),
            }
        }
        if !submitted.is_empty() {
            busy_wait = Duration::from_millis(100);
        }

        // Follow the window until each row is final or rejected.
        let deadline = Instant::now() + options.final_timeout;
        for (i, tries, tx_id) in submitted {
            let row = &rows[i];
            let mut pause = Duration::from_millis(50);
            loop {
                let info = client.tx(&tx_id).await?;
                match info.status {
                    TxStatus::Final => {
                        let leaf = info.leaf_index.unwrap_or(0);
                        progress.mark_done(row, &tx_id, leaf)?;
                        summary.done += 1;
                        on_event(&Event::Done {
                            line: row.line,
                            tx_id,
                            leaf_index: leaf,
                        });
                        break;
                    }
                    TxStatus::Rejected => {
                        refresh_seq = true;
                        let r =
                            info.rejection
                                .unwrap_or_else(|| liangxin_rpc::dto::RejectionInfo {
                                    code: 0,
                                    message: "rejected".into(),
                                });
                        let reason = format!("rejected (code {}): {}", r.code, r.message);
                        if r.code == Code::BadSequence.number() {
                            retry.push((i, tries, reason));
                        } else {
                            fail(&mut summary, &mut on_event, row.line, reason);
                        }
                        break;
                    }
                    TxStatus::Unknown => {
                        refresh_seq = true;
                        retry.push((i, tries, "the node forgot the transaction".into()));
                        break;
                    }
                    TxStatus::Pending => {
                        if Instant::now() > deadline {
                            return Err(Error::Transport(format!(
                                "transaction {tx_id} (line {}) was not final after {:?}; \
                                 run the import again to resume",
                                row.line, options.final_timeout
                            )));
                        }
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(1));
                    }
                }
            }
        }

        // Rows to sign again go back to the front, in order.
        retry.sort_by_key(|(i, _, _)| *i);
        for (i, tries, reason) in retry.into_iter().rev() {
            let line = rows[i].line;
            if tries + 1 > options.max_retries {
                fail(
                    &mut summary,
                    &mut on_event,
                    line,
                    format!("gave up after {tries} retries: {reason}"),
                );
            } else {
                on_event(&Event::Retry { line, reason });
                queue.push_front((i, tries + 1));
            }
        }
        if refresh_seq {
            seq = client.account(&key).await?.pending_next_seq;
        }
    }
    summary.failed.sort();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_progress() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("in.csv");
        std::fs::write(
            &csv,
            "\u{feff}kind,uscc,name,note\n\
             # a comment\n\
             commit,91350100M000100Y43,,\"a, quoted \"\"cell\"\"\"\n\
             penalty, 91350100M000100Y43 ,名字,\n",
        )
        .unwrap();
        let rows = read_rows(&csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].kind, "commit");
        assert_eq!(rows[0].get("note"), Some("a, quoted \"cell\""));
        assert_eq!(rows[0].get("name"), None);
        assert_eq!(rows[1].get("uscc"), Some("91350100M000100Y43"));
        assert_eq!(rows[1].get("name"), Some("名字"));
        assert_ne!(rows[0].line, rows[1].line);

        let mut p = Progress::open(&csv).unwrap();
        assert_eq!(p.path(), dir.path().join("in.csv.progress"));
        assert!(!p.is_done(&rows[0]));
        p.mark_done(&rows[0], &Hash::ZERO, 7).unwrap();
        drop(p);
        // a crash cut a line short
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(Progress::path_for(&csv))
            .unwrap();
        write!(f, "{}\t{}\t00", rows[1].line, rows[1].digest).unwrap();
        drop(f);
        let mut p = Progress::open(&csv).unwrap();
        assert!(p.is_done(&rows[0]));
        assert!(!p.is_done(&rows[1]));
        assert_eq!(p.done_count(), 1);
        p.mark_done(&rows[1], &Hash::ZERO, 8).unwrap();
        let p = Progress::open(&csv).unwrap();
        assert!(p.is_done(&rows[1]));

        // an edited row is not done any more
        std::fs::write(
            &csv,
            "kind,uscc,name,note\n\
             # a comment\n\
             commit,91350100M000100Y43,,changed\n\
             penalty, 91350100M000100Y43 ,名字,\n",
        )
        .unwrap();
        let rows2 = read_rows(&csv).unwrap();
        assert!(!p.is_done(&rows2[0]));
        assert!(p.is_done(&rows2[1]));
    }

    #[test]
    fn bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("in.csv");
        std::fs::write(&csv, "uscc,name\nx,y\n").unwrap();
        assert!(read_rows(&csv).unwrap_err().to_string().contains("kind"));
        std::fs::write(&csv, "kind,a,a\nx,y,z\n").unwrap();
        assert!(read_rows(&csv).is_err());
        std::fs::write(&csv, "kind,a\nx,y,z\n").unwrap();
        assert!(read_rows(&csv).is_err());
        assert!(read_rows(&dir.path().join("missing.csv")).is_err());
    }
}
