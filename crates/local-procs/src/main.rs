//! `local-procs`: the single-machine lessons, one subcommand each.
//!
//! `local-procs list` names them; `local-procs <scenario>` runs one;
//! `--time-scale F` scales every sleep (0: none, for tests).

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

mod bench;
mod scenarios;

use scenarios::{background, barrier, naming, pipe, pool, queue, spawn, subclass, terminate};

/// Python's multiprocessing lessons, ported to Rust.
#[derive(Parser)]
#[command(version, propagate_version = true)]
struct Cli {
    /// Scale every sleep: 1 = the original's timing, 0 = no sleeping.
    #[arg(long, global = true, default_value_t = 1.0, value_name = "F", value_parser = parse_scale)]
    time_scale: f64,

    /// Record every pipe message and queue item of the lesson, in every
    /// process, into FILE (the MPI traces' JSON lines: `trace-svg FILE
    /// OUT.svg` draws it, `trace-perfetto FILE OUT.json` opens in Perfetto).
    #[arg(long, global = true, value_name = "FILE")]
    trace: Option<std::path::PathBuf>,

    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand, Clone)]
enum Scenario {
    /// Six processes, each started and joined in turn (spawning_processes.py)
    Spawn,
    /// A named process and a default-named one (naming_processes.py)
    Naming,
    /// A process type that implements `Run` (process_in_subclass.py)
    Subclass,
    /// A daemon and a non-daemon; the parent just ends (run_background_processes.py)
    Daemon {
        /// The parent stays this many seconds before it ends (time to kill it).
        #[arg(long, value_name = "SECS", default_value_t = 0.0, value_parser = parse_scale)]
        linger: f64,
    },
    /// The same, neither a daemon (run_background_processes_no_daemons.py)
    NoDaemon {
        /// The parent stays this many seconds before it ends.
        #[arg(long, value_name = "SECS", default_value_t = 0.0, value_parser = parse_scale)]
        linger: f64,
    },
    /// Terminate a process and read its exit code (killing_processes.py)
    Terminate {
        /// The child catches SIGTERM, finishes its step and ends cleanly
        /// (exit code 0), as a server shuts down.
        #[arg(long)]
        catch_sigterm: bool,
    },
    /// Two processes meet at a barrier, two do not (processes_barrier.py)
    Barrier,
    /// A two-stage pipeline over pipes (communicating_with_pipe.py)
    Pipe {
        /// Make the second stage panic on item K: the lesson then fails,
        /// naming the stage, instead of ending as if all went well.
        #[arg(long, value_name = "K")]
        fail_at: Option<u64>,
    },
    /// Producers and consumers around a queue (communicating_with_queue.py)
    Queue {
        /// Items to produce in all, shared out among the producers.
        #[arg(long, default_value_t = 10)]
        items: u64,
        /// Producer processes.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
        producers: u64,
        /// Consumer processes.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
        consumers: u64,
    },
    /// A pool of workers maps square over the inputs (process_pool.py)
    Pool {
        /// Inputs 0..N to square.
        #[arg(long, default_value_t = 100)]
        items: u64,
        /// Worker processes.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1024))]
        workers: u64,
        /// Make the task for input K kill its own worker.
        #[arg(long, value_name = "K")]
        crash_at: Option<u64>,
        /// Map over strings ("word-N" to "WORD-N") instead of squaring numbers.
        #[arg(long)]
        words: bool,
    },
    /// Measure the library: pipe round trip, queue throughput, pool map, spawn+join
    Bench {
        /// What to measure (all four when none is named).
        #[arg(value_enum)]
        figures: Vec<bench::Figure>,
        /// Shrink every count by this factor (for quick checks).
        #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
        scale: f64,
        /// Producer processes for queue-throughput.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
        producers: u32,
        /// Consumer processes for queue-throughput.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
        consumers: u32,
        /// Workers for pool-map.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
        workers: u32,
    },
    /// Name every scenario
    List,
    /// Run every scenario in turn
    All,
}

/// The scenarios `all` runs, with their subcommand names.
const ALL: &[&str] =
    &["spawn", "naming", "subclass", "daemon", "no-daemon", "terminate", "barrier", "pipe", "queue", "pool"];

