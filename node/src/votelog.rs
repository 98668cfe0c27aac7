//! The validator's durable vote record: every consensus vote it signs, and its vote floor,
//! appended to one file and synced before the vote is sent.
//!
//! ```text
//! file   = record*
//! record = length (u32, big-endian) ‖ blake3(payload)[..8] ‖ payload
//! payload = 0x00 ‖ canonical(Vote)      a vote, or the notarization a finalize vote rests on
//!         | 0x01 ‖ floor (u64, BE)      the vote floor (after the data directory was lost)
//! ```
//!
//! A crash can leave a torn last record; [`VoteLog::open`] keeps every whole record before it
//! and cuts the file there. [`VoteLog::compact`] rewrites the file with only the votes that can
//! still matter (a new file, synced, renamed over the old one), so it stays small.
//! A record that is whole but fails its checksum anywhere else means
//! the file is damaged, and opening fails loudly: a validator must never start with a vote
//! record it cannot trust.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use liangxin_consensus::Vote;
use liangxin_types::Canonical;

use crate::error::NodeError;

const VOTE: u8 = 0;
const FLOOR: u8 = 1;
const HEADER: usize = 4 + 8;
const MAX_RECORD: usize = 64 * 1024;

/// An append-only, synced vote record.
pub struct VoteLog {
    path: PathBuf,
    file: File,
    /// Records in the file.
    records: usize,
    /// The highest floor recorded.
    floor: u64,
}

/// What a vote log holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Every vote, oldest first.
    pub votes: Vec<Vote>,
    /// The highest vote floor recorded (0 if none).
    pub floor: u64,
}

fn checksum(payload: &[u8]) -> [u8; 8] {
    let h = blake3::hash(payload);
    let mut out = [0u8; 8];
    out.copy_from_slice(&h.as_bytes()[..8]);
    out
}

fn corrupt(path: &Path, what: String) -> NodeError {
    NodeError::Corrupt(format!("vote log {}: {what}", path.display()))
}

impl VoteLog {
    /// Opens (or creates) the log at `path` and reads what it holds.
    pub fn open(path: &Path) -> Result<(VoteLog, Restored), NodeError> {
        let io = |e: std::io::Error| corrupt(path, e.to_string());
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let mut restored = Restored::default();
        let mut at = 0usize;
        while at < bytes.len() {
            let Some(head) = bytes.get(at..at + HEADER) else {
                break; // torn header
            };
            let mut len = [0u8; 4];
            len.copy_from_slice(&head[..4]);
            let len = u32::from_be_bytes(len) as usize;
            if len == 0 || len > MAX_RECORD {
                return Err(corrupt(
                    path,
                    format!("record at byte {at} claims {len} bytes"),
                ));
            }
            let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else {
                break; // torn payload
            };
            if head[4..] != checksum(payload) {
                if at + HEADER + len == bytes.len() {
                    break; // a torn last write
                }
                return Err(corrupt(
                    path,
                    format!("record at byte {at} fails its checksum"),
                ));
            }
            match payload[0] {
                VOTE => {
                    let vote = Vote::from_canonical(&payload[1..])
                        .map_err(|e| corrupt(path, format!("record at byte {at}: {e}")))?;
                    restored.votes.push(vote);
                }
                FLOOR if payload.len() == 9 => {
                    let mut f = [0u8; 8];
                    f.copy_from_slice(&payload[1..]);
                    restored.floor = restored.floor.max(u64::from_be_bytes(f));
                }
                other => {
                    return Err(corrupt(
                        path,
                        format!("record at byte {at} has kind {other}"),
                    ));
                }
            }
            at += HEADER + len;
        }
        // Cut a torn tail so the next append starts on a record boundary.
        file.set_len(at as u64).map_err(io)?;
        file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok((
            VoteLog {
                path: path.to_path_buf(),
                file,
                records: restored.votes.len() + usize::from(restored.floor > 0),
                floor: restored.floor,
            },
            restored,
        ))
    }

