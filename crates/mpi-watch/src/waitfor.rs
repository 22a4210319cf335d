//! The wait-for model: what each rank of a job waits for, and which ranks
//! can never be released.
//!
//! It follows the model of the MPI correctness tools (MUST's AND⊕OR
//! wait-for graph). A rank answers the watch's question with a [`Report`]:
//! running, finished (in `MPI_Finalize`), or blocked, and then in what.
//! A blocked call is a node of one of two kinds:
//!
//! - **AND**: a blocking call, `MPI_Wait`, `MPI_Waitall`: released when
//!   *every* operation it still waits for can complete;
//! - **OR**: `MPI_Waitany`, `MPI_Waitsome`: released when *any* can. A
//!   receive from `MPI_ANY_SOURCE` is itself an OR over its communicator's
//!   members.
//!
//! What one operation waits for ([`What`]): a receive (or probe) waits for
//! a sender, or for a message already sent and not yet received; a send
//! for its receiver to post the receive; a collective for every member of
//! its communicator that has not yet entered the same collective (the n-th
//! on that communicator). Under `MPI_THREAD_MULTIPLE` a rank may have
//! several threads blocked: the rank is released when any of them is.
//!
//! [`stuck`] computes the ranks that can never be released: starting from
//! the ranks that can still act (running, or silent: the watch cannot tell
//! what a silent rank will do, so it never blames one), it releases every
//! blocked rank whose node is satisfied by them, until nothing changes. The
//! blocked ranks left are a deadlock (a cycle under AND, a knot under OR),
//! or wait, directly or through others, for ranks that have finished.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A communicator's identity, the same in every rank of it.
pub type CommId = u64;
/// `MPI_COMM_WORLD`'s identity.
pub const WORLD: CommId = 0;

/// A communicator, as a report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comm {
    /// Its identity in every rank.
    pub id: CommId,
    /// How a reader knows it: `MPI_COMM_WORLD`, `MPI_Comm_split of MPI_COMM_WORLD (ranks 0, 2)`.
    pub name: String,
    /// Its members, as world ranks, in its own rank order.
    pub members: Vec<i32>,
}

/// What one incomplete operation waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum What {
    /// A receive or a probe: a message from `from` (a world rank; `None`
    /// for `MPI_ANY_SOURCE`) with `tag` (`None` for `MPI_ANY_TAG`).
    Recv { from: Option<i32>, tag: Option<i32>, comm: CommId },
    /// A send: its receiver, `to`, posting a matching receive.
    Send { to: i32, tag: i32, comm: CommId },
    /// The `seq`-th collective on `comm` (1 for the first): every member
    /// entering it.
    Collective { comm: CommId, seq: u64 },
    /// A request the watch did not see start, or a call it does not follow:
    /// it cannot say what it waits for, so it never calls it stuck.
    Unknown,
}

/// One operation a blocked call waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// The call that started it: `MPI_Recv`, `MPI_Irecv`, `MPI_Allreduce`.
    pub call: String,
    /// What it waits for.
    pub what: What,
}

/// One thread's blocked call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blocked {
    /// The call the thread is in: `MPI_Recv`, `MPI_Waitall`.
    pub call: String,
    /// OR (`MPI_Waitany`, `MPI_Waitsome`): released when any op can complete;
    /// otherwise AND: when every op can.
    pub any: bool,
    /// The operations it still waits for (those already complete are left out).
    pub ops: Vec<Op>,
    /// How long it has been blocked.
    pub seconds: f64,
}

/// What a rank is doing when asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum State {
    /// In MPI but not blocked, or with a thread that is not blocked: it
    /// can still act.
    Running,
    /// Every thread of it that uses MPI is blocked, in these calls.
    Blocked(Vec<Blocked>),
    /// In `MPI_Finalize`: it will never send, receive or enter a collective again.
    Finished,
    /// Did not answer, but a rank of its host read that it is in `call`,
    /// which the watch does not follow, since `seconds` ago: it may be
    /// released, or release others, in ways the watch cannot see.
    Unfollowed { call: String, seconds: f64 },
}

/// Tags `first..=last`, each counted `count` times: messages counted by
/// tag in runs, so that a program with a tag per step answers in a few bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRun {
    pub first: i32,
    pub last: i32,
    pub count: u64,
}

/// Messages between this rank and one peer on one communicator, by tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traffic {
    /// The other rank, in the world.
    pub peer: i32,
    pub comm: CommId,
    pub tags: Vec<TagRun>,
}

