use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = qgrade::cli::Cli::parse();
    if !cli.is_server() {
        // Die quietly on a closed pipe (`qgrade inspect m.wasm | head`) like other Unix
        // tools, instead of panicking in println!. The server keeps Rust's default
        // (ignored): a client that resets its connection must not kill it.
        // SAFETY: called before any thread starts; SIG_DFL is a valid disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("QGRADE_LOG"))
        .with_writer(std::io::stderr)
        .init();
    match cli.execute() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
