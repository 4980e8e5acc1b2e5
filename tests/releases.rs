//! Releases: a post fans can play on Mastodon, drafts kept private, scheduling that fires once,
//! edits and deletions that reach followers.

use std::time::Duration;

use roadie::db::{self, artists::Artist, media::MediaRow};
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    published_release_is_playable_on_mastodon,
    drafts_stay_private_until_published,
    scheduled_release_fires_once_across_restarts,
    edits_and_deletion_reach_followers,
    invalid_releases_are_refused,
}

/// A media row as an upload would leave it (the bytes do not matter to these tests).
async fn media(
    app: &TestApp,
    artist: &Artist,
    kind: &str,
    content_type: &str,
    ext: &str,
) -> MediaRow {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let row = MediaRow {
        file_name: format!("{id}.{ext}"),
        id,
        artist_id: artist.id,
        kind: kind.to_owned(),
        content_type: content_type.to_owned(),
        size_bytes: 1234,
        width: (kind == "image").then_some(1200),
        height: (kind == "image").then_some(1200),
        duration_ms: (kind == "audio").then_some(184_400),
        blurhash: (kind == "image").then(|| "LEHV6nWB2yk8pyo0adR*.7kCMdnj".to_owned()),
        thumbnail_file: None,
        alt_text: String::new(),
        focal_x: None,
        focal_y: None,
        created_at: db::now(),
    };
    db::media::insert(app.db(), &row).await.unwrap();
    row
}

async fn follower(app: &TestApp) -> Peer {
    let peer = Peer::start(&["fan"], true).await;
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 202);
    app.run_deliveries().await;
    peer
}

fn album(cover: &MediaRow, previews: &[&MediaRow]) -> Value {
    json!({
        "title": "Night <Drive>",
        "kind": "album",
        "release_date": "2026-12-04",
        "description": "Our **second** album.",
        "cover_media_id": cover.id,
        "tracks": [
            {"title": "Opening", "preview_media_id": previews[0].id},
            {"title": "Highway", "duration_secs": 245, "preview_media_id": previews[1].id},
            {"title": "Closing", "duration_secs": 301},
        ],
        "links": [
            {"kind": "buy", "label": "Bandcamp", "url": "https://band.bandcamp.example/album/night-drive", "payment": true},
            {"kind": "stream", "label": "Funkwhale", "url": "https://tunes.example/library/albums/7"},
        ],
        "hashtags": ["#NewMusic", "synthwave"],
        "license": "CC BY-SA 4.0",
        "credits": "Mixed by Kim",
    })
}

