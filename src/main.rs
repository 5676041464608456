fn main() -> std::process::ExitCode {
    shiftboss::cli::main()
}
