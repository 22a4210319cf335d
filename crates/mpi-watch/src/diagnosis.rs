//! Why a job hangs, in words, from the wait-for model ([`crate::waitfor`]).
//!
//! Two kinds of text come out of the ranks' reports:
//!
//! - a **verdict** ([`verdict`]), when some ranks can never be released:
//!   `deadlock: rank 0 waits for rank 2 (MPI_Waitall (MPI_Irecv), tag 0),
//!   rank 2 waits for rank 1 (MPI_Recv, tag 5), rank 1 waits for rank 0
//!   (MPI_Recv, tag 1)` for a cycle (or a knot), or `stuck: rank 1 waits for
//!   rank 0 (MPI_Recv, tag 5); rank 0 has finished, having sent rank 1 only
//!   tag 3 (1 message), never tag 5` where the waits end at finished ranks.
//!   The lowest rank of the stuck set says it, and the job ends.
//! - a **note** ([`waiting`]), when a rank has been blocked past the limit
//!   but can still be released by ranks that run, or that do not answer:
//!   `waiting: rank 1 waits for rank 0 (MPI_Recv, tag 7); rank 0 is running
//!   ...`. The job goes on: it may be a slow phase, not a bug.
//!
//! Every text is bounded: a few clauses per rank at most, tags summarised
//! as runs ("tags 0 to 99999, 1 message each").

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::waitfor::{self, Blocked, Job, Op, Report, State, Traffic, What, WORLD};

/// At most this many clauses in a text before "and N more".
const MOST_CLAUSES: usize = 24;
/// At most this many runs of tags listed in one clause.
const MOST_RUNS: usize = 4;

fn comm_name(job: &Job, comm: u64) -> String {
    if comm == WORLD {
        return "MPI_COMM_WORLD".to_owned();
    }
    job.reports.values().find_map(|r| r.comm(comm)).map_or_else(|| format!("communicator {comm:x}"), |c| c.name.clone())
}

/// `(MPI_Waitall (MPI_Irecv) on NAME, tag 0)`: the call, the communicator
/// (unless the world) and the tag.
fn detail(job: &Job, call: &Blocked, op: &Op) -> String {
    let name = if call.call == op.call { op.call.clone() } else { format!("{} ({})", call.call, op.call) };
    let on = |comm: u64| if comm == WORLD { String::new() } else { format!(" on {}", comm_name(job, comm)) };
    match &op.what {
        What::Recv { tag, comm, .. } => {
            let tag = tag.map_or_else(|| "any tag".to_owned(), |t| format!("tag {t}"));
            format!("({name}{}, {tag})", on(*comm))
        }
        What::Send { tag, comm, .. } => format!("({name}{}, tag {tag})", on(*comm)),
        What::Collective { comm, seq } => {
            format!("({name} on {}, collective {seq} there)", comm_name(job, *comm))
        }
        What::Unknown => format!("({name})"),
    }
}

/// Whom `op` waits for: "rank 1", "any rank", "ranks 0, 4" (the members
/// of a collective that have not entered it, from `targets`).
fn whom(op: &Op, targets: &[i32]) -> String {
    match &op.what {
        What::Recv { from: None, comm, .. } if *comm == WORLD => "any rank".to_owned(),
        What::Recv { from: None, .. } => "any rank of it".to_owned(),
        What::Recv { from: Some(from), .. } => format!("rank {from}"),
        What::Send { to, .. } => format!("rank {to}"),
        What::Collective { .. } => match targets {
            [] => "the other ranks".to_owned(),
            [one] => format!("rank {one}"),
            many => {
                let mut list: Vec<String> = many.iter().take(8).map(i32::to_string).collect();
                if many.len() > 8 {
                    list.push(format!("and {} more", many.len() - 8));
                }
                format!("ranks {}", list.join(", "))
            }
        },
        What::Unknown => "a request the watch cannot follow".to_owned(),
    }
}

/// `rank 0 waits for rank 1 (MPI_Recv, tag 0)`; for an OR call with
/// several operations, `rank 0 waits for one of: rank 1 (...), rank 2 (...)`.
fn clause(job: &Job, rank: i32, call: &Blocked, op: &Op, targets: &[i32]) -> String {
    if call.any && call.ops.len() > 1 {
        let mut alternatives: Vec<String> =
            call.ops.iter().take(MOST_RUNS).map(|o| format!("{} {}", whom(o, &[]), detail(job, call, o))).collect();
        if call.ops.len() > MOST_RUNS {
            alternatives.push(format!("and {} more", call.ops.len() - MOST_RUNS));
        }
        return format!("rank {rank} waits for one of: {}", alternatives.join(", "));
    }
    format!("rank {rank} waits for {} {}", whom(op, targets), detail(job, call, op))
}

