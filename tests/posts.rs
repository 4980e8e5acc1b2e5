//! An artist posts; every follower's server receives it once per shared inbox; deletion follows.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    post_reaches_followers_and_delete_follows,
}

async fn post_reaches_followers_and_delete_follows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let artist = app.url("/users/band");
    // Three fans on a server with a shared inbox, one on a server without.
    let big = Peer::start(&["ann", "bob", "cid"], true).await;
    let small = Peer::start(&["dee"], false).await;
    for fan in ["ann", "bob", "cid"] {
        let res = big
            .deliver(fan, &app.url("/inbox"), &big.follow(fan, &artist))
            .await;
        assert_eq!(res.status(), 202);
    }
    small
        .deliver("dee", &app.url("/inbox"), &small.follow("dee", &artist))
        .await;
    app.run_deliveries().await;
    assert_eq!(app.follower_count("band").await, 4);

    let (status, post) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/posts",
            Some(json!({"content": "New single **out now** <script>x()</script>", "visibility": "public"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    let note_id = post["url"].as_str().unwrap().to_owned();
    app.run_deliveries().await;

    let creates = big.received_of_type("Create");
    assert_eq!(creates.len(), 1, "one POST per shared inbox");
    assert_eq!(creates[0].path, "/inbox");
    let small_creates = small.received_of_type("Create");
    assert_eq!(small_creates.len(), 1);
    assert_eq!(small_creates[0].path, "/users/dee/inbox");
    for create in [&creates[0], &small_creates[0]] {
        assert!(create.signature_valid, "Create signature must verify");
        let note = &create.body["object"];
        assert_eq!(create.body["actor"], artist);
        assert_eq!(note["type"], "Note");
        assert_eq!(note["id"], note_id.as_str());
        assert_eq!(note["attributedTo"], artist);
        assert_eq!(
            note["to"],
            json!(["https://www.w3.org/ns/activitystreams#Public"])
        );
        assert_eq!(note["cc"], json!([app.url("/users/band/followers")]));
        let content = note["content"].as_str().unwrap();
        assert!(content.contains("<strong>out now</strong>"), "{content}");
        assert!(!content.contains("<script"), "{content}");
    }

    // The Note is served at its id, as JSON and as a page, and listed in the outbox.
    let (status, _, note) = app.get_ap(&note_id).await;
    assert_eq!(status, 200);
    assert_eq!(note["type"], "Note");
    let page = app.http.get(&note_id).send().await.unwrap();
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<strong>out now</strong>"));
    let (_, _, outbox) = app.get_ap(&app.url("/users/band/outbox")).await;
    assert_eq!(outbox["totalItems"], 1);
    let (_, _, first) = app.get_ap(outbox["first"].as_str().unwrap()).await;
    assert_eq!(first["orderedItems"][0]["type"], "Create");
    assert_eq!(first["orderedItems"][0]["object"]["id"], note_id.as_str());

    // Delete: followers get a Delete with a Tombstone; the id then answers 410.
    let id = post["id"].as_i64().unwrap();
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &token,
            &format!("/api/v1/posts/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    app.run_deliveries().await;
    let deletes = big.received_of_type("Delete");
    assert_eq!(deletes.len(), 1);
    assert!(deletes[0].signature_valid);
    assert_eq!(deletes[0].body["object"]["id"], note_id.as_str());
    assert_eq!(deletes[0].body["object"]["type"], "Tombstone");
    assert_eq!(small.received_of_type("Delete").len(), 1);

    let (status, _, tombstone) = app.get_ap(&note_id).await;
    assert_eq!(status, 410);
    assert_eq!(tombstone["type"], "Tombstone");
    assert_eq!(tombstone["formerType"], "Note");
    let (_, _, outbox) = app.get_ap(&app.url("/users/band/outbox")).await;
    assert_eq!(outbox["totalItems"], 0);
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &token,
            &format!("/api/v1/posts/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 410);
}
