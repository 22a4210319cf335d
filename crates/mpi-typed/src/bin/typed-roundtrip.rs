//! Sends values of every shape the typed path handles from rank 0 to rank
//! 1, which checks that each arrives exactly as sent: empty, small and
//! large bulk fields, several at once, nested vectors and strings, a shape
//! longer than the first message, sizes on both sides of the one-message
//! limit, a message of the wrong type (an error, with nothing left in
//! flight), a receive from any rank with a tag, and values received into
//! values already there (`receive_into`), whose vectors grow, are kept and
//! shrink.
//!
//! Launch: `scripts/mpirun -np 2 target/release/typed-roundtrip`. Rank 1
//! prints one line per case, `exact NAME` or `WRONG NAME: why`, and the
//! job fails if any is wrong. Run by `tests/roundtrip.rs` under each MPI.

use std::fmt::Debug;
use std::process::ExitCode;

use mpi::traits::*;
use mpi_typed::Bulk;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Series {
    station: String,
    samples: Bulk<f64>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Several {
    name: String,
    bytes: Bulk<u8>,
    counts: Bulk<i32>,
    empty: Bulk<u64>,
    floats: Bulk<f32>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Inner {
    label: String,
    data: Bulk<u16>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Nested {
    inners: Vec<Inner>,
    words: Vec<Vec<String>>,
    maybe: Option<Bulk<f64>>,
    none: Option<Bulk<f64>>,
    plain: Vec<u32>,
}

/// Another type than the sender's: no bulk field at all.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct NotASeries {
    station: String,
    count: u64,
}

/// Bulk lengths received in turn: equal, shorter, much shorter, longer.
const REUSE: [usize; 6] = [100_000, 100_000, 90_000, 20_000, 150_000, 8_192];

/// A bulk of another type with the same alignment as f64.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Ints(Bulk<i64>);

fn counting(n: usize, from: usize) -> Bulk<i64> {
    (0..n as i64).map(|k| k * 3 + from as i64).collect::<Vec<_>>().into()
}

fn series(station: &str, n: usize) -> Series {
    Series { station: station.into(), samples: (0..n).map(|i| i as f64 * 0.5 - 3.0).collect::<Vec<_>>().into() }
}

fn several() -> Several {
    Several {
        name: "several".into(),
        bytes: (0..3 << 20).map(|i: u32| (i % 251) as u8).collect::<Vec<_>>().into(),
        counts: vec![-7, 0, 7, i32::MIN, i32::MAX, 1, 2].into(),
        empty: Bulk::default(),
        floats: (0..100_000).map(|i| i as f32 / 3.0).collect::<Vec<_>>().into(),
    }
}

fn nested() -> Nested {
    Nested {
        inners: (0..50)
            .map(|i| Inner {
                label: format!("inner {i}"),
                data: (0..i * i * 7).map(|x| x as u16).collect::<Vec<_>>().into(),
            })
            .collect(),
        words: vec![vec![], vec!["ö".into(), String::new(), "rank".into()], vec!["x".repeat(300)]],
        maybe: Some(vec![1.5; 70_000].into()),
        none: None,
        plain: (0..1000).collect(),
    }
}

/// A bulk of bytes with `n` elements after a one-letter name: its first
/// message is `n` + a few bytes long.
fn bytes_of(n: usize) -> Several {
    Several {
        name: "b".into(),
        bytes: vec![0xAB; n].into(),
        counts: Bulk::default(),
        empty: Bulk::default(),
        floats: Bulk::default(),
    }
}

/// Cases by name: the sender's value and a check of what arrived.
fn check<T: Serialize + DeserializeOwned + PartialEq + Debug, S: Source>(
    name: &str,
    from: &S,
    expected: &T,
    wrong: &mut u32,
) {
    match mpi_typed::receive::<T, S>(from) {
        Ok((got, _)) if &got == expected => println!("exact {name}"),
        Ok(_) => {
            println!("WRONG {name}: the value differs");
            *wrong += 1;
        }
        Err(error) => {
            println!("WRONG {name}: {error}");
            *wrong += 1;
        }
    }
}

/// Cases received into `place`, a value already there: what arrives must be
/// exactly what was sent, whatever was in `place`. With `keeps`, the
/// address of one of its vectors (`buffer`) must not change: that vector
/// was large enough already.
fn check_into<T: DeserializeOwned + PartialEq, S: Source>(
    name: &str,
    from: &S,
    place: &mut T,
    expected: &T,
    keeps: Option<fn(&T) -> usize>,
    wrong: &mut u32,
) {
    let before = keeps.map(|buffer| buffer(place));
    match mpi_typed::receive_into(from, place) {
        Ok(_) if place != expected => {
            println!("WRONG {name}: the value differs");
            *wrong += 1;
        }
        Ok(_) if keeps.map(|buffer| buffer(place)) != before => {
            println!("WRONG {name}: a new buffer, where the old one was large enough");
            *wrong += 1;
        }
        Ok(_) => println!("exact {name}"),
        Err(error) => {
            println!("WRONG {name}: {error}");
            *wrong += 1;
        }
    }
}

/// Cases that must not decode as a `T`: the error is printed, for the test
/// to check what it says.
fn refuse<T: DeserializeOwned + Debug, S: Source>(name: &str, from: &S, wrong: &mut u32) {
    match mpi_typed::receive::<T, S>(from) {
        Err(error) => println!("refused {name}: {error}"),
        Ok((value, _)) => {
            println!("WRONG {name}: decoded as {value:?}");
            *wrong += 1;
        }
    }
}

fn main() -> ExitCode {
    let Some(universe) = mpi::initialize() else {
        eprintln!("error: typed-roundtrip: MPI was initialised already");
        return ExitCode::from(2);
    };
    let world = universe.world();
    if world.size() != 2 {
        if world.rank() == 0 {
            eprintln!("error: typed-roundtrip: started with {} ranks; it needs 2 (mpirun -np 2)", world.size());
        }
        return ExitCode::from(2);
    }
    // The one-message limit in force: the job's ranks all on one node, or not.
    let limit = mpi_typed::first_message_max();
    // Seen from a Several with only bytes: the
    // header (the contents' length and the kind, `length << 2 | kind`),
    // the name and the lengths take a few bytes of it. The header and the
    // bytes' own length are varints, one byte below 128 and more above.
    let varint = |mut n: usize| {
        let mut bytes = 1;
        while n >= 0x80 {
            n >>= 7;
            bytes += 1;
        }
        bytes
    };
    let shape_without_len = postcard::to_allocvec(&bytes_of(0)).unwrap().len() - 1;
    let mut at_limit = limit - shape_without_len;
    while varint(at_limit << 2) + shape_without_len + varint(at_limit) + at_limit > limit {
        at_limit -= 1;
    }
    // Longer than the first message by itself.
    let long_name = "long shape ".repeat(limit / 10);

    if world.rank() == 0 {
        let to = world.process_at_rank(1);
        mpi_typed::send(&to, &series("", 0)).unwrap();
        mpi_typed::send(&to, &series("small", 1)).unwrap();
        mpi_typed::send(&to, &series("large", 1_000_000)).unwrap();
        mpi_typed::send(&to, &several()).unwrap();
        mpi_typed::send(&to, &nested()).unwrap();
        mpi_typed::send(&to, &series(&long_name, 262_144)).unwrap();
        mpi_typed::send(&to, &series(&long_name, 10)).unwrap();
        mpi_typed::send(&to, &bytes_of(at_limit)).unwrap();
        mpi_typed::send(&to, &bytes_of(at_limit + 1)).unwrap();
        // Received as the wrong type, then the next one as the right type.
        mpi_typed::send(&to, &series("wrong", 300_000)).unwrap();
        mpi_typed::send(&to, &series("after the wrong one", 3)).unwrap();
        mpi_typed::send_with_tag(&to, &nested(), 7).unwrap();
        for (i, &n) in REUSE.iter().enumerate() {
            mpi_typed::send(&to, &series(&format!("reuse {i}"), n)).unwrap();
            mpi_typed::send(&to, &Ints(counting(n, i))).unwrap();
        }
        // Raw bytes whose first byte reads as a value in several messages:
        // refused at once, not waited on for the rest of it.
        to.send(&[0x02u8][..]);
        to.send(&[0x05u8, 1, 2][..]);
        mpi_typed::send(&to, &series("after the raw ones", 2)).unwrap();
        // Received into one value, whose vectors grow, are kept and shrink.
        mpi_typed::send(&to, &series("large, into", 1_000_000)).unwrap();
        mpi_typed::send(&to, &series("smaller, into", 300_000)).unwrap();
        mpi_typed::send(&to, &series("one message, into", 100)).unwrap();
        mpi_typed::send(&to, &nested()).unwrap();
    } else {
        let from = world.process_at_rank(0);
        println!("limit {limit}");
        let mut wrong = 0;
        check("empty", &from, &series("", 0), &mut wrong);
        check("small", &from, &series("small", 1), &mut wrong);
        check("large", &from, &series("large", 1_000_000), &mut wrong);
        check("several", &from, &several(), &mut wrong);
        check("nested", &from, &nested(), &mut wrong);
        check("long-shape-large", &from, &series(&long_name, 262_144), &mut wrong);
        check("long-shape-small", &from, &series(&long_name, 10), &mut wrong);
        check("at-the-one-message-limit", &from, &bytes_of(at_limit), &mut wrong);
        check("one-byte-over-the-limit", &from, &bytes_of(at_limit + 1), &mut wrong);
        refuse::<NotASeries, _>("wrong-type", &from, &mut wrong);
        check("after-the-wrong-type", &from, &series("after the wrong one", 3), &mut wrong);
        match mpi_typed::receive_with_tag::<Nested, _>(&world.any_process(), 7) {
            Ok((got, status)) if got == nested() && status.source_rank() == 0 && status.tag() == 7 => {
                println!("exact any-source-tag-7")
            }
            Ok((_, status)) => {
                println!("WRONG any-source-tag-7: from {} tag {}", status.source_rank(), status.tag());
                wrong += 1;
            }
            Err(error) => {
                println!("WRONG any-source-tag-7: {error}");
                wrong += 1;
            }
        }
        // Large values received and dropped one after the other: each
        // receive may reuse the buffer the last one left; every value must
        // still be exactly what was sent, whatever its size and type.
        let mut all_exact = true;
        for (i, &n) in REUSE.iter().enumerate() {
            let (got, _) = mpi_typed::receive::<Series, _>(&from).unwrap();
            all_exact &= got == series(&format!("reuse {i}"), n);
            drop(got);
            let (got, _) = mpi_typed::receive::<Ints, _>(&from).unwrap();
            all_exact &= got == Ints(counting(n, i));
        }
        if all_exact {
            println!("exact reused-buffers");
        } else {
            println!("WRONG reused-buffers");
            wrong += 1;
        }
        refuse::<Series, _>("raw-long", &from, &mut wrong);
        refuse::<Series, _>("raw-split", &from, &mut wrong);
        check("after-raw-messages", &from, &series("after the raw ones", 2), &mut wrong);
        let mut place = series("old", 10);
        let samples = Some((|series: &Series| series.samples.as_ptr() as usize) as fn(&Series) -> usize);
        check_into("into-grows", &from, &mut place, &series("large, into", 1_000_000), None, &mut wrong);
        check_into("into-keeps-its-buffer", &from, &mut place, &series("smaller, into", 300_000), samples, &mut wrong);
        check_into("into-one-message", &from, &mut place, &series("one message, into", 100), samples, &mut wrong);
        let mut other = nested();
        other.inners.truncate(3);
        other.inners[1].data = vec![9; 100_000].into();
        other.words = vec![vec!["older".into()]; 5];
        other.maybe = None;
        other.none = Some(vec![2.5; 7].into());
        check_into("into-nested", &from, &mut other, &nested(), None, &mut wrong);
        if wrong > 0 {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
