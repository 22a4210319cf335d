//! The lessons' sleeps, scaled by one global factor: `--time-scale 1` keeps
//! the original's pauses, `0` removes them (for tests), `3` slows a demo
//! down for a class. Set it before starting processes: children inherit it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static SCALE_BITS: AtomicU64 = AtomicU64::new(0x3FF0_0000_0000_0000); // 1.0_f64

/// Set the factor applied to every [`sleep`].
pub fn set_time_scale(scale: f64) {
    SCALE_BITS.store(scale.max(0.0).to_bits(), Ordering::Relaxed);
}

/// The current factor.
pub fn time_scale() -> f64 {
    f64::from_bits(SCALE_BITS.load(Ordering::Relaxed))
}

/// Sleep `seconds` of the original's time, scaled.
pub fn sleep(seconds: f64) {
    let scaled = seconds * time_scale();
    if scaled > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(scaled));
    }
}
