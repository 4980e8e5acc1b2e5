//! Where media files live. [`MediaStorage`] hides the place ([`LocalStorage`], a local
//! directory, or [`super::s3::S3Storage`], an S3-compatible bucket); callers only ever name
//! files by the random names Roadie made.
//!
//! An upload is first written to a *staging* file (a local file, see [`Staged`]), checked, and
//! then handed to [`MediaStorage::put`], which moves it into place under its final name.

use std::{
    io,
    ops::Range,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;

/// How a stored file can be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredFile {
    /// A file on this machine, to be served directly (with `Range` support).
    Local(PathBuf),
    /// A file elsewhere (a bucket) of `size` bytes, read through [`MediaStorage::read`].
    Remote { size: u64 },
}

/// The bytes of a stored file, as they arrive.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

/// A place to keep media files by name.
#[async_trait]
pub trait MediaStorage: Send + Sync {
    /// A local directory for staging files. For the local store it is the media directory itself,
    /// so that [`MediaStorage::put`] is a rename.
    fn staging_dir(&self) -> &Path;

    /// Stores the staged file under `name`, taking it over (the staged path is gone afterwards
    /// on success).
    async fn put(&self, name: &str, staged: &Path) -> io::Result<()>;

    /// Stores `bytes` under `name`.
    async fn put_bytes(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let mut staged = Staged::new(self.staging_dir());
        tokio::fs::write(staged.path(), bytes).await?;
        self.put(name, staged.path()).await?;
        staged.disarm();
        Ok(())
    }

    /// Removes `name`; a name that is not stored is not an error.
    async fn delete(&self, name: &str) -> io::Result<()>;

    /// Where to read `name` from, or `None` when it is not stored.
    async fn open(&self, name: &str) -> io::Result<Option<StoredFile>>;

    /// The bytes `range` of a [`StoredFile::Remote`] file; the range must lie within the size
    /// [`MediaStorage::open`] gave. Stores that only hand out local files do not implement it.
    async fn read(&self, name: &str, range: Range<u64>) -> io::Result<ByteStream> {
        let _ = range;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("{name} is a local file: read it from its path"),
        ))
    }
}

/// Prefix of staging files, which never match a stored name.
const STAGING_PREFIX: &str = ".upload-";

/// A staging file that removes itself when dropped, unless [`Staged::disarm`]ed: an upload that
/// fails or whose request is dropped half-way leaves nothing behind.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    armed: bool,
}

impl Staged {
    /// A fresh, not yet created, random path in `dir`.
    pub fn new(dir: &Path) -> Staged {
        let name = format!("{STAGING_PREFIX}{}.part", uuid::Uuid::new_v4().simple());
        Staged {
            path: dir.join(name),
            armed: true,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file now belongs to someone else (it was moved away): do not remove it.
    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.armed {
            if let Err(e) = std::fs::remove_file(&self.path) {
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(path = %self.path.display(), error = %e, "cannot remove staged upload");
                }
            }
        }
    }
}

/// Files in one local directory (`data_dir/media`).
#[derive(Debug, Clone)]
pub struct LocalStorage {
    dir: PathBuf,
}

/// Creates the staging directory `dir` and removes staging files older than a day in it, left
/// by a crash.
pub fn prepare_staging_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let day_ago = SystemTime::now() - Duration::from_secs(86400);
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < day_ago);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

impl LocalStorage {
    /// Uses (and creates) `dir`. Staging files older than a day, left by a crash, are removed.
    pub fn new(dir: PathBuf) -> io::Result<LocalStorage> {
        prepare_staging_dir(&dir)?;
        Ok(LocalStorage { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, name: &str) -> io::Result<PathBuf> {
        if !super::is_stored_name(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not a media file name"),
            ));
        }
        Ok(self.dir.join(name))
    }
}

#[async_trait]
impl MediaStorage for LocalStorage {
    fn staging_dir(&self) -> &Path {
        &self.dir
    }

    async fn put(&self, name: &str, staged: &Path) -> io::Result<()> {
        let path = self.path_of(name)?;
        tokio::fs::rename(staged, path).await
    }

    async fn delete(&self, name: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path_of(name)?).await {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    async fn open(&self, name: &str) -> io::Result<Option<StoredFile>> {
        let Ok(path) = self.path_of(name) else {
            return Ok(None);
        };
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok(Some(StoredFile::Local(path))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_open_delete_and_staging_cleanup() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStorage::new(dir.path().join("media")).unwrap();
        let name = format!("{}.png", uuid::Uuid::new_v4().simple());
        store.put_bytes(&name, b"data").await.unwrap();
        assert_eq!(
            store.open(&name).await.unwrap(),
            Some(StoredFile::Local(store.dir().join(&name)))
        );
        store.delete(&name).await.unwrap();
        store.delete(&name).await.unwrap();
        assert_eq!(store.open(&name).await.unwrap(), None);
        assert_eq!(store.open("../etc/passwd").await.unwrap(), None);
        assert!(store.put_bytes("../x.png", b"no").await.is_err());

        let staged = Staged::new(store.staging_dir());
        std::fs::write(staged.path(), b"partial").unwrap();
        drop(staged);
        assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 0);
    }
}
