//! Why a job hangs, in one sentence.
//!
//! Under `scripts/mpirun --watch SECS`, a rank that stays blocked in one MPI
//! call longer than SECS asks every other rank what it is doing. Each
//! answers with a [`Report`]: blocked (in which call, waiting for whom, with
//! which tag), running, or finished, and which messages it has sent. A rank
//! whose host is cut off, or that computes without calling MPI, does not
//! answer. From the reports, [`diagnose`] finds:
//!
//! - a cycle of waits: `deadlock: rank 0 waits for rank 1 (MPI_Recv, tag 0),
//!   rank 1 waits for rank 0 (MPI_Recv, tag 0)`;
//! - else the chain of waits from the asking rank to where it ends: a rank
//!   that has finished, a rank that sent only other tags, a rank that is
//!   running, or a rank that does not answer (named with its host).
//!
//! Only one rank speaks for the job ([`defers`]): the lowest-numbered rank
//! blocked in a call other than `MPI_Finalize`, or, if none is, the lowest
//! that has finished.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::{Deserialize, Serialize};

/// Whom a blocked call waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Peer {
    /// One rank (in `MPI_COMM_WORLD`).
    Rank(i32),
    /// Any rank (`MPI_ANY_SOURCE`).
    Any,
    /// Every rank that has not reached the same collective (a barrier).
    Others,
}

/// One thing a blocked call waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wait {
    /// The call as a reader knows it: `MPI_Recv`, or `MPI_Wait (MPI_Irecv)`.
    pub call: String,
    /// Whom it waits for.
    pub peer: Peer,
    /// The tag it waits for; `None` for any tag, or for a barrier.
    pub tag: Option<i32>,
}

/// What a rank is doing when asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum State {
    /// In MPI, but not blocked: it makes progress.
    Running,
    /// Blocked in a call, for this many seconds so far.
    Blocked {
        /// What the call waits for (several for `MPI_Waitall`).
        waits: Vec<Wait>,
        /// How long it has been blocked.
        seconds: f64,
    },
    /// In `MPI_Finalize`, waiting for the others to finish.
    Finished,
}

/// Messages a rank has sent to one rank with one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// The receiver.
    pub to: i32,
    /// The tag.
    pub tag: i32,
    /// How many.
    pub count: u64,
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
    /// Every message it has sent, counted by receiver and tag.
    pub sent: Vec<Sent>,
}

impl Report {
    fn waits(&self) -> &[Wait] {
        match &self.state {
            State::Blocked { waits, .. } => waits,
            _ => &[],
        }
    }

    fn in_barrier(&self) -> bool {
        self.waits().iter().any(|w| w.peer == Peer::Others)
    }

    /// The order in which ranks get to speak for the job: lower first.
    fn precedence(&self) -> Option<(u8, i32)> {
        match self.state {
            State::Blocked { .. } => Some((0, self.rank)),
            State::Finished => Some((1, self.rank)),
            State::Running => None,
        }
    }
}

/// `rank 0 waits for rank 1 (MPI_Recv, tag 0)`.
pub fn describe_wait(rank: i32, wait: &Wait) -> String {
    let whom = match wait.peer {
        Peer::Rank(peer) => format!("waits for rank {peer}"),
        Peer::Any => "waits for any rank".to_owned(),
        Peer::Others => "waits for the other ranks".to_owned(),
    };
    let tag = match (wait.tag, &wait.peer) {
        (_, Peer::Others) => String::new(),
        (Some(tag), _) => format!(", tag {tag}"),
        (None, _) => ", any tag".to_owned(),
    };
    format!("rank {rank} {whom} ({}{tag})", wait.call)
}

