//! Turn the raw runs of `scripts/bench/run` into medians, ratios, a table
//! and plots.
//!
//! `bench-report target/bench` reads `raw/pingpong-PROGRAM-N.csv` and
//! `raw/local-PROGRAM-MODE-N.txt`, writes `pingpong.csv`, `local.csv`,
//! `latency.svg`, `bandwidth.svg` and `local.svg` beside them, and prints the
//! table with the ratios the project aims for.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use mpi_bench::plot::{Chart, Series};

/// Medians, ratios, table and plots from the benchmark's raw runs.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The folder scripts/bench/run wrote (with raw/ inside).
    dir: PathBuf,
}

/// The ping-pong programs, in the order of the table.
const PROGRAMS: [(&str, &str); 4] =
    [("rust-raw", "Rust raw"), ("rust-typed", "Rust typed"), ("c", "C"), ("mpi4py", "mpi4py")];

/// The local figures: name, unit, and whether more is better.
const FIGURES: [(&str, &str, bool, f64); 4] = [
    ("pipe_roundtrip", "us", false, 2.0),
    ("queue_throughput", "items/s", true, 20.0),
    ("pool_map_1e6", "ms", false, 20.0),
    ("spawn_join", "ms", false, 10.0),
];

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// (program, bytes) -> latencies and bandwidths over the runs.
type PingPong = BTreeMap<(String, u64), (Vec<f64>, Vec<f64>)>;
/// (program, mode, figure) -> values over the runs.
type Local = BTreeMap<(String, String, String), Vec<f64>>;