/// "tag 3 (1 message)", "tags 0 to 99999 (1 message each)", at most a few runs.
fn tags_text(traffic: &[&Traffic]) -> String {
    let runs: Vec<_> = traffic.iter().flat_map(|t| t.tags.iter()).collect();
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut parts: Vec<String> = runs
        .iter()
        .take(MOST_RUNS)
        .map(|run| {
            if run.first == run.last {
                format!("tag {} ({} message{})", run.first, run.count, plural(run.count))
            } else {
                format!("tags {} to {} ({} message{} each)", run.first, run.last, run.count, plural(run.count))
            }
        })
        .collect();
    if runs.len() > MOST_RUNS {
        parts.push(format!("and {} more runs of tags", runs.len() - MOST_RUNS));
    }
    parts.join(", ")
}

/// Tags of `traffic` (from `from`) that `receiver` has not received, with
/// how many of each are missing; long runs are looked at their ends.
fn unreceived(traffic: &[&Traffic], from: i32, receiver: Option<&Report>) -> Vec<(i32, u64)> {
    let received = |comm: u64, tag: i32| {
        receiver.map_or(0, |r| {
            r.received.iter().filter(|t| t.peer == from && t.comm == comm).map(|t| t.count(Some(tag))).sum()
        })
    };
    let mut out = Vec::new();
    for t in traffic {
        for run in &t.tags {
            let tags: Vec<i32> =
                if run.last - run.first < 64 { (run.first..=run.last).collect() } else { vec![run.first, run.last] };
            for tag in tags {
                let missing = run.count.saturating_sub(received(t.comm, tag));
                if missing > 0 {
                    out.push((tag, missing));
                }
            }
        }
    }
    out
}

/// What `from` sent `to` on the communicator of `op`, against the tag it
/// waits for and what `to` received: "nothing", "only tag 3 (1 message),
/// never tag 5", "tag 2 (4 messages), all received", "tag 2 (4 messages),
/// tag 3 (1 message), of which rank 2 has not received tag 3 (1 message)".
fn sent_text(from: &Report, to: i32, op: &Op, receiver: Option<&Report>) -> String {
    let (tag, comm) = match op.what {
        What::Recv { tag, comm, .. } => (tag, comm),
        _ => (None, WORLD),
    };
    let traffic: Vec<&Traffic> = from.sent.iter().filter(|t| t.peer == to && t.comm == comm).collect();
    if traffic.is_empty() {
        return "nothing".to_owned();
    }
    if let Some(tag) = tag.filter(|&t| traffic.iter().all(|x| x.count(Some(t)) == 0)) {
        return format!("only {}, never tag {tag}", tags_text(&traffic));
    }
    let missing = unreceived(&traffic, from.rank, receiver);
    if missing.is_empty() {
        return format!("{}, all received", tags_text(&traffic));
    }
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let list: Vec<String> =
        missing.iter().take(MOST_RUNS).map(|(t, n)| format!("tag {t} ({n} message{})", plural(*n))).collect();
    format!("{}, of which rank {to} has not received {}", tags_text(&traffic), list.join(", "))
}

/// "rank 0 has not received rank 1's message with tag 1 (1 message)":
/// what `waiter` sent `peer` that `peer` has not taken, on any communicator.
fn left_with(job: &Job, waiter: i32, peer: i32) -> Option<String> {
    let sender = job.reports.get(&waiter)?;
    let traffic: Vec<&Traffic> = sender.sent.iter().filter(|t| t.peer == peer).collect();
    let missing = unreceived(&traffic, waiter, job.reports.get(&peer));
    if missing.is_empty() || !job.reports.contains_key(&peer) {
        return None;
    }
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let total: u64 = missing.iter().map(|(_, n)| n).sum();
    let list: Vec<String> =
        missing.iter().take(MOST_RUNS).map(|(t, n)| format!("tag {t} ({n} message{})", plural(*n))).collect();
    Some(format!("rank {peer} has not received rank {waiter}'s message{} with {}", plural(total), list.join(", ")))
}

