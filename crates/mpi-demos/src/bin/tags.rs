//! Tags: two messages between the same two ranks, told apart by their tag.
//!
//! Launch: `mpirun -np 2 target/release/tags`. Page: `lessons/tags.md`.
//!
//! Rank 0 sends "first" with tag 1, then "second" with tag 2. Rank 1 asks
//! for tag 2 first: MPI hands it "second", though "first" arrived earlier,
//! because a receive matches on (source, tag). Then it asks for tag 1.
//! Rank 0's sends return at once: small messages are buffered by MPI.

use std::process::ExitCode;

use clap::Parser;
use mpi::traits::*;
use mpi_demos::cli::Common;
use mpi_demos::launch::Lesson;

const LESSON: Lesson = Lesson { program: "tags", ranks: 2 };
const FIRST: i32 = 1;
const SECOND: i32 = 2;

/// Two messages with different tags, received in the opposite order.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/tags")]
struct Args {
    #[command(flatten)]
    common: Common,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut s = match LESSON.begin(&args.common) {
        Ok(session) => session,
        Err(code) => return code,
    };
    match s.rank {
        0 => {
            let to = s.world.process_at_rank(1);
            s.trace.send_with_tag(&to, "first".as_bytes(), FIRST);
            s.trace.send_with_tag(&to, "second".as_bytes(), SECOND);
            println!("rank 0 sent \"first\" (tag {FIRST}), then \"second\" (tag {SECOND})");
        }
        1 => {
            let from = s.world.process_at_rank(0);
            for (tag, when) in [(SECOND, "first"), (FIRST, "second")] {
                let what = format!("a message with tag {tag} from rank 0");
                let (bytes, status) = s.trace.receive_vec_with_tag::<u8, _>(&s.world, &from, Some(tag), s.limit, &what);
                let text = String::from_utf8_lossy(&bytes);
                println!("rank 1 received \"{text}\" (tag {}) {when}", status.tag());
            }
        }
        _ => {}
    }
    s.finish()
}
