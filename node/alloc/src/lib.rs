#![doc = include_str!("../README.md")]

pub use mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (`include/mimalloc.h`), which
/// `libmimalloc-sys` does not name. The lock file pins the mimalloc it is the index of; the
/// tests check it reads that version's default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// The environment variable through which mimalloc reads the purge delay; when it is set,
/// [`configure`] leaves the option as the operator chose.
pub const PURGE_DELAY_ENV: &str = "MIMALLOC_PURGE_DELAY";

/// The purge delay the node runs with, in milliseconds (see the crate docs).
pub const NODE_PURGE_DELAY_MS: i64 = 10_000;

/// Sets the node's allocator options: a purge delay of [`NODE_PURGE_DELAY_MS`] unless
/// [`PURGE_DELAY_ENV`] is set. Call it first thing in `main`, before other threads start; it
/// only tunes mimalloc, so it is harmless where mimalloc is not the global allocator.
pub fn configure() {
    if std::env::var_os(PURGE_DELAY_ENV).is_none() {
        set_purge_delay(NODE_PURGE_DELAY_MS);
    }
}

/// mimalloc's purge delay now, in milliseconds (-1: never purge).
pub fn purge_delay_ms() -> i64 {
    // SAFETY: `mi_option_get` reads an option by index and has no preconditions; the index is
    // a valid option of the mimalloc linked (checked by the tests).
    #[allow(unsafe_code)]
    let value = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
    // `c_long` is 32 bits on some targets.
    #[allow(clippy::useless_conversion)]
    i64::from(value)
}

#[allow(unsafe_code)]
fn set_purge_delay(ms: i64) {
    let ms = std::ffi::c_long::try_from(ms).unwrap_or(std::ffi::c_long::MAX);
    // SAFETY: `mi_option_set` stores an option by index into mimalloc's static option table;
    // the index is a valid option (checked by the tests). [`configure`] is documented to be
    // called first thing in `main`, before the node starts other threads that could read the
    // option at the same moment.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_the_purge_delay_and_configure_sets_it() {
        // mimalloc 3's default purge delay is 1,000 ms and no neighbouring option defaults to
        // that, so reading it proves the index (unless the environment set the option).
        match std::env::var(PURGE_DELAY_ENV) {
            Ok(v) => {
                assert_eq!(purge_delay_ms().to_string(), v.trim());
                configure();
                assert_eq!(
                    purge_delay_ms().to_string(),
                    v.trim(),
                    "the environment wins"
                );
            }
            Err(_) => {
                assert_eq!(purge_delay_ms(), 1_000, "mimalloc 3's default");
                configure();
                assert_eq!(purge_delay_ms(), NODE_PURGE_DELAY_MS);
            }
        }
    }
}