/// A time scale or a number of seconds: a finite number, 0 or more.
fn parse_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value >= 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!("'{text}' is not a number of 0 or more")),
    }
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    local_procs::pace::set_time_scale(cli.time_scale);
    let parts = match cli.trace.as_deref().map(start_trace).transpose() {
        Ok(parts) => parts,
        Err(error) => {
            eprintln!("local-procs: error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let result = run(&cli.scenario);
    // What Python does at exit: terminate daemon children, join the others.
    local_procs::exit_cleanup();
    let result = match (cli.trace.as_deref(), parts) {
        (Some(file), Some(parts)) => result.and(finish_trace(&parts, file)),
        _ => result,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = io::stdout().flush();
            eprintln!("local-procs: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Make the folder each process writes its part of the trace into (beside
/// FILE), and start recording.
fn start_trace(file: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context;
    let mut name = file.as_os_str().to_owned();
    name.push(".parts");
    let parts = std::path::PathBuf::from(name);
    let _ = std::fs::remove_dir_all(&parts);
    std::fs::create_dir_all(&parts).with_context(|| format!("cannot make {}", parts.display()))?;
    // Set before any fork, in this single-threaded program: every process
    // of the lesson inherits it.
    std::env::set_var(local_procs::trace::DIR_VAR, &parts);
    anyhow::ensure!(local_procs::trace::init_from_env(), "a tracing subscriber was already installed");
    Ok(parts)
}

/// Merge the processes' parts into FILE, and remove them.
fn finish_trace(parts: &std::path::Path, file: &std::path::Path) -> anyhow::Result<()> {
    let (trace, never_got) = local_procs::trace::merge(parts).map_err(anyhow::Error::msg)?;
    trace.write(file).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
    let _ = std::fs::remove_dir_all(parts);
    let sent = trace.events.iter().filter(|e| e.op == mpi_watch::trace::Op::Send).count();
    eprintln!(
        "local-procs: trace of {} processes, {sent} messages and items ({never_got} never received), in {}",
        trace.ranks.len(),
        file.display()
    );
    Ok(())
}

fn run(scenario: &Scenario) -> anyhow::Result<()> {
    match scenario {
        Scenario::Spawn => spawn::run(),
        Scenario::Naming => naming::run(),
        Scenario::Subclass => subclass::run(),
        Scenario::Daemon { linger } => background::run(true, Duration::from_secs_f64(*linger)),
        Scenario::NoDaemon { linger } => background::run(false, Duration::from_secs_f64(*linger)),
        Scenario::Terminate { catch_sigterm } => terminate::run(*catch_sigterm),
        Scenario::Barrier => barrier::run(),
        Scenario::Pipe { fail_at } => pipe::run(*fail_at),
        Scenario::Queue { items, producers, consumers } => queue::run(*items, *producers as usize, *consumers as usize),
        Scenario::Pool { items, workers, crash_at, words } => pool::run(*items, *workers as usize, *crash_at, *words),
        Scenario::Bench { figures, scale, producers, consumers, workers } => bench::run(
            figures,
            &bench::Options {
                scale: *scale,
                producers: *producers as usize,
                consumers: *consumers as usize,
                workers: *workers as usize,
            },
        ),
        Scenario::List => {
            use clap::CommandFactory;
            let command = Cli::command();
            for name in ALL {
                let sub = command.find_subcommand(name).expect("every listed scenario exists");
                println!("{name:<10} {}", sub.get_about().map(|a| a.to_string()).unwrap_or_default());
            }
            Ok(())
        }
        Scenario::All => {
            for name in ALL {
                println!("== {name} ==");
                let cli = Cli::try_parse_from(["local-procs", name]).expect("every listed scenario parses");
                run(&cli.scenario)?;
                local_procs::exit_cleanup();
            }
            Ok(())
        }
    }
}

/// `local-procs all | head` closes stdout early: end quietly, as a shell
/// tool does, instead of panicking on the failed write.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            // SAFETY: _exit ends the process at once; nothing runs after it.
            unsafe { libc::_exit(0) }
        }
        default(info);
    }));
}
