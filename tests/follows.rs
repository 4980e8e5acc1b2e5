//! Fans follow and unfollow; artists who approve by hand accept or reject.

use std::time::Duration;

use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    follow_is_accepted_and_undone,
    manual_approval,
    duplicate_follow_has_one_effect,
}

async fn follow_is_accepted_and_undone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    let artist = app.url("/users/band");

    let follow = peer.follow("fan", &artist);
    let res = peer
        .deliver("fan", &app.url("/users/band/inbox"), &follow)
        .await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    app.run_deliveries().await;

    let accepts = peer.received_of_type("Accept");
    assert_eq!(accepts.len(), 1);
    let accept = &accepts[0];
    assert!(accept.signature_valid, "Accept signature must verify");
    assert_eq!(accept.key_id, app.url("/users/band#main-key"));
    assert_eq!(
        accept.path, "/users/fan/inbox",
        "Accept goes to the follower's own inbox"
    );
    assert_eq!(accept.body["actor"], artist);
    assert_eq!(accept.body["object"]["id"], follow["id"]);
    assert_eq!(accept.body["object"]["actor"], peer.actor_id("fan"));
    assert_eq!(accept.body["object"]["object"], artist);
    assert_eq!(app.follower_count("band").await, 1);

    // Undo with the Follow embedded (Mastodon) removes the follower.
    let res = peer
        .deliver("fan", &app.url("/inbox"), &peer.undo("fan", &follow))
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(app.follower_count("band").await, 0);

    // Follow again, then Undo naming the Follow by id only.
    let follow = peer.follow("fan", &artist);
    peer.deliver("fan", &app.url("/inbox"), &follow).await;
    assert_eq!(app.follower_count("band").await, 1);
    let undo = json!({
        "id": format!("{}#undo-by-id", peer.actor_id("fan")),
        "type": "Undo",
        "actor": peer.actor_id("fan"),
        "object": follow["id"],
    });
    let res = peer.deliver("fan", &app.url("/inbox"), &undo).await;
    assert_eq!(res.status(), 202);
    assert_eq!(app.follower_count("band").await, 0);
    app.run_deliveries().await;
}

async fn manual_approval(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let (status, profile) = app
        .api(
            reqwest::Method::PATCH,
            &token,
            "/api/v1/profile",
            Some(json!({"manually_approves_followers": true})),
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["manually_approves_followers"], true);
    let (_, _, actor) = app.get_ap(&app.url("/users/band")).await;
    assert_eq!(actor["manuallyApprovesFollowers"], true);

    let peer = Peer::start(&["ann", "bob"], true).await;
    let artist = app.url("/users/band");
    let ann_follow = peer.follow("ann", &artist);
    peer.deliver("ann", &app.url("/inbox"), &ann_follow).await;
    peer.deliver("bob", &app.url("/inbox"), &peer.follow("bob", &artist))
        .await;
    app.run_deliveries().await;
    assert!(
        peer.received_of_type("Accept").is_empty(),
        "nothing is accepted before approval"
    );
    assert_eq!(app.follower_count("band").await, 0);

    let (status, pending) = app
        .api(
            reqwest::Method::GET,
            &token,
            "/api/v1/follow_requests",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let pending = pending.as_array().unwrap().clone();
    assert_eq!(pending.len(), 2);
    let id_of = |actor: String| {
        pending
            .iter()
            .find(|p| p["actor"] == actor.as_str())
            .map(|p| p["id"].as_i64().unwrap())
            .unwrap()
    };
    let (ann, bob) = (id_of(peer.actor_id("ann")), id_of(peer.actor_id("bob")));

    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/follow_requests/{ann}/authorize"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/follow_requests/{bob}/reject"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    app.run_deliveries().await;

    let accepts = peer.received_of_type("Accept");
    assert_eq!(accepts.len(), 1);
    assert_eq!(accepts[0].body["object"]["id"], ann_follow["id"]);
    assert!(accepts[0].signature_valid);
    let rejects = peer.received_of_type("Reject");
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].body["object"]["actor"], peer.actor_id("bob"));
    assert!(rejects[0].signature_valid);
    assert_eq!(app.follower_count("band").await, 1);

    // Handled requests are gone; another artist's token cannot touch them.
    let (_, pending) = app
        .api(
            reqwest::Method::GET,
            &token,
            "/api/v1/follow_requests",
            None,
        )
        .await;
    assert_eq!(pending, json!([]));
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/follow_requests/{ann}/authorize"),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

async fn duplicate_follow_has_one_effect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    let follow = peer.follow("fan", &app.url("/users/band"));
    // The same activity, twice at once and once more later, to both inboxes.
    let (shared, personal) = (app.url("/inbox"), app.url("/users/band/inbox"));
    let (a, b) = tokio::join!(
        peer.deliver("fan", &shared, &follow),
        peer.deliver("fan", &personal, &follow),
    );
    assert_eq!(a.status(), 202);
    assert_eq!(b.status(), 202);
    peer.deliver("fan", &app.url("/inbox"), &follow).await;
    app.run_deliveries().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        peer.received_of_type("Accept").len(),
        1,
        "one Accept for one Follow"
    );
    assert_eq!(app.follower_count("band").await, 1);
}
