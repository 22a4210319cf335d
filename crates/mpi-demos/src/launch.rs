//! Starting a lesson: was it launched by mpirun, with enough ranks?
//!
//! An MPI program started without a launcher becomes a "singleton" of one
//! rank (the standard allows it: a "singleton MPI_INIT"), and a program
//! written for nine ranks then runs as rank 0 alone: rsmpi's
//! `process_at_rank` panics on a rank that does not exist (an assertion),
//! and a receive from one would wait for a sender that never comes. These
//! checks turn both mistakes into one message before any of that.

use std::fmt;
use std::process::ExitCode;

use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::Communicator;

/// Variables that every launcher we support sets in each rank's environment:
/// OpenMPI's mpirun (`OMPI_COMM_WORLD_SIZE`), MPICH's Hydra (`PMI_RANK`,
/// `PMI_SIZE`), and PMIx launchers such as `srun --mpi=pmix` (`PMIX_RANK`).
const LAUNCHER_VARIABLES: &[&str] = &["OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "PMIX_RANK"];

/// Exit status of a lesson that was launched the wrong way.
pub const EXIT_BAD_LAUNCH: u8 = 2;

/// Why a lesson refused to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchError {
    /// No MPI launcher set up this process.
    NoLauncher,
    /// `MPI_Init` failed or MPI was already initialised.
    InitFailed,
    /// The world has fewer ranks than the lesson needs.
    TooFewRanks { have: i32 },
}

/// What a lesson needs to run: its name and its rank count.
#[derive(Debug, Clone, Copy)]
pub struct Lesson {
    /// The binary's name, as a learner types it.
    pub program: &'static str,
    /// How many ranks the lesson needs at least.
    pub ranks: i32,
}

impl Lesson {
    /// The path to this program as it was started (relative to the current
    /// folder when it is inside it), or `target/release/NAME`.
    pub fn path(&self) -> String {
        let fallback = format!("target/release/{}", self.program);
        let Some(started) = std::env::args_os().next().map(std::path::PathBuf::from) else {
            return fallback;
        };
        if !started.components().any(|c| matches!(c, std::path::Component::Normal(_))) {
            return fallback;
        }
        let relative =
            std::env::current_dir().ok().and_then(|cwd| started.strip_prefix(cwd).ok().map(|p| p.to_owned()));
        relative.unwrap_or(started).display().to_string()
    }

    /// The command that launches this lesson correctly.
    pub fn launch_command(&self) -> String {
        format!("mpirun -np {} {}", self.ranks, self.path())
    }

    /// The message for a launch error, in words a learner can act on.
    pub fn explain(&self, error: &LaunchError) -> String {
        let need = format!(
            "{} needs {} MPI ranks; launch it with `{}` (or `scripts/mpirun -np {} {}`)",
            self.program,
            self.ranks,
            self.launch_command(),
            self.ranks,
            self.path()
        );
        match error {
            LaunchError::NoLauncher => format!("{}: started without mpirun. {need}", self.program),
            LaunchError::InitFailed => format!("{}: MPI could not be initialised. {need}", self.program),
            LaunchError::TooFewRanks { have } => {
                let noun = if *have == 1 { "rank" } else { "ranks" };
                format!("{}: started with {have} {noun}. {need}", self.program)
            }
        }
    }

    /// Initialise MPI and check the world size.
    ///
    /// Returns the universe (dropping it finalises MPI) and the world
    /// communicator. On a wrong launch, rank 0 (or the lone process) prints
    /// the one explanation and every rank gets the error, so every rank can
    /// finalise and exit non-zero together.
    pub fn start(&self) -> Result<(Universe, SimpleCommunicator), LaunchFailure> {
        crate::diag::init();
        if !launched_by_mpi() {
            return Err(self.fail(LaunchError::NoLauncher, true, None));
        }
        let Some(universe) = mpi::initialize() else {
            return Err(self.fail(LaunchError::InitFailed, true, None));
        };
        let world = universe.world();
        if world.size() < self.ranks {
            let error = LaunchError::TooFewRanks { have: world.size() };
            let speaker = world.rank() == 0;
            return Err(self.fail(error, speaker, Some(universe)));
        }
        let host = mpi::environment::processor_name().unwrap_or_default();
        tracing::debug!(rank = world.rank(), size = world.size(), %host, "{}: MPI started", self.program);
        Ok((universe, world))
    }

    /// [`start`](Self::start), or end the process with the launch error's
    /// exit code (after finalising MPI): a lesson's first line.
    pub fn start_or_exit(&self) -> (Universe, SimpleCommunicator) {
        self.start().unwrap_or_else(|failure| {
            drop(failure.universe);
            std::process::exit(i32::from(EXIT_BAD_LAUNCH))
        })
    }

    fn fail(&self, error: LaunchError, speak: bool, universe: Option<Universe>) -> LaunchFailure {
        if speak {
            eprintln!("error: {}", self.explain(&error));
        }
        LaunchFailure { error, universe }
    }
}

/// A refused start. Turning it into an exit code finalises MPI first, so the
/// launcher sees a clean non-zero exit rather than a crash.
pub struct LaunchFailure {
    /// What went wrong.
    pub error: LaunchError,
    universe: Option<Universe>,
}

impl LaunchFailure {
    /// Finalise MPI (if it was started) and return the exit code for `main`.
    pub fn exit_code(self) -> ExitCode {
        drop(self.universe);
        ExitCode::from(EXIT_BAD_LAUNCH)
    }
}

impl fmt::Debug for LaunchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchFailure").field("error", &self.error).finish()
    }
}

/// True when an MPI launcher (mpirun, mpiexec, srun) started this process.
pub fn launched_by_mpi() -> bool {
    LAUNCHER_VARIABLES.iter().any(|name| std::env::var_os(name).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P2P: Lesson = Lesson { program: "p2p", ranks: 9 };

    #[test]
    fn too_few_ranks_names_the_count_and_the_command() {
        let text = P2P.explain(&LaunchError::TooFewRanks { have: 4 });
        assert!(text.contains("started with 4 ranks"), "{text}");
        assert!(text.contains("needs 9 MPI ranks"), "{text}");
        assert!(text.contains("launch it with `mpirun -np 9 "), "{text}");
        assert!(text.contains("or `scripts/mpirun -np 9 "), "{text}");
    }

    #[test]
    fn a_single_rank_is_singular() {
        let text = P2P.explain(&LaunchError::TooFewRanks { have: 1 });
        assert!(text.contains("started with 1 rank."), "{text}");
    }

    #[test]
    fn no_launcher_says_so() {
        let text = P2P.explain(&LaunchError::NoLauncher);
        assert!(text.starts_with("p2p: started without mpirun."), "{text}");
    }
}