/// The line a rank prints when it has been blocked longer than the limit:
/// `rank 1 on node2 has been blocked for 3 s in MPI_Recv, waiting for rank 0 (tag 0)`.
pub fn blocked_line(report: &Report, limit_seconds: f64) -> String {
    let waits: Vec<String> = report
        .waits()
        .iter()
        .map(|w| {
            let whom = match w.peer {
                Peer::Rank(peer) => format!("rank {peer}"),
                Peer::Any => "any rank".to_owned(),
                Peer::Others => "the other ranks".to_owned(),
            };
            match (w.tag, &w.peer) {
                (_, Peer::Others) => whom,
                (Some(tag), _) => format!("{whom} (tag {tag})"),
                (None, _) => format!("{whom} (any tag)"),
            }
        })
        .collect();
    let call = report.waits().first().map_or("MPI", |w| w.call.as_str());
    format!(
        "rank {} on {} has been blocked for {} s in {call}, waiting for {}",
        report.rank,
        report.host,
        limit_seconds,
        if waits.is_empty() { "nothing known".to_owned() } else { waits.join(" and ") }
    )
}

/// Should `me` leave the diagnosis to another rank that answered?
pub fn defers(me: &Report, answers: &BTreeMap<i32, Report>) -> bool {
    let Some(mine) = me.precedence() else { return true };
    answers.values().filter(|r| r.rank != me.rank).filter_map(Report::precedence).any(|theirs| theirs < mine)
}

/// The targets of `report`'s waits that are themselves blocked: the edges
/// of the wait-for graph. A wait for any rank counts only when every rank
/// it could come from is blocked (or finished and so will never send).
fn edges(report: &Report, reports: &BTreeMap<i32, Report>) -> Vec<(usize, i32)> {
    let blocked = |rank: i32| matches!(reports.get(&rank).map(|r| &r.state), Some(State::Blocked { .. }));
    let mut out = Vec::new();
    for (index, wait) in report.waits().iter().enumerate() {
        match wait.peer {
            Peer::Rank(peer) if blocked(peer) => out.push((index, peer)),
            Peer::Rank(_) => {}
            Peer::Any => {
                let alive: Vec<i32> = reports
                    .values()
                    .filter(|r| r.rank != report.rank && r.state != State::Finished)
                    .map(|r| r.rank)
                    .collect();
                let everyone_answered = reports.len() == reports.keys().max().map_or(0, |m| *m as usize + 1);
                if everyone_answered && alive.iter().all(|&r| blocked(r)) {
                    out.extend(alive.into_iter().map(|r| (index, r)));
                }
            }
            Peer::Others => out.extend(
                reports
                    .values()
                    .filter(|r| r.rank != report.rank && blocked(r.rank) && !r.in_barrier())
                    .map(|r| (index, r.rank)),
            ),
        }
    }
    out
}

/// A cycle in the wait-for graph, as (rank, index of the wait that points
/// to the next rank), starting at its lowest rank.
fn find_cycle(reports: &BTreeMap<i32, Report>) -> Option<Vec<(i32, usize)>> {
    fn visit(
        rank: i32,
        reports: &BTreeMap<i32, Report>,
        path: &mut Vec<(i32, usize)>,
        done: &mut BTreeSet<i32>,
    ) -> Option<Vec<(i32, usize)>> {
        if let Some(at) = path.iter().position(|(r, _)| *r == rank) {
            return Some(path[at..].to_vec());
        }
        if !done.insert(rank) {
            return None;
        }
        for (index, next) in edges(&reports[&rank], reports) {
            path.push((rank, index));
            if let Some(cycle) = visit(next, reports, path, done) {
                return Some(cycle);
            }
            path.pop();
        }
        None
    }
    let mut done = BTreeSet::new();
    for &start in reports.keys() {
        let mut path = Vec::new();
        if let Some(mut cycle) = visit(start, reports, &mut path, &mut done) {
            let lowest = (0..cycle.len()).min_by_key(|&i| cycle[i].0).unwrap_or(0);
            cycle.rotate_left(lowest);
            return Some(cycle);
        }
    }
    None
}

