//! Turn the raw runs of `scripts/bench/run` into medians, ratios, tables
//! and plots.
//!
//! `bench-report target/bench` reads every file of `raw/`:
//! - `pingpong-[tcp-]PROGRAM-N.csv`: `bytes,latency_us,bandwidth_mb_s` rows
//!   (shared memory, or TCP between two hosts of the virtual cluster);
//! - `launch-PROGRAM-N.csv`: `ranks,seconds` rows, launch to exit;
//! - `local-PROGRAM-MODE-N.txt`: `name value unit [shape]` lines from
//!   `local-procs bench`, `local_mp.py` and the C floors;
//!
//! and writes `pingpong.csv`, `launch.csv`, `local.csv` and the charts
//! beside them, prints the tables with the ratios the project aims for,
//! and writes the same tables in Markdown to `report.md` (for the book's
//! cost page). It also fits the cost model `latency + bytes / bandwidth`
//! to the raw Rust ping-pong, and draws it over the measured points.
//! A row that does not read is an error naming its file and line: a
//! benchmark that silently drops figures reports the wrong medians.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use mpi_bench::plot::{Chart, Series};
use mpi_bench::table::{Align, Model, Table, TwoModels};
use serde::Deserialize;

/// Medians, ratios, tables and plots from the benchmark's raw runs.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The folder scripts/bench/run wrote (with raw/ inside).
    dir: PathBuf,
}

/// The ping-pong programs, in the order of the table.
const PROGRAMS: [(&str, &str); 4] =
    [("rust-raw", "Rust raw"), ("rust-typed", "Rust typed"), ("c", "C"), ("mpi4py", "mpi4py")];

#[derive(Deserialize)]
struct PingPongRow {
    bytes: u64,
    latency_us: f64,
    bandwidth_mb_s: f64,
}

#[derive(Deserialize)]
struct LaunchRow {
    ranks: u32,
    seconds: f64,
}

/// One line of a local run: `name value unit [shape]`.
#[derive(Deserialize)]
struct LocalRow {
    figure: String,
    value: f64,
    #[allow(dead_code)] // read to check the line's form
    unit: String,
    #[serde(default)]
    shape: Option<String>,
}

