//! The report's tables, printed twice from the same cells: aligned text
//! for the terminal, and Markdown for the book (a table a browser lays out
//! to its width, where a block of monospace text would run off the page).

use std::fmt::Write;

/// How a column's cells sit in the text form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Padded on the right to the width.
    Left,
    /// Padded on the left to the width.
    Right,
    /// Last column, two spaces after the previous one, not padded.
    Free,
}

/// A titled table.
#[derive(Debug, Clone)]
pub struct Table {
    /// The line above it.
    pub title: String,
    /// One header per column.
    pub header: Vec<String>,
    /// Each column's width (text form) and alignment.
    pub columns: Vec<(usize, Align)>,
    /// The cells, row by row.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn line(&self, cells: &[String], out: &mut String) {
        for (i, (cell, (width, align))) in cells.iter().zip(&self.columns).enumerate() {
            let sep = match (i, align) {
                (0, _) => "",
                (_, Align::Free) => "  ",
                _ => " ",
            };
            let _ = match align {
                Align::Left => write!(out, "{sep}{cell:<width$}"),
                Align::Right => write!(out, "{sep}{cell:>width$}"),
                Align::Free => write!(out, "{sep}{cell}"),
            };
        }
        out.push('\n');
    }

    /// The text form: the title, the header, the rows, columns aligned.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        self.line(&self.header, &mut out);
        for row in &self.rows {
            self.line(row, &mut out);
        }
        out
    }

    /// The Markdown form: the title in bold, then a table whose numbers
    /// are right-aligned.
    pub fn markdown(&self) -> String {
        let cell = |text: &str| if text.trim().is_empty() { " ".to_owned() } else { text.trim().replace('|', "\\|") };
        let mut out = format!("**{}**\n\n|", self.title);
        for header in &self.header {
            let _ = write!(out, " {} |", cell(header));
        }
        out.push_str("\n|");
        for (_, align) in &self.columns {
            out.push_str(if *align == Align::Right { "---:|" } else { "---|" });
        }
        out.push('\n');
        for row in &self.rows {
            out.push('|');
            for text in row {
                let _ = write!(out, " {} |", cell(text));
            }
            out.push('\n');
        }
        out.push('\n');
        out
    }
}

/// The cost model of a message: `time(n) = latency + n / bandwidth`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    /// The time of an empty message, µs.
    pub latency_us: f64,
    /// Bytes per µs (= MB/s).
    pub bytes_per_us: f64,
}

impl Model {
    /// Fit the model to measured (bytes, µs) points by least squares on
    /// the *relative* error (each point weighted by 1 / time²), so that the
    /// microsecond points count as much as the millisecond ones. `None`
    /// with fewer than two sizes, or when the points give no positive
    /// latency and bandwidth.
    pub fn fit(points: &[(f64, f64)]) -> Option<Model> {
        let points: Vec<(f64, f64)> = points.iter().copied().filter(|&(_, t)| t > 0.0).collect();
        if points.len() < 2 {
            return None;
        }
        // Minimise sum w (a + b n - t)^2 with w = 1/t^2: normal equations.
        let (mut sw, mut sn, mut snn, mut st, mut snt) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(n, t) in &points {
            let w = 1.0 / (t * t);
            sw += w;
            sn += w * n;
            snn += w * n * n;
            st += w * t;
            snt += w * n * t;
        }
        let det = sw * snn - sn * sn;
        if det.abs() < f64::EPSILON * sw * snn {
            return None;
        }
        let b = (sw * snt - sn * st) / det;
        let a = (st - b * sn) / sw;
        (a > 0.0 && b > 0.0).then(|| Model { latency_us: a, bytes_per_us: 1.0 / b })
    }

    /// The model's time for a message of `bytes`, µs.
    pub fn time_us(&self, bytes: f64) -> f64 {
        self.latency_us + bytes / self.bytes_per_us
    }

    /// The largest relative error of the model over `points`, as a
    /// fraction (0.25: a point 25 % away from its line).
    pub fn worst_error(&self, points: &[(f64, f64)]) -> f64 {
        points.iter().filter(|&&(_, t)| t > 0.0).map(|&(n, t)| ((self.time_us(n) - t) / t).abs()).fold(0.0, f64::max)
    }
}

/// Two models, one each side of a size where the cost changes its law (a
/// protocol switch, such as an implementation's eager limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoModels {
    /// For sizes up to `last_below` bytes.
    pub below: Model,
    /// The largest size fitted by `below`.
    pub last_below: f64,
    /// The smallest size fitted by `above`.
    pub first_above: f64,
    /// For sizes from `first_above` bytes.
    pub above: Model,
}

