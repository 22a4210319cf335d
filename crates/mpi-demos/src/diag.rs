//! Diagnostics on stderr through `tracing`; the lesson's own output stays on
//! stdout. The level comes from `RUST_LOG` (default `warn`); with
//! `RUST_LOG=debug` each rank says when MPI has started, and where.

use tracing_subscriber::EnvFilter;

/// Install the stderr logger (a second call keeps the first).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}
