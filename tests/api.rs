//! The JSON API refuses what it should, with the API's error shape.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

on_both_backends! {
    api_auth_and_validation,
}

async fn api_auth_and_validation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let (_, other_token) = app.artist_with_token("other").await;

    let res = app
        .http
        .post(app.url("/api/v1/posts"))
        .json(&json!({"content": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Bearer"));

    let (status, _) = app
        .api(
            reqwest::Method::POST,
            "roadie_wrong",
            "/api/v1/posts",
            Some(json!({"content": "hi"})),
        )
        .await;
    assert_eq!(status, 401);

    let res = app
        .http
        .post(app.url("/api/v1/posts"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"].is_string());

    for bad in [
        json!({"content": ""}),
        json!({"content": "   "}),
        json!({"content": "x".repeat(5001)}),
        json!({"content": "hi", "visibility": "everyone"}),
        json!({"text": "hi"}),
    ] {
        let (status, body) = app
            .api(
                reqwest::Method::POST,
                &token,
                "/api/v1/posts",
                Some(bad.clone()),
            )
            .await;
        assert_eq!(status, 422, "{bad} -> {body}");
        assert!(body["error"].is_string());
    }

    // One artist's token cannot read or delete another's post.
    let (status, post) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/posts",
            Some(json!({"content": "mine"})),
        )
        .await;
    assert_eq!(status, 201);
    let path = format!("/api/v1/posts/{}", post["id"]);
    let (status, _) = app
        .api(reqwest::Method::GET, &other_token, &path, None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .api(reqwest::Method::DELETE, &other_token, &path, None)
        .await;
    assert_eq!(status, 404);
    let (status, fetched) = app.api(reqwest::Method::GET, &token, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["content"], "mine");

    let res = app.http.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}
