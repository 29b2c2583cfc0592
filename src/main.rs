use clap::Parser;

fn main() -> std::process::ExitCode {
    uxt::cli::run(uxt::cli::Cli::parse())
}