impl TwoModels {
    /// Split the sizes in two where two [`Model::fit`]s leave the smallest
    /// worst relative error, with at least two sizes each side. The split
    /// is found in the figures, not assumed: where it falls says where the
    /// implementation changes protocol. `None` with fewer than four sizes
    /// or no split whose two sides both fit.
    pub fn fit(points: &[(f64, f64)]) -> Option<TwoModels> {
        let mut points: Vec<(f64, f64)> = points.iter().copied().filter(|&(_, t)| t > 0.0).collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut best: Option<(f64, TwoModels)> = None;
        for split in 2..=points.len().saturating_sub(2) {
            let (low, high) = points.split_at(split);
            let (Some(below), Some(above)) = (Model::fit(low), Model::fit(high)) else { continue };
            let worst = below.worst_error(low).max(above.worst_error(high));
            if best.as_ref().map_or(true, |(w, _)| worst < *w) {
                let two = TwoModels { below, last_below: low[low.len() - 1].0, first_above: high[0].0, above };
                best = Some((worst, two));
            }
        }
        best.map(|(_, two)| two)
    }

    /// The time for a message of `bytes`, µs, from the model of its side
    /// (sizes between the two sides go to the side below).
    pub fn time_us(&self, bytes: f64) -> f64 {
        if bytes < self.first_above {
            self.below.time_us(bytes)
        } else {
            self.above.time_us(bytes)
        }
    }

    /// The largest relative error over `points`, each from its side's model.
    pub fn worst_error(&self, points: &[(f64, f64)]) -> f64 {
        points.iter().filter(|&&(_, t)| t > 0.0).map(|&(n, t)| ((self.time_us(n) - t) / t).abs()).fold(0.0, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_finds_the_latency_and_bandwidth_it_was_made_of() {
        let truth = Model { latency_us: 0.5, bytes_per_us: 4000.0 };
        let points: Vec<(f64, f64)> =
            [0.0, 8.0, 1024.0, 65536.0, 1048576.0].iter().map(|&n| (n, truth.time_us(n))).collect();
        let fitted = Model::fit(&points).unwrap();
        assert!((fitted.latency_us - 0.5).abs() < 1e-9, "{fitted:?}");
        assert!((fitted.bytes_per_us - 4000.0).abs() < 1e-6, "{fitted:?}");
        assert_eq!(Model::fit(&points[..1]), None);
        // Times that fall with size fit no positive bandwidth.
        assert_eq!(Model::fit(&[(1.0, 5.0), (1000.0, 1.0)]), None);
    }

    #[test]
    fn two_lines_are_split_where_the_law_changes() {
        // An eager protocol to 4 KiB, a rendezvous (one more exchange) after.
        let eager = Model { latency_us: 0.2, bytes_per_us: 8000.0 };
        let rendezvous = Model { latency_us: 2.0, bytes_per_us: 12000.0 };
        let sizes = [8.0, 64.0, 512.0, 1024.0, 4096.0, 8192.0, 65536.0, 1048576.0];
        let points: Vec<(f64, f64)> =
            sizes.iter().map(|&n| (n, if n <= 4096.0 { eager.time_us(n) } else { rendezvous.time_us(n) })).collect();
        let two = TwoModels::fit(&points).unwrap();
        assert_eq!((two.last_below, two.first_above), (4096.0, 8192.0), "{two:?}");
        assert!((two.below.latency_us - 0.2).abs() < 1e-9 && (two.above.latency_us - 2.0).abs() < 1e-9, "{two:?}");
        assert!(two.worst_error(&points) < 1e-9);
        // One line cannot follow the step.
        let one = Model::fit(&points).unwrap();
        assert!(one.worst_error(&points) > 0.3, "{one:?}");
        assert_eq!(TwoModels::fit(&points[..3]), None);
    }

    #[test]
    fn text_and_markdown_hold_the_same_cells() {
        let table = Table {
            title: "T".into(),
            header: vec!["name".into(), "a".into(), "goal".into()],
            columns: vec![(6, Align::Left), (5, Align::Right), (0, Align::Free)],
            rows: vec![vec!["x".into(), "1.5".into(), "met".into()], vec!["y|z".into(), "-".into(), String::new()]],
        };
        assert_eq!(table.text(), "T\nname       a  goal\nx        1.5  met\ny|z        -  \n");
        assert_eq!(
            table.markdown(),
            "**T**\n\n| name | a | goal |\n|---|---:|---|\n| x | 1.5 | met |\n| y\\|z | - |   |\n\n"
        );
    }
}
