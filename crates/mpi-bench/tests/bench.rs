//! The benchmarks run and say what they measured in the agreed form: tiny
//! sizes and counts, and no assertion on any time (a test is no benchmark).

use std::path::PathBuf;
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn pingpong(extra: &[&str]) -> Outcome {
    let mut args =
        vec!["-np", "2", env!("CARGO_BIN_EXE_pingpong"), "--sizes", "0,8,4096", "--iters", "20", "--warmup", "2"];
    args.extend_from_slice(extra);
    Supervised::new(workspace().join("scripts/mpirun"))
        .args(args)
        .current_dir(workspace())
        .time_limit(Duration::from_secs(60))
        .run()
        .unwrap()
}

/// The CSV rows, checked for form: header, then bytes,latency,bandwidth.
fn rows(out: &Outcome) -> Vec<(u64, f64, f64)> {
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("bytes,latency_us,bandwidth_mb_s"), "{}", out.describe());
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "{line}");
            (fields[0].parse().unwrap(), fields[1].parse().unwrap(), fields[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn pingpong_prints_one_row_per_size_for_both_payloads() {
    for payload in ["bytes", "typed"] {
        let out = pingpong(&["--payload", payload]);
        assert!(out.clean_success(), "{}", out.describe());
        let rows = rows(&out);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 8, 4096], "{}", out.describe());
        for (bytes, latency, bandwidth) in rows {
            assert!(latency > 0.0 && latency.is_finite(), "{bytes}: {latency}");
            assert!(bandwidth >= 0.0 && bandwidth.is_finite(), "{bytes}: {bandwidth}");
            assert_eq!(bytes == 0, bandwidth == 0.0, "bandwidth is size / latency");
        }
    }
}

#[test]
fn pingpong_refuses_one_rank() {
    let out = Supervised::new(workspace().join("scripts/mpirun"))
        .args(["-np", "1", env!("CARGO_BIN_EXE_pingpong")])
        .current_dir(workspace())
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert_ne!(out.code(), 0, "{}", out.describe());
    assert!(out.stderr.contains("pingpong needs 2 MPI ranks"), "{}", out.describe());
}

#[test]
fn the_report_takes_medians_writes_files_and_names_the_ratios() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let raw = dir.join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    // Three runs of each program; the medians are the middle values.
    for (run, factor) in [(1, 1.0), (2, 3.0), (3, 2.0)] {
        for (program, base) in [("rust-raw", 1.0), ("rust-typed", 1.2), ("c", 1.0), ("mpi4py", 5.0)] {
            let latency = base * factor;
            let text = format!(
                "bytes,latency_us,bandwidth_mb_s\n8,{latency},{}\n1024,{latency},{}\n",
                8.0 / latency,
                1024.0 / latency
            );
            std::fs::write(raw.join(format!("pingpong-{program}-{run}.csv")), text).unwrap();
        }
        for (program, pipe) in [("rust", 2.0), ("python", 10.0)] {
            let text = format!(
                "pipe_roundtrip {} us\nqueue_throughput 1000 items/s\npool_map_1e6 5 ms\nspawn_join 1 ms\n",
                pipe * factor
            );
            std::fs::write(raw.join(format!("local-{program}-onecore-{run}.txt")), text).unwrap();
        }
    }
    let out = Supervised::new(env!("CARGO_BIN_EXE_bench-report"))
        .args([dir])
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert!(out.clean_success(), "{}", out.describe());
    let csv = std::fs::read_to_string(dir.join("pingpong.csv")).unwrap();
    assert!(csv.contains("rust-raw,8,2.000,"), "{csv}");
    assert!(csv.contains("mpi4py,8,10.000,"), "{csv}");
    assert!(out.stdout.contains("raw 8 B latency <= 1.10 x C: 1.00 x  met"), "{}", out.describe());
    assert!(out.stdout.contains("typed 8 B latency <= 1.5 x raw: 1.20 x  met"), "{}", out.describe());
    assert!(out.stdout.contains("pipe_roundtrip"), "{}", out.describe());
    assert!(out.stdout.contains("5.0 x"), "pipe: 20 us against 4 us: {}", out.describe());
    for svg in ["latency.svg", "bandwidth.svg", "local.svg"] {
        let text = std::fs::read_to_string(dir.join(svg)).unwrap();
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{svg}: {e}"));
    }
    let latency = std::fs::read_to_string(dir.join("latency.svg")).unwrap();
    assert_eq!(latency.matches("<polyline").count(), 4);
}
