//! The typed path under the real MPI (Open MPI, or MPICH with `MPI=mpich`),
//! launched by `scripts/mpirun`: every case arrives exactly as sent, and
//! the profiling layer's trace shows how many messages each took.

use std::path::{Path, PathBuf};
use std::time::Duration;

use local_procs::supervise::Supervised;
use mpi_typed::Bulk;
use serde::{Deserialize, Serialize};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

#[test]
fn every_shape_arrives_exactly_in_as_few_messages_as_it_should() {
    let program = Path::new(env!("CARGO_BIN_EXE_typed-roundtrip"));
    let layer = program.parent().unwrap().join("libmpiwatch.so");
    assert!(layer.exists(), "{} is not built: run `cargo build --workspace` (make test does)", layer.display());
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("roundtrip.jsonl");
    let run = Supervised::new(workspace().join("scripts/mpirun"))
        .args(["--trace", trace.to_str().unwrap(), "-np", "2", program.to_str().unwrap()])
        .env("MPI_WATCH_LIB", &layer)
        .current_dir(workspace())
        .time_limit(Duration::from_secs(120))
        .run()
        .unwrap();
    assert!(run.clean_success(), "{}", run.describe());
    // Both ranks on this machine: the one-node limit.
    let limit = format!("limit {}", mpi_typed::FIRST_MESSAGE_MAX);
    assert!(run.stdout.lines().any(|line| line == limit), "{}", run.describe());
    let cases = [
        "exact empty",
        "exact small",
        "exact large",
        "exact several",
        "exact nested",
        "exact long-shape-large",
        "exact long-shape-small",
        "exact at-the-one-message-limit",
        "exact one-byte-over-the-limit",
        "exact after-the-wrong-type",
        "exact any-source-tag-7",
        "exact reused-buffers",
        "exact after-raw-messages",
        "exact into-grows",
        "exact into-keeps-its-buffer",
        "exact into-one-message",
        "exact into-nested",
    ];
    for case in cases {
        assert!(run.stdout.lines().any(|line| line == case), "no {case:?}: {}", run.describe());
    }
    assert!(run.stdout.contains("refused wrong-type: the message from rank 0 (tag 0) is not a"), "{}", run.describe());
    for raw in ["raw-long", "raw-split"] {
        let refused = format!("refused {raw}: the message from rank 0 (tag 0) is not a");
        assert!(
            run.stdout.lines().any(|line| line.starts_with(&refused) && line.contains("no typed send makes")),
            "{}",
            run.describe()
        );
    }

    // Messages per case, in order: one while the value fits in the first
    // message; the shape and then all the contents at once otherwise; one
    // more when the shape itself is too long.
    let per_case = [
        1, 1, 2, 2, 2, 3, 3, 1, 2, 2, 1, 2, /* reused buffers: */ 24, /* raw, raw, typed: */ 3,
        /* into: */ 2, 2, 1, 2,
    ];
    let trace = mpi_watch::trace::Trace::decode(&std::fs::read(&trace).unwrap()).unwrap();
    let sends: Vec<_> = trace.events.iter().filter(|e| e.op == mpi_watch::trace::Op::Send).collect();
    assert!(sends.iter().all(|e| e.rank == 0 && e.peer == 1), "{sends:?}");
    assert_eq!(sends.len(), per_case.iter().sum::<usize>(), "{sends:?}");
    assert_eq!(sends.iter().filter(|e| e.tag == 7).count(), 2, "{sends:?}");
    // The value at the limit is one message of exactly the limit's size.
    let at_limit: usize = per_case[..7].iter().sum();
    assert_eq!(sends[at_limit].bytes, mpi_typed::FIRST_MESSAGE_MAX as u64, "{sends:?}");
    // The large series' 8 MB of samples went as one message.
    assert!(sends.iter().any(|e| e.bytes == 8_000_000), "{sends:?}");
}

/// Outside a typed send or receive, a Bulk is an ordinary serde sequence.
#[test]
fn a_bulk_is_a_plain_sequence_to_serde() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Series {
        name: String,
        samples: Bulk<f64>,
    }
    let series = Series { name: "s".into(), samples: vec![1.0, -2.5, 0.0].into() };
    let json = serde_json::to_string(&series).unwrap();
    assert_eq!(json, r#"{"name":"s","samples":[1.0,-2.5,0.0]}"#);
    assert_eq!(serde_json::from_str::<Series>(&json).unwrap(), series);
    let bytes = postcard::to_allocvec(&series).unwrap();
    assert_eq!(postcard::from_bytes::<Series>(&bytes).unwrap(), series);
}
