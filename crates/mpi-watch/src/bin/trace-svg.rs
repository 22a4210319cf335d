//! Turn a message trace (from `scripts/mpirun --trace FILE`) into an SVG
//! sequence diagram that any browser shows.
//!
//! `trace-svg target/trace/p2p.jsonl target/trace/p2p.svg`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mpi_watch::sequence;
use mpi_watch::trace::Trace;

/// Draw a message trace as a sequence diagram (SVG).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The trace: JSON lines written by `scripts/mpirun --trace`.
    input: PathBuf,
    /// Where to write the SVG.
    output: PathBuf,
    /// Draw at least this many lifelines (default: the ranks the trace names).
    #[arg(long, default_value_t = 1)]
    ranks: i32,
    /// The diagram's title (default: the trace's file name).
    #[arg(long)]
    title: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("trace-svg: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<String, String> {
    let trace = Trace::read(&args.input)?;
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| args.input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
    Trace::write_output(&args.output, sequence::render(&trace, args.ranks, &title).as_bytes())?;
    let (messages, unmatched) = sequence::pair(&trace.events);
    Ok(format!("{}: {} message(s), {} unmatched event(s)", args.output.display(), messages.len(), unmatched.len()))
}
