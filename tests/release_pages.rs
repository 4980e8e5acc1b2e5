//! What people and link previews see of a release: the page's OpenGraph, player card, oEmbed,
//! fediverse:creator and schema.org data; the embed player; Atom feeds; remote follow.

use roadie::db::{self, artists::Artist, media::MediaRow};
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    release_page_carries_previews_and_player_card,
    atom_feeds_list_releases_and_posts,
    remote_follow_sends_fans_to_their_server,
}

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
        thumbnail_file: (kind == "image").then(|| format!("{id}.thumb.jpg")),
        id,
        artist_id: artist.id,
        kind: kind.to_owned(),
        content_type: content_type.to_owned(),
        size_bytes: 1000,
        width: None,
        height: None,
        duration_ms: Some(200_000),
        blurhash: None,
        alt_text: "A car at night".to_owned(),
        focal_x: None,
        focal_y: None,
        created_at: db::now(),
    };
    db::media::insert(app.db(), &row).await.unwrap();
    row
}

async fn publish(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, release) = app
        .api(reqwest::Method::POST, token, "/api/v1/releases", Some(body))
        .await;
    assert_eq!(status, 201, "{release}");
    release
}

fn with_query(base: &str, key: &str, value: &str) -> String {
    url::Url::parse_with_params(base, [(key, value)])
        .unwrap()
        .to_string()
}

/// The `content` of `<meta property|name="key" content="…">`.
fn meta<'a>(html: &'a str, key: &str) -> Option<&'a str> {
    let at = html.find(&format!("=\"{key}\" content=\""))?;
    let rest = &html[at + key.len() + 13..];
    Some(&rest[..rest.find('"')?])
}

