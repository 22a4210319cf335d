//! Turn a message trace (from `scripts/mpirun --trace FILE`) into the Trace
//! Event Format, which Perfetto's UI (ui.perfetto.dev: "Open trace file";
//! the file stays in the browser) and `chrome://tracing` open: ranks as
//! tracks, calls as slices, messages as arrows, to zoom into where the SVG
//! is too small.
//!
//! `trace-perfetto target/trace/p2p.jsonl target/trace/p2p.json`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mpi_watch::perfetto;
use mpi_watch::trace::Trace;

/// Write a message trace in the Trace Event Format (JSON) for Perfetto.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The trace: JSON lines written by `scripts/mpirun --trace`.
    input: PathBuf,
    /// Where to write the Trace Event Format file (JSON).
    output: PathBuf,
    /// The trace's title (default: the input's file name).
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
            eprintln!("trace-perfetto: error: {message}");
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
    let doc = perfetto::render(&trace, &title);
    // What a viewer will find: checked before it is written.
    let checked = perfetto::check(&doc).map_err(|e| format!("the document made is not well formed: {e}"))?;
    Trace::write_output(&args.output, &serde_json::to_vec(&doc).map_err(|e| e.to_string())?)?;
    let moments =
        if checked.instants > 0 { format!(", {} moment(s) as instants", checked.instants) } else { String::new() };
    Ok(format!(
        "{}: {} call(s) as slices, {} message(s) as arrows{moments}",
        args.output.display(),
        checked.slices,
        checked.arrows
    ))
}
