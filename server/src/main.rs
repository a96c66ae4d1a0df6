use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Kept to the end: dropping it flushes the log lines still queued.
    let _log = server::init_tracing();
    match server::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("MOZI stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