/// What rank `from` sent rank `to`, against the tag `to` waits for:
/// "nothing", "only tag 3 (1 message), never tag 5", or "2 messages with tag
/// 0, all received before".
fn sent_to(from: &Report, to: i32, wait: &Wait) -> String {
    let sent: Vec<&Sent> = from.sent.iter().filter(|s| s.to == to).collect();
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    if sent.is_empty() {
        return "nothing".to_owned();
    }
    match wait.tag {
        Some(tag) if !sent.iter().any(|s| s.tag == tag) => {
            let list: Vec<String> =
                sent.iter().map(|s| format!("tag {} ({} message{})", s.tag, s.count, plural(s.count))).collect();
            format!("only {}, never tag {tag}", list.join(", "))
        }
        _ => {
            let list: Vec<String> =
                sent.iter().map(|s| format!("{} message{} with tag {}", s.count, plural(s.count), s.tag)).collect();
            format!("{}, all received before", list.join(", "))
        }
    }
}

/// "rank 0 sent rank 1 only tag 3 (1 message), never tag 5", when `from`
/// sent `to` messages but none with the tag `to` waits for.
fn other_tags_note(from: Option<&Report>, to: i32, wait: &Wait) -> Option<String> {
    let from = from?;
    let tag = wait.tag?;
    let sent = from.sent.iter().filter(|s| s.to == to).collect::<Vec<_>>();
    if sent.is_empty() || sent.iter().any(|s| s.tag == tag) {
        return None;
    }
    Some(format!("rank {} sent rank {to} {}", from.rank, sent_to(from, to, wait)))
}

fn silent(rank: i32, hosts: &[String]) -> String {
    let host = hosts.get(rank as usize).map_or("an unknown host", String::as_str);
    format!("rank {rank} on {host} does not answer: its host is unreachable, or it is busy outside MPI")
}

