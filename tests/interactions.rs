//! Fans pass music along: boosts and likes counted once per fan and object, undone by `Undo`;
//! replies shown sanitised; only authors may change or remove their replies.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    boosts_earn_points_once_and_undo_takes_them_back,
    likes_are_counted_and_undone,
    replies_are_shown_sanitised_and_only_authors_change_them,
    interactions_with_private_or_foreign_objects_are_ignored,
    concurrent_likes_are_each_stored_once,
    deleted_objects_stop_taking_boosts_at_once,
}

// On a single-threaded runtime the writes queued by one `join!` reach the inbox writer together,
// so they are committed as one batch.
mod a_failed_write_does_not_fail_its_batch {
    use crate::support::Backend;

    #[tokio::test(flavor = "current_thread")]
    async fn sqlite() {
        super::a_failed_write_does_not_fail_its_batch(Backend::Sqlite).await
    }
    #[tokio::test(flavor = "current_thread")]
    async fn postgres() {
        super::a_failed_write_does_not_fail_its_batch(Backend::Postgres).await
    }
}

async fn post(app: &TestApp, token: &str, visibility: &str) -> (i64, String) {
    let (status, body) = app
        .api(
            reqwest::Method::POST,
            token,
            "/api/v1/posts",
            Some(json!({"content": "New song out!", "visibility": visibility})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_i64().unwrap(),
        body["url"].as_str().unwrap().to_owned(),
    )
}

async fn counts(app: &TestApp, token: &str, id: i64) -> Value {
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            token,
            &format!("/api/v1/posts/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["counts"].clone()
}

fn activity(peer: &Peer, fan: &str, kind: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#{}/{}", peer.actor_id(fan), kind.to_lowercase(), uuid::Uuid::new_v4()),
        "type": kind,
        "actor": peer.actor_id(fan),
        "object": object,
    })
}