    /// Records in the file.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Replaces the file with one holding `keep` (the votes that can still matter: those in
    /// views above the last final block's) and the recorded floor. Crash-safe: the new file is
    /// written and synced beside the old one, then renamed over it, and the directory synced.
    pub fn compact(&mut self, keep: &[Vote]) -> Result<(), NodeError> {
        let tmp = self.path.with_extension("compact");
        let io = |e: std::io::Error| corrupt(&self.path, e.to_string());
        let mut out = Vec::new();
        if self.floor > 0 {
            let mut payload = vec![FLOOR];
            payload.extend_from_slice(&self.floor.to_be_bytes());
            push_record(&mut out, &payload);
        }
        for v in keep {
            let mut payload = vec![VOTE];
            payload.extend_from_slice(&v.to_canonical()?);
            push_record(&mut out, &payload);
        }
        {
            let mut f = File::create(&tmp).map_err(io)?;
            f.write_all(&out).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
            .map_err(io)?;
        file.seek(SeekFrom::End(0)).map_err(io)?;
        self.file = file;
        self.records = keep.len() + usize::from(self.floor > 0);
        Ok(())
    }

    /// Appends records (payloads) with one write and one sync.
    fn append(&mut self, payloads: &[Vec<u8>]) -> Result<(), NodeError> {
        let io = |e: std::io::Error| corrupt(&self.path, e.to_string());
        let mut rec = Vec::with_capacity(payloads.iter().map(|p| HEADER + p.len()).sum());
        for payload in payloads {
            push_record(&mut rec, payload);
        }
        self.file.write_all(&rec).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.records += payloads.len();
        Ok(())
    }

    /// Appends a vote and syncs it to disk; only then may the vote be sent.
    pub fn record(&mut self, vote: &Vote) -> Result<(), NodeError> {
        self.record_all(std::slice::from_ref(vote))
    }

    /// Appends votes (in order) and syncs them to disk once: a step that persists a finalize
    /// vote with the notarization it rests on costs one sync, not two. A crash in between
    /// leaves whole records before a torn one, which [`VoteLog::open`] cuts.
    pub fn record_all(&mut self, votes: &[Vote]) -> Result<(), NodeError> {
        let payloads = votes
            .iter()
            .map(|v| {
                let mut payload = vec![VOTE];
                payload.extend_from_slice(&v.to_canonical()?);
                Ok(payload)
            })
            .collect::<Result<Vec<_>, NodeError>>()?;
        self.append(&payloads)
    }

    /// Records a vote floor (a validator rejoining after losing its data directory).
    pub fn record_floor(&mut self, floor: u64) -> Result<(), NodeError> {
        let mut payload = vec![FLOOR];
        payload.extend_from_slice(&floor.to_be_bytes());
        self.append(&[payload])?;
        self.floor = self.floor.max(floor);
        Ok(())
    }
}

fn push_record(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&checksum(payload));
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use liangxin_consensus::{Nullify, Sig};

    fn vote(view: u64) -> Vote {
        Vote::Nullify(Nullify {
            view,
            signer: 2,
            signature: Sig([view as u8; 64]),
        })
    }

    #[test]
    fn votes_recorded_together_are_whole_records_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("votes");
        {
            let (mut log, _) = VoteLog::open(&path).expect("open");
            log.record(&vote(1)).expect("record");
            log.record_all(&[vote(2), vote(3)]).expect("record both");
            assert_eq!(log.records(), 3);
        }
        let (log, restored) = VoteLog::open(&path).expect("reopen");
        assert_eq!(restored.votes, vec![vote(1), vote(2), vote(3)]);
        assert_eq!(log.records(), 3);
    }

    #[test]
    fn votes_and_floor_survive_reopening_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("votes");
        {
            let (mut log, restored) = VoteLog::open(&path).expect("open");
            assert_eq!(restored, Restored::default());
            log.record(&vote(1)).expect("record");
            log.record(&vote(2)).expect("record");
            log.record_floor(9).expect("floor");
        }
        // A crash in the middle of the next write leaves half a record.
        let whole = std::fs::metadata(&path).expect("meta").len();
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(&[0, 0, 0, 40, 1, 2, 3]).expect("torn write");
        drop(f);
        let (mut log, restored) = VoteLog::open(&path).expect("reopen");
        assert_eq!(restored.votes, vec![vote(1), vote(2)]);
        assert_eq!(restored.floor, 9);
        assert_eq!(
            std::fs::metadata(&path).expect("meta").len(),
            whole,
            "tail cut"
        );
        log.record(&vote(3)).expect("append after the cut");
        drop(log);
        let (_, restored) = VoteLog::open(&path).expect("reopen");
        assert_eq!(restored.votes.len(), 3);
    }

    #[test]
    fn compaction_keeps_what_it_is_given_and_the_floor() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("votes");
        let (mut log, _) = VoteLog::open(&path).expect("open");
        for v in 1..=100 {
            log.record(&vote(v)).expect("record");
        }
        log.record_floor(7).expect("floor");
        assert_eq!(log.records(), 101);
        let big = std::fs::metadata(&path).expect("meta").len();
        let keep: Vec<Vote> = (91..=100).map(vote).collect();
        log.compact(&keep).expect("compact");
        assert_eq!(log.records(), 11);
        assert!(std::fs::metadata(&path).expect("meta").len() < big / 5);
        // Appends go on after the compacted records.
        log.record(&vote(101)).expect("record");
        drop(log);
        let (log, restored) = VoteLog::open(&path).expect("reopen");
        let mut want = keep;
        want.push(vote(101));
        assert_eq!(restored.votes, want);
        assert_eq!(restored.floor, 7);
        assert_eq!(log.records(), 12);
        assert!(!path.with_extension("compact").exists());
    }

    #[test]
    fn damage_before_the_end_refuses_to_start() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("votes");
        {
            let (mut log, _) = VoteLog::open(&path).expect("open");
            log.record(&vote(1)).expect("record");
            log.record(&vote(2)).expect("record");
        }
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[HEADER + 3] ^= 0xff; // inside the first record's payload
        std::fs::write(&path, &bytes).expect("write");
        assert!(matches!(VoteLog::open(&path), Err(NodeError::Corrupt(_))));
    }
}
