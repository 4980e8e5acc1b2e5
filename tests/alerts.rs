//! "Coming to your town": fans subscribe by direct message, and get one message per show near
//! them (and one more when it is cancelled or moved); artists see counts per place only.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    alerts_reach_fans_near_a_show_once,
    web_alert_requests_wait_for_the_fans_yes,
}

fn dm(app: &TestApp, peer: &Peer, fan: &str, n: u32, text: &str) -> Value {
    let id = format!("{}/statuses/{n}", peer.actor_id(fan));
    json!({
        "id": format!("{id}/activity"), "type": "Create", "actor": peer.actor_id(fan),
        "object": {
            "id": id, "type": "Note", "attributedTo": peer.actor_id(fan),
            "to": [app.url("/users/band")], "cc": [],
            "content": format!("<p>@band {text}</p>"),
        },
    })
}

/// The newest direct message a fan received, as text.
fn last_answer(peer: &Peer, fan: &str) -> String {
    peer.received_of_type("Create")
        .iter()
        .rev()
        .find(|r| {
            r.path == format!("/users/{fan}/inbox")
                || r.body["object"]["to"] == json!([peer.actor_id(fan)])
        })
        .map(|r| {
            r.body["object"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .unwrap_or_default()
}

fn show(city: &str, country: &str, when: &str) -> Value {
    json!({
        "starts_at": when, "timezone": "Europe/London", "venue_name": "Brudenell Social Club",
        "city": city, "country": country, "ticket_url": "https://tickets.example/b",
    })
}

async fn alerts_reach_fans_near_a_show_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    // Personal inboxes only, so each fan's messages can be told apart.
    let peer = Peer::start(&["leeds", "york", "bristol"], false).await;
    let inbox = app.url("/users/band/inbox");
    let mut n = 0;
    let mut send = |fan: &'static str, text: &'static str| {
        n += 1;
        let activity = dm(&app, &peer, fan, n, text);
        let peer = &peer;
        let inbox = inbox.clone();
        async move { assert_eq!(peer.deliver(fan, &inbox, &activity).await.status(), 202) }
    };

    send("leeds", "alert me near Leeds, UK").await;
    app.run_deliveries().await;
    let answer = last_answer(&peer, "leeds");
    assert!(answer.contains("within 50 km of Leeds, GB"), "{answer}");
    send("york", "Alert me near York, UK within 40 km.").await;
    send("bristol", "alert me near Bristol").await;
    app.run_deliveries().await;
    assert!(last_answer(&peer, "york").contains("within 40 km of York, GB"));
    // Unknown, misspelt and garbage.
    send("bristol", "alert me near Lieds").await;
    app.run_deliveries().await;
    let answer = last_answer(&peer, "bristol");
    assert!(
        answer.contains("could not find") && answer.contains("Leeds, GB"),
        "{answer}"
    );
    send("bristol", "alert me near Cambridge").await;
    app.run_deliveries().await;
    let answer = last_answer(&peer, "bristol");
    assert!(
        answer.contains("more than one")
            && answer.contains("Cambridge, GB")
            && answer.contains("Cambridge, US"),
        "{answer}"
    );
    send("bristol", "wassup").await;
    app.run_deliveries().await;
    assert!(last_answer(&peer, "bristol").contains("alert me near CITY"));

    // The artist sees counts per place, never who.
    let (_, counts) = app
        .api(reqwest::Method::GET, &token, "/api/v1/alerts", None)
        .await;
    let counts = counts.as_array().unwrap();
    assert_eq!(counts.len(), 3, "{counts:?}");
    assert!(counts
        .iter()
        .all(|c| c.as_object().unwrap().len() == 2 && c["subscribers"] == 1));
    assert!(!serde_json::to_string(&counts).unwrap().contains("leeds@"));

    // A show in Leeds (coordinates from the gazetteer): Leeds gets it; York is 35 km away, within 40.
    let before = |fan: &str| {
        peer.received_of_type("Create")
            .iter()
            .filter(|r| r.path == format!("/users/{fan}/inbox"))
            .count()
    };
    let (b_leeds, b_york, b_bristol) = (before("leeds"), before("york"), before("bristol"));
    let (status, created) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/shows",
            Some(show("Leeds", "GB", "2026-10-10T19:30:00")),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    app.run_deliveries().await;
    assert_eq!(before("leeds"), b_leeds + 1);
    assert_eq!(before("york"), b_york + 1);
    assert_eq!(before("bristol"), b_bristol, "Bristol is too far");
    let alert = last_answer(&peer, "leeds");
    assert!(
        alert.contains("coming near you")
            && alert.contains("Brudenell Social Club")
            && alert.contains("Sat 10 Oct 2026 19:30 BST"),
        "{alert}"
    );
    assert!(alert.contains("https://tickets.example/b"));

    // An edit that changes nothing for fans sends nothing; a cancellation sends one more.
    let id = created["id"].as_i64().unwrap();
    let mut same = show("Leeds", "GB", "2026-10-10T19:30:00");
    same["price_note"] = json!("£15");
    app.api(
        reqwest::Method::PUT,
        &token,
        &format!("/api/v1/shows/{id}"),
        Some(same.clone()),
    )
    .await;
    app.run_deliveries().await;
    assert_eq!(before("leeds"), b_leeds + 1);
    same["status"] = json!("cancelled");
    app.api(
        reqwest::Method::PUT,
        &token,
        &format!("/api/v1/shows/{id}"),
        Some(same.clone()),
    )
    .await;
    app.run_deliveries().await;
    assert_eq!(before("leeds"), b_leeds + 2);
    assert!(last_answer(&peer, "leeds").contains("CANCELLED"));
    assert_eq!(before("bristol"), b_bristol);
    // The same update again: nothing new.
    app.api(
        reqwest::Method::PUT,
        &token,
        &format!("/api/v1/shows/{id}"),
        Some(same),
    )
    .await;
    app.run_deliveries().await;
    assert_eq!(before("leeds"), b_leeds + 2);

    // stop forgets the place.
    send("leeds", "stop").await;
    app.run_deliveries().await;
    assert!(last_answer(&peer, "leeds").contains("Your place is forgotten"));
    let (_, counts) = app
        .api(reqwest::Method::GET, &token, "/api/v1/alerts", None)
        .await;
    assert_eq!(counts.as_array().unwrap().len(), 2);
}

/// Posts the tour page's alert form.
async fn ask_on_the_web(app: &TestApp, fields: &[(&str, &str)]) -> (u16, String) {
    let res = app
        .http
        .post(app.url("/@band/alerts"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish(),
        )
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

async fn web_alert_requests_wait_for_the_fans_yes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["leeds", "other"], false).await;
    let leeds = format!("@leeds@{}", peer.domain);
    let dms_to = |fan: &str| {
        peer.received_of_type("Create")
            .iter()
            .filter(|r| r.path == format!("/users/{fan}/inbox"))
            .count()
    };
    let counts = || async {
        app.api(reqwest::Method::GET, &token, "/api/v1/alerts", None)
            .await
            .1
    };

    let page = app.http.get(app.url("/@band/shows")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Coming to your town?") && html.contains("name=\"handle\""));

    // Problems are shown next to the field, with what the fan typed kept.
    let (status, html) = ask_on_the_web(&app, &[("handle", &leeds), ("city", "Cambridge")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("more than one Cambridge"), "{html}");
    assert!(
        html.contains("value=\"Cambridge, US\"") && html.contains(&format!("value=\"{leeds}\""))
    );
    let nobody = format!("@nobody@{}", peer.domain);
    let (status, html) = ask_on_the_web(&app, &[("handle", &nobody), ("city", "Leeds, GB")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("does not know the account"), "{html}");
    assert!(html.contains("value=\"Leeds, GB\""));
    let (status, _) = ask_on_the_web(&app, &[("handle", "not a handle"), ("city", "Leeds")]).await;
    assert_eq!(status, 422);
    assert_eq!(dms_to("leeds"), 0);

    // A good request (a suggestion picked with the "choice" button) sends the fan a question,
    // and subscribes nobody yet.
    let (status, html) = ask_on_the_web(
        &app,
        &[
            ("handle", &leeds),
            ("city", "Lieds"),
            ("choice", "Leeds, GB"),
            ("radius_km", "100"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Answer it with &#34;yes&#34;")
            || html.contains("Answer it with &quot;yes&quot;"),
        "{html}"
    );
    app.run_deliveries().await;
    assert_eq!(dms_to("leeds"), 1);
    let question = last_answer(&peer, "leeds");
    assert!(
        question.contains("within 100 km of Leeds, GB") && question.contains("yes"),
        "{question}"
    );
    assert_eq!(counts().await, json!([]));

    // Asking again at once does not message the fan again.
    let (status, html) = ask_on_the_web(&app, &[("handle", &leeds), ("city", "Leeds, GB")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("already sent"), "{html}");
    app.run_deliveries().await;
    assert_eq!(dms_to("leeds"), 1);

    // Someone else's "yes" confirms nothing of Leeds's.
    let mut n = 0;
    let mut say = |fan: &'static str, text: &'static str| {
        n += 1;
        let activity = dm(&app, &peer, fan, n, text);
        let (peer, inbox) = (&peer, app.url("/users/band/inbox"));
        async move { assert_eq!(peer.deliver(fan, &inbox, &activity).await.status(), 202) }
    };
    say("other", "yes").await;
    app.run_deliveries().await;
    assert!(last_answer(&peer, "other").contains("nothing waiting"));
    assert_eq!(counts().await, json!([]));

    // The fan's own "yes" starts the alerts.
    say("leeds", "Yes!").await;
    app.run_deliveries().await;
    let answer = last_answer(&peer, "leeds");
    assert!(
        answer.contains("Done") && answer.contains("Leeds, GB"),
        "{answer}"
    );
    assert_eq!(
        counts().await,
        json!([{"place": "Leeds, GB", "subscribers": 1}])
    );
    say("leeds", "yes").await;
    app.run_deliveries().await;
    assert!(last_answer(&peer, "leeds").contains("nothing waiting"));

    // And the fan hears about a show near them.
    let before = dms_to("leeds");
    app.api(
        reqwest::Method::POST,
        &token,
        "/api/v1/shows",
        Some(show("York", "GB", "2036-10-10T19:30:00")),
    )
    .await;
    app.run_deliveries().await;
    assert_eq!(dms_to("leeds"), before + 1);
    assert!(last_answer(&peer, "leeds").contains("coming near you"));
}