/// Every raw figure, over the rounds.
#[derive(Default)]
struct Runs {
    /// (network, program, bytes) -> (latency, bandwidth) per round.
    pingpong: BTreeMap<(Net, String, u64), Vec<(f64, f64)>>,
    /// (program, ranks) -> seconds per round.
    launch: BTreeMap<(String, u32), Vec<f64>>,
    /// (program, mode, figure, shape) -> value per round.
    local: BTreeMap<(String, String, String, String), Vec<f64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Net {
    SharedMemory,
    Tcp,
}

fn median(values: &[f64]) -> f64 {
    let mut values = values.to_vec();
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// The program's name in a raw file's name: `NAME-ROUND.EXT` after `prefix`.
fn program_of<'a>(name: &'a str, prefix: &str, ext: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(prefix)?.strip_suffix(ext)?;
    let (program, round) = rest.rsplit_once('-')?;
    round.parse::<u32>().ok().map(|_| program)
}

fn read_csv<T: for<'de> Deserialize<'de>>(path: &Path, reader: csv::ReaderBuilder) -> Result<Vec<T>, String> {
    let mut reader = reader.from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader.deserialize().map(|row| row.map_err(|e| format!("{}: {e}", path.display()))).collect()
}

fn read_raw(dir: &Path) -> Result<Runs, String> {
    let raw = dir.join("raw");
    let mut names: Vec<String> = std::fs::read_dir(&raw)
        .map_err(|e| format!("cannot read {}: {e}", raw.display()))?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", raw.display()))?;
    names.sort();
    let mut runs = Runs::default();
    for name in names {
        let path = raw.join(&name);
        if let Some(program) = program_of(&name, "pingpong-", ".csv") {
            let (net, program) = match program.strip_prefix("tcp-") {
                Some(program) => (Net::Tcp, program),
                None => (Net::SharedMemory, program),
            };
            for row in read_csv::<PingPongRow>(&path, csv::ReaderBuilder::new())? {
                let slot = runs.pingpong.entry((net, program.to_owned(), row.bytes)).or_default();
                slot.push((row.latency_us, row.bandwidth_mb_s));
            }
        } else if let Some(program) = program_of(&name, "launch-", ".csv") {
            for row in read_csv::<LaunchRow>(&path, csv::ReaderBuilder::new())? {
                runs.launch.entry((program.to_owned(), row.ranks)).or_default().push(row.seconds);
            }
        } else if let Some(program_mode) = program_of(&name, "local-", ".txt") {
            let (program, mode) = program_mode
                .split_once('-')
                .ok_or_else(|| format!("{}: the name has no PROGRAM-MODE", path.display()))?;
            let mut reader = csv::ReaderBuilder::new();
            reader.delimiter(b' ').has_headers(false).flexible(true);
            for row in read_csv::<LocalRow>(&path, reader)? {
                let key = (program.to_owned(), mode.to_owned(), row.figure, row.shape.unwrap_or_default());
                runs.local.entry(key).or_default().push(row.value);
            }
        } else {
            return Err(format!("{}: not a file of scripts/bench/run", path.display()));
        }
    }
    Ok(runs)
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

/// Median latency and bandwidth per (network, program, bytes).
type PingPongMedians = BTreeMap<(Net, String, u64), (f64, f64)>;

fn report(dir: &Path) -> Result<String, String> {
    let runs = read_raw(dir)?;
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
    };
    let mut out = String::new();
    let mut md = String::new();
    let mut written = Vec::new();

    let medians: PingPongMedians = runs
        .pingpong
        .iter()
        .map(|(key, rounds)| {
            let latencies: Vec<f64> = rounds.iter().map(|r| r.0).collect();
            let bandwidths: Vec<f64> = rounds.iter().map(|r| r.1).collect();
            (key.clone(), (median(&latencies), median(&bandwidths)))
        })
        .collect();
    let mut csv = String::from("network,program,bytes,latency_us,bandwidth_mb_s\n");
    for ((net, program, bytes), (l, b)) in &medians {
        let net = if *net == Net::Tcp { "tcp" } else { "shm" };
        let _ = writeln!(csv, "{net},{program},{bytes},{l:.3},{b:.2}");
    }
    write("pingpong.csv", csv)?;
    written.push("pingpong.csv");
    for (net, title, suffix) in
        [(Net::SharedMemory, "shared memory, one machine", ""), (Net::Tcp, "TCP between two virtual hosts", "-tcp")]
    {
        if medians.keys().any(|(n, ..)| *n == net) {
            pingpong_table(&mut out, &mut md, &medians, net, title);
            for (file, what, y_label, pick) in [
                ("latency", "latency (one way)", "latency (µs)", 0usize),
                ("bandwidth", "bandwidth", "bandwidth (MB/s)", 1),
            ] {
                let chart = pingpong_chart(&medians, net, &format!("Ping-pong {what}, {title}"), y_label, pick);
                let file = format!("{file}{suffix}.svg");
                write(&file, chart.to_svg())?;
            }
            written.push(if net == Net::Tcp {
                "latency-tcp.svg, bandwidth-tcp.svg"
            } else {
                "latency.svg, bandwidth.svg"
            });
        }
    }

    if !runs.launch.is_empty() {
        launch_section(&mut out, &mut md, &runs, &write)?;
        written.push("launch.csv, launch.svg");
    }
    if !runs.local.is_empty() {
        local_section(&mut out, &mut md, &runs, &write)?;
        written.push("local.csv, local.svg, queue.svg, pool.svg");
    }
    write("report.md", md)?;
    written.push("report.md");
    let _ = writeln!(out, "\nWritten in {}: {}", dir.display(), written.join(", "));
    Ok(out)
}

fn pingpong_table(out: &mut String, md: &mut String, medians: &PingPongMedians, net: Net, title: &str) {
    let get = |program: &str, bytes: u64| medians.get(&(net, program.to_owned(), bytes)).copied();
    let mut sizes: Vec<u64> = medians.keys().filter(|(n, ..)| *n == net).map(|(_, _, b)| *b).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let ratio = |a: &str, b: &str, bytes: u64| match (get(a, bytes), get(b, bytes)) {
        (Some((x, _)), Some((y, _))) if y > 0.0 => Some(x / y),
        _ => None,
    };
    let show = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.2}"));
    let mut header = vec!["bytes".to_owned()];
    header.extend(PROGRAMS.iter().map(|(_, label)| (*label).to_owned()));
    header.extend(["raw/C", "typed/raw", "floor/raw", "mpi4py/typed"].map(String::from));
    let mut columns = vec![(9, Align::Right)];
    columns.extend(PROGRAMS.iter().map(|_| (11, Align::Right)));
    columns.extend([(8, Align::Right), (10, Align::Right), (10, Align::Right), (13, Align::Right)]);
    let rows = sizes
        .iter()
        .map(|&bytes| {
            let mut row = vec![bytes.to_string()];
            row.extend(
                PROGRAMS
                    .iter()
                    .map(|(program, _)| get(program, bytes).map_or("-".to_owned(), |(l, _)| format!("{l:.2}"))),
            );
            row.extend([
                show(ratio("rust-raw", "c", bytes)),
                show(ratio("rust-typed", "rust-raw", bytes)),
                show(ratio("rust-floor", "rust-raw", bytes)),
                show(ratio("mpi4py", "rust-typed", bytes)),
            ]);
            row
        })
        .collect();
    let table = Table {
        title: format!("Ping-pong, {title}: one-way latency in µs (median of the runs)"),
        header,
        columns,
        rows,
    };
    out.push_str(&table.text());
    md.push_str(&table.markdown());