/// The one sentence for a hung job, said by rank `me`. `reports` holds
/// every rank that answered, `me` included; `hosts[r]` is rank r's host.
pub fn diagnose(me: i32, reports: &BTreeMap<i32, Report>, hosts: &[String]) -> String {
    if let Some(cycle) = find_cycle(reports) {
        let mut text = String::from("deadlock: ");
        let mut notes = Vec::new();
        for (i, (rank, index)) in cycle.iter().enumerate() {
            let wait = &reports[rank].waits()[*index];
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&describe_wait(*rank, wait));
            if let Peer::Rank(peer) = wait.peer {
                notes.extend(other_tags_note(reports.get(&peer), *rank, wait));
            }
        }
        for note in notes {
            let _ = write!(text, "; {note}");
        }
        return text;
    }

    let mut parts = Vec::new();
    let mut seen = BTreeSet::new();
    let mut current = me;
    while seen.insert(current) {
        let Some(report) = reports.get(&current) else {
            parts.push(silent(current, hosts));
            break;
        };
        match &report.state {
            State::Finished => {
                let waiting_for: Vec<i32> = (0..hosts.len() as i32)
                    .filter(|r| !matches!(reports.get(r).map(|x| &x.state), Some(State::Finished)))
                    .collect();
                let list: Vec<String> = waiting_for.iter().map(|r| r.to_string()).collect();
                parts.push(format!(
                    "rank {current} has finished and waits in MPI_Finalize for rank(s) {}",
                    list.join(", ")
                ));
                match waiting_for.first() {
                    Some(&next) => current = next,
                    None => break,
                }
            }
            State::Running => {
                parts.push(format!("rank {current} is running, not blocked in MPI"));
                break;
            }
            State::Blocked { waits, .. } => {
                let Some(wait) =
                    waits.iter().find(|w| matches!(w.peer, Peer::Rank(p) if !seen.contains(&p))).or(waits.first())
                else {
                    parts.push(format!("rank {current} is blocked"));
                    break;
                };
                parts.push(describe_wait(current, wait));
                match wait.peer {
                    Peer::Rank(peer) => match reports.get(&peer) {
                        None => {
                            parts.push(silent(peer, hosts));
                            break;
                        }
                        Some(target) if target.state == State::Finished => {
                            let sent = sent_to(target, current, wait);
                            parts.push(format!("rank {peer} has finished, having sent rank {current} {sent}"));
                            break;
                        }
                        Some(target) => {
                            parts.extend(other_tags_note(Some(target), current, wait));
                            current = peer;
                        }
                    },
                    Peer::Any => {
                        let others: Vec<i32> = (0..hosts.len() as i32).filter(|&r| r != current).collect();
                        let silent_ranks: Vec<i32> =
                            others.iter().copied().filter(|r| !reports.contains_key(r)).collect();
                        if let Some(&first) = silent_ranks.first() {
                            parts.push(silent(first, hosts));
                        } else if others.iter().all(|r| reports[r].state == State::Finished) {
                            parts.push("every other rank has finished".to_owned());
                        } else {
                            parts.push("no other rank is sending it anything".to_owned());
                        }
                        break;
                    }
                    Peer::Others => {
                        let missing: Vec<String> = (0..hosts.len() as i32)
                            .filter(|&r| r != current && !reports.get(&r).is_some_and(Report::in_barrier))
                            .map(|r| match reports.get(&r) {
                                None => silent(r, hosts),
                                Some(other) if other.state == State::Finished => format!("rank {r} has finished"),
                                Some(_) => format!("rank {r} has not reached the barrier"),
                            })
                            .collect();
                        parts.extend(missing);
                        break;
                    }
                }
            }
        }
    }
    format!("stuck: {}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize) -> Vec<String> {
        (0..n).map(|r| format!("node{}", r / 3 + 1)).collect()
    }

    fn blocked(rank: i32, call: &str, peer: Peer, tag: Option<i32>) -> Report {
        let waits = vec![Wait { call: call.into(), peer, tag }];
        Report { rank, host: "h".into(), state: State::Blocked { waits, seconds: 3.0 }, sent: Vec::new() }
    }

    fn finished(rank: i32, sent: Vec<Sent>) -> Report {
        Report { rank, host: "h".into(), state: State::Finished, sent }
    }

    fn all(reports: Vec<Report>) -> BTreeMap<i32, Report> {
        reports.into_iter().map(|r| (r.rank, r)).collect()
    }

    #[test]
    fn two_ranks_receiving_first_are_a_deadlock() {
        let reports =
            all(vec![blocked(0, "MPI_Recv", Peer::Rank(1), Some(0)), blocked(1, "MPI_Recv", Peer::Rank(0), Some(0))]);
        assert_eq!(
            diagnose(1, &reports, &hosts(2)),
            "deadlock: rank 0 waits for rank 1 (MPI_Recv, tag 0), rank 1 waits for rank 0 (MPI_Recv, tag 0)"
        );
    }

    #[test]
    fn a_cycle_of_three_names_every_rank_in_order() {
        let reports = all(vec![
            blocked(0, "MPI_Recv", Peer::Rank(2), Some(0)),
            blocked(1, "MPI_Recv", Peer::Rank(0), Some(0)),
            blocked(2, "MPI_Ssend", Peer::Rank(1), Some(7)),
        ]);
        assert_eq!(
            diagnose(2, &reports, &hosts(3)),
            "deadlock: rank 0 waits for rank 2 (MPI_Recv, tag 0), rank 2 waits for rank 1 (MPI_Ssend, tag 7), \
             rank 1 waits for rank 0 (MPI_Recv, tag 0)"
        );
    }

    #[test]
    fn a_wait_on_a_finished_rank_names_what_it_sent() {
        let reports = all(vec![
            finished(0, vec![Sent { to: 1, tag: 3, count: 1 }]),
            blocked(1, "MPI_Recv", Peer::Rank(0), Some(5)),
        ]);
        assert_eq!(
            diagnose(1, &reports, &hosts(2)),
            "stuck: rank 1 waits for rank 0 (MPI_Recv, tag 5); rank 0 has finished, having sent rank 1 only tag 3 \
             (1 message), never tag 5"
        );
        let nothing = all(vec![finished(0, Vec::new()), blocked(1, "MPI_Recv", Peer::Rank(0), Some(0))]);
        assert_eq!(
            diagnose(1, &nothing, &hosts(2)),
            "stuck: rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 0 has finished, having sent rank 1 nothing"
        );
    }

    #[test]
    fn a_wrong_tag_is_named_where_the_sender_still_runs() {
        let mut sender = blocked(0, "MPI_Recv", Peer::Rank(2), Some(0));
        sender.sent = vec![Sent { to: 1, tag: 3, count: 2 }];
        let reports = all(vec![sender, blocked(1, "MPI_Recv", Peer::Rank(0), Some(5)), finished(2, Vec::new())]);
        assert_eq!(
            diagnose(1, &reports, &hosts(3)),
            "stuck: rank 1 waits for rank 0 (MPI_Recv, tag 5); rank 0 sent rank 1 only tag 3 (2 messages), never \
             tag 5; rank 0 waits for rank 2 (MPI_Recv, tag 0); rank 2 has finished, having sent rank 0 nothing"
        );
    }

    #[test]
    fn a_rank_that_does_not_answer_is_named_with_its_host() {
        let reports = all(vec![
            finished(2, Vec::new()),
            blocked(4, "MPI_Recv", Peer::Rank(0), Some(0)),
            blocked(8, "MPI_Mprobe", Peer::Rank(1), Some(0)),
        ]);
        assert_eq!(
            diagnose(4, &reports, &hosts(9)),
            "stuck: rank 4 waits for rank 0 (MPI_Recv, tag 0); rank 0 on node1 does not answer: its host is \
             unreachable, or it is busy outside MPI"
        );
    }

    #[test]
    fn a_chain_is_followed_to_its_end() {
        let reports = all(vec![
            finished(0, Vec::new()),
            blocked(1, "MPI_Recv", Peer::Rank(0), Some(0)),
            blocked(2, "MPI_Wait (MPI_Irecv)", Peer::Rank(1), None),
        ]);
        assert_eq!(
            diagnose(2, &reports, &hosts(3)),
            "stuck: rank 2 waits for rank 1 (MPI_Wait (MPI_Irecv), any tag); rank 1 waits for rank 0 (MPI_Recv, \
             tag 0); rank 0 has finished, having sent rank 1 nothing"
        );
    }

    #[test]
    fn any_source_waits_are_a_deadlock_only_if_every_sender_is_stuck() {
        let stuck = all(vec![
            blocked(0, "MPI_Recv", Peer::Any, Some(0)),
            blocked(1, "MPI_Recv", Peer::Rank(0), Some(0)),
            blocked(2, "MPI_Recv", Peer::Rank(0), Some(0)),
        ]);
        assert!(
            diagnose(0, &stuck, &hosts(3)).starts_with("deadlock: rank 0 waits for any rank (MPI_Recv, tag 0), rank 1")
        );
        let alone =
            all(vec![blocked(0, "MPI_Recv", Peer::Any, None), finished(1, Vec::new()), finished(2, Vec::new())]);
        assert_eq!(
            diagnose(0, &alone, &hosts(3)),
            "stuck: rank 0 waits for any rank (MPI_Recv, any tag); every other rank has finished"
        );
    }

    #[test]
    fn a_barrier_names_who_has_not_reached_it() {
        let reports = all(vec![
            blocked(0, "MPI_Barrier", Peer::Others, None),
            blocked(1, "MPI_Barrier", Peer::Others, None),
            finished(2, Vec::new()),
        ]);
        assert_eq!(
            diagnose(0, &reports, &hosts(4)),
            "stuck: rank 0 waits for the other ranks (MPI_Barrier); rank 2 has finished; rank 3 on node2 does not \
             answer: its host is unreachable, or it is busy outside MPI"
        );
    }

    #[test]
    fn the_lowest_blocked_rank_speaks_for_the_job() {
        let reports = all(vec![
            finished(0, Vec::new()),
            blocked(1, "MPI_Recv", Peer::Rank(2), Some(0)),
            blocked(2, "MPI_Recv", Peer::Rank(1), Some(0)),
        ]);
        assert!(!defers(&reports[&1], &reports));
        assert!(defers(&reports[&2], &reports));
        assert!(defers(&reports[&0], &reports), "a finished rank leaves it to a blocked one");
        let line = blocked_line(&reports[&2], 3.0);
        assert_eq!(line, "rank 2 on h has been blocked for 3 s in MPI_Recv, waiting for rank 1 (tag 0)");
    }
}
