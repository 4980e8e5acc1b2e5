//! Wiring: the services every request handler and worker shares, built once at start-up.

use std::{ops::Deref, sync::Arc};

use activitypub_federation::config::FederationConfig;

use crate::{
    cache::FreshMap,
    config::{Config, MediaStorageConfig, Protocol},
    db::{self, interactions::ObjectKey, remote_actors::RemoteActorRow, Db},
    delivery::Delivery,
    domain::Publisher,
    federation::{client, instance_actor::InstanceActor, keys, outbox::FederationPublisher},
    media::{
        s3::S3Storage,
        storage::{LocalStorage, MediaStorage},
    },
    urls::Urls,
};

/// Parsed remote keys kept in memory (about 1 KiB each); a busy instance hears from a few
/// thousand actors.
const VERIFYING_KEYS_CACHED: usize = 10_000;

/// Long-lived services. Handlers reach them through [`AppState`].
pub struct Services {
    pub config: Config,
    pub urls: Urls,
    pub db: Db,
    pub delivery: Delivery,
    pub publisher: Arc<dyn Publisher>,
    /// Where uploaded media files are kept.
    pub media: Arc<dyn MediaStorage>,
    /// The instance actor's public key (PEM).
    pub instance_public_key: String,
    /// Remote actors' parsed public keys (inbox and signed fetches).
    pub verifying_keys: keys::VerifyingKeyCache,
    /// Serialised actor and WebFinger documents of local artists.
    pub documents: crate::http::cache::DocumentCache,
    /// Domain blocks, allows and actor blocks, asked for every remote request.
    pub policies: crate::domain::moderation::Policies,
    /// Which artists are suspended, asked on every request about an artist.
    pub suspensions: crate::http::cache::SuspensionCache,
    /// Rendered public profile pages.
    pub pages: crate::http::cache::PageCache,
    /// Remote actor rows by id, read for every inbox delivery (`db::remote_actors::changes`).
    pub remote_actors: FreshMap<String, RemoteActorRow>,
    /// Hosts seen without delivery failures, so the inbox skips their health check
    /// (`db::hosts::changes`).
    pub healthy_hosts: FreshMap<String, ()>,
    /// Public local posts and releases by (username, kind, id), asked for every boost and like
    /// (`db::interactions::object_changes`).
    pub public_objects: FreshMap<(String, &'static str, i64), ObjectKey>,
    /// Records received activities (and the boosts and likes they carry) in batches.
    pub inbox_writer: db::inbox_writer::InboxWriter,
}

/// What the federation library hands back to our trait implementations.
pub type Ctx = Arc<Services>;

/// The axum state: the services plus the federation library's configuration.
#[derive(Clone)]
pub struct AppState {
    pub services: Ctx,
    pub federation: FederationConfig<Ctx>,
}

impl Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

impl AppState {
    /// Opens the database (applying migrations), makes the instance key pair on first start,
    /// and builds the HTTP client, delivery engine and federation configuration.
    pub async fn build(config: Config) -> anyhow::Result<AppState> {
        let db = Db::connect(&config.database_url).await?;
        Self::with_db(config, db).await
    }

    /// Like [`AppState::build`] on an already migrated database.
    pub async fn with_db(config: Config, db: Db) -> anyhow::Result<AppState> {
        if config.allow_private_network {
            tracing::warn!(
                "ROADIE_DANGER_ALLOW_PRIVATE_NETWORK is on: outgoing requests may reach loopback and \
                 private addresses. Use this for local testing only"
            );
        }
        let (public_pem, private_pem) = match db::instance::keys(&db).await? {
            Some(pair) => pair,
            None => {
                let pair = tokio::task::spawn_blocking(keys::generate_rsa_2048).await??;
                db::instance::insert_keys_once(&db, &pair.public_pem, &pair.private_pem).await?
            }
        };
        let urls = Urls::new(&config);
        let http = client::build(&urls.base(), &config);
        let delivery = Delivery::new(
            db.clone(),
            urls.clone(),
            http.clone(),
            config.limits.clone(),
            config.allow_private_network,
            config.federation_mode,
        );
        let publisher: Arc<dyn Publisher> =
            Arc::new(FederationPublisher::new(urls.clone(), delivery.clone()));
        let instance_actor = InstanceActor {
            id: urls.instance_actor(),
            inbox: urls.shared_inbox(),
            public_key_pem: public_pem.clone(),
            private_key_pem: private_pem,
        };
        let media: Arc<dyn MediaStorage> = match &config.media.storage {
            MediaStorageConfig::Local => {
                Arc::new(LocalStorage::new(config.data_dir.join("media"))?)
            }
            // Uploads are still received and checked on this machine.
            MediaStorageConfig::S3(s3) => {
                Arc::new(S3Storage::connect(s3, config.data_dir.join("staging")).await?)
            }
        };
        let inbox_writer = db::inbox_writer::InboxWriter::start(db.clone());
        let services = Arc::new(Services {
            media,
            urls,
            db,
            delivery,
            publisher,
            instance_public_key: public_pem,
            verifying_keys: keys::VerifyingKeyCache::new(VERIFYING_KEYS_CACHED),
            documents: crate::http::cache::DocumentCache::new(config.limits.document_cache_ttl),
            suspensions: crate::http::cache::SuspensionCache::new(config.limits.document_cache_ttl),
            policies: crate::domain::moderation::Policies::new(config.limits.document_cache_ttl),
            pages: crate::http::cache::PageCache::new(config.limits.document_cache_ttl),
            remote_actors: FreshMap::new(config.limits.document_cache_ttl),
            healthy_hosts: FreshMap::new(config.limits.document_cache_ttl),
            public_objects: FreshMap::new(config.limits.document_cache_ttl),
            inbox_writer,
            config: config.clone(),
        });
        let federation = FederationConfig::builder()
            .domain(config.domain.clone())
            .app_data(services.clone())
            .client(
                reqwest_middleware::ClientBuilder::new(http)
                    .with(client::LiteralGuard {
                        allow_private_network: config.allow_private_network,
                    })
                    .build(),
            )
            // The library's own address check (off in its debug mode) resolves names a second
            // time, with the system resolver, before connecting: racy, and blind to tests'
            // fixed answers. Our guard decides instead: `LiteralGuard` for IP literals, the
            // resolver at connect time for names. The library still enforces https (below),
            // one redirect, content types, ids and its 1 MB body limit.
            .debug(true)
            .allow_http_urls(config.allow_private_network || config.protocol == Protocol::Http)
            .http_fetch_limit(20)
            .request_timeout(config.limits.request_timeout)
            .http_signature_compat(true)
            .signed_fetch_actor(&instance_actor)
            .build()
            .await?;
        Ok(AppState {
            services,
            federation,
        })
    }
}
