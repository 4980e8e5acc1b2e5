//! Timed jobs that any number of processes may run at once: publishing scheduled releases, and
//! (every `prune_interval`) removing expired web sessions and invites. Each job's effect is
//! guarded in the database, so it happens once however many processes try.

use std::{sync::Arc, time::Instant};

use crate::{app::Services, db, domain};

/// Runs the scheduler in the background until the process ends (or the handle is aborted).
pub fn start(services: Arc<Services>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let interval = services.config.limits.scheduler_interval;
        let prune_every = services.config.limits.prune_interval;
        let mut pruned: Option<Instant> = None;
        loop {
            match domain::releases::publish_due(&services.db, services.publisher.as_ref()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(published = n, "published scheduled releases");
                    crate::http::cache::page_content_changed();
                }
                Err(e) => tracing::error!(error = %e, "scheduler failed"),
            }
            if pruned.is_none_or(|at| at.elapsed() >= prune_every) {
                pruned = Some(Instant::now());
                if let Err(e) = db::users::prune(&services.db, db::now()).await {
                    tracing::error!(error = %e, "cannot prune expired sessions and invites");
                }
            }
            tokio::time::sleep(interval).await;
        }
    })
}
