//! `yard-sim`: Yardmaster's simulator and tool box on the command line.
//!
//! Today: `yard-sim map check|info|render|generate`. Exit codes: 0 success,
//! 1 the input is invalid, 2 usage errors (from clap).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sim::map_cmd::{self, CheckOutcome, Generated};

#[derive(Parser)]
#[command(name = "yard-sim", version, about = "Yardmaster simulator and layout tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with layout files (LIF JSON or MovingAI .map).
    Map {
        #[command(subcommand)]
        command: MapCommand,
    },
}

#[derive(Subcommand)]
enum MapCommand {
    /// Validate a layout: exit 0 if valid, 1 if not; diagnostics on stderr.
    Check {
        /// The layout file.
        file: PathBuf,
        /// Reject everything the LIF schema rejects (no leniencies).
        #[arg(long)]
        strict: bool,
    },
    /// Describe a layout: size, extent, stations, connectivity.
    Info {
        /// The layout file.
        file: PathBuf,
    },
    /// Draw a layout as SVG.
    Render {
        /// The layout file.
        file: PathBuf,
        /// Where to write the picture.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Regenerate one of the project's own maps.
    Generate {
        /// Which map.
        #[arg(value_enum)]
        which: Generated,
        /// Where to write it (default: its place under maps/).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[expect(clippy::print_stdout, reason = "the CLI's output goes to stdout")]
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Map { command } => match command {
            MapCommand::Check { file, strict } => Ok(match map_cmd::check(&file, strict)? {
                CheckOutcome::Valid => ExitCode::SUCCESS,
                CheckOutcome::Invalid => ExitCode::FAILURE,
            }),
            MapCommand::Info { file } => {
                print!("{}", map_cmd::info(&file)?);
                Ok(ExitCode::SUCCESS)
            }
            MapCommand::Render { file, output } => {
                map_cmd::render(&file, &output)?;
                Ok(ExitCode::SUCCESS)
            }
            MapCommand::Generate { which, output } => {
                let path = output.unwrap_or_else(|| which.default_path());
                std::fs::write(&path, which.text())
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
                eprintln!("wrote {}", path.display());
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}