async fn published_release_is_playable_on_mastodon(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;
    let cover = media(&app, &artist, "image", "image/jpeg", "jpg").await;
    let a = media(&app, &artist, "audio", "audio/mpeg", "mp3").await;
    let b = media(&app, &artist, "audio", "audio/ogg", "ogg").await;
    let peer = follower(&app).await;

    let (status, release) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/releases",
            Some(album(&cover, &[&a, &b])),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    assert_eq!(release["state"], "published");
    assert_eq!(
        release["tracks"][0]["duration_secs"], 184,
        "length taken from the preview"
    );
    assert_eq!(release["hashtags"], json!(["NewMusic", "synthwave"]));
    let url = release["url"].as_str().unwrap().to_owned();
    app.run_deliveries().await;

    let creates = peer.received_of_type("Create");
    assert_eq!(creates.len(), 1);
    assert!(creates[0].signature_valid);
    let note = &creates[0].body["object"];
    assert_eq!(note["type"], "Note", "Mastodon renders only Notes in full");
    assert_eq!(note["id"], url.as_str());
    assert_eq!(note["url"], url.as_str());
    let content = note["content"].as_str().unwrap();
    for needle in [
        "<strong>Night &lt;Drive&gt;</strong>",
        "Album · out 4 December 2026",
        "<strong>second</strong>",
        "<li>Opening (3:04)</li>",
        "<li>Highway (4:05)</li>",
        ">Buy on Bandcamp</a>",
        ">Stream on Funkwhale</a>",
        "#<span>NewMusic</span>",
    ] {
        assert!(
            content.contains(needle),
            "{needle:?} missing from {content}"
        );
    }
    let attachments = note["attachment"].as_array().unwrap();
    // Two playable previews with the cover as their icon, then the cover, then the payment link.
    assert_eq!(attachments[0]["type"], "Document");
    assert_eq!(attachments[0]["mediaType"], "audio/mpeg");
    assert_eq!(
        attachments[0]["url"],
        app.url(&format!("/media/{}", a.file_name))
    );
    assert_eq!(attachments[0]["name"], "Opening – band (band)");
    assert_eq!(
        attachments[0]["icon"]["url"],
        app.url(&format!("/media/{}", cover.file_name))
    );
    assert_eq!(attachments[1]["mediaType"], "audio/ogg");
    assert_eq!(attachments[2]["mediaType"], "image/jpeg");
    assert_eq!(attachments[2]["blurhash"], "LEHV6nWB2yk8pyo0adR*.7kCMdnj");
    assert_eq!(attachments[2]["width"], 1200);
    assert_eq!(attachments[3]["type"], "Link");
    assert_eq!(attachments[3]["rel"], "payment");
    assert_eq!(attachments.len(), 4);
    let tags = note["tag"].as_array().unwrap();
    assert_eq!(tags[0]["type"], "Hashtag");
    assert_eq!(tags[0]["name"], "#NewMusic");
    assert!(tags[0]["href"]
        .as_str()
        .unwrap()
        .ends_with("/tags/NewMusic"));
    assert!(creates[0].body["@context"]
        .to_string()
        .contains("toot:blurhash"));

    // The id serves the same Note, and a page with players for people.
    let (status, _, served) = app.get_ap(&url).await;
    assert_eq!(status, 200);
    assert_eq!(served["attachment"], note["attachment"]);
    let page = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Night &lt;Drive&gt;") || page.contains("Night &#60;Drive&#62;"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<audio controls preload=\"none\" src=\"{}\"",
            app.url(&format!("/media/{}", a.file_name))
        )),
        "{page}"
    );
    // The outbox lists it.
    let (_, _, outbox) = app.get_ap(&app.url("/users/band/outbox?page=true")).await;
    assert_eq!(outbox["orderedItems"][0]["object"]["id"], url.as_str());
}

async fn drafts_stay_private_until_published(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = follower(&app).await;
    let (status, release) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/releases",
            Some(json!({"title": "Demo", "kind": "single", "draft": true})),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    assert_eq!(release["state"], "draft");
    let url = release["url"].as_str().unwrap().to_owned();
    app.run_deliveries().await;
    assert!(peer.received_of_type("Create").is_empty());
    let (status, _, _) = app.get_ap(&url).await;
    assert_eq!(status, 404, "a draft is not public");

    let id = release["id"].as_i64().unwrap();
    let (status, published) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/releases/{id}/publish"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["state"], "published");
    app.run_deliveries().await;
    assert_eq!(peer.received_of_type("Create").len(), 1);
    let (status, _, _) = app.get_ap(&url).await;
    assert_eq!(status, 200);
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/releases/{id}/publish"),
            None,
        )
        .await;
    assert_eq!(status, 409);
}

