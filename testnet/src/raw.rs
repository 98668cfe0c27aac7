//! The raw limits of this machine, measured in the same run as a benchmark so that its figures
//! can be reported as ratios.

use std::time::{Duration, Instant};

use liangxin_types::{SigningDomain, SigningKey};

/// Strict single-signature Ed25519 verifications per second on one core (2 s of
/// verifying 200-byte messages under 64 keys).
pub fn strict_verify_rate() -> f64 {
    let keys: Vec<SigningKey> = (0..64)
        .map(|i| SigningKey::dev(&format!("raw {i}")))
        .collect();
    let msgs: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 200]).collect();
    let sigs: Vec<_> = keys
        .iter()
        .zip(&msgs)
        .map(|(k, m)| k.sign(SigningDomain::Tx, m))
        .collect();
    let pks: Vec<_> = keys.iter().map(SigningKey::public_key).collect();
    let t = Instant::now();
    let mut n = 0usize;
    while t.elapsed() < Duration::from_secs(2) {
        for _ in 0..64 {
            let j = n % 64;
            // Counted either way: the work is the same (and these signatures are valid).
            let ok = pks[j].verify(SigningDomain::Tx, &msgs[j], &sigs[j]).is_ok();
            std::hint::black_box(ok);
            n += 1;
        }
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// blake3 throughput on one core, bytes per second (2 s over 1 MiB buffers).
pub fn blake3_rate() -> f64 {
    let buf = vec![7u8; 1 << 20];
    let t = Instant::now();
    let mut n = 0usize;
    while t.elapsed() < Duration::from_secs(2) {
        std::hint::black_box(blake3::hash(std::hint::black_box(&buf)));
        n += buf.len();
    }
    n as f64 / t.elapsed().as_secs_f64()
}
