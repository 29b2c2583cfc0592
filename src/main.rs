fn main() -> std::process::ExitCode {
    uxt::cli::main()
}
