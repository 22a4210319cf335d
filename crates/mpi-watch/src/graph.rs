//! The wait-for graph of a hung job, in SVG: the figure of the watch's
//! verdict (`scripts/mpirun --watch SECS --watch-graph FILE`).
//!
//! Each rank is a box: its call, and whether it is an AND node (released
//! when every arrow out of it is) or an OR node (released when any one
//! is). An arrow goes from a blocked rank to each rank it waits for,
//! labelled with the operation; OR arrows are dashed. The ranks that can
//! never be released are red; finished ranks grey; ranks that run or did
//! not answer are drawn as such.

use std::collections::BTreeSet;
use std::f64::consts::PI;
use std::fmt::Write;

use crate::sequence::escape;
use crate::waitfor::{self, Job, Op, State, What};

/// At most this many ranks are drawn: the stuck ones and those they wait for first.
const MOST_RANKS: usize = 24;

/// Short words for an operation: `Irecv tag 0`, `Barrier #1`.
fn label(op: &Op) -> String {
    let call = op.call.trim_start_matches("MPI_");
    match &op.what {
        What::Recv { tag: Some(tag), .. } | What::Send { tag, .. } => format!("{call} tag {tag}"),
        What::Recv { tag: None, .. } => format!("{call} any tag"),
        What::Collective { seq, .. } => format!("{call} #{seq}"),
        What::Unknown => call.to_owned(),
    }
}

/// The ranks an operation of `waiter` waits on, whatever their state.
fn waits_on(job: &Job, waiter: i32, op: &Op) -> Vec<i32> {
    match &op.what {
        What::Recv { from: Some(from), .. } => vec![*from],
        What::Send { to, .. } => vec![*to],
        What::Recv { from: None, comm, .. } => job.members(*comm).into_iter().filter(|&m| m != waiter).collect(),
        What::Collective { comm, seq } => job
            .members(*comm)
            .into_iter()
            .filter(|&m| m != waiter)
            .filter(|m| job.reports.get(m).map_or(true, |r| r.entered(*comm) < *seq))
            .collect(),
        What::Unknown => Vec::new(),
    }
}