    let _ = writeln!(out, "\nTargets ({title}):");
    let _ = writeln!(md, "Targets ({title}):\n");
    let mut target = |what: String, value: String, met: bool| {
        let _ = writeln!(out, "  {what}: {value}  {}", verdict(met));
        let _ = writeln!(md, "- {what}: {value}, **{}**", verdict(met));
    };
    if net == Net::SharedMemory {
        if let Some(r) = ratio("rust-raw", "c", 8) {
            target("raw 8 B latency <= 1.10 x C".into(), format!("{r:.2} x"), r <= 1.10);
        }
    }
    let big = sizes.iter().copied().max().unwrap_or(0);
    if let (Some((_, rust)), Some((_, c))) = (get("rust-raw", big), get("c", big)) {
        target(format!("raw {big} B bandwidth >= 0.9 x C"), format!("{:.2} x", rust / c), rust / c >= 0.9);
    }
    // The worst ratio over a set of sizes, and where it is.
    let worst = |a: &str, b: &str, keep: &dyn Fn(u64) -> bool, highest: bool| {
        sizes
            .iter()
            .filter(|&&bytes| keep(bytes))
            .filter_map(|&bytes| ratio(a, b, bytes).map(|r| (r, bytes)))
            .reduce(|x, y| if (highest && y.0 > x.0) || (!highest && y.0 < x.0) { y } else { x })
    };
    if let Some((r, at)) = worst("rust-typed", "rust-raw", &|_| true, true) {
        // The floor: the typed message's own bytes, received as a message
        // of unknown length must be, before anything is encoded.
        let floor = ratio("rust-floor", "rust-raw", at).map_or(String::new(), |f| format!("; its floor {f:.2} x"));
        target(
            "typed latency <= 1.2 x raw at every size".into(),
            format!("at most {r:.2} x (at {at} B{floor})"),
            r <= 1.2,
        );
    }
    for (what, keep, least) in [
        ("up to 1 KiB", &(|b: u64| b <= 1024) as &dyn Fn(u64) -> bool, 3.0),
        ("at 64 KiB", &|b: u64| b == 65_536, 1.1),
        ("from 1 MiB up", &|b: u64| b >= 1_048_576, 3.0),
    ] {
        if let Some((r, at)) = worst("mpi4py", "rust-typed", keep, false) {
            target(
                format!("typed at least {least} x faster than mpi4py {what}"),
                format!("at least {r:.2} x (at {at} B)"),
                r >= least,
            );
        }
    }
    if net == Net::SharedMemory {
        if let (Some((traced, _)), Some((raw, _))) = (get("rust-traced", 8), get("rust-raw", 8)) {
            target(
                "tracing (scripts/mpirun --trace) adds <= 0.3 µs to raw 8 B latency".into(),
                format!("{:+.2} µs", traced - raw),
                traced - raw <= 0.3,
            );
        }
        if let (Some((watched, _)), Some((raw, _))) = (get("rust-watched", 8), get("rust-raw", 8)) {
            target(
                "the watch (scripts/mpirun --watch) adds <= 0.2 µs to raw 8 B latency".into(),
                format!("{:+.2} µs", watched - raw),
                watched - raw <= 0.2,
            );
        }
    }
    let _ = writeln!(md);
    if let Some(model) = raw_model(medians, net) {
        // A size the run did not measure, for the reader to predict.
        let unmeasured = [262_144u64, 131_072, 16_384].into_iter().find(|n| !sizes.contains(n)).unwrap_or(3 * big);
        let text = format!(
            "Model, Rust raw ({title}): time(n) = {:.2} µs + n / {:.0} MB/s (fitted to the medians, relative \
             error); at {unmeasured} B, not measured, it predicts {:.1} µs",
            model.latency_us,
            model.bytes_per_us,
            model.time_us(unmeasured as f64)
        );
        let _ = writeln!(out, "\n{text}");
        let _ = writeln!(md, "{text}.\n");
        let points = raw_points(medians, net);
        if let Some(two) = TwoModels::fit(&points) {
            let text = format!(
                "Two lines, split where they fit best (between {} and {} B): {:.2} µs + n / {:.0} MB/s below, \
                 {:.2} µs + n / {:.0} MB/s above; worst error {:.0} % with one line, {:.0} % with two",
                two.last_below,
                two.first_above,
                two.below.latency_us,
                two.below.bytes_per_us,
                two.above.latency_us,
                two.above.bytes_per_us,
                100.0 * model.worst_error(&points),
                100.0 * two.worst_error(&points)
            );
            let _ = writeln!(out, "{text}");
            let _ = writeln!(md, "{text}.\n");
        }
    }
    let _ = writeln!(out);
}

