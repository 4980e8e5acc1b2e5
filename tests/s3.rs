//! Media in an S3-compatible bucket (`ROADIE_MEDIA_STORAGE=s3`), against a real S3 server
//! (moto, see `support::s3`): uploads land in the bucket, Roadie serves them (with ranges),
//! deleting removes the objects, `ROADIE_MEDIA_BASE_URL` moves the published URLs, and a bad
//! bucket stops the start-up.

use reqwest::Method;
use roadie::{
    config::{MediaStorageConfig, S3Config},
    AppState,
};
use serde_json::{json, Value};

use crate::media::{file_part, png, upload, wav};
use crate::on_both_backends;
use crate::support::{
    s3::{object, object_names, S3Server},
    Backend, TestApp,
};

on_both_backends! {
    media_round_trip_through_a_bucket,
}

const BUCKET: &str = "roadie-media";

async fn app_on_bucket(
    backend: Backend,
    s3: &S3Server,
    configure: impl FnOnce(&mut roadie::config::Config),
) -> TestApp {
    s3.create_bucket(BUCKET).await;
    let config: S3Config = s3.config(BUCKET);
    TestApp::spawn_with(backend, |c| {
        c.media.storage = MediaStorageConfig::S3(config);
        configure(c);
    })
    .await
}

/// The stored name at the end of a media URL.
fn name_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn media_round_trip_through_a_bucket(backend: Backend) {
    let s3 = S3Server::start().await;
    let app = app_on_bucket(backend, &s3, |_| {}).await;
    let bucket = s3.client(BUCKET);
    let (_, token) = app.artist_with_token("band").await;

    let (status, cover) = upload(
        &app,
        &token,
        &[file_part("cover.png", "image/png", &png(64, 48))],
    )
    .await;
    assert_eq!(status, 201, "{cover}");
    let audio_bytes = wav(8000, 500);
    let (status, audio) = upload(
        &app,
        &token,
        &[file_part("a.wav", "audio/wav", &audio_bytes)],
    )
    .await;
    assert_eq!(status, 201, "{audio}");

    // The files are objects in the bucket, with their content types; nothing stays on disk.
    let cover_name = name_of(cover["url"].as_str().unwrap());
    let thumb_name = name_of(cover["preview_url"].as_str().unwrap());
    let audio_name = name_of(audio["url"].as_str().unwrap());
    let mut expected = vec![cover_name.clone(), thumb_name.clone(), audio_name.clone()];
    expected.sort();
    assert_eq!(object_names(&bucket).await, expected);
    let (stored_audio, audio_type) = object(&bucket, &audio_name).await;
    assert_eq!(stored_audio, audio_bytes, "audio is stored as uploaded");
    assert_eq!(audio_type.as_deref(), Some("audio/wav"));
    let (stored_cover, cover_type) = object(&bucket, &cover_name).await;
    assert_eq!(cover_type.as_deref(), Some("image/png"));
    let data_dir = &app.state.config.data_dir;
    assert_eq!(files_under(&data_dir.join("staging")), Vec::<String>::new());
    assert_eq!(files_under(&data_dir.join("media")), Vec::<String>::new());

    // A published release names them; its page and the media URLs serve the bucket's bytes.
    let (status, release) = app
        .api(
            Method::POST,
            &token,
            "/api/v1/releases",
            Some(json!({
                "title": "Bucket Songs",
                "kind": "single",
                "cover_media_id": cover["id"],
                "tracks": [{"title": "One", "preview_media_id": audio["id"]}],
            })),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    let page = app
        .http
        .get(release["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let audio_url = app.url(&format!("/media/{audio_name}"));
    assert!(page.contains(&audio_url), "{page}");
    let cover_url = app.url(&format!("/media/{cover_name}"));
    assert!(page.contains(&cover_url), "{page}");

    let res = app.http.get(&cover_url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        res.headers()["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), stored_cover.as_slice());

    let res = app.http.get(&audio_url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "audio/wav");
    assert_eq!(res.headers()["accept-ranges"], "bytes");
    assert_eq!(res.bytes().await.unwrap().as_ref(), audio_bytes.as_slice());

    // Ranges, as audio players ask for them.
    let len = audio_bytes.len();
    for (range, start, end) in [
        ("bytes=10-19", 10, 20),
        ("bytes=100-", 100, len),
        ("bytes=-16", len - 16, len),
    ] {
        let res = app
            .http
            .get(&audio_url)
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 206, "{range}");
        assert_eq!(
            res.headers()["content-range"],
            format!("bytes {start}-{}/{len}", end - 1).as_str(),
            "{range}"
        );
        assert_eq!(res.headers()["content-type"], "audio/wav");
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            &audio_bytes[start..end],
            "{range}"
        );
    }
    let res = app
        .http
        .get(&audio_url)
        .header("range", format!("bytes={len}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 416);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{len}").as_str()
    );
    let res = app.http.head(&audio_url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], len.to_string().as_str());
    let missing = app.url(&format!("/media/{}.wav", "0".repeat(32)));
    assert_eq!(app.http.get(&missing).send().await.unwrap().status(), 404);

    // In use by a live release: kept. Once the release is deleted, the files can go.
    let cover_path = format!("/api/v1/media/{}", cover["id"].as_str().unwrap());
    let audio_path = format!("/api/v1/media/{}", audio["id"].as_str().unwrap());
    let (status, body) = app.api(Method::DELETE, &token, &cover_path, None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(object_names(&bucket).await.len(), 3);
    let (_, other_token) = app.artist_with_token("other").await;
    let (status, _) = app
        .api(Method::DELETE, &other_token, &audio_path, None)
        .await;
    assert_eq!(status, 404, "another artist's file");

    let release_path = format!("/api/v1/releases/{}", release["id"]);
    let (status, body) = app.api(Method::DELETE, &token, &release_path, None).await;
    assert_eq!(status, 204, "{body}");
    for path in [&cover_path, &audio_path] {
        let (status, body) = app.api(Method::DELETE, &token, path, None).await;
        assert_eq!(status, 204, "{path}: {body}");
    }
    assert_eq!(object_names(&bucket).await, Vec::<String>::new());
    assert_eq!(app.http.get(&audio_url).send().await.unwrap().status(), 404);
    assert_eq!(app.http.get(&cover_url).send().await.unwrap().status(), 404);
    let (status, _) = app.api(Method::DELETE, &token, &audio_path, None).await;
    assert_eq!(status, 404, "already deleted");
}

/// `ROADIE_MEDIA_BASE_URL` moves every published media URL (ActivityPub attachments, the API),
/// while Roadie keeps answering `/media/…`; a backup says it did not copy the bucket; a bucket
/// that does not exist stops the start-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_base_url_and_bad_buckets() {
    let s3 = S3Server::start().await;
    let base = "https://media.example/roadie/";
    let app = app_on_bucket(Backend::Sqlite, &s3, |c| {
        c.media.base_url = Some(base.parse().unwrap());
    })
    .await;
    let (_, token) = app.artist_with_token("band").await;
    let (_, cover) = upload(
        &app,
        &token,
        &[file_part("cover.png", "image/png", &png(32, 32))],
    )
    .await;
    let (_, audio) = upload(
        &app,
        &token,
        &[file_part("a.wav", "audio/wav", &wav(8000, 300))],
    )
    .await;
    let audio_name = name_of(audio["url"].as_str().unwrap());
    let cover_name = name_of(cover["url"].as_str().unwrap());
    assert_eq!(audio["url"], format!("{base}{audio_name}").as_str());
    let (status, release) = app
        .api(
            Method::POST,
            &token,
            "/api/v1/releases",
            Some(json!({
                "title": "Elsewhere",
                "kind": "single",
                "cover_media_id": cover["id"],
                "tracks": [{"title": "One", "preview_media_id": audio["id"]}],
            })),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    let (status, _, note) = app.get_ap(release["url"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{note}");
    let attachments: &Vec<Value> = note["attachment"].as_array().unwrap();
    assert_eq!(attachments[0]["type"], "Document");
    assert_eq!(
        attachments[0]["url"],
        format!("{base}{audio_name}").as_str()
    );
    assert_eq!(
        attachments[0]["icon"]["url"],
        format!("{base}{cover_name}").as_str()
    );
    let image = attachments
        .iter()
        .find(|a| a["mediaType"] == "image/png")
        .expect("the cover is attached");
    assert_eq!(image["url"], format!("{base}{cover_name}").as_str());
    assert!(
        !note.to_string().contains(&app.url("/media/")),
        "no media URL on Roadie's own domain: {note}"
    );
    let res = app
        .http
        .get(app.url(&format!("/media/{audio_name}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "Roadie still serves its own paths");

    // A backup copies the database and says the media stayed in the bucket.
    let dest = tempfile::tempdir().unwrap();
    let report = roadie::admin::backup(&app.state.config, app.db(), &dest.path().join("b"))
        .await
        .unwrap();
    assert!(report.database.exists());
    assert_eq!(report.media_bucket.as_deref(), Some(BUCKET));
    assert_eq!(report.media_files, 0);
    assert_eq!(
        files_under(&dest.path().join("b/media")),
        Vec::<String>::new()
    );

    let mut config = app.state.config.clone();
    config.media.storage = MediaStorageConfig::S3(s3.config("no-such-bucket"));
    let err = match AppState::build(config).await {
        Ok(_) => panic!("a missing bucket must stop the start-up"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("no-such-bucket") && err.contains("ROADIE_S3_BUCKET"),
        "{err}"
    );
}
