//! Authorized fetch: with it on, ActivityPub documents go only to signed requests, whatever the
//! key id style (`#main-key` or GoToSocial's `/main-key`), with no digest on GETs.

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    signed_gets_are_verified,
}

async fn signed_gets_are_verified(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.authorized_fetch = true).await;
    app.artist_with_token("band").await;
    let actor_url = app.url("/users/band");

    // Unsigned: refused for ActivityPub documents, but discovery, the instance actor and pages
    // stay open, and the artist's actor is served with its technical fields only (Mastodon's
    // secure mode), so servers that fetch keys unsigned can still verify deliveries.
    for document in [
        "/users/band/outbox",
        "/users/band/followers",
        "/users/band/collections/featured",
    ] {
        let (status, _, body) = app.get_ap(&app.url(document)).await;
        assert_eq!(status, 401, "{document}: {body}");
    }
    for url in [actor_url.clone(), app.url("/@band")] {
        let (status, _, limited) = app.get_ap(&url).await;
        assert_eq!(status, 200, "{limited}");
        assert_eq!(limited["id"], actor_url.as_str());
        assert_eq!(limited["type"], "Person");
        assert!(limited["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("PUBLIC KEY"));
        assert!(limited["inbox"].is_string() && limited["endpoints"]["sharedInbox"].is_string());
        for hidden in [
            "name",
            "summary",
            "followers",
            "icon",
            "attachment",
            "upcomingEvents",
        ] {
            assert!(limited.get(hidden).is_none(), "{hidden} in {limited}");
        }
    }
    // A bad signature on the actor is still refused.
    let stranger = Peer::start(&["eve"], true).await;
    let res = stranger
        .get_signed_for("eve", &actor_url, &app.url("/users/band/followers"))
        .await;
    assert_eq!(res.status(), 401);
    let page = app
        .http
        .get(&actor_url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let (status, _, _) = app.get_ap(&app.url("/actor")).await;
    assert_eq!(status, 200);
    let finger = app
        .http
        .get(app.webfinger_url(&format!("acct:band@{}", app.domain)))
        .send()
        .await
        .unwrap();
    assert_eq!(finger.status(), 200);

    // Mastodon style: `#main-key`, rsa-sha256.
    let mastodon = Peer::start(&["alice"], true).await;
    let res = mastodon
        .get_signed("alice", &actor_url, "rsa-sha256", true)
        .await;
    assert_eq!(res.status(), 200);
    let actor: serde_json::Value = res.json().await.unwrap();
    assert_eq!(actor["type"], "Person");
    assert_eq!(
        actor["name"], "band (band)",
        "signed fetches get the whole actor"
    );

    // GoToSocial style: `/main-key`, labelled hs2019.
    let gts = Peer::start(&["bob"], true).await;
    gts.use_path_key_ids();
    assert!(gts.key_id("bob").ends_with("/users/bob/main-key"));
    let res = gts.get_signed("bob", &actor_url, "hs2019", true).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Known now: the second request needs no fetch of the key.
    let res = gts
        .get_signed("bob", &app.url("/users/band/followers"), "hs2019", true)
        .await;
    assert_eq!(res.status(), 200);

    // Gancio style: the query string left out of `(request-target)`.
    let outbox_page = app.url("/users/band/outbox?page=true");
    let res = mastodon
        .get_signed("alice", &outbox_page, "rsa-sha256", false)
        .await;
    assert_eq!(res.status(), 200);
    let res = mastodon
        .get_signed("alice", &outbox_page, "rsa-sha256", true)
        .await;
    assert_eq!(res.status(), 200);

    // A request signed for one URL cannot be replayed for another: the peer signs
    // `/users/band/followers` but asks for the actor.
    let res = mastodon
        .get_signed_for("alice", &actor_url, &app.url("/users/band/followers"))
        .await;
    assert_eq!(res.status(), 401);
}