/// Messages sent to `rank` that it has not received and that its receive
/// `op` does not match, but for one thing: the tag, the source or the
/// communicator. At most a few, each as a clause.
fn near_misses(job: &Job, rank: i32, op: &Op) -> Vec<String> {
    let What::Recv { from, tag, comm } = op.what else { return Vec::new() };
    let Some(receiver) = job.reports.get(&rank) else { return Vec::new() };
    let mut out = Vec::new();
    for sender in job.reports.values() {
        for traffic in sender.sent.iter().filter(|t| t.peer == rank) {
            let received = receiver.received.iter().find(|t| t.peer == sender.rank && t.comm == traffic.comm);
            let unreceived: Vec<i32> = traffic
                .tags
                .iter()
                .flat_map(|run| [run.first, run.last].into_iter().map(move |t| (t, run.count)))
                .filter(|&(t, count)| count > received.map_or(0, |r| r.count(Some(t))))
                .map(|(t, _)| t)
                .collect();
            let Some(&other_tag) = unreceived.first() else { continue };
            let same_source = from.map_or(true, |f| f == sender.rank);
            let same_comm = traffic.comm == comm;
            let same_tag = tag.map_or(true, |t| unreceived.contains(&t));
            let finished = sender.state == State::Finished;
            let but = match (same_source, same_comm, same_tag) {
                // A finished sender's clause already says which tags it sent.
                (true, true, false) if !finished => format!("it waits for tag {}", tag.unwrap_or(other_tag)),
                (true, false, true) => format!("it waits on {}", comm_name(job, comm)),
                (false, true, true) => format!("it waits for rank {}", from.unwrap_or(-1)),
                _ => continue,
            };
            let on = if same_comm { String::new() } else { format!(" on {}", comm_name(job, traffic.comm)) };
            out.push(format!(
                "rank {} sent rank {rank} a message with tag {other_tag}{on}, which rank {rank} has not received: {but}",
                sender.rank
            ));
        }
    }
    out.truncate(3);
    out
}

/// The ops of a stuck rank that keep it stuck, with their call: for an AND
/// call those that cannot complete, for an OR call all of them.
fn blocking_ops<'a>(job: &Job, report: &'a Report, set: &BTreeSet<i32>) -> Vec<(&'a Blocked, &'a Op)> {
    let free = |r: i32| !set.contains(&r) && !job.finished(r);
    let mut out = Vec::new();
    for call in report.blocked() {
        for op in &call.ops {
            let alone = Blocked { call: call.call.clone(), any: false, ops: vec![op.clone()], seconds: 0.0 };
            if call.any || !job.call_releasable(report.rank, &alone, &free) {
                out.push((call, op));
            }
        }
    }
    out
}

/// A cycle among the stuck ranks, as (rank, call, op, next rank), from its lowest rank.
fn find_cycle<'a>(job: &Job<'a>, set: &BTreeSet<i32>) -> Option<Vec<(i32, &'a Blocked, &'a Op, i32)>> {
    type Step<'b> = (i32, &'b Blocked, &'b Op, i32);
    fn visit<'b>(
        job: &Job<'b>,
        set: &BTreeSet<i32>,
        rank: i32,
        path: &mut Vec<Step<'b>>,
        done: &mut BTreeSet<i32>,
    ) -> Option<Vec<Step<'b>>> {
        if let Some(at) = path.iter().position(|s| s.0 == rank) {
            return Some(path[at..].to_vec());
        }
        if !done.insert(rank) {
            return None;
        }
        let report = job.reports.get(&rank)?;
        for (call, op) in blocking_ops(job, report, set) {
            for next in waitfor::targets(job, rank, op, set).into_iter().filter(|n| set.contains(n)) {
                path.push((rank, call, op, next));
                if let Some(cycle) = visit(job, set, next, path, done) {
                    return Some(cycle);
                }
                path.pop();
            }
        }
        None
    }
    let mut done = BTreeSet::new();
    for &start in set {
        if let Some(mut cycle) = visit(job, set, start, &mut Vec::new(), &mut done) {
            let lowest = (0..cycle.len()).min_by_key(|&i| cycle[i].0).unwrap_or(0);
            cycle.rotate_left(lowest);
            return Some(cycle);
        }
    }
    None
}

/// What a finished rank did, for a rank that waits on it.
fn finished_clause(job: &Job, finished: i32, waiter: i32, op: &Op) -> String {
    let Some(report) = job.reports.get(&finished) else { return format!("rank {finished} has finished") };
    match op.what {
        What::Recv { .. } => {
            let text = sent_text(report, waiter, op, job.reports.get(&waiter));
            format!("rank {finished} has finished, having sent rank {waiter} {text}")
        }
        What::Collective { .. } => format!("rank {finished} has finished without entering it"),
        _ => format!("rank {finished} has finished"),
    }
}