async fn top_passers(app: &TestApp) -> String {
    let html = app
        .http
        .get(app.url("/@band"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html.split("<h2>Top passers</h2>")
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_default()
}

async fn boosts_earn_points_once_and_undo_takes_them_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann", "bob"], true).await;
    let (id, url) = post(&app, &token, "public").await;
    let (id2, url2) = post(&app, &token, "public").await;

    let boost = activity(&peer, "ann", "Announce", json!(url));
    assert_eq!(
        peer.deliver("ann", &app.url("/inbox"), &boost)
            .await
            .status(),
        202
    );
    // The same boost again, and a second Announce of the same object with a new id: one point.
    assert_eq!(
        peer.deliver("ann", &app.url("/inbox"), &boost)
            .await
            .status(),
        202
    );
    let again = activity(&peer, "ann", "Announce", json!(url));
    assert_eq!(
        peer.deliver("ann", &app.url("/inbox"), &again)
            .await
            .status(),
        202
    );
    assert_eq!(counts(&app, &token, id).await["boosts"], 1);
    let passers = top_passers(&app).await;
    assert!(
        passers.contains(&format!("ann@{}", peer.domain)),
        "{passers}"
    );
    assert!(passers.contains("<strong>1</strong>"), "{passers}");

    // Boosting another object is another point; Bob boosts too.
    let other = activity(&peer, "ann", "Announce", json!(url2));
    peer.deliver("ann", &app.url("/inbox"), &other).await;
    peer.deliver(
        "bob",
        &app.url("/inbox"),
        &activity(&peer, "bob", "Announce", json!(url)),
    )
    .await;
    assert_eq!(counts(&app, &token, id).await["boosts"], 2);
    let passers = top_passers(&app).await;
    assert!(
        passers.contains("<strong>2</strong>"),
        "Ann has two points: {passers}"
    );

    // Undo, with the Announce embedded (Mastodon) and by id only.
    let res = peer
        .deliver("ann", &app.url("/inbox"), &peer.undo("ann", &boost))
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(
        counts(&app, &token, id).await["boosts"],
        1,
        "Bob's boost remains"
    );
    let undo_by_id = activity(&peer, "ann", "Undo", other["id"].clone());
    peer.deliver("ann", &app.url("/inbox"), &undo_by_id).await;
    assert_eq!(counts(&app, &token, id2).await["boosts"], 0);

    // An Announce signed by someone else than its actor is refused and counts nothing.
    let forged = activity(&peer, "ann", "Announce", json!(url2));
    let res = peer
        .post_signed(
            "ann",
            &app.url("/inbox"),
            forged.to_string().as_bytes(),
            crate::support::SignOptions {
                signer: Some("bob".to_owned()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(counts(&app, &token, id2).await["boosts"], 0);
}

async fn likes_are_counted_and_undone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann"], true).await;
    let (id, url) = post(&app, &token, "unlisted").await;
    let like = activity(&peer, "ann", "Like", json!(url));
    peer.deliver("ann", &app.url("/users/band/inbox"), &like)
        .await;
    peer.deliver(
        "ann",
        &app.url("/users/band/inbox"),
        &activity(&peer, "ann", "Like", json!(url)),
    )
    .await;
    let c = counts(&app, &token, id).await;
    assert_eq!(
        (c["likes"].as_i64(), c["boosts"].as_i64()),
        (Some(1), Some(0))
    );
    peer.deliver("ann", &app.url("/inbox"), &peer.undo("ann", &like))
        .await;
    assert_eq!(counts(&app, &token, id).await["likes"], 0);
    assert!(top_passers(&app).await.is_empty(), "likes are not passes");
}

fn reply(peer: &Peer, fan: &str, id: &str, in_reply_to: &str, content: &str) -> Value {
    let note = json!({
        "id": id,
        "type": "Note",
        "attributedTo": peer.actor_id(fan),
        "inReplyTo": in_reply_to,
        "content": content,
        "published": "2026-11-20T18:10:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    json!({
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": peer.actor_id(fan),
        "object": note,
    })
}

async fn replies_are_shown_sanitised_and_only_authors_change_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann", "mallory"], true).await;
    let (id, url) = post(&app, &token, "public").await;
    let reply_id = format!("{}/statuses/1", peer.actor_id("ann"));
    let hostile = r#"<p>Love it <script>alert(1)</script><iframe src="https://x.example"></iframe>
        <a href="javascript:alert(1)">click</a> <img src="https://tracker.example/p.png" onerror="x()">
        <a href="https://ann.example/">my page</a></p>"#;
    let res = peer
        .deliver(
            "ann",
            &app.url("/inbox"),
            &reply(&peer, "ann", &reply_id, &url, hostile),
        )
        .await;
    assert_eq!(res.status(), 202);
    // A reply to the reply belongs to the same post.
    let nested = format!("{}/statuses/2", peer.actor_id("mallory"));
    peer.deliver(
        "mallory",
        &app.url("/inbox"),
        &reply(&peer, "mallory", &nested, &reply_id, "<p>Me too</p>"),
    )
    .await;
    assert_eq!(counts(&app, &token, id).await["replies"], 2);

    let page = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Love it"), "{page}");
    assert!(page.contains("Me too"));
    assert!(page.contains(&format!("@ann@{}", peer.domain)));
    for bad in [
        "<script",
        "<iframe",
        "javascript:",
        "<img",
        "onerror",
        "tracker.example",
    ] {
        assert!(!page.contains(bad), "{bad} reached the page");
    }
    assert!(
        page.contains(r#"href="https://ann.example/" rel="nofollow noopener noreferrer ugc""#),
        "{page}"
    );

    // Mallory may neither edit nor delete Ann's reply.
    let update = |fan: &str, content: &str| {
        json!({
            "id": format!("{}#updates/{}", peer.actor_id(fan), uuid::Uuid::new_v4()),
            "type": "Update",
            "actor": peer.actor_id(fan),
            "object": {"id": reply_id, "type": "Note", "attributedTo": peer.actor_id(fan), "content": content},
        })
    };
    peer.deliver(
        "mallory",
        &app.url("/inbox"),
        &update("mallory", "<p>HACKED</p>"),
    )
    .await;
    let delete = |fan: &str| {
        json!({
            "id": format!("{}#deletes/{}", peer.actor_id(fan), uuid::Uuid::new_v4()),
            "type": "Delete",
            "actor": peer.actor_id(fan),
            "object": {"id": reply_id, "type": "Tombstone"},
        })
    };
    peer.deliver("mallory", &app.url("/inbox"), &delete("mallory"))
        .await;
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
        page.contains("Love it") && !page.contains("HACKED"),
        "{page}"
    );
    assert_eq!(counts(&app, &token, id).await["replies"], 2);

    // Ann may.
    peer.deliver(
        "ann",
        &app.url("/inbox"),
        &update("ann", "<p>Still love it</p>"),
    )
    .await;
    let page = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Still love it"), "{page}");
    peer.deliver("ann", &app.url("/inbox"), &delete("ann"))
        .await;
    let page = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Still love it"));
    assert_eq!(counts(&app, &token, id).await["replies"], 1);

    // A reply claiming another author is refused.
    let mut forged = reply(
        &peer,
        "ann",
        &format!("{}/statuses/3", peer.actor_id("ann")),
        &url,
        "<p>x</p>",
    );
    forged["object"]["attributedTo"] = json!(peer.actor_id("mallory"));
    let res = peer.deliver("ann", &app.url("/inbox"), &forged).await;
    assert_eq!(res.status(), 403);
}

async fn interactions_with_private_or_foreign_objects_are_ignored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann"], true).await;
    let (id, url) = post(&app, &token, "followers").await;
    for object in [
        json!(url),
        json!("https://elsewhere.example/notes/1"),
        json!(app.url("/users/band/posts/999")),
    ] {
        let res = peer
            .deliver(
                "ann",
                &app.url("/inbox"),
                &activity(&peer, "ann", "Announce", object),
            )
            .await;
        assert_eq!(res.status(), 202, "accepted and ignored");
    }
    assert_eq!(
        counts(&app, &token, id).await["boosts"],
        0,
        "a followers-only post cannot be boosted"
    );
    let res = peer
        .deliver(
            "ann",
            &app.url("/inbox"),
            &reply(
                &peer,
                "ann",
                &format!("{}/statuses/9", peer.actor_id("ann")),
                "https://elsewhere.example/notes/1",
                "<p>hi</p>",
            ),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(counts(&app, &token, id).await["replies"], 0);
}

/// Many fans like at once, each Like delivered twice at the same time: the inbox writer batches
/// them, and every fan counts once.
async fn concurrent_likes_are_each_stored_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let fans: Vec<String> = (0..12).map(|i| format!("fan{i}")).collect();
    let names: Vec<&str> = fans.iter().map(String::as_str).collect();
    let peer = Peer::start(&names, true).await;
    let (id, url) = post(&app, &token, "public").await;
    let likes: Vec<(&str, Value)> = names
        .iter()
        .map(|fan| (*fan, activity(&peer, fan, "Like", json!(url))))
        .collect();
    let inbox = app.url("/inbox");
    let deliveries = likes
        .iter()
        .chain(likes.iter())
        .map(|(fan, like)| peer.deliver(fan, &inbox, like));
    for response in futures_util::future::join_all(deliveries).await {
        assert_eq!(response.status(), 202);
    }
    let c = counts(&app, &token, id).await;
    assert_eq!(
        (c["likes"].as_i64(), c["boosts"].as_i64()),
        (Some(fans.len() as i64), Some(0))
    );
}

/// A write that breaks a constraint fails alone; the others in its batch are stored, and the
/// failed activity is not recorded, so a retry is processed.
async fn a_failed_write_does_not_fail_its_batch(backend: Backend) {
    use roadie::db::inbox_writer::{InboxWrite, NewInteraction};
    use roadie::db::interactions::ObjectKey;

    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann"], true).await;
    let (id, url) = post(&app, &token, "public").await;
    let first = activity(&peer, "ann", "Like", json!(url));
    let status = peer
        .deliver("ann", &app.url("/inbox"), &first)
        .await
        .status();
    assert_eq!(status, 202);
    let ann = roadie::db::remote_actors::by_ap_id(app.db(), &peer.actor_id("ann"))
        .await
        .unwrap()
        .expect("ann was fetched");
    let object = ObjectKey {
        artist_id: artist.id,
        kind: "post",
        id,
    };
    let interaction = |activity_ap_id: &str, kind, remote_actor_id| InboxWrite::Interaction {
        activity_ap_id: activity_ap_id.to_owned(),
        interaction: NewInteraction {
            kind,
            object,
            remote_actor_id,
        },
    };
    let received = |ap_id: &str| InboxWrite::Received {
        ap_id: ap_id.to_owned(),
        actor_ap_id: ann.ap_id.clone(),
        kind: "Follow".to_owned(),
    };
    let boost_id = format!("{}#boost/1", ann.ap_id);
    let follow_id = format!("{}#follow/1", ann.ap_id);
    let first_id = first["id"].as_str().unwrap();
    let writer = &app.state.inbox_writer;
    let (boost, broken, repeat, follow, follow_again) = tokio::join!(
        writer.write(interaction(&boost_id, "announce", ann.id)),
        // No such fan: the foreign key refuses it.
        writer.write(interaction(
            &format!("{}#like/2", ann.ap_id),
            "like",
            i64::MAX
        )),
        writer.write(interaction(first_id, "like", ann.id)),
        writer.write(received(&follow_id)),
        writer.write(received(&follow_id)),
    );
    assert!(boost.unwrap(), "a new boost");
    assert!(broken.is_err(), "{broken:?}");
    assert!(!repeat.unwrap(), "the Like delivered before");
    assert!(follow.unwrap(), "a new activity");
    assert!(!follow_again.unwrap(), "the same id twice in one batch");
    let c = counts(&app, &token, id).await;
    assert_eq!(
        (c["likes"].as_i64(), c["boosts"].as_i64()),
        (Some(1), Some(1))
    );
    // The failed write left nothing behind: its id is free for a like of another post.
    let (id2, _) = post(&app, &token, "public").await;
    let retried = writer
        .write(InboxWrite::Interaction {
            activity_ap_id: format!("{}#like/2", ann.ap_id),
            interaction: NewInteraction {
                kind: "like",
                object: ObjectKey { id: id2, ..object },
                remote_actor_id: ann.id,
            },
        })
        .await;
    assert!(retried.unwrap());
    assert_eq!(counts(&app, &token, id2).await["likes"].as_i64(), Some(1));
}

/// The inbox remembers which objects are public; a deletion must end that at once.
async fn deleted_objects_stop_taking_boosts_at_once(backend: Backend) {
    use roadie::db::interactions::{counts, ObjectKey};

    let app = TestApp::spawn(backend).await;
    let (artist, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["ann", "bob"], true).await;
    let (post_id, post_url) = post(&app, &token, "public").await;
    let (status, release) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/releases",
            Some(json!({"title": "Gone soon", "kind": "single"})),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    let release_id = release["id"].as_i64().unwrap();
    let release_url = release["url"].as_str().unwrap().to_owned();
    let objects = [
        ("post", post_id, post_url, "posts"),
        ("release", release_id, release_url, "releases"),
    ];
    for (kind, id, url, path) in objects {
        let boost = activity(&peer, "ann", "Announce", json!(url));
        let status = peer
            .deliver("ann", &app.url("/inbox"), &boost)
            .await
            .status();
        assert_eq!(status, 202);
        let (status, body) = app
            .api(
                reqwest::Method::DELETE,
                &token,
                &format!("/api/v1/{path}/{id}"),
                None,
            )
            .await;
        assert_eq!(status, 204, "{body}");
        let late = activity(&peer, "bob", "Announce", json!(url));
        let status = peer
            .deliver("bob", &app.url("/inbox"), &late)
            .await
            .status();
        assert_eq!(status, 202, "accepted and ignored");
        let object = ObjectKey {
            artist_id: artist.id,
            kind,
            id,
        };
        assert_eq!(
            counts(app.db(), object).await.unwrap().boosts,
            1,
            "only the boost made before the {kind} was deleted"
        );
    }
}
