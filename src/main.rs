//! `kubectl-opm`: parse arguments, run the command, map errors to exit codes
//! (0 ok, 1 findings, 2 bad input or usage, 3 environment).

use clap::Parser;

fn main() {
    let cli = opm::cli::Cli::parse();
    let code = match opm::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", opm::cli::format_error(&err));
            err.exit_code()
        }
    };
    std::process::exit(code);
}