fn read_raw(dir: &Path) -> Result<(PingPong, Local), String> {
    let mut pingpong = PingPong::new();
    let mut local = Local::new();
    let raw = dir.join("raw");
    let entries = std::fs::read_dir(&raw).map_err(|e| format!("cannot read {}: {e}", raw.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).map_err(|e| format!("{name}: {e}"))?;
        if let Some(rest) = name.strip_prefix("pingpong-").and_then(|n| n.strip_suffix(".csv")) {
            let program = rest.rsplit_once('-').map_or(rest, |(p, _)| p).to_owned();
            for line in text.lines().skip(1) {
                let fields: Vec<&str> = line.split(',').collect();
                let [bytes, latency, bandwidth] = fields[..] else { continue };
                let (Ok(bytes), Ok(latency), Ok(bandwidth)) = (bytes.parse(), latency.parse(), bandwidth.parse())
                else {
                    continue;
                };
                let slot = pingpong.entry((program.clone(), bytes)).or_default();
                slot.0.push(latency);
                slot.1.push(bandwidth);
            }
        } else if let Some(rest) = name.strip_prefix("local-").and_then(|n| n.strip_suffix(".txt")) {
            let parts: Vec<&str> = rest.split('-').collect();
            let [program, mode, _] = parts[..] else { continue };
            for line in text.lines() {
                let fields: Vec<&str> = line.split_whitespace().collect();
                if let [figure, value, _unit] = fields[..] {
                    if let Ok(value) = value.parse::<f64>() {
                        local.entry((program.into(), mode.into(), figure.into())).or_default().push(value);
                    }
                }
            }
        }
    }
    Ok((pingpong, local))
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match report(&args.dir) {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench-report: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn report(dir: &Path) -> Result<String, String> {
    let (pingpong, local) = read_raw(dir)?;
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
    };
    let mut out = String::new();

    // Ping-pong medians.
    let mut medians: BTreeMap<(String, u64), (f64, f64)> = BTreeMap::new();
    for ((program, bytes), (latencies, bandwidths)) in pingpong {
        let (mut l, mut b) = (latencies, bandwidths);
        if let (Some(l), Some(b)) = (median(&mut l), median(&mut b)) {
            medians.insert((program, bytes), (l, b));
        }
    }
    let mut csv = String::from("program,bytes,latency_us,bandwidth_mb_s\n");
    for ((program, bytes), (l, b)) in &medians {
        let _ = writeln!(csv, "{program},{bytes},{l:.3},{b:.2}");
    }
    write("pingpong.csv", csv)?;
    let sizes: Vec<u64> = {
        let mut s: Vec<u64> = medians.keys().map(|(_, b)| *b).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let get = |program: &str, bytes: u64| medians.get(&(program.to_owned(), bytes)).copied();
    if !sizes.is_empty() {
        let _ = writeln!(out, "Ping-pong, one-way latency in µs (median of the runs)");
        let _ = write!(out, "{:>9}", "bytes");
        for (_, label) in PROGRAMS {
            let _ = write!(out, " {label:>11}");
        }
        let _ = writeln!(out, " {:>8} {:>10} {:>13}", "raw/C", "typed/raw", "mpi4py/typed");
        for &bytes in &sizes {
            let _ = write!(out, "{bytes:>9}");
            for (program, _) in PROGRAMS {
                match get(program, bytes) {
                    Some((l, _)) => {
                        let _ = write!(out, " {l:>11.2}");
                    }
                    None => {
                        let _ = write!(out, " {:>11}", "-");
                    }
                }
            }
            let ratio = |a: &str, b: &str| match (get(a, bytes), get(b, bytes)) {
                (Some((x, _)), Some((y, _))) if y > 0.0 => format!("{:.2}", x / y),
                _ => "-".to_owned(),
            };
            let _ = writeln!(
                out,
                " {:>8} {:>10} {:>13}",
                ratio("rust-raw", "c"),
                ratio("rust-typed", "rust-raw"),
                ratio("mpi4py", "rust-typed")
            );
        }
        let _ = writeln!(out, "\nTargets (ping-pong):");
        if let (Some((rust, _)), Some((c, _))) = (get("rust-raw", 8), get("c", 8)) {
            let _ = writeln!(out, "  raw 8 B latency <= 1.10 x C: {:.2} x  {}", rust / c, verdict(rust / c <= 1.10));
        }
        let big = sizes.iter().copied().max().unwrap_or(0);
        if let (Some((_, rust)), Some((_, c))) = (get("rust-raw", big), get("c", big)) {
            let _ =
                writeln!(out, "  raw {big} B bandwidth >= 0.9 x C: {:.2} x  {}", rust / c, verdict(rust / c >= 0.9));
        }
        if let (Some((typed, _)), Some((raw, _))) = (get("rust-typed", 8), get("rust-raw", 8)) {
            let _ = writeln!(
                out,
                "  typed 8 B latency <= 1.5 x raw: {:.2} x  {}",
                typed / raw,
                verdict(typed / raw <= 1.5)
            );
        }
        if let (Some((traced, _)), Some((raw, _))) = (get("rust-traced", 8), get("rust-raw", 8)) {
            let _ = writeln!(
                out,
                "  tracing (scripts/mpirun --trace) adds <= 0.3 µs to raw 8 B latency: {:+.2} µs  {}",
                traced - raw,
                verdict(traced - raw <= 0.3)
            );
        }
        if let (Some((typed, _)), Some((py, _))) = (get("rust-typed", 8), get("mpi4py", 8)) {
            let _ = writeln!(
                out,
                "  typed 8 B at least 3 x faster than mpi4py: {:.1} x  {}",
                py / typed,
                verdict(py / typed >= 3.0)
            );
        }
        for (file, title, y_label, pick) in [
            ("latency.svg", "Ping-pong latency (one way)", "latency (µs)", 0usize),
            ("bandwidth.svg", "Ping-pong bandwidth", "bandwidth (MB/s)", 1),
        ] {
            let series = PROGRAMS
                .iter()
                .map(|(program, label)| Series {
                    name: (*label).to_owned(),
                    points: sizes
                        .iter()
                        .filter_map(|&b| get(program, b).map(|(l, bw)| (b as f64, if pick == 0 { l } else { bw })))
                        .collect(),
                })
                .filter(|s| !s.points.is_empty())
                .collect();
            let chart =
                Chart { title: title.into(), x_label: "message size (bytes)".into(), y_label: y_label.into(), series };
            write(file, chart.to_svg())?;
        }
    }

    // Local figures.
    let mut local_medians: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for (key, mut values) in local {
        if let Some(m) = median(&mut values) {
            local_medians.insert(key, m);
        }
    }
    let mut csv = String::from("program,mode,figure,value\n");
    for ((program, mode, figure), value) in &local_medians {
        let _ = writeln!(csv, "{program},{mode},{figure},{value:.3}");
    }
    write("local.csv", csv)?;
    let mut bars = Vec::new();
    for (mode, title) in [("onecore", "both on one core"), ("free", "free-running")] {
        let value = |program: &str, figure: &str| {
            local_medians.get(&(program.to_owned(), mode.to_owned(), figure.to_owned())).copied()
        };
        if FIGURES.iter().all(|(figure, ..)| value("rust", figure).is_none()) {
            continue;
        }
        let _ = writeln!(out, "\nlocal-procs against Python multiprocessing, {title} (median of the runs)");
        let _ = writeln!(out, "{:<18} {:>14} {:>14} {:>9} {:>8}", "figure", "Rust", "Python", "speed-up", "target");
        for (figure, unit, more_is_better, target) in FIGURES {
            let (rust, python) = (value("rust", figure), value("python", figure));
            let speedup = match (rust, python) {
                (Some(r), Some(p)) if r > 0.0 && p > 0.0 => Some(if more_is_better { r / p } else { p / r }),
                _ => None,
            };
            let show = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.3} {unit}"));
            let _ = writeln!(
                out,
                "{figure:<18} {:>14} {:>14} {:>9} {:>8}",
                show(rust),
                show(python),
                speedup.map_or("-".to_owned(), |s| format!("{s:.1} x")),
                if mode == "onecore" {
                    format!("{target} x {}", speedup.map_or("", |s| verdict(s >= target)))
                } else {
                    String::new()
                }
            );
            if let Some(s) = speedup {
                // The targets are for one core; free-running bars have none.
                let target = if mode == "onecore" { target } else { f64::NAN };
                bars.push((format!("{figure} ({title})"), s, target));
            }
        }
    }
    if !bars.is_empty() {
        write("local.svg", bar_chart("local-procs speed-up over Python multiprocessing", &bars))?;
    }
    let _ =
        writeln!(out, "\nWritten: {}/{{pingpong.csv,local.csv,latency.svg,bandwidth.svg,local.svg}}", dir.display());
    Ok(out)
}

/// Horizontal bars on a log scale: speed-up per figure, green or red against
/// its target (dashed), grey where it has none (NaN).
fn bar_chart(title: &str, bars: &[(String, f64, f64)]) -> String {
    let (left, width, row) = (250.0, 420.0, 28.0);
    let height = 70.0 + row * bars.len() as f64;
    let top =
        bars.iter().map(|(_, s, t)| if t.is_nan() { *s } else { s.max(*t) }).fold(10.0f64, f64::max).log10().ceil();
    let x = |v: f64| left + v.max(1.0).log10() / top * width;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{:.0}" height="{height:.0}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/><text x="10" y="24" font-size="15" font-weight="bold">{title}</text>"##,
        left + width + 80.0
    );
    for decade in 0..=top as i32 {
        let gx = x(10f64.powi(decade));
        let _ = write!(
            svg,
            r##"<line x1="{gx:.1}" y1="36" x2="{gx:.1}" y2="{:.1}" stroke="#ddd"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle">{} x</text>"##,
            height - 24.0,
            height - 8.0,
            10f64.powi(decade)
        );
    }
    for (i, (name, speedup, target)) in bars.iter().enumerate() {
        let y = 44.0 + i as f64 * row;
        let colour = if target.is_nan() {
            "#8a8a8a"
        } else if speedup >= target {
            "#2a9d3a"
        } else {
            "#c0392b"
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{name}</text><rect class="bar" x="{left}" y="{y:.1}" width="{:.1}" height="18" fill="{colour}"/><text x="{:.1}" y="{:.1}">{speedup:.1} x</text>"##,
            left - 8.0,
            y + 13.0,
            (x(*speedup) - left).max(1.0),
            x(*speedup) + 6.0,
            y + 13.0,
        );
        if !target.is_nan() {
            let tx = x(*target);
            let _ = write!(
                svg,
                r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="black" stroke-dasharray="3 2"/>"##,
                y - 2.0,
                y + 20.0
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}
