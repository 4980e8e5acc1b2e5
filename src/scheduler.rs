//! Timed jobs that any number of processes may run at once: publishing scheduled releases. Each
//! job's effect is guarded in the database, so it happens once however many processes try.

use std::sync::Arc;

use crate::{app::Services, domain};

/// Runs the scheduler in the background until the process ends (or the handle is aborted).
pub fn start(services: Arc<Services>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let interval = services.config.limits.scheduler_interval;
        loop {
            match domain::releases::publish_due(&services.db, services.publisher.as_ref()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(published = n, "published scheduled releases");
                    crate::http::cache::page_content_changed();
                }
                Err(e) => tracing::error!(error = %e, "scheduler failed"),
            }
            tokio::time::sleep(interval).await;
        }
    })
}
