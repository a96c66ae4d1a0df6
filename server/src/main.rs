use std::process::ExitCode;

/// Server rendering allocates and frees many small strings per request on
/// every worker thread; mimalloc does that without glibc's contention
/// (malloc and free were a quarter of a profile of `GET /`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