impl Traffic {
    /// How many messages with `tag` (every tag, for `None`).
    pub fn count(&self, tag: Option<i32>) -> u64 {
        self.tags
            .iter()
            .filter(|run| tag.map_or(true, |t| run.first <= t && t <= run.last))
            .map(|run| match tag {
                Some(_) => run.count,
                None => run.count * (run.last as i64 - run.first as i64 + 1) as u64,
            })
            .sum()
    }
}

/// Runs of equal counts over consecutive tags, from counts by tag in order.
pub fn tag_runs(counts: impl IntoIterator<Item = (i32, u64)>) -> Vec<TagRun> {
    let mut runs: Vec<TagRun> = Vec::new();
    for (tag, count) in counts {
        match runs.last_mut() {
            Some(run) if run.count == count && run.last.checked_add(1) == Some(tag) => run.last = tag,
            _ => runs.push(TagRun { first: tag, last: tag, count }),
        }
    }
    runs
}

/// A rank's answer to "what are you doing?".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The rank (in `MPI_COMM_WORLD`).
    pub rank: i32,
    /// Its host.
    pub host: String,
    /// What it is doing.
    pub state: State,
    /// How many MPI calls it has completed: a rank whose count changed
    /// between two questions has moved on.
    pub progress: u64,
    /// Messages it has sent (counted when posted), by receiver.
    pub sent: Vec<Traffic>,
    /// Messages it has received (counted when complete), by sender.
    pub received: Vec<Traffic>,
    /// How many collectives it has entered, by communicator.
    pub collectives: Vec<(CommId, u64)>,
    /// Every communicator its blocked calls name.
    pub comms: Vec<Comm>,
}

impl Report {
    /// A report of `state` with nothing sent, received or entered yet.
    pub fn new(rank: i32, host: impl Into<String>, state: State) -> Report {
        Report {
            rank,
            host: host.into(),
            state,
            progress: 0,
            sent: Vec::new(),
            received: Vec::new(),
            collectives: Vec::new(),
            comms: Vec::new(),
        }
    }

    /// Its blocked calls, one per blocked thread (none unless blocked).
    pub fn blocked(&self) -> &[Blocked] {
        match &self.state {
            State::Blocked(calls) => calls,
            _ => &[],
        }
    }

    /// How many collectives it has entered on `comm`.
    pub fn entered(&self, comm: CommId) -> u64 {
        self.collectives.iter().find(|(c, _)| *c == comm).map_or(0, |(_, n)| *n)
    }

    /// Messages it sent `to` on `comm` with `tag`.
    pub fn sent_to(&self, to: i32, comm: CommId, tag: Option<i32>) -> u64 {
        self.sent.iter().filter(|t| t.peer == to && t.comm == comm).map(|t| t.count(tag)).sum()
    }

    /// The communicator `id`, if its blocked calls name it.
    pub fn comm(&self, id: CommId) -> Option<&Comm> {
        self.comms.iter().find(|c| c.id == id)
    }
}

/// Every rank's answer, by rank; a rank that did not answer is absent.
pub type Reports = BTreeMap<i32, Report>;

/// The job as the watch sees it: the answers, and how many ranks it has.
pub struct Job<'a> {
    pub reports: &'a Reports,
    pub size: i32,
}