/// The verdict on the ranks that can never be released, or `None` when
/// every blocked rank can still be released.
pub fn verdict(job: &Job) -> Option<String> {
    let set = waitfor::stuck(job);
    if set.is_empty() {
        return None;
    }
    let mut clauses: Vec<String> = Vec::new();
    let mut told: BTreeSet<i32> = BTreeSet::new();
    let cycle = find_cycle(job, &set);
    let mut text = String::new();
    if let Some(cycle) = &cycle {
        let mut notes = Vec::new();
        let parts: Vec<String> = cycle
            .iter()
            .map(|&(rank, call, op, next)| {
                told.insert(rank);
                notes.extend(near_misses(job, rank, op));
                let mut targets = waitfor::targets(job, rank, op, &set);
                if targets.is_empty() {
                    targets.push(next);
                }
                clause(job, rank, call, op, &targets)
            })
            .collect();
        text.push_str("deadlock: ");
        text.push_str(&parts.join(", "));
        clauses.extend(notes);
    } else {
        text.push_str("stuck: ");
    }
    // The other stuck ranks, each followed to where its waits lead: first
    // those no other stuck rank waits for (the ends of chains).
    let waited_on: BTreeSet<i32> = set
        .iter()
        .filter_map(|r| job.reports.get(r))
        .flat_map(|report| {
            blocking_ops(job, report, &set).into_iter().flat_map(|(_, op)| waitfor::targets(job, report.rank, op, &set))
        })
        .collect();
    let order: Vec<i32> = set.iter().copied().filter(|r| !waited_on.contains(r)).chain(set.iter().copied()).collect();
    for start in order {
        let mut rank = start;
        while told.insert(rank) {
            let Some(report) = job.reports.get(&rank) else { break };
            let ops = blocking_ops(job, report, &set);
            let Some(&(call, op)) = ops.first() else { break };
            let targets = waitfor::targets(job, rank, op, &set);
            clauses.push(clause(job, rank, call, op, &targets));
            clauses.extend(near_misses(job, rank, op));
            let finished: Vec<i32> = targets.iter().copied().filter(|&t| job.finished(t)).collect();
            let everyone = matches!(op.what, What::Recv { from: None, .. })
                && job.members(comm_of(op)).iter().all(|&m| m == rank || job.finished(m));
            if everyone && finished.len() > 1 {
                clauses.push("every other rank has finished".to_owned());
            } else {
                for &f in &finished {
                    clauses.push(finished_clause(job, f, rank, op));
                    clauses.extend(left_with(job, rank, f));
                }
            }
            match targets.iter().find(|t| set.contains(t) && !told.contains(t)) {
                Some(&next) => rank = next,
                None => break,
            }
        }
    }
    let more = clauses.len().saturating_sub(MOST_CLAUSES);
    clauses.truncate(MOST_CLAUSES);
    if more > 0 {
        clauses.push(format!("and {more} more"));
    }
    if cycle.is_some() && !clauses.is_empty() {
        text.push_str("; ");
    }
    text.push_str(&clauses.join("; "));
    Some(text)
}

fn comm_of(op: &Op) -> u64 {
    match op.what {
        What::Recv { comm, .. } | What::Send { comm, .. } | What::Collective { comm, .. } => comm,
        What::Unknown => WORLD,
    }
}

/// Does this rank speak for the stuck set (its lowest rank)?
pub fn speaks(job: &Job, rank: i32) -> bool {
    waitfor::stuck(job).first() == Some(&rank)
}

fn silent(rank: i32, hosts: &[String]) -> String {
    let host = hosts.get(rank as usize).map_or("an unknown host", String::as_str);
    format!(
        "rank {rank} on {host} does not answer: it computes outside MPI, is in a call the watch does not \
         follow, or its host is unreachable"
    )
}