/// The graph as an SVG document.
pub fn render(job: &Job, title: &str) -> String {
    let stuck = waitfor::stuck(job);
    // Which ranks to draw: the stuck ones, then those they wait on, then the rest.
    let mut drawn: Vec<i32> = stuck.iter().copied().collect();
    for &rank in &stuck {
        for call in job.reports.get(&rank).map(|r| r.blocked()).unwrap_or_default() {
            for op in &call.ops {
                drawn.extend(waits_on(job, rank, op));
            }
        }
    }
    drawn.extend(0..job.size);
    let mut seen = BTreeSet::new();
    drawn.retain(|r| seen.insert(*r));
    let left_out = drawn.len().saturating_sub(MOST_RANKS);
    drawn.truncate(MOST_RANKS);
    drawn.sort_unstable();

    let n = drawn.len().max(1) as f64;
    let radius = (80.0 * n / PI).max(150.0);
    let width = (2.0 * radius + 300.0).max(660.0);
    let (cx, cy) = (width / 2.0, radius + 70.0);
    let height = 2.0 * cy + 60.0;
    let at = |rank: i32| {
        let i = drawn.iter().position(|&r| r == rank).unwrap_or(0) as f64;
        let angle = -PI / 2.0 + 2.0 * PI * i / n;
        (cx + radius * angle.cos(), cy + radius * angle.sin())
    };
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#c0392b"/></marker></defs>"##
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(svg, r#"<text x="12" y="22" font-size="15" font-weight="bold">{}</text>"#, escape(title));

    // Arrows first, under the boxes.
    for &rank in &drawn {
        let Some(report) = job.reports.get(&rank) else { continue };
        for call in report.blocked() {
            for op in &call.ops {
                for target in waits_on(job, rank, op).into_iter().filter(|t| drawn.contains(t)) {
                    let ((x1, y1), (x2, y2)) = (at(rank), at(target));
                    let (dx, dy) = (x2 - x1, y2 - y1);
                    let length = (dx * dx + dy * dy).sqrt().max(1.0);
                    // From the edge of one box to the edge of the other,
                    // shifted to its right so that the arrows of two ranks
                    // waiting for each other lie side by side.
                    let (ux, uy) = (dx / length, dy / length);
                    let (px, py) = (-uy * 6.0, ux * 6.0);
                    // How far along the line the box's edge is, and a little more.
                    let edge = (48.0 / ux.abs().max(1e-9)).min(24.0 / uy.abs().max(1e-9)) + 4.0;
                    let (sx, sy) = (x1 + ux * edge + px, y1 + uy * edge + py);
                    let (ex, ey) = (x2 - ux * edge + px, y2 - uy * edge + py);
                    let class = if stuck.contains(&rank) { "wait stuck" } else { "wait" };
                    let dash = if call.any { r#" stroke-dasharray="6 4""# } else { "" };
                    let colour = if stuck.contains(&rank) { "#c0392b" } else { "#444" };
                    let _ = writeln!(
                        svg,
                        r#"<line class="{class}" data-from="{rank}" data-to="{target}" x1="{sx:.1}" y1="{sy:.1}" x2="{ex:.1}" y2="{ey:.1}" stroke="{colour}" stroke-width="1.5"{dash} marker-end="url(#arrow)"/>"#
                    );
                    // The label a third of the way along, so that two
                    // arrows between the same ranks keep theirs apart.
                    let (lx, ly) = (sx + (ex - sx) / 3.0 + px * 2.0, sy + (ey - sy) / 3.0 + py * 2.0 + 4.0);
                    let _ = writeln!(
                        svg,
                        r#"<text class="label" x="{lx:.1}" y="{ly:.1}" text-anchor="middle" fill="{colour}" font-size="11">{}</text>"#,
                        escape(&label(op))
                    );
                }
            }
        }
    }

    for &rank in &drawn {
        let (x, y) = at(rank);
        let report = job.reports.get(&rank);
        let (state, call, fill, stroke, dash) = match report.map(|r| &r.state) {
            None => ("silent", "no answer".to_owned(), "#ffffff", "#888", r#" stroke-dasharray="4 3""#),
            Some(State::Running) => ("running", "running".to_owned(), "#eafaf1", "#27ae60", ""),
            Some(State::Finished) => ("finished", "finished".to_owned(), "#eeeeee", "#888", ""),
            Some(State::Unfollowed { call, .. }) => {
                ("unfollowed", format!("in {} (not followed)", call.trim_start_matches("MPI_")), "#ffffff", "#888", "")
            }
            Some(State::Blocked(calls)) => {
                let names: Vec<String> = calls
                    .iter()
                    .map(|c| format!("{} {}", c.call.trim_start_matches("MPI_"), if c.any { "OR" } else { "AND" }))
                    .collect();
                let stuck_here = stuck.contains(&rank);
                let (fill, stroke) = if stuck_here { ("#fdecea", "#c0392b") } else { ("#fef9e7", "#b7950b") };
                (if stuck_here { "stuck" } else { "blocked" }, names.join(" | "), fill, stroke, "")
            }
        };
        let _ = writeln!(
            svg,
            r#"<g class="rank {state}" data-rank="{rank}"><rect x="{:.1}" y="{:.1}" width="96" height="48" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="2"{dash}/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">rank {rank}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text></g>"#,
            x - 48.0,
            y - 24.0,
            y - 6.0,
            y + 12.0,
            escape(&call)
        );
    }

    let legend = [
        "AND: released when every arrow out of it is; OR (dashed arrows): when any one is.",
        "Red: the ranks that can never be released. Grey: finished. Dashed box: did not answer.",
    ];
    for (i, line) in legend.iter().enumerate() {
        let _ =
            writeln!(svg, r#"<text x="12" y="{:.0}" font-size="11">{line}</text>"#, height - 44.0 + 14.0 * i as f64);
    }
    if left_out > 0 {
        let _ = writeln!(
            svg,
            r#"<text class="left-out" x="12" y="{:.0}" font-size="11">{left_out} more ranks not drawn</text>"#,
            height - 8.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waitfor::{Blocked, Report, Reports};

    fn report(rank: i32, state: State) -> Report {
        Report::new(rank, "h", state)
    }

    fn recv(call: &str, from: i32) -> Op {
        Op { call: call.into(), what: What::Recv { from: Some(from), tag: Some(0), comm: waitfor::WORLD } }
    }

    #[test]
    fn a_knot_draws_every_rank_and_every_wait() {
        let or = Blocked {
            call: "MPI_Waitany".into(),
            any: true,
            ops: vec![recv("MPI_Irecv", 1), recv("MPI_Irecv", 2)],
            seconds: 3.0,
        };
        let and =
            |from| Blocked { call: "MPI_Recv".into(), any: false, ops: vec![recv("MPI_Recv", from)], seconds: 3.0 };
        let reports: Reports = [
            report(0, State::Blocked(vec![or])),
            report(1, State::Blocked(vec![and(0)])),
            report(2, State::Blocked(vec![and(0)])),
            report(3, State::Finished),
        ]
        .into_iter()
        .map(|r| (r.rank, r))
        .collect();
        let svg = render(&Job { reports: &reports, size: 5 }, "knot <&>");
        let doc = roxmltree::Document::parse(&svg).expect("valid SVG");
        let ranks: Vec<(&str, &str)> = doc
            .descendants()
            .filter(|n| n.attribute("data-rank").is_some())
            .map(|n| (n.attribute("data-rank").unwrap(), n.attribute("class").unwrap()))
            .collect();
        assert_eq!(
            ranks,
            [
                ("0", "rank stuck"),
                ("1", "rank stuck"),
                ("2", "rank stuck"),
                ("3", "rank finished"),
                ("4", "rank silent")
            ]
        );
        let arrows: Vec<(&str, &str, bool)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("line"))
            .map(|n| {
                (
                    n.attribute("data-from").unwrap(),
                    n.attribute("data-to").unwrap(),
                    n.has_attribute("stroke-dasharray"),
                )
            })
            .collect();
        assert_eq!(arrows, [("0", "1", true), ("0", "2", true), ("1", "0", false), ("2", "0", false)]);
        assert!(svg.contains("Waitany OR") && svg.contains("Recv AND") && svg.contains("knot &lt;&amp;&gt;"));
    }
}
