//! Receives that give up.
//!
//! `process.receive()` blocks until a message arrives, forever if its sender
//! is gone or its host is unreachable. These functions do the same receive
//! (probe for a matching message, then receive exactly that message), but
//! stop waiting after a limit and abort the whole job with a message that
//! names the waiting rank and what it waited for: `MPI_Abort` ends every rank,
//! so no rank is left behind either.

use std::thread;
use std::time::{Duration, Instant};

use mpi::datatype::Equivalence;
use mpi::point_to_point::{MatchedReceiveVec, Message, Source, Status};
use mpi::topology::SimpleCommunicator;
use mpi::traits::Communicator;
use mpi::Tag;

/// Exit status of a job aborted because a receive timed out.
pub const EXIT_TIMED_OUT: i32 = 3;

/// Wait up to `limit` for a message from `source`; `None` if none came.
///
/// Polls with `MPI_Improbe`, yielding the core between polls, and sleeping
/// briefly once the wait is long, so an idle rank does not spin at 100%.
pub fn probe_within<S: Source>(source: &S, limit: Duration) -> Option<(Message, Status)> {
    probe_tag_within(source, None, limit)
}

/// Like [`probe_within`], for a message with this `tag` only (`None`: any tag).
pub fn probe_tag_within<S: Source>(source: &S, tag: Option<Tag>, limit: Duration) -> Option<(Message, Status)> {
    let start = Instant::now();
    let mut polls: u32 = 0;
    loop {
        let found = match tag {
            Some(tag) => source.immediate_matched_probe_with_tag(tag),
            None => source.immediate_matched_probe(),
        };
        if let Some(found) = found {
            return Some(found);
        }
        let waited = start.elapsed();
        if waited >= limit {
            return None;
        }
        polls = polls.saturating_add(1);
        if polls < 1_000 {
            thread::yield_now();
        } else {
            thread::sleep(Duration::from_micros(200).min(limit - waited));
        }
    }
}

/// Receive one value from `source`, or abort the job after `limit`.
/// `what` completes the sentence "rank R gave up waiting for ...".
pub fn receive<T, S>(world: &SimpleCommunicator, source: &S, limit: Duration, what: &str) -> (T, Status)
where
    T: Equivalence,
    S: Source,
{
    match probe_within(source, limit) {
        Some((message, _)) => message.matched_receive::<T>(),
        None => abort_waiting(world, limit, what),
    }
}

/// Receive a vector of values (for example the bytes of a string) from
/// `source`, or abort the job after `limit`.
pub fn receive_vec<T, S>(world: &SimpleCommunicator, source: &S, limit: Duration, what: &str) -> (Vec<T>, Status)
where
    T: Equivalence,
    S: Source,
{
    receive_vec_with_tag(world, source, None, limit, what)
}

/// [`receive_vec`] of a message with this `tag` only (`None`: any tag).
pub fn receive_vec_with_tag<T, S>(
    world: &SimpleCommunicator,
    source: &S,
    tag: Option<Tag>,
    limit: Duration,
    what: &str,
) -> (Vec<T>, Status)
where
    T: Equivalence,
    S: Source,
{
    match probe_tag_within(source, tag, limit) {
        Some(found) => found.matched_receive_vec::<T>(),
        None => abort_waiting(world, limit, what),
    }
}

/// Print why this rank gives up, then end every rank of the job.
pub fn abort_waiting(world: &SimpleCommunicator, limit: Duration, what: &str) -> ! {
    let rank = world.rank();
    let message = format!(
        "error: rank {rank} gave up after {} s waiting for {what}; \
         is that rank's host reachable? Aborting the whole job.",
        limit.as_secs_f64()
    );
    eprintln!("{message}");
    world.abort(EXIT_TIMED_OUT)
}

/// Parse a time limit in seconds, as the lessons' `--timeout` flag takes it.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(format!("the time limit must be a positive number of seconds, not {text}"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_and_reject() {
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-3").is_err());
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("inf").is_err());
    }
}