async fn scheduled_release_fires_once_across_restarts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = follower(&app).await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let (status, release) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/releases",
            Some(json!({"title": "Tomorrow", "kind": "ep", "publish_at": at.to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    assert_eq!(release["state"], "scheduled");

    // The server restarts before the time comes, and a second process runs a scheduler too.
    let app = app.restart().await;
    let other = roadie::AppState::with_db(app.state.config.clone(), app.state.db.clone())
        .await
        .unwrap();
    let other_scheduler = roadie::scheduler::start(other.services.clone());
    assert!(
        peer.received_of_type("Create").is_empty(),
        "not before its time"
    );

    let published = async {
        loop {
            let (_, r) = app
                .api(
                    reqwest::Method::GET,
                    &token,
                    &format!("/api/v1/releases/{}", release["id"]),
                    None,
                )
                .await;
            if r["state"] == "published" {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let r = tokio::time::timeout(Duration::from_secs(15), published)
        .await
        .expect("published in time");
    let published_at: chrono::DateTime<chrono::Utc> =
        r["published_at"].as_str().unwrap().parse().unwrap();
    assert!(published_at >= at - chrono::Duration::milliseconds(5));
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.run_deliveries().await;
    assert_eq!(
        peer.received_of_type("Create").len(),
        1,
        "published exactly once"
    );
    other_scheduler.abort();
}

async fn edits_and_deletion_reach_followers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;
    let cover = media(&app, &artist, "image", "image/png", "png").await;
    let a = media(&app, &artist, "audio", "audio/mpeg", "mp3").await;
    let b = media(&app, &artist, "audio", "audio/mpeg", "mp3").await;
    let peer = follower(&app).await;
    let (_, release) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/releases",
            Some(album(&cover, &[&a, &b])),
        )
        .await;
    let id = release["id"].as_i64().unwrap();
    let url = release["url"].as_str().unwrap().to_owned();
    app.run_deliveries().await;
    let created = peer.received_of_type("Create")[0].body["object"].clone();

    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut changed = album(&cover, &[&a, &b]);
    changed["title"] = json!("Night Drive (Deluxe)");
    let (status, updated) = app
        .api(
            reqwest::Method::PUT,
            &token,
            &format!("/api/v1/releases/{id}"),
            Some(changed),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["state"], "published");
    app.run_deliveries().await;
    let updates = peer.received_of_type("Update");
    assert_eq!(updates.len(), 1);
    assert!(updates[0].signature_valid);
    let note = &updates[0].body["object"];
    assert_eq!(note["id"], url.as_str());
    assert!(note["content"]
        .as_str()
        .unwrap()
        .contains("Night Drive (Deluxe)"));
    let updated_at: chrono::DateTime<chrono::Utc> =
        note["updated"].as_str().unwrap().parse().unwrap();
    let published: chrono::DateTime<chrono::Utc> =
        created["published"].as_str().unwrap().parse().unwrap();
    assert!(updated_at > published, "Update carries a newer `updated`");
    assert_eq!(note["published"], created["published"]);

    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &token,
            &format!("/api/v1/releases/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    app.run_deliveries().await;
    let deletes = peer.received_of_type("Delete");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].body["object"]["id"], url.as_str());
    assert_eq!(deletes[0].body["object"]["type"], "Tombstone");
    let (status, _, tombstone) = app.get_ap(&url).await;
    assert_eq!(status, 410);
    assert_eq!(tombstone["type"], "Tombstone");
    let (status, _) = app
        .api(
            reqwest::Method::GET,
            &token,
            &format!("/api/v1/releases/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 410);
}

async fn invalid_releases_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;
    let (other, _) = app.artist_with_token("other").await;
    let theirs = media(&app, &other, "image", "image/png", "png").await;
    let audio = media(&app, &artist, "audio", "audio/mpeg", "mp3").await;
    for (body, why) in [
        (json!({"title": "", "kind": "album"}), "empty title"),
        (json!({"title": "X", "kind": "symphony"}), "unknown kind"),
        (
            json!({"title": "X", "kind": "album", "cover_media_id": theirs.id}),
            "another artist's cover",
        ),
        (
            json!({"title": "X", "kind": "album", "cover_media_id": audio.id}),
            "audio as cover",
        ),
        (
            json!({"title": "X", "kind": "album", "links": [{"kind": "buy", "label": "x", "url": "javascript:alert(1)"}]}),
            "bad link",
        ),
        (
            json!({"title": "X", "kind": "album", "hashtags": ["no spaces"]}),
            "bad hashtag",
        ),
        (
            json!({"title": "X", "kind": "album", "tracks": [{"title": "t", "preview_media_id": "nope"}]}),
            "unknown preview",
        ),
    ] {
        let (status, res) = app
            .api(
                reqwest::Method::POST,
                &token,
                "/api/v1/releases",
                Some(body),
            )
            .await;
        assert_eq!(status, 422, "{why}: {res}");
        assert!(res["error"].is_string(), "{why}");
    }
    let (_, list) = app
        .api(reqwest::Method::GET, &token, "/api/v1/releases", None)
        .await;
    assert_eq!(list, json!([]), "nothing was stored");
}
