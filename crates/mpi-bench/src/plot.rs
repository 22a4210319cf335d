//! Line charts in SVG, with logarithmic axes: enough for the benchmarks'
//! curves, with no plotting library.
//!
//! Written by hand on purpose: `plotters` lays out text itself, so even its
//! SVG backend needs a font (the system's through font-kit and fontconfig,
//! or one embedded in the binary), where these charts leave text to the
//! browser that shows them; and the whole of it is this file.

use std::fmt::Write;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// (x, y) points; points with x or y not above 0 are left out (log axes).
    pub points: Vec<(f64, f64)>,
}

/// A chart: title, axis labels, lines.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Shown at the top.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// Beside the y axis.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
    /// Where to mark the x axis, when not at powers of ten (workers 1, 2,
    /// 4, 8): the axis then spans these values.
    pub x_ticks: Option<Vec<f64>>,
}

const COLOURS: [&str; 6] = ["#1f5fa8", "#e07b00", "#2a9d3a", "#c0392b", "#7b4fa0", "#6b6b6b"];
const W: f64 = 760.0;
const H: f64 = 460.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

fn decades(low: f64, high: f64) -> (f64, f64) {
    (low.log10().floor(), high.log10().ceil().max(low.log10().floor() + 1.0))
}

/// Format an axis value: 1, 10, 1k, 1M for bytes-like values.
fn tick_label(value: f64) -> String {
    match value {
        v if v >= 1e9 => format!("{}G", v / 1e9),
        v if v >= 1e6 => format!("{}M", v / 1e6),
        v if v >= 1e3 => format!("{}k", v / 1e3),
        v if v >= 1.0 => format!("{v}"),
        v => format!("{v}"),
    }
}

impl Chart {
    /// Render as SVG, both axes logarithmic (powers of ten).
    pub fn to_svg(&self) -> String {
        let points: Vec<(f64, f64)> =
            self.series.iter().flat_map(|s| s.points.iter().copied()).filter(|&(x, y)| x > 0.0 && y > 0.0).collect();
        let (x_lo, x_hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &(x, _)| (lo.min(x), hi.max(x)));
        let (y_lo, y_hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &(_, y)| (lo.min(y), hi.max(y)));
        let ticks: Vec<f64> = self.x_ticks.iter().flatten().copied().filter(|&t| t > 0.0).collect();
        let (x_lo, x_hi) = if let (Some(lo), Some(hi)) =
            (ticks.iter().copied().reduce(f64::min), ticks.iter().copied().reduce(f64::max))
        {
            let pad = (hi / lo).log10().max(0.5) * 0.06;
            (lo.log10() - pad, hi.log10() + pad)
        } else if points.is_empty() {
            (0.0, 1.0)
        } else {
            decades(x_lo, x_hi)
        };
        let (y_lo, y_hi) = if points.is_empty() { (0.0, 1.0) } else { decades(y_lo, y_hi) };
        let plot_w = W - LEFT - RIGHT;
        let plot_h = H - TOP - BOTTOM;
        let sx = |x: f64| LEFT + (x.log10() - x_lo) / (x_hi - x_lo) * plot_w;
        let sy = |y: f64| TOP + plot_h - (y.log10() - y_lo) / (y_hi - y_lo) * plot_h;

        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"##
        );
        let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="white"/>"##);
        let _ = writeln!(
            svg,
            r##"<text x="{LEFT}" y="28" font-size="15" font-weight="bold">{}</text>"##,
            escape(&self.title)
        );
        let x_marks: Vec<f64> = if ticks.is_empty() {
            ((x_lo as i32)..=(x_hi as i32)).map(|decade| 10f64.powi(decade)).collect()
        } else {
            ticks.clone()
        };
        for mark in x_marks {
            let x = sx(mark);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#e4e4e4"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                TOP + plot_h,
                TOP + plot_h + 18.0,
                tick_label(mark)
            );
        }
        for decade in (y_lo as i32)..=(y_hi as i32) {
            let y = sy(10f64.powi(decade));
            let _ = writeln!(
                svg,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e4e4e4"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT + plot_w,
                LEFT - 6.0,
                y + 4.0,
                tick_label(10f64.powi(decade))
            );
        }
        let _ = writeln!(
            svg,
            r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>"##
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            LEFT + plot_w / 2.0,
            H - 18.0,
            escape(&self.x_label)
        );
        let _ = writeln!(
            svg,
            r##"<text transform="translate(22 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
            TOP + plot_h / 2.0,
            escape(&self.y_label)
        );
        for (index, series) in self.series.iter().enumerate() {
            let colour = COLOURS[index % COLOURS.len()];
            let path: Vec<String> = series
                .points
                .iter()
                .filter(|&&(x, y)| x > 0.0 && y > 0.0)
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                .collect();
            let _ = writeln!(
                svg,
                r##"<g class="series" data-name="{}"><polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>{}</g>"##,
                escape(&series.name),
                path.join(" "),
                path.iter()
                    .map(|p| {
                        let (x, y) = p.split_once(',').expect("x,y");
                        format!(r##"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>"##)
                    })
                    .collect::<String>()
            );
            let ly = TOP + 10.0 + index as f64 * 20.0;
            let lx = LEFT + plot_w + 14.0;
            let _ = writeln!(
                svg,
                r##"<line x1="{lx}" y1="{ly}" x2="{:.1}" y2="{ly}" stroke="{colour}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"##,
                lx + 22.0,
                lx + 28.0,
                ly + 4.0,
                escape(&series.name)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_polyline_per_series_and_skips_non_positive_points() {
        let chart = Chart {
            title: "latency".into(),
            x_label: "bytes".into(),
            y_label: "µs".into(),
            series: vec![
                Series { name: "a".into(), points: vec![(0.0, 1.0), (8.0, 1.0), (1024.0, 3.0)] },
                Series { name: "b<c".into(), points: vec![(8.0, 2.0)] },
            ],
            x_ticks: None,
        };
        let svg = chart.to_svg();
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains(r#"data-name="b&lt;c""#));
    }

    #[test]
    fn given_ticks_mark_the_x_axis_and_span_it() {
        let chart = Chart {
            title: "pool".into(),
            x_label: "workers".into(),
            y_label: "ms".into(),
            series: vec![Series { name: "a".into(), points: vec![(1.0, 10.0), (8.0, 2.0)] }],
            x_ticks: Some(vec![1.0, 2.0, 4.0, 8.0]),
        };
        let svg = chart.to_svg();
        let x_labels: Vec<&str> = svg
            .split(r#"text-anchor="middle">"#)
            .skip(1)
            .filter_map(|rest| rest.split_once('<').map(|(label, _)| label))
            .collect();
        assert_eq!(x_labels, ["1", "2", "4", "8", "workers", "ms"], "{svg}");
    }
}
