use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    server::init_tracing();
    match server::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("MOZI stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
