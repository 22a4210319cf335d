//! The options every lesson takes, and the way every lesson ends.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::Communicator;

use crate::bounded;
use crate::diag;
use crate::launch::Lesson;
use crate::trace::Trace;

/// Options shared by the lessons (flatten them into a lesson's own).
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Give up (and abort the job) after waiting this many seconds for a message.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = bounded::parse_seconds)]
    pub timeout: Duration,

    /// Record every send and receive to FILE, as JSON lines (see trace-svg).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
}

/// Write the trace (if any), finalise MPI, and give `main` its exit code.
pub fn finish(universe: Universe, world: &SimpleCommunicator, trace: Trace, common: &Common) -> ExitCode {
    let written = trace.finish(world, common.timeout);
    let rank = world.rank();
    drop(universe); // MPI_Finalize: waits until every rank is done.
    match written {
        Ok(()) => {
            if rank == 0 {
                if let Some(file) = &common.trace {
                    eprintln!("trace written to {}", file.display());
                }
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A lesson under way: MPI started with enough ranks, the trace open.
pub struct Session {
    /// MPI's universe; dropping it finalises MPI.
    pub universe: Universe,
    /// The world communicator.
    pub world: SimpleCommunicator,
    /// This rank.
    pub rank: i32,
    /// The message trace (a no-op without `--trace`).
    pub trace: Trace,
    /// How long a receive may wait (`--timeout`).
    pub limit: Duration,
    common: Common,
    _span: tracing::span::EnteredSpan,
}

impl Lesson {
    /// Start the lesson: check the launch (see [`Lesson::start`]), tag the
    /// logs with the rank, and open the trace. On a wrong launch, the exit
    /// code to return from `main`.
    pub fn begin(&self, common: &Common) -> Result<Session, ExitCode> {
        diag::init();
        let (universe, world) = self.start().map_err(|failure| failure.exit_code())?;
        let rank = world.rank();
        let span = diag::rank_span(rank, world.size()).entered();
        let trace = Trace::start(&world, common.trace.clone());
        Ok(Session { universe, world, rank, trace, limit: common.timeout, common: common.clone(), _span: span })
    }
}

impl Session {
    /// End the lesson: write the trace, finalise MPI, return the exit code.
    pub fn finish(self) -> ExitCode {
        finish(self.universe, &self.world, self.trace, &self.common)
    }
}
