//! The `protoctl` binary: parse the command line, start logging, hand over to cli or tui.

use std::process::ExitCode;

use clap::Parser;
use protoctl::cli::{self, Cli};

fn main() -> ExitCode {
    let _ = protoctl::STARTED.set(std::time::Instant::now());
    let args = Cli::parse();
    protoctl::logging::init(args.global.log_file.as_deref());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("protoctl: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        match args.command {
            Some(command) => Box::pin(cli::run(args.global, command)).await,
            None => match protoctl::tui::run(args.global).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    protoctl::tui::restore();
                    eprintln!("protoctl: {}", cli::one_line_error(&e));
                    ExitCode::from(1)
                }
            },
        }
    })
}