/// The ranks that `me`'s blocked calls wait for and that did not answer.
pub fn silent_peers(job: &Job, me: i32) -> Vec<i32> {
    let Some(report) = job.reports.get(&me) else { return Vec::new() };
    let mut out: Vec<i32> = report
        .blocked()
        .iter()
        .flat_map(|call| call.ops.iter())
        .flat_map(|op| match &op.what {
            What::Recv { from: Some(p), .. } | What::Send { to: p, .. } => vec![*p],
            What::Recv { from: None, comm, .. } => job.members(*comm),
            What::Collective { comm, seq } => job
                .members(*comm)
                .into_iter()
                .filter(|m| job.reports.get(m).map_or(true, |r| r.entered(*comm) < *seq))
                .collect(),
            What::Unknown => Vec::new(),
        })
        .filter(|&r| r != me && job.reports.get(&r).map_or(true, |r| matches!(r.state, State::Unfollowed { .. })))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The verdict when a rank waited for has been silent longer than the
/// limit on silence: taken as lost.
pub fn lost(job: &Job, me: i32, silent: i32, seconds: f64, hosts: &[String]) -> String {
    let host = hosts.get(silent as usize).map_or("an unknown host", String::as_str);
    let waits: Vec<String> = job
        .reports
        .get(&me)
        .map(|r| {
            r.blocked().iter().flat_map(|call| call.ops.iter().map(move |op| clause(job, me, call, op, &[]))).collect()
        })
        .unwrap_or_default();
    let why = match job.reports.get(&silent).map(|r| &r.state) {
        Some(State::Unfollowed { call, .. }) => format!(
            "rank {silent} on {host} has been in {call}, which the watch does not follow, for {seconds:.0} s, \
             longer than --watch-silence allows"
        ),
        _ => format!(
            "rank {silent} on {host} has not answered for {seconds:.0} s, longer than --watch-silence allows: its \
             host is unreachable, or it computes outside MPI for longer than that"
        ),
    };
    format!("lost: {}; {why}", waits.join("; "))
}

/// The note of a rank blocked past the limit that can still be released:
/// what it waits for, and what those ranks do.
pub fn waiting(job: &Job, me: i32, hosts: &[String]) -> String {
    let mut clauses = Vec::new();
    let Some(report) = job.reports.get(&me) else { return format!("waiting: rank {me}") };
    let mut peers = std::collections::BTreeMap::new();
    for call in report.blocked() {
        for op in call.ops.iter().take(MOST_RUNS) {
            clauses.push(clause(job, me, call, op, &[]));
            clauses.extend(near_misses(job, me, op));
            match op.what {
                What::Recv { from: Some(p), .. } | What::Send { to: p, .. } => {
                    peers.entry(p).or_insert_with(|| op.clone());
                }
                What::Collective { comm, seq } => {
                    for m in job.members(comm) {
                        if m != me && job.reports.get(&m).map_or(true, |r| r.entered(comm) < seq) {
                            peers.entry(m).or_insert_with(|| op.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        if call.ops.len() > MOST_RUNS {
            clauses.push(format!("and {} more operations", call.ops.len() - MOST_RUNS));
        }
    }
    for (peer, op) in peers.iter().take(MOST_RUNS) {
        let left = left_with(job, me, *peer);
        clauses.push(match job.reports.get(peer) {
            None => silent(*peer, hosts),
            Some(r) => match &r.state {
                State::Running => match op.what {
                    What::Recv { .. } => {
                        let text = sent_text(r, me, op, job.reports.get(&me));
                        format!("rank {peer} is running, and has sent rank {me} {text}")
                    }
                    _ => format!("rank {peer} is running"),
                },
                State::Finished => finished_clause(job, *peer, me, op),
                State::Unfollowed { call, seconds } => format!(
                    "rank {peer} has been in {call} for {seconds:.0} s, which the watch does not follow: it cannot \
                     tell whether that call waits for rank {me}"
                ),
                State::Blocked(calls) => {
                    let next = calls.first().and_then(|c| c.ops.first().map(|op| clause(job, *peer, c, op, &[])));
                    next.unwrap_or_else(|| format!("rank {peer} is blocked"))
                }
            },
        });
        clauses.extend(left);
    }
    let mut text = String::from("waiting: ");
    let _ = write!(text, "{}; not a deadlock as long as those ranks go on", clauses.join("; "));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waitfor::{tag_runs, Comm, Reports};

    fn hosts(n: usize) -> Vec<String> {
        (0..n).map(|r| format!("node{}", r / 3 + 1)).collect()
    }

    fn op(call: &str, what: What) -> Op {
        Op { call: call.into(), what }
    }

    fn recv(from: i32, tag: i32) -> What {
        What::Recv { from: Some(from), tag: Some(tag), comm: WORLD }
    }

    fn report(rank: i32, state: State) -> Report {
        Report::new(rank, "h", state)
    }

    fn blocked(rank: i32, call: &str, any: bool, ops: Vec<Op>) -> Report {
        report(rank, State::Blocked(vec![Blocked { call: call.into(), any, ops, seconds: 3.0 }]))
    }

    fn simple(rank: i32, call: &str, what: What) -> Report {
        blocked(rank, call, false, vec![op(call, what)])
    }

    fn sent(mut r: Report, to: i32, tags: &[(i32, u64)]) -> Report {
        r.sent.push(Traffic { peer: to, comm: WORLD, tags: tag_runs(tags.iter().copied()) });
        r
    }

    fn received(mut r: Report, from: i32, tags: &[(i32, u64)]) -> Report {
        r.received.push(Traffic { peer: from, comm: WORLD, tags: tag_runs(tags.iter().copied()) });
        r
    }

    fn all(reports: Vec<Report>) -> Reports {
        reports.into_iter().map(|r| (r.rank, r)).collect()
    }

    fn say(reports: &Reports, size: i32) -> Option<String> {
        verdict(&Job { reports, size })
    }

    #[test]
    fn two_ranks_receiving_first_are_a_deadlock() {
        let reports = all(vec![simple(0, "MPI_Recv", recv(1, 0)), simple(1, "MPI_Recv", recv(0, 0))]);
        assert_eq!(
            say(&reports, 2).unwrap(),
            "deadlock: rank 0 waits for rank 1 (MPI_Recv, tag 0), rank 1 waits for rank 0 (MPI_Recv, tag 0)"
        );
    }

    #[test]
    fn a_message_sent_and_not_yet_received_releases_its_receiver() {
        // Rank 1 sent rank 0 its message (counted when posted): rank 0 will
        // get it, whatever the moment of the answers.
        let reports =
            all(vec![simple(0, "MPI_Recv", recv(1, 0)), sent(simple(1, "MPI_Recv", recv(0, 0)), 0, &[(0, 1)])]);
        assert_eq!(say(&reports, 2), None);
        let reports = all(vec![
            received(simple(0, "MPI_Recv", recv(1, 0)), 1, &[(0, 1)]),
            sent(simple(1, "MPI_Recv", recv(0, 0)), 0, &[(0, 1)]),
        ]);
        assert!(say(&reports, 2).unwrap().starts_with("deadlock: rank 0 waits for rank 1"));
    }

    #[test]
    fn waitall_on_a_completed_isend_and_a_pending_irecv_names_the_real_cycle() {
        // Rank 0: Isend to 1 (complete, so not reported) and Irecv from 2,
        // then Waitall; rank 1 got that message and waits for tag 1 from 0;
        // rank 2 waits for tag 5 from 1.
        let r0 = sent(blocked(0, "MPI_Waitall", false, vec![op("MPI_Irecv", recv(2, 0))]), 1, &[(0, 1)]);
        let r1 = received(simple(1, "MPI_Recv", recv(0, 1)), 0, &[(0, 1)]);
        let r2 = simple(2, "MPI_Recv", recv(1, 5));
        assert_eq!(
            say(&all(vec![r0, r1, r2]), 3).unwrap(),
            "deadlock: rank 0 waits for rank 2 (MPI_Waitall (MPI_Irecv), tag 0), rank 2 waits for rank 1 \
             (MPI_Recv, tag 5), rank 1 waits for rank 0 (MPI_Recv, tag 1)"
        );
    }

    #[test]
    fn waitany_is_released_by_any_of_its_requests() {
        // Rank 0 waits for any of: a receive from 1 (stuck) or from 2 (running).
        let r0 = blocked(0, "MPI_Waitany", true, vec![op("MPI_Irecv", recv(1, 0)), op("MPI_Irecv", recv(2, 0))]);
        let r1 = simple(1, "MPI_Recv", recv(0, 0));
        let r2 = report(2, State::Running);
        assert_eq!(say(&all(vec![r0.clone(), r1.clone(), r2]), 3), None);
        let r2 = report(2, State::Finished);
        assert_eq!(
            say(&all(vec![r0, r1, r2]), 3).unwrap(),
            "deadlock: rank 0 waits for one of: rank 1 (MPI_Waitany (MPI_Irecv), tag 0), rank 2 (MPI_Waitany \
             (MPI_Irecv), tag 0), rank 1 waits for rank 0 (MPI_Recv, tag 0)"
        );
    }

    #[test]
    fn a_silent_or_running_rank_is_never_blamed() {
        let reports = all(vec![simple(1, "MPI_Recv", recv(0, 0))]);
        assert_eq!(say(&reports, 2), None);
        let reports = all(vec![report(0, State::Running), simple(1, "MPI_Recv", recv(0, 0))]);
        assert_eq!(say(&reports, 2), None);
        let note = waiting(&Job { reports: &reports, size: 2 }, 1, &hosts(2));
        assert_eq!(
            note,
            "waiting: rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 0 is running, and has sent rank 1 \
             nothing; not a deadlock as long as those ranks go on"
        );
        let reports = all(vec![simple(1, "MPI_Recv", recv(0, 0))]);
        assert!(waiting(&Job { reports: &reports, size: 2 }, 1, &hosts(2))
            .contains("rank 0 on node1 does not answer: it computes outside MPI"));
    }

    #[test]
    fn a_rank_in_a_call_the_watch_does_not_follow_is_named_never_blamed() {
        let fence = report(0, State::Unfollowed { call: "MPI_Win_fence".into(), seconds: 3.0 });
        let reports = all(vec![fence, simple(1, "MPI_Recv", recv(0, 0))]);
        let job = Job { reports: &reports, size: 2 };
        assert_eq!(verdict(&job), None);
        assert_eq!(
            waiting(&job, 1, &hosts(2)),
            "waiting: rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 0 has been in MPI_Win_fence for 3 s, which \
             the watch does not follow: it cannot tell whether that call waits for rank 1; not a deadlock as long \
             as those ranks go on"
        );
        assert_eq!(silent_peers(&job, 1), [0]);
        assert!(lost(&job, 1, 0, 9.0, &hosts(2)).ends_with(
            "rank 0 on node1 has been in MPI_Win_fence, which the watch does not follow, for 9 s, longer than \
             --watch-silence allows"
        ));
    }

    #[test]
    fn collectives_on_two_communicators_are_a_deadlock() {
        let dup = Comm { id: 7, name: "MPI_Comm_dup of MPI_COMM_WORLD".into(), members: vec![0, 1] };
        let mut r0 = simple(0, "MPI_Allreduce", What::Collective { comm: WORLD, seq: 1 });
        r0.collectives = vec![(WORLD, 1)];
        let mut r1 = simple(1, "MPI_Allreduce", What::Collective { comm: 7, seq: 1 });
        r1.collectives = vec![(7, 1)];
        r1.comms = vec![dup];
        assert_eq!(
            say(&all(vec![r0, r1]), 2).unwrap(),
            "deadlock: rank 0 waits for rank 1 (MPI_Allreduce on MPI_COMM_WORLD, collective 1 there), rank 1 \
             waits for rank 0 (MPI_Allreduce on MPI_Comm_dup of MPI_COMM_WORLD, collective 1 there)"
        );
    }

    #[test]
    fn a_collective_and_a_receive_are_a_deadlock() {
        let mut r0 = simple(0, "MPI_Allreduce", What::Collective { comm: WORLD, seq: 1 });
        r0.collectives = vec![(WORLD, 1)];
        let r1 = simple(1, "MPI_Recv", recv(0, 0));
        assert_eq!(
            say(&all(vec![r0, r1]), 2).unwrap(),
            "deadlock: rank 0 waits for rank 1 (MPI_Allreduce on MPI_COMM_WORLD, collective 1 there), rank 1 \
             waits for rank 0 (MPI_Recv, tag 0)"
        );
    }

    #[test]
    fn a_barrier_of_a_sub_communicator_waits_only_for_its_members() {
        let half = Comm { id: 9, name: "MPI_Comm_split of MPI_COMM_WORLD (ranks 0, 2)".into(), members: vec![0, 2] };
        let mut r0 = simple(0, "MPI_Barrier", What::Collective { comm: 9, seq: 1 });
        r0.collectives = vec![(9, 1)];
        r0.comms = vec![half];
        let r1 = report(1, State::Finished);
        let r2 = report(2, State::Finished);
        assert_eq!(
            say(&all(vec![r0.clone(), r1, r2]), 3).unwrap(),
            "stuck: rank 0 waits for rank 2 (MPI_Barrier on MPI_Comm_split of MPI_COMM_WORLD (ranks 0, 2), \
             collective 1 there); rank 2 has finished without entering it"
        );
        let r2 = report(2, State::Running);
        assert_eq!(say(&all(vec![r0, report(1, State::Finished), r2]), 3), None);
    }

    #[test]
    fn a_wait_on_a_finished_rank_names_what_it_sent() {
        let reports = all(vec![sent(report(0, State::Finished), 1, &[(3, 1)]), simple(1, "MPI_Recv", recv(0, 5))]);
        assert_eq!(
            say(&reports, 2).unwrap(),
            "stuck: rank 1 waits for rank 0 (MPI_Recv, tag 5); rank 0 has finished, having sent rank 1 only tag 3 \
             (1 message), never tag 5"
        );
        let nothing = all(vec![report(0, State::Finished), simple(1, "MPI_Recv", recv(0, 0))]);
        assert_eq!(
            say(&nothing, 2).unwrap(),
            "stuck: rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 0 has finished, having sent rank 1 nothing"
        );
    }

    #[test]
    fn a_message_that_would_match_but_for_its_tag_source_or_communicator_is_named() {
        let split = Comm { id: 5, name: "MPI_Comm_split of MPI_COMM_WORLD (ranks 0, 1)".into(), members: vec![0, 1] };
        // Rank 0 sent tag 3 and runs on into a receive from 1; rank 1 waits for tag 5.
        let r0 = sent(simple(0, "MPI_Recv", recv(1, 0)), 1, &[(3, 1)]);
        let r1 = simple(1, "MPI_Recv", recv(0, 5));
        assert_eq!(
            say(&all(vec![r0, r1.clone()]), 2).unwrap(),
            "deadlock: rank 0 waits for rank 1 (MPI_Recv, tag 0), rank 1 waits for rank 0 (MPI_Recv, tag 5); rank \
             0 sent rank 1 a message with tag 3, which rank 1 has not received: it waits for tag 5"
        );
        // The right tag, on the world, while rank 1 receives on a split.
        let r0 = sent(simple(0, "MPI_Recv", recv(1, 0)), 1, &[(5, 1)]);
        let mut r1 = simple(1, "MPI_Recv", What::Recv { from: Some(0), tag: Some(5), comm: 5 });
        r1.comms = vec![split];
        assert!(say(&all(vec![r0, r1]), 2).unwrap().ends_with(
            "rank 0 sent rank 1 a message with tag 5 on MPI_COMM_WORLD, which rank 1 has not received: it waits on \
             MPI_Comm_split of MPI_COMM_WORLD (ranks 0, 1)"
        ));
        // The right tag from the wrong rank.
        let r0 = simple(0, "MPI_Recv", recv(1, 0));
        let r2 = sent(report(2, State::Finished), 1, &[(5, 1)]);
        assert!(say(&all(vec![r0, simple(1, "MPI_Recv", recv(0, 5)), r2]), 3)
            .unwrap()
            .contains("rank 2 sent rank 1 a message with tag 5, which rank 1 has not received: it waits for rank 0"));
    }

    #[test]
    fn a_tag_per_step_is_summarised() {
        let tags: Vec<(i32, u64)> = (0..100_000).map(|t| (t, 1)).collect();
        let r0 = sent(report(0, State::Finished), 1, &tags);
        let r1 = received(simple(1, "MPI_Recv", recv(0, 100_000)), 0, &tags);
        let text = say(&all(vec![r0, r1]), 2).unwrap();
        assert_eq!(
            text,
            "stuck: rank 1 waits for rank 0 (MPI_Recv, tag 100000); rank 0 has finished, having sent rank 1 only \
             tags 0 to 99999 (1 message each), never tag 100000"
        );
    }

    #[test]
    fn a_finished_sender_names_the_messages_its_receiver_has_not_taken() {
        let r0 = sent(report(0, State::Finished), 2, &[(2, 4), (3, 1)]);
        let r2 = received(simple(2, "MPI_Recv", recv(0, 2)), 0, &[(2, 4)]);
        assert_eq!(
            say(&all(vec![r0, r2]), 3).unwrap(),
            "stuck: rank 2 waits for rank 0 (MPI_Recv, tag 2); rank 0 has finished, having sent rank 2 tag 2 (4 \
             messages), tag 3 (1 message), of which rank 2 has not received tag 3 (1 message)"
        );
    }

    #[test]
    fn a_chain_is_followed_to_its_end() {
        let reports = all(vec![
            report(0, State::Finished),
            simple(1, "MPI_Recv", recv(0, 0)),
            simple(2, "MPI_Wait", What::Recv { from: Some(1), tag: None, comm: WORLD }),
        ]);
        assert_eq!(
            say(&reports, 3).unwrap(),
            "stuck: rank 2 waits for rank 1 (MPI_Wait, any tag); rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 0 \
             has finished, having sent rank 1 nothing"
        );
    }

    #[test]
    fn any_source_waits_are_a_knot_only_if_every_sender_is_stuck() {
        let any = What::Recv { from: None, tag: Some(0), comm: WORLD };
        let stuck = all(vec![
            simple(0, "MPI_Recv", any.clone()),
            simple(1, "MPI_Recv", recv(0, 0)),
            simple(2, "MPI_Recv", recv(0, 0)),
        ]);
        assert!(say(&stuck, 3).unwrap().starts_with("deadlock: rank 0 waits for any rank (MPI_Recv, tag 0), rank 1"));
        let one_free =
            all(vec![simple(0, "MPI_Recv", any.clone()), simple(1, "MPI_Recv", recv(0, 0)), report(2, State::Running)]);
        assert_eq!(say(&one_free, 3), None);
        let alone = all(vec![
            simple(0, "MPI_Recv", What::Recv { from: None, tag: None, comm: WORLD }),
            report(1, State::Finished),
            report(2, State::Finished),
        ]);
        assert_eq!(
            say(&alone, 3).unwrap(),
            "stuck: rank 0 waits for any rank (MPI_Recv, any tag); every other rank has finished"
        );
    }

    #[test]
    fn a_thread_that_can_go_on_releases_its_rank() {
        let two = report(
            0,
            State::Blocked(vec![
                Blocked { call: "MPI_Recv".into(), any: false, ops: vec![op("MPI_Recv", recv(1, 0))], seconds: 3.0 },
                Blocked { call: "MPI_Recv".into(), any: false, ops: vec![op("MPI_Recv", recv(2, 0))], seconds: 3.0 },
            ]),
        );
        let reports = all(vec![two.clone(), simple(1, "MPI_Recv", recv(0, 0)), report(2, State::Running)]);
        assert_eq!(say(&reports, 3), None);
        let reports = all(vec![two, simple(1, "MPI_Recv", recv(0, 0)), report(2, State::Finished)]);
        assert!(say(&reports, 3).unwrap().starts_with("deadlock: rank 0 waits for rank 1 (MPI_Recv, tag 0), rank 1"));
    }

    #[test]
    fn the_lowest_stuck_rank_speaks() {
        let reports =
            all(vec![report(0, State::Running), simple(1, "MPI_Recv", recv(2, 0)), simple(2, "MPI_Recv", recv(1, 0))]);
        let job = Job { reports: &reports, size: 3 };
        assert!(speaks(&job, 1));
        assert!(!speaks(&job, 2));
        assert!(!speaks(&job, 0));
    }
}