async fn release_page_carries_previews_and_player_card(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;
    let cover = media(&app, &artist, "image", "image/jpeg", "jpg").await;
    let audio = media(&app, &artist, "audio", "audio/mpeg", "mp3").await;
    let release = publish(
        &app,
        &token,
        json!({
            "title": "Night Drive", "kind": "single", "release_date": "2026-12-04",
            "description": "A *song* for </script> night drives.",
            "cover_media_id": cover.id,
            "tracks": [{"title": "Night Drive", "preview_media_id": audio.id}],
        }),
    )
    .await;
    let url = release["url"].as_str().unwrap().to_owned();
    let html = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let media_url = |m: &MediaRow| app.url(&format!("/media/{}", m.file_name));
    let embed = app.url(&format!("/embed/users/band/releases/{}", release["id"]));
    assert_eq!(meta(&html, "og:title"), Some("Night Drive · band (band)"));
    assert_eq!(meta(&html, "og:url"), Some(url.as_str()));
    assert_eq!(meta(&html, "og:image"), Some(media_url(&cover).as_str()));
    assert_eq!(meta(&html, "og:image:alt"), Some("A car at night"));
    assert_eq!(meta(&html, "og:audio"), Some(media_url(&audio).as_str()));
    assert_eq!(meta(&html, "og:audio:type"), Some("audio/mpeg"));
    assert_eq!(meta(&html, "twitter:card"), Some("player"));
    assert_eq!(meta(&html, "twitter:player"), Some(embed.as_str()));
    assert_eq!(
        meta(&html, "fediverse:creator"),
        Some(format!("@band@{}", app.domain).as_str())
    );
    assert!(html.contains(&format!(
        r#"<link rel="alternate" type="application/activity+json" href="{url}">"#
    )));
    let oembed_marker = r#"<link rel="alternate" type="application/json+oembed" href=""#;
    let at = html.find(oembed_marker).expect("oEmbed discovery link") + oembed_marker.len();
    let oembed_url = html[at..at + html[at..].find('"').unwrap()].replace("&amp;", "&");

    // schema.org data, which a stray `</script>` in the text cannot break out of.
    let start = html.find(r#"<script type="application/ld+json">"#).unwrap() + 35;
    let end = start + html[start..].find("</script>").unwrap();
    let ld: Value = serde_json::from_str(&html[start..end]).expect("JSON-LD parses");
    assert_eq!(ld["@type"], "MusicAlbum");
    assert_eq!(ld["albumReleaseType"], "SingleRelease");
    assert_eq!(ld["byArtist"]["name"], "band (band)");
    assert_eq!(ld["numTracks"], 1);
    assert_eq!(ld["track"][0]["duration"], "PT3M20S");
    assert_eq!(ld["datePublished"], "2026-12-04");

    // oEmbed: a video-type player card (Mastodon refuses `rich`) framing the embed player.
    let card: Value = app
        .http
        .get(&oembed_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(card["type"], "video");
    assert_eq!(card["title"], "Night Drive");
    assert!(
        card["html"]
            .as_str()
            .unwrap()
            .contains(&format!(r#"<iframe src="{embed}""#)),
        "{card}"
    );
    assert_eq!(
        card["thumbnail_url"],
        app.url(&format!(
            "/media/{}",
            cover.thumbnail_file.as_ref().unwrap()
        ))
    );
    let player = app.http.get(&embed).send().await.unwrap();
    assert_eq!(player.status(), 200);
    assert!(player.text().await.unwrap().contains(&format!(
        r#"<audio controls preload="none" src="{}""#,
        media_url(&audio)
    )));
    let res = app
        .http
        .get(with_query(
            &app.url("/api/oembed"),
            "url",
            "https://elsewhere.example/users/band/releases/1",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The actor names the domain whose pages may credit it.
    let (_, _, actor) = app.get_ap(&app.url("/users/band")).await;
    assert_eq!(actor["attributionDomains"], json!(["localhost"]));

    // The artist page lists the release.
    let profile = app
        .http
        .get(app.url("/@band"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        profile.contains(&format!(r#"<a href="{url}">"#)),
        "{profile}"
    );
}

async fn atom_feeds_list_releases_and_posts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, band) = app.artist_with_token("band").await;
    let (_, solo) = app.artist_with_token("solo").await;
    publish(
        &app,
        &band,
        json!({"title": "Night & Day", "kind": "album", "description": "Our <b>album</b>"}),
    )
    .await;
    publish(
        &app,
        &band,
        json!({"title": "Secret", "kind": "ep", "draft": true}),
    )
    .await;
    publish(&app, &solo, json!({"title": "Alone", "kind": "single"})).await;
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &band,
            "/api/v1/posts",
            Some(json!({"content": "Tour soon"})),
        )
        .await;
    assert_eq!(status, 201);

    let res = app
        .http
        .get(app.url("/@band/feed.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let xml = res.bytes().await.unwrap();
    let feed = atom_syndication::Feed::read_from(&xml[..]).expect("valid Atom XML");
    let titles: Vec<String> = feed
        .entries()
        .iter()
        .map(|e| e.title().value.clone())
        .collect();
    assert_eq!(feed.entries().len(), 2, "{titles:?}");
    assert!(
        titles
            .iter()
            .any(|t| t == "band (band) – Night & Day (Album)"),
        "{titles:?}"
    );
    assert!(titles.iter().any(|t| t.contains("Tour soon")), "{titles:?}");
    assert!(
        !titles.iter().any(|t| t.contains("Secret")),
        "drafts stay out"
    );
    let release_entry = feed
        .entries()
        .iter()
        .find(|e| e.title().value.contains("Night"))
        .unwrap();
    assert!(release_entry.id().ends_with("/users/band/releases/1"));
    assert_eq!(release_entry.links()[0].rel(), "alternate");

    let xml = app
        .http
        .get(app.url("/feed.atom"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let feed = atom_syndication::Feed::read_from(&xml[..]).expect("valid Atom XML");
    let titles: Vec<String> = feed
        .entries()
        .iter()
        .map(|e| e.title().value.clone())
        .collect();
    assert_eq!(feed.entries().len(), 3, "{titles:?}");
    assert!(titles.iter().any(|t| t.contains("Alone")));
}

async fn remote_follow_sends_fans_to_their_server(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let fan_server = Peer::start(&["fan"], true).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let res = no_redirects
        .get(with_query(
            &app.url("/@band/follow"),
            "handle",
            &format!("@fan@{}", fan_server.domain),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let expected: String =
        url::form_urlencoded::byte_serialize(app.url("/users/band").as_bytes()).collect();
    assert_eq!(
        location,
        format!(
            "http://{}/authorize_interaction?uri={expected}",
            fan_server.domain
        )
    );

    // No follow page on that server, an unknown account, or nonsense: a clear message.
    let quiet = Peer::start(&["fan"], true).await;
    quiet.hide_subscribe();
    for (handle, message) in [
        (format!("@fan@{}", quiet.domain), "offers no follow page"),
        (
            format!("@nobody@{}", fan_server.domain),
            "does not know the account",
        ),
        (
            "not a handle".to_owned(),
            "does not look like a fediverse handle",
        ),
    ] {
        let res = no_redirects
            .get(with_query(&app.url("/@band/follow"), "handle", &handle))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{handle}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{handle}: {html}");
        assert!(html.contains("value=\""), "what the fan typed is kept");
    }
    let form = no_redirects
        .get(app.url("/@band/follow"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
}