/// The raw Rust ping-pong's (bytes, µs) medians of one network.
fn raw_points(medians: &PingPongMedians, net: Net) -> Vec<(f64, f64)> {
    medians
        .iter()
        .filter(|((n, p, _), _)| *n == net && p == "rust-raw")
        .map(|((_, _, bytes), (l, _))| (*bytes as f64, *l))
        .collect()
}

/// The cost model fitted to the raw Rust ping-pong of one network.
fn raw_model(medians: &PingPongMedians, net: Net) -> Option<Model> {
    Model::fit(&raw_points(medians, net))
}

fn pingpong_chart(medians: &PingPongMedians, net: Net, title: &str, y_label: &str, pick: usize) -> Chart {
    let mut series = PROGRAMS
        .iter()
        .map(|(program, label)| Series {
            name: (*label).to_owned(),
            points: medians
                .iter()
                .filter(|((n, p, _), _)| *n == net && p == program)
                .map(|((_, _, bytes), (l, b))| (*bytes as f64, if pick == 0 { *l } else { *b }))
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect::<Vec<_>>();
    if let (0, Some(model)) = (pick, raw_model(medians, net)) {
        // The model's line over the measured sizes, at every power of two.
        let largest = medians.keys().filter(|(n, ..)| *n == net).map(|(_, _, b)| *b).max().unwrap_or(1);
        let points = (0..=63).map(|k| 1u64 << k).take_while(|&n| n <= largest).map(|n| {
            let n = n as f64;
            (n, model.time_us(n))
        });
        series.push(Series { name: "model (Rust raw)".into(), points: points.collect() });
    }
    Chart {
        title: title.into(),
        x_label: "message size (bytes)".into(),
        y_label: y_label.into(),
        series,
        x_ticks: None,
    }
}

fn launch_section(
    out: &mut String,
    md: &mut String,
    runs: &Runs,
    write: &dyn Fn(&str, String) -> Result<(), String>,
) -> Result<(), String> {
    let medians: BTreeMap<(String, u32), f64> =
        runs.launch.iter().map(|(key, rounds)| (key.clone(), median(rounds))).collect();
    let mut ranks: Vec<u32> = medians.keys().map(|(_, r)| *r).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let mut csv = String::from("program,ranks,seconds\n");
    for ((program, r), s) in &medians {
        let _ = writeln!(csv, "{program},{r},{s:.4}");
    }
    write("launch.csv", csv)?;
    let get = |program: &str, r: u32| medians.get(&(program.to_owned(), r)).copied();
    let cell = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.3}"));
    let table = Table {
        title: "Launch to exit, scripts/mpirun -np N on this machine (median of the runs, seconds)".into(),
        header: ["ranks", "Rust p2p", "mpi4py p2p", "mpi4py/Rust"].map(String::from).to_vec(),
        columns: vec![(6, Align::Right), (10, Align::Right), (14, Align::Right), (8, Align::Right)],
        rows: ranks
            .iter()
            .map(|&r| {
                let ratio = match (get("rust", r), get("mpi4py", r)) {
                    (Some(rust), Some(py)) if rust > 0.0 => format!("{:.1} x", py / rust),
                    _ => "-".to_owned(),
                };
                vec![r.to_string(), cell(get("rust", r)), cell(get("mpi4py", r)), ratio]
            })
            .collect(),
    };
    out.push_str(&table.text());
    md.push_str(&table.markdown());
    let series = [("rust", "Rust p2p"), ("mpi4py", "mpi4py original")]
        .iter()
        .map(|(program, label)| Series {
            name: (*label).into(),
            points: ranks.iter().filter_map(|&r| get(program, r).map(|s| (f64::from(r), s))).collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let chart = Chart {
        title: "Launch to exit, all ranks on this machine".into(),
        x_label: "ranks".into(),
        y_label: "seconds".into(),
        series,
        x_ticks: Some(ranks.iter().map(|&r| f64::from(r)).collect()),
    };
    write("launch.svg", chart.to_svg())?;
    let _ = writeln!(out);
    Ok(())
}

/// The local figures: name, unit, more is better, the target's shape, and
/// the target: a speed-up over Python, or a ratio to the C floor at most.
const FIGURES: [(&str, &str, bool, &str, Target); 4] = [
    ("pipe_roundtrip", "us", false, "", Target::FloorAtMost(1.1)),
    ("queue_throughput", "items/s", true, "1x1", Target::PythonAtLeast(50.0)),
    ("pool_map_1e6", "ms", false, "4", Target::PythonAtLeast(40.0)),
    ("spawn_join", "ms", false, "", Target::FloorAtMost(2.0)),
];

#[derive(Clone, Copy)]
enum Target {
    PythonAtLeast(f64),
    FloorAtMost(f64),
}

fn local_section(
    out: &mut String,
    md: &mut String,
    runs: &Runs,
    write: &dyn Fn(&str, String) -> Result<(), String>,
) -> Result<(), String> {
    let medians: BTreeMap<(String, String, String, String), f64> =
        runs.local.iter().map(|(key, rounds)| (key.clone(), median(rounds))).collect();
    let mut csv = String::from("program,mode,figure,shape,value\n");
    for ((program, mode, figure, shape), value) in &medians {
        let _ = writeln!(csv, "{program},{mode},{figure},{shape},{value:.3}");
    }
    write("local.csv", csv)?;
    let value = |program: &str, mode: &str, figure: &str, shape: &str| {
        medians.get(&(program.to_owned(), mode.to_owned(), figure.to_owned(), shape.to_owned())).copied()
    };
    let mut bars = Vec::new();
    for (mode, title) in [("onecore", "all on one core"), ("free", "free-running")] {
        if !medians.keys().any(|(p, m, ..)| p == "rust" && m == mode) {
            continue;
        }
        let mut table = Table {
            title: format!("local-procs against Python multiprocessing and the C floor, {title} (median of the runs)"),
            header: ["figure", "Rust", "Python", "C floor", "speed-up", "Rust/C", "target"].map(String::from).to_vec(),
            columns: vec![
                (22, Align::Left),
                (18, Align::Right),
                (18, Align::Right),
                (12, Align::Right),
                (9, Align::Right),
                (8, Align::Right),
                (0, Align::Free),
            ],
            rows: Vec::new(),
        };
        for (figure, unit, more_is_better, shape, target) in FIGURES {
            let (rust, python, floor) = (
                value("rust", mode, figure, shape),
                value("python", mode, figure, shape),
                value("c", mode, figure, shape),
            );
            let speedup = match (rust, python) {
                (Some(r), Some(p)) if r > 0.0 && p > 0.0 => Some(if more_is_better { r / p } else { p / r }),
                _ => None,
            };
            let to_floor = match (rust, floor) {
                (Some(r), Some(c)) if c > 0.0 => Some(r / c),
                _ => None,
            };
            let show = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.3} {unit}"));
            let goal = match (mode, target) {
                ("onecore", Target::PythonAtLeast(least)) => {
                    format!(">= {least} x Python {}", speedup.map_or("", |s| verdict(s >= least)))
                }
                ("onecore", Target::FloorAtMost(most)) => {
                    format!("<= {most} x C {}", to_floor.map_or("", |r| verdict(r <= most)))
                }
                _ => String::new(),
            };
            let name = if shape.is_empty() { figure.to_owned() } else { format!("{figure} {shape}") };
            table.rows.push(vec![
                name.clone(),
                show(rust),
                show(python),
                floor.map_or("-".to_owned(), |v| format!("{v:.3} {unit}")),
                speedup.map_or("-".to_owned(), |s| format!("{s:.1} x")),
                to_floor.map_or("-".to_owned(), |r| format!("{r:.2} x")),
                goal,
            ]);
            if let Some(s) = speedup {
                let goal = match (mode, target) {
                    ("onecore", Target::PythonAtLeast(least)) => least,
                    _ => f64::NAN,
                };
                bars.push((format!("{name} ({title})"), s, goal));
            }
        }
        out.push_str(&table.text());
        md.push_str(&table.markdown());
        let _ = writeln!(out);
    }
    if !bars.is_empty() {
        write("local.svg", bar_chart("local-procs speed-up over Python multiprocessing", &bars))?;
    }
    tracing_cost(out, md, &value);

    // The curves: how a cost grows with producers x consumers, or workers.
    for (figure, file, title, x_label, y_label) in [
        ("queue_throughput", "queue.svg", "Queue throughput, P producers x P consumers", "P", "items per second"),
        ("pool_map_1e6", "pool.svg", "Pool::map of square over 1,000,000 integers", "workers", "milliseconds"),
    ] {
        let shapes: Vec<String> = {
            let mut s: Vec<String> = medians
                .keys()
                .filter(|(_, _, f, shape)| f == figure && !shape.is_empty())
                .map(|k| k.3.clone())
                .collect();
            s.sort_by(|a, b| x_of(a).total_cmp(&x_of(b)));
            s.dedup();
            s
        };
        if shapes.is_empty() {
            continue;
        }
        let mut columns = vec![(14, Align::Left)];
        columns.extend(shapes.iter().map(|_| (12, Align::Right)));
        let mut header = vec![String::new()];
        header.extend(shapes.iter().cloned());
        let mut table = Table { title: format!("{title} (median of the runs)"), header, columns, rows: Vec::new() };
        let mut series = Vec::new();
        for (program, mode, label) in [
            ("rust", "onecore", "Rust, one core"),
            ("python", "onecore", "Python, one core"),
            ("rust", "free", "Rust, free"),
            ("python", "free", "Python, free"),
        ] {
            let points: Vec<(f64, f64)> = shapes
                .iter()
                .filter_map(|shape| value(program, mode, figure, shape).map(|v| (x_of(shape), v)))
                .collect();
            if points.is_empty() {
                continue;
            }
            let mut row = vec![label.to_owned()];
            row.extend(shapes.iter().map(|shape| {
                value(program, mode, figure, shape).map_or("-".to_owned(), |v| {
                    if v >= 100.0 {
                        format!("{v:.0}")
                    } else {
                        format!("{v:.3}")
                    }
                })
            }));
            table.rows.push(row);
            series.push(Series { name: label.into(), points });
        }
        out.push_str(&table.text());
        md.push_str(&table.markdown());
        let _ = writeln!(out);
        let x_ticks = Some(shapes.iter().map(|s| x_of(s)).collect());
        let chart = Chart { title: title.into(), x_label: x_label.into(), y_label: y_label.into(), series, x_ticks };
        write(file, chart.to_svg())?;
    }
    Ok(())
}

/// What `local-procs --trace` costs: each figure on one core, run as it is
/// and traced (every pipe message, queue item, fork and wait written to
/// the trace), side by side. Untraced is the library as every lesson runs
/// it: its instrumentation compiled in, no subscriber listening.
fn tracing_cost(out: &mut String, md: &mut String, value: &dyn Fn(&str, &str, &str, &str) -> Option<f64>) {
    let mut table = Table {
        title: "What local-procs --trace costs, all on one core (median of the runs)".into(),
        header: ["figure", "untraced", "traced", "traced/untraced"].map(String::from).to_vec(),
        columns: vec![(22, Align::Left), (18, Align::Right), (18, Align::Right), (0, Align::Free)],
        rows: Vec::new(),
    };
    for (figure, unit, more_is_better, shape, _) in FIGURES {
        let (Some(plain), Some(traced)) =
            (value("rust", "onecore", figure, shape), value("traced", "onecore", figure, shape))
        else {
            continue;
        };
        // How many times slower tracing makes it, whichever way the unit goes.
        let slower = if more_is_better { plain / traced } else { traced / plain };
        let name = if shape.is_empty() { figure.to_owned() } else { format!("{figure} {shape}") };
        table.rows.push(vec![
            name,
            format!("{plain:.3} {unit}"),
            format!("{traced:.3} {unit}"),
            format!("{slower:.2} x slower"),
        ]);
    }
    if !table.rows.is_empty() {
        out.push_str(&table.text());
        md.push_str(&table.markdown());
        let _ = writeln!(out);
    }
}

/// The x of a curve's shape: workers `8`, or producers `4` of `4x4`.
fn x_of(shape: &str) -> f64 {
    shape.split('x').next().and_then(|p| p.parse().ok()).unwrap_or(f64::NAN)
}

/// Horizontal bars on a log scale: speed-up per figure, green or red against
/// its target (dashed), grey where it has none (NaN).
fn bar_chart(title: &str, bars: &[(String, f64, f64)]) -> String {
    let (left, width, row) = (290.0, 420.0, 28.0);
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
