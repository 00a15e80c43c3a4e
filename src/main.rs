//! `kubectl-opm`: parse arguments, run the command, map errors to exit codes
//! (0 ok, 1 findings, 2 bad input or usage, 3 environment).

use clap::Parser;

/// Templates recurse through `include` up to Helm's limit of 1000 levels; give the work a
/// stack that holds that in any build (the memory is only reserved, not used).
const STACK_SIZE: usize = 256 * 1024 * 1024;

fn main() {
    let cli = opm::cli::Cli::parse();
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || match opm::cli::run(cli) {
            Ok(code) => code,
            Err(err) => {
                eprintln!("{}", opm::cli::format_error(&err));
                err.exit_code()
            }
        });
    let code = match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => {
            eprintln!("Error: internal error: the command panicked");
            2
        }
        Err(err) => {
            eprintln!("Error: cannot start the worker thread: {err}");
            3
        }
    };
    std::process::exit(code);
}
