//! Turn a message trace (from `scripts/mpirun --trace FILE`) into an SVG
//! sequence diagram that any browser shows.
//!
//! `trace-svg target/trace/p2p.jsonl target/trace/p2p.svg`
//!
//! A long trace is drawn in part: its first few hundred messages, or the
//! window `--from MS --to MS` chooses; the picture and the summary say what
//! was left out.

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
    /// Draw from this time on, in milliseconds from the trace's first call.
    #[arg(long, value_name = "MS", value_parser = parse_ms)]
    from: Option<f64>,
    /// Draw up to this time, in milliseconds from the trace's first call.
    #[arg(long, value_name = "MS", value_parser = parse_ms)]
    to: Option<f64>,
    /// Draw at most this many messages (the window ends before the next).
    #[arg(long, value_name = "N", default_value_t = sequence::MAX_MESSAGES)]
    max_messages: usize,
}

fn parse_ms(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(ms) if ms.is_finite() && ms >= 0.0 => Ok(ms),
        _ => Err(format!("'{text}' is not a time in milliseconds (0 or more)")),
    }
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
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if to <= from {
            return Err(format!("--to {to} is not after --from {from}"));
        }
    }
    let view = sequence::View {
        from_us: args.from.map(|ms| ms * 1e3),
        to_us: args.to.map(|ms| ms * 1e3),
        max_messages: args.max_messages,
    };
    let drawn = sequence::render_view(&trace, args.ranks, &title, &view);
    Trace::write_output(&args.output, drawn.svg.as_bytes())?;
    let (_, unmatched) = sequence::pair(&trace.events);
    let mut summary =
        format!("{}: {} message(s), {} unmatched event(s)", args.output.display(), drawn.messages, unmatched.len());
    if drawn.messages < drawn.messages_in_trace {
        summary += &format!(
            "; drawn: {} of the trace's {} messages, from {} to {} (--from/--to MS choose another window)",
            drawn.messages,
            drawn.messages_in_trace,
            sequence::duration(drawn.window_us.0),
            sequence::duration(drawn.window_us.1)
        );
    }
    Ok(summary)
}