impl Job<'_> {
    fn state(&self, rank: i32) -> Option<&State> {
        self.reports.get(&rank).map(|r| &r.state)
    }

    pub fn finished(&self, rank: i32) -> bool {
        matches!(self.state(rank), Some(State::Finished))
    }

    /// The members of communicator `comm`, from whichever report names it.
    pub fn members(&self, comm: CommId) -> Vec<i32> {
        if comm == WORLD {
            return (0..self.size).collect();
        }
        self.reports.values().find_map(|r| r.comm(comm)).map(|c| c.members.clone()).unwrap_or_default()
    }

    /// A message `from` sent `to` that `to` has not received yet, which a
    /// receive with `tag` on `comm` could match.
    pub fn pending(&self, from: i32, to: i32, comm: CommId, tag: Option<i32>) -> bool {
        let (Some(sender), Some(receiver)) = (self.reports.get(&from), self.reports.get(&to)) else { return false };
        let received = |tag: i32| {
            receiver
                .received
                .iter()
                .filter(|t| t.peer == from && t.comm == comm)
                .map(|t| t.count(Some(tag)))
                .sum::<u64>()
        };
        sender.sent.iter().filter(|t| t.peer == to && t.comm == comm).any(|traffic| {
            traffic.tags.iter().any(|run| {
                // Within a run every tag was sent `count` times: compare each
                // tag the receive could match (bounded: a run this long is
                // compared at its ends and at the tag asked for).
                let tags: Vec<i32> = match tag {
                    Some(t) if run.first <= t && t <= run.last => vec![t],
                    Some(_) => Vec::new(),
                    None if run.last - run.first < 64 => (run.first..=run.last).collect(),
                    None => vec![run.first, run.last],
                };
                tags.into_iter().any(|t| run.count > received(t))
            })
        })
    }

    /// Can `op` of `waiter` complete, with the ranks `free` says can act?
    fn releasable(&self, waiter: i32, op: &Op, free: &dyn Fn(i32) -> bool) -> bool {
        match &op.what {
            What::Recv { from: Some(from), tag, comm } => {
                self.pending(*from, waiter, *comm, *tag) || (*from != waiter && free(*from))
            }
            What::Recv { from: None, tag, comm } => self
                .members(*comm)
                .into_iter()
                .any(|m| self.pending(m, waiter, *comm, *tag) || (m != waiter && free(m))),
            What::Send { to, .. } => *to != waiter && free(*to),
            What::Collective { comm, seq } => self
                .members(*comm)
                .into_iter()
                .filter(|&m| m != waiter)
                .filter(|&m| self.reports.get(&m).map_or(true, |r| r.entered(*comm) < *seq))
                .all(free),
            What::Unknown => true,
        }
    }

    /// Can this blocked call be released, with the ranks `free` says can act?
    pub fn call_releasable(&self, waiter: i32, call: &Blocked, free: &dyn Fn(i32) -> bool) -> bool {
        let mut each = call.ops.iter().map(|op| self.releasable(waiter, op, free));
        if call.ops.is_empty() {
            true
        } else if call.any {
            each.any(|ok| ok)
        } else {
            each.all(|ok| ok)
        }
    }
}

/// The ranks that can never be released: blocked, and every way out of
/// their calls leads to a finished rank or to another rank of the set.
pub fn stuck(job: &Job) -> BTreeSet<i32> {
    // Ranks that can act: running, or silent (no report).
    let mut can_act: BTreeSet<i32> =
        (0..job.size).filter(|r| !matches!(job.state(*r), Some(State::Blocked(_)) | Some(State::Finished))).collect();
    loop {
        let released: Vec<i32> = job
            .reports
            .values()
            .filter(|r| !can_act.contains(&r.rank))
            .filter(|r| {
                let free = |rank: i32| can_act.contains(&rank);
                r.blocked().iter().any(|call| job.call_releasable(r.rank, call, &free))
            })
            .map(|r| r.rank)
            .collect();
        if released.is_empty() {
            break;
        }
        can_act.extend(released);
    }
    job.reports
        .values()
        .filter(|r| matches!(r.state, State::Blocked(_)) && !can_act.contains(&r.rank))
        .map(|r| r.rank)
        .collect()
}

/// The ranks an operation of `waiter` waits on that are themselves in
/// `set` or finished: where its wait leads.
pub fn targets(job: &Job, waiter: i32, op: &Op, set: &BTreeSet<i32>) -> Vec<i32> {
    let counts = |r: i32| set.contains(&r) || job.finished(r);
    match &op.what {
        What::Recv { from: Some(from), .. } => vec![*from].into_iter().filter(|&r| counts(r)).collect(),
        What::Recv { from: None, comm, .. } => {
            job.members(*comm).into_iter().filter(|&m| m != waiter && counts(m)).collect()
        }
        What::Send { to, .. } => vec![*to].into_iter().filter(|&r| counts(r)).collect(),
        What::Collective { comm, seq } => job
            .members(*comm)
            .into_iter()
            .filter(|&m| m != waiter && counts(m))
            .filter(|m| job.reports.get(m).is_some_and(|r| r.entered(*comm) < *seq))
            .collect(),
        What::Unknown => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_runs_fold_consecutive_tags_with_equal_counts() {
        let runs = tag_runs((0..100_000).map(|t| (t, 1)).chain([(100_001, 2), (100_002, 2), (100_005, 2)]));
        assert_eq!(
            runs,
            [
                TagRun { first: 0, last: 99_999, count: 1 },
                TagRun { first: 100_001, last: 100_002, count: 2 },
                TagRun { first: 100_005, last: 100_005, count: 2 }
            ]
        );
        let t = Traffic { peer: 1, comm: WORLD, tags: runs };
        assert_eq!(t.count(Some(5)), 1);
        assert_eq!(t.count(Some(100_000)), 0);
        assert_eq!(t.count(None), 100_000 + 6);
    }
}
