//! A fediverse server finds an artist: WebFinger, host-meta, NodeInfo, the actor document.

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

on_both_backends! {
    webfinger_and_actor,
    discovery_documents,
}

async fn webfinger_and_actor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let domain = &app.domain;

    // By acct: and by actor URL, the same answer.
    for resource in [
        format!("acct:band@{domain}"),
        app.url("/users/band"),
        app.url("/@band"),
    ] {
        let res = app
            .http
            .get(app.webfinger_url(&resource))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{resource}");
        assert_eq!(res.headers()["content-type"], "application/jrd+json");
        let jrd: serde_json::Value = res.json().await.unwrap();
        assert_eq!(jrd["subject"], format!("acct:band@{domain}"));
        let self_link = jrd["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self")
            .expect("self link");
        assert_eq!(self_link["type"], "application/activity+json");
        assert_eq!(self_link["href"], app.url("/users/band"));
    }
    for (resource, status) in [
        (format!("acct:nobody@{domain}"), 404),
        ("acct:band@elsewhere.example".to_owned(), 404),
        ("acct:nonsense".to_owned(), 400),
    ] {
        let res = app
            .http
            .get(app.webfinger_url(&resource))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{resource}");
    }

    // The actor as ActivityPub JSON.
    let (status, ctype, actor) = app.get_ap(&app.url("/users/band")).await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "application/activity+json");
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["id"], app.url("/users/band"));
    assert_eq!(actor["preferredUsername"], "band");
    assert_eq!(actor["name"], "band (band)");
    for (field, path) in [
        ("inbox", "/users/band/inbox"),
        ("outbox", "/users/band/outbox"),
        ("followers", "/users/band/followers"),
        ("following", "/users/band/following"),
        ("featured", "/users/band/collections/featured"),
        ("url", "/@band"),
    ] {
        assert_eq!(actor[field], app.url(path), "{field}");
    }
    assert_eq!(actor["endpoints"]["sharedInbox"], app.url("/inbox"));
    assert_eq!(actor["publicKey"]["id"], app.url("/users/band#main-key"));
    assert_eq!(actor["publicKey"]["owner"], app.url("/users/band"));
    assert!(actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(actor["manuallyApprovesFollowers"], false);
    assert_eq!(actor["discoverable"], true);
    assert_eq!(actor["indexable"], true);
    assert!(actor["summary"].is_string());
    assert!(actor["attachment"].is_array());
    assert!(actor["@context"]
        .to_string()
        .contains("https://www.w3.org/ns/activitystreams"));

    // The ld+json profile works too; a browser gets HTML.
    let res = app
        .http
        .get(app.url("/users/band"))
        .header(
            "accept",
            r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/activity+json");
    let res = app
        .http
        .get(app.url("/users/band"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("band (band)"), "{html}");
    assert!(html.contains(&format!("@band@{domain}")));

    // Collections.
    let (_, _, followers) = app.get_ap(&app.url("/users/band/followers")).await;
    assert_eq!(followers["type"], "OrderedCollection");
    assert_eq!(followers["totalItems"], 0);
    let (_, _, outbox) = app.get_ap(&app.url("/users/band/outbox")).await;
    assert_eq!(outbox["totalItems"], 0);
    assert!(outbox["first"].is_string());

    let (status, _, _) = app.get_ap(&app.url("/users/nobody")).await;
    assert_eq!(status, 404);
}

async fn discovery_documents(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;

    let res = app
        .http
        .get(app.url("/.well-known/host-meta"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let xml = res.text().await.unwrap();
    assert!(
        xml.contains(&format!(
            "template=\"{}/.well-known/webfinger?resource={{uri}}\"",
            app.url("")
        )),
        "{xml}"
    );

    let links: serde_json::Value = app
        .http
        .get(app.url("/.well-known/nodeinfo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        links["links"][0]["rel"],
        "http://nodeinfo.diaspora.software/ns/schema/2.1"
    );
    let href = links["links"][0]["href"].as_str().unwrap();
    let nodeinfo: serde_json::Value = app
        .http
        .get(href)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nodeinfo["version"], "2.1");
    assert_eq!(nodeinfo["software"]["name"], "roadie");
    assert_eq!(nodeinfo["protocols"][0], "activitypub");
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);
    assert!(nodeinfo["software"]["homepage"].is_string());

    // Schema 2.0 too, for clients that know only it (bovine looks for nothing else).
    assert_eq!(
        links["links"][1]["rel"],
        "http://nodeinfo.diaspora.software/ns/schema/2.0"
    );
    let res = app
        .http
        .get(links["links"][1]["href"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let profile = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(profile.contains("schema/2.0#"), "{profile}");
    let old: serde_json::Value = res.json().await.unwrap();
    assert_eq!(old["version"], "2.0");
    assert_eq!(old["usage"], nodeinfo["usage"]);
    assert!(
        old["software"].get("homepage").is_none(),
        "2.0 has no homepage: {old}"
    );
    let missing = app.http.get(app.url("/nodeinfo/3.0")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    // The instance actor, for signed fetches.
    let (status, _, actor) = app.get_ap(&app.url("/actor")).await;
    assert_eq!(status, 200);
    assert_eq!(actor["type"], "Application");
    assert_eq!(actor["publicKey"]["id"], app.url("/actor#main-key"));
    let res = app
        .http
        .get(app.webfinger_url(&format!("acct:{0}@{0}", app.domain)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The instance actor's links lead somewhere: its outbox, and the home page listing artists.
    let (status, _, outbox) = app.get_ap(actor["outbox"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(outbox["type"], "OrderedCollection");
    let home = app
        .http
        .get(actor["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains(&format!("@band@{}", app.domain)), "{html}");
    assert!(html.contains(&app.url("/@band")), "{html}");

    // The API describes itself.
    let spec: serde_json::Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/posts",
        "/api/v1/posts/{id}",
        "/api/v1/follow_requests",
        "/api/v1/profile",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
}

on_both_backends! {
    profile_update_reaches_followers,
    production_settings_refuse_private_addresses,
}

async fn profile_update_reaches_followers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = crate::support::Peer::start(&["fan"], true).await;
    peer.deliver(
        "fan",
        &app.url("/inbox"),
        &peer.follow("fan", &app.url("/users/band")),
    )
    .await;
    app.run_deliveries().await;

    let (status, profile) = app
        .api(
            reqwest::Method::PATCH,
            &token,
            "/api/v1/profile",
            Some(serde_json::json!({
                "display_name": "The Band",
                "summary": "Loud *and* proud <script>x()</script>",
                "links": [{"name": "Bandcamp", "url": "https://band.bandcamp.example/"}],
            })),
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["display_name"], "The Band");
    app.run_deliveries().await;

    let updates = peer.received_of_type("Update");
    assert_eq!(updates.len(), 1);
    assert!(updates[0].signature_valid);
    let actor = &updates[0].body["object"];
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["name"], "The Band");
    let summary = actor["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("<p>Loud <em>and</em> proud"),
        "{summary}"
    );
    assert!(!summary.contains("script"), "{summary}");
    assert_eq!(actor["attachment"][0]["type"], "PropertyValue");
    assert_eq!(actor["attachment"][0]["name"], "Bandcamp");
    assert!(actor["attachment"][0]["value"]
        .as_str()
        .unwrap()
        .contains(r#"href="https://band.bandcamp.example/""#));

    for bad in [
        serde_json::json!({"display_name": ""}),
        serde_json::json!({"links": [{"name": "x", "url": "javascript:alert(1)"}]}),
        serde_json::json!({"links": vec![serde_json::json!({"name": "a", "url": "https://a.example/"}); 5]}),
    ] {
        let (status, body) = app
            .api(
                reqwest::Method::PATCH,
                &token,
                "/api/v1/profile",
                Some(bad.clone()),
            )
            .await;
        assert_eq!(status, 422, "{bad} -> {body}");
    }
}

async fn production_settings_refuse_private_addresses(backend: Backend) {
    // Without ROADIE_DANGER_ALLOW_PRIVATE_NETWORK Roadie must not fetch the (loopback) actor,
    // so a signed Follow from it cannot be verified and is refused.
    let app = TestApp::spawn_with(backend, |c| c.allow_private_network = false).await;
    app.artist_with_token("band").await;
    let peer = crate::support::Peer::start(&["fan"], true).await;
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 401);
    app.run_deliveries().await;
    assert_eq!(app.follower_count("band").await, 0);
    assert!(peer.received().is_empty());
}

on_both_backends! {
    cached_documents_follow_changes_at_once,
}

/// Actor and WebFinger documents are served from an in-process cache; a change made through
/// this process must show in the very next answer, and a new artist must be found at once.
async fn cached_documents_follow_changes_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let actor_url = app.url("/users/band");
    // Twice, so the second answer comes from the cache.
    for _ in 0..2 {
        let (status, _, actor) = app.get_ap(&actor_url).await;
        assert_eq!(status, 200);
        assert_eq!(actor["name"], "band (band)");
        assert_eq!(actor["manuallyApprovesFollowers"], false);
    }
    let (status, _, by_handle) = app.get_ap(&app.url("/@band")).await;
    assert_eq!(status, 200);
    assert_eq!(by_handle["id"], actor_url);

    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &token,
            "/api/v1/profile",
            Some(serde_json::json!({
                "display_name": "Renamed",
                "manually_approves_followers": true,
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for url in [actor_url.clone(), app.url("/@band")] {
        let (status, _, actor) = app.get_ap(&url).await;
        assert_eq!(status, 200);
        assert_eq!(actor["name"], "Renamed", "{url}");
        assert_eq!(actor["manuallyApprovesFollowers"], true, "{url}");
    }

    // WebFinger: an unknown account is not remembered as missing.
    let webfinger = |user: &str| {
        app.http
            .get(app.webfinger_url(&format!("acct:{user}@{}", app.domain)))
            .send()
    };
    assert_eq!(webfinger("band").await.unwrap().status(), 200);
    assert_eq!(webfinger("band").await.unwrap().status(), 200);
    assert_eq!(webfinger("latecomer").await.unwrap().status(), 404);
    app.artist_with_token("latecomer").await;
    let res = webfinger("latecomer").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/jrd+json");
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let jrd: serde_json::Value = res.json().await.unwrap();
    assert_eq!(jrd["subject"], format!("acct:latecomer@{}", app.domain));
    let (status, _, actor) = app.get_ap(&app.url("/users/latecomer")).await;
    assert_eq!(status, 200);
    assert_eq!(actor["preferredUsername"], "latecomer");
}

on_both_backends! {
    cached_profile_page_follows_changes_at_once,
}

/// The public profile page and the suspension check are cached in-process too; every change
/// made through this process (an API post, a follow arriving in the inbox, a suspension) must
/// show in the very next answer.
async fn cached_profile_page_follows_changes_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let page = || async {
        let res = app.http.get(app.url("/@band")).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    };
    // Twice, so the second answer comes from the cache.
    for _ in 0..2 {
        let (status, html) = page().await;
        assert_eq!(status, 200);
        assert!(!html.contains("Fresh from the studio"));
    }

    let (status, body) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/posts",
            Some(serde_json::json!({"content": "Fresh from the studio"})),
        )
        .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let (_, html) = page().await;
    assert!(html.contains("Fresh from the studio"), "{html}");

    let peer = crate::support::Peer::start(&["fan"], true).await;
    let follows = |html: &str| html.contains("<strong>1</strong> followers");
    assert!(!follows(&page().await.1));
    let res = peer
        .deliver(
            "fan",
            &app.url("/inbox"),
            &peer.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(app.follower_count("band").await, 1);
    assert!(
        follows(&page().await.1),
        "the new follower is counted at once"
    );

    let admin = roadie::domain::moderation::create_admin_token(app.db(), "mod")
        .await
        .unwrap();
    let (status, body) = app
        .api(
            reqwest::Method::POST,
            &admin,
            "/api/v1/admin/accounts/band/action",
            Some(serde_json::json!({"type": "suspend"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(page().await.0, 410, "suspension shows at once");
}
