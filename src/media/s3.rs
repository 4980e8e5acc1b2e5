//! [`S3Storage`]: media files in an S3-compatible bucket (AWS S3, MinIO, Garage, …), through
//! the `object_store` crate. Uploads are still received and checked in a local staging
//! directory; [`MediaStorage::put`] then uploads the finished file (in parts when it is large)
//! and removes the staged copy.
//!
//! Objects are named exactly like the local files (`{id}.{ext}`, at the bucket's root) and
//! carry their content type and a one-year `Cache-Control`, so a bucket published under
//! `ROADIE_MEDIA_BASE_URL` serves them as Roadie would.

use std::{io, ops::Range, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use async_trait::async_trait;
use futures_util::TryStreamExt;
use object_store::{
    aws::AmazonS3Builder, buffered::BufWriter, path::Path as ObjectPath, Attribute, Attributes,
    ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, RetryConfig,
};
use tokio::io::AsyncWriteExt;

use super::storage::{prepare_staging_dir, ByteStream, MediaStorage, StoredFile};
use crate::config::S3Config;

/// Stored names never change content, so caches may keep them for a year.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Media files in one bucket.
#[derive(Debug, Clone)]
pub struct S3Storage {
    store: Arc<dyn ObjectStore>,
    bucket: String,
    staging: PathBuf,
}

impl S3Storage {
    /// Connects to the bucket and checks, by listing it, that it exists and the keys are
    /// accepted, so a wrong setting stops the start-up instead of the first upload. Staging
    /// files go to `staging` (created; stale ones removed).
    pub async fn connect(config: &S3Config, staging: PathBuf) -> anyhow::Result<S3Storage> {
        prepare_staging_dir(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(true)
                    .with_connect_timeout(Duration::from_secs(5))
                    // A slow listener may take minutes to stream a long track; a stalled
                    // bucket is caught by the read timeout instead.
                    .with_timeout(Duration::from_secs(30 * 60))
                    .with_read_timeout(Duration::from_secs(30)),
            )
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(20),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint_for(endpoint, config)?);
        }
        let store = builder
            .build()
            .context("ROADIE_S3_*: cannot configure the S3 client")?;
        let storage = S3Storage {
            store: Arc::new(store),
            bucket: config.bucket.clone(),
            staging,
        };
        storage
            .store
            .list_with_delimiter(Some(&ObjectPath::from("roadie-startup-check")))
            .await
            .with_context(|| {
                format!(
                    "cannot list the S3 bucket {:?} at {}: check ROADIE_S3_BUCKET, \
                     ROADIE_S3_REGION, ROADIE_S3_ENDPOINT, ROADIE_S3_PATH_STYLE and the keys",
                    config.bucket,
                    config.endpoint.as_ref().map_or("AWS", |e| e.as_str())
                )
            })?;
        Ok(storage)
    }

    /// The bucket's name, for messages.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn path_of(name: &str) -> io::Result<ObjectPath> {
        if !super::is_stored_name(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not a media file name"),
            ));
        }
        Ok(ObjectPath::from(name))
    }
}

/// `object_store` wants a virtual-hosted endpoint to name the bucket already
/// (`https://bucket.s3.example`); admins give the service's endpoint either way.
fn endpoint_for(endpoint: &url::Url, config: &S3Config) -> anyhow::Result<String> {
    let text = endpoint.as_str().trim_end_matches('/').to_owned();
    if config.path_style {
        return Ok(text);
    }
    let host = endpoint.host_str().unwrap_or_default();
    if host.starts_with(&format!("{}.", config.bucket)) {
        return Ok(text);
    }
    let mut url = endpoint.clone();
    url.set_host(Some(&format!("{}.{host}", config.bucket)))
        .context("ROADIE_S3_ENDPOINT: the bucket name does not form a host name")?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn to_io(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e),
        other => io::Error::other(other),
    }
}

#[async_trait]
impl MediaStorage for S3Storage {
    fn staging_dir(&self) -> &std::path::Path {
        &self.staging
    }

    async fn put(&self, name: &str, staged: &std::path::Path) -> io::Result<()> {
        let path = Self::path_of(name)?;
        let mut attributes = Attributes::new();
        if let Some(content_type) = super::content_type_of_name(name) {
            attributes.insert(Attribute::ContentType, content_type.into());
        }
        attributes.insert(Attribute::CacheControl, CACHE_CONTROL.into());
        let mut file = tokio::fs::File::open(staged).await?;
        // One PUT for small files, a multipart upload (10 MiB parts) for large ones.
        let mut writer = BufWriter::new(self.store.clone(), path).with_attributes(attributes);
        let copied = async {
            tokio::io::copy(&mut file, &mut writer).await?;
            writer.shutdown().await
        }
        .await;
        if let Err(e) = copied {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(%name, error = %abort, "cannot abort an S3 upload");
            }
            return Err(e);
        }
        tokio::fs::remove_file(staged).await
    }

    async fn delete(&self, name: &str) -> io::Result<()> {
        match self.store.delete(&Self::path_of(name)?).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            other => other.map_err(to_io),
        }
    }

    async fn open(&self, name: &str) -> io::Result<Option<StoredFile>> {
        let Ok(path) = Self::path_of(name) else {
            return Ok(None);
        };
        match self.store.head(&path).await {
            Ok(meta) => Ok(Some(StoredFile::Remote { size: meta.size })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(to_io(e)),
        }
    }

    async fn read(&self, name: &str, range: Range<u64>) -> io::Result<ByteStream> {
        let path = Self::path_of(name)?;
        let options = GetOptions::new().with_range(Some(GetRange::Bounded(range)));
        let result = self.store.get_opts(&path, options).await.map_err(to_io)?;
        Ok(Box::pin(result.into_stream().map_err(to_io)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: &str, path_style: bool) -> S3Config {
        S3Config {
            bucket: "media".to_owned(),
            region: "garage".to_owned(),
            endpoint: Some(url::Url::parse(endpoint).unwrap()),
            access_key_id: "k".to_owned(),
            secret_access_key: "s".to_owned(),
            path_style,
        }
    }

    #[test]
    fn virtual_hosted_endpoints_name_the_bucket() {
        let c = config("https://s3.example:3900/", false);
        assert_eq!(
            endpoint_for(c.endpoint.as_ref().unwrap(), &c).unwrap(),
            "https://media.s3.example:3900"
        );
        let c = config("https://media.s3.example", false);
        assert_eq!(
            endpoint_for(c.endpoint.as_ref().unwrap(), &c).unwrap(),
            "https://media.s3.example"
        );
        let c = config("http://127.0.0.1:9000/", true);
        assert_eq!(
            endpoint_for(c.endpoint.as_ref().unwrap(), &c).unwrap(),
            "http://127.0.0.1:9000"
        );
    }
}
