//! Rank-aware diagnostics: every log line on stderr says which rank of how
//! many wrote it, and on which host, so the interleaved stderr of nine ranks
//! can still be read. The lesson's own output stays on stdout. The level
//! comes from `RUST_LOG` (default `warn`).

use tracing_subscriber::EnvFilter;

/// Install the stderr logger. Call once, before [`rank_span`].
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    // A second call (as in unit tests) keeps the first subscriber.
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// The name of the host this rank runs on.
pub fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// A span that tags every event inside it with `rank`, `size` and `host`.
/// Enter it for the rest of `main`: `let _rank = diag::rank_span(r, n).entered();`
pub fn rank_span(rank: i32, size: i32) -> tracing::Span {
    tracing::info_span!("rank", rank, size, host = %host_name())
}
