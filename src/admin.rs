//! Admin operations behind `roadie admin backup` and `roadie admin copy-to`: the parts that
//! touch files as well as the database.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::{
    config::{Config, MediaStorageConfig},
    db::Db,
};

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub database: PathBuf,
    pub media_files: usize,
    /// With S3 storage: the bucket whose media were *not* copied (back it up separately).
    pub media_bucket: Option<String>,
}

/// Writes a backup of a (possibly running) SQLite instance into the new directory `dest`, laid
/// out as a data directory: `dest/roadie.db` and `dest/media/`. Restoring is pointing
/// `ROADIE_DATA_DIR` at a copy of it (see docs/ADMIN.md).
///
/// The database is copied first, as of one moment; the media files after it. Uploads store
/// their file before their row, so every file the copied database names is already there.
/// With S3 storage only the database is copied; the report names the bucket, which is backed
/// up with the storage provider's tools (see docs/ADMIN.md).
pub async fn backup(config: &Config, db: &Db, dest: &Path) -> anyhow::Result<BackupReport> {
    let media_bucket = match &config.media.storage {
        MediaStorageConfig::Local => None,
        MediaStorageConfig::S3(s3) => Some(s3.bucket.clone()),
    };
    if let Db::Pg(_) = db {
        let media = match &media_bucket {
            Some(bucket) => format!("back up the S3 bucket {bucket:?} separately"),
            None => format!(
                "copy the media directory {}",
                config.data_dir.join("media").display()
            ),
        };
        bail!(
            "roadie admin backup copies SQLite instances; for PostgreSQL use pg_dump \
             (pg_dump --format=custom --file=roadie.dump DATABASE) and {media}"
        );
    }
    if dest.exists()
        && std::fs::read_dir(dest)
            .with_context(|| format!("cannot read {}", dest.display()))?
            .next()
            .is_some()
    {
        bail!("{} exists and is not empty", dest.display());
    }
    std::fs::create_dir_all(dest.join("media"))
        .with_context(|| format!("cannot create {}", dest.display()))?;
    let database = dest.join("roadie.db");
    crate::db::maintenance::sqlite_backup(db, &database).await?;
    let media_files = match media_bucket {
        Some(_) => 0,
        None => copy_media(&config.data_dir.join("media"), &dest.join("media"))?,
    };
    Ok(BackupReport {
        database,
        media_files,
        media_bucket,
    })
}

/// Copies the stored media files (not half-finished uploads) from `from` to `to`.
pub fn copy_media(from: &Path, to: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", from.display())),
    };
    let mut n = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".upload-") || !entry.file_type()?.is_file() {
            continue;
        }
        match std::fs::copy(entry.path(), to.join(&name)) {
            Ok(_) => n += 1,
            // Deleted between listing and copying: the database copy may still name it, as
            // it names any media deleted after the moment of the copy.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot copy {}", entry.path().display()))
            }
        }
    }
    Ok(n)
}
