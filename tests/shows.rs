//! Tour dates: an Event that tells Mastodon fans when (local time), where and how to get
//! tickets; changes and cancellations that say what changed.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    show_is_announced_as_an_event,
    cancellation_and_moves_are_updates_that_say_so,
    invalid_shows_are_refused,
    calendars_list_upcoming_shows,
    pinned_shows_are_featured,
    tour_page_lists_shows_with_calendar_links,
}

async fn calendars_list_upcoming_shows(backend: Backend) {
    use icalendar::{Component, EventLike};
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let (_, other) = app.artist_with_token("other").await;
    let mut winter = so36();
    winter["starts_at"] = json!("2036-12-12T21:30:00");
    winter["ends_at"] = json!(null);
    winter["doors_at"] = json!(null);
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/shows",
            Some(winter.clone()),
        )
        .await;
    assert_eq!(status, 201);
    winter["status"] = json!("cancelled");
    winter["city"] = json!("Hamburg");
    app.api(reqwest::Method::POST, &other, "/api/v1/shows", Some(winter))
        .await;

    let res = app
        .http
        .get(app.url("/@band/shows.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = res.text().await.unwrap();
    let calendar: icalendar::Calendar = text.parse().expect("valid iCalendar");
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    assert_eq!(events.len(), 1, "{text}");
    assert_eq!(events[0].get_summary(), Some("band (band) at SO36"));
    // 21:30 in Berlin in December (CET, UTC+1) is 20:30 UTC.
    let start = events[0].get_start().expect("DTSTART");
    assert_eq!(
        start,
        icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(
            "2036-12-12T20:30:00Z".parse().unwrap()
        ))
    );
    assert!(events[0]
        .get_location()
        .unwrap()
        .contains("Oranienstraße 190"));

    let text = app
        .http
        .get(app.url("/shows.ics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let calendar: icalendar::Calendar = text.parse().expect("valid iCalendar");
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    let cancelled = events
        .iter()
        .find(|e| e.get_summary().unwrap_or_default().starts_with("CANCELLED"))
        .unwrap();
    assert_eq!(
        cancelled.get_status(),
        Some(icalendar::EventStatus::Cancelled)
    );
}

fn so36() -> Value {
    json!({
        "starts_at": "2026-06-06T20:00:00",
        "ends_at": "2026-06-06T23:00:00",
        "doors_at": "2026-06-06T19:00:00",
        "timezone": "Europe/Berlin",
        "venue_name": "SO36",
        "street_address": "Oranienstraße 190",
        "postal_code": "10999",
        "city": "Berlin",
        "country": "de",
        "latitude": 52.5002,
        "longitude": 13.4206,
        "ticket_url": "https://tickets.example/so36",
        "price_note": "€18 presale",
        "support_acts": ["The Openers"],
        "description": "Album release **party**",
    })
}

async fn follower(app: &TestApp) -> Peer {
    let peer = Peer::start(&["fan"], true).await;
    peer.deliver(
        "fan",
        &app.url("/inbox"),
        &peer.follow("fan", &app.url("/users/band")),
    )
    .await;
    app.run_deliveries().await;
    peer
}

async fn show_is_announced_as_an_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = follower(&app).await;
    let (status, show) = app
        .api(reqwest::Method::POST, &token, "/api/v1/shows", Some(so36()))
        .await;
    assert_eq!(status, 201, "{show}");
    // Summer time in Berlin: 20:00 local is 18:00 UTC.
    assert_eq!(show["starts_at"], "2026-06-06T20:00:00+02:00");
    assert_eq!(show["country"], "DE");
    app.run_deliveries().await;

    let creates = peer.received_of_type("Create");
    assert_eq!(creates.len(), 1);
    assert!(creates[0].signature_valid);
    let event = &creates[0].body["object"];
    assert_eq!(event["type"], "Event");
    assert_eq!(event["id"], show["url"]);
    assert_eq!(event["name"], "band (band) – Berlin");
    assert_eq!(
        event["summary"],
        "Sat 6 Jun 2026 20:00 CEST · SO36, Berlin · Tickets: https://tickets.example/so36"
    );
    assert_eq!(event["startTime"], "2026-06-06T20:00:00+02:00");
    assert_eq!(event["endTime"], "2026-06-06T23:00:00+02:00");
    assert_eq!(event["timezone"], "Europe/Berlin");
    assert_eq!(event["location"]["type"], "Place");
    assert_eq!(event["location"]["name"], "SO36");
    assert_eq!(event["location"]["address"]["type"], "PostalAddress");
    assert_eq!(
        event["location"]["address"]["streetAddress"],
        "Oranienstraße 190"
    );
    assert_eq!(event["location"]["address"]["addressLocality"], "Berlin");
    assert_eq!(event["location"]["address"]["postalCode"], "10999");
    assert_eq!(event["location"]["address"]["addressCountry"], "DE");
    assert_eq!(event["location"]["latitude"], 52.5002);
    assert_eq!(event["joinMode"], "external");
    assert_eq!(
        event["externalParticipationUrl"],
        "https://tickets.example/so36"
    );
    assert_eq!(event["eventStatus"], "EventScheduled");
    assert_eq!(event["category"], "MUSIC");
    let content = event["content"].as_str().unwrap();
    assert!(
        content.contains("With The Openers")
            && content.contains("Doors 19:00")
            && content.contains("<strong>party</strong>"),
        "{content}"
    );
    let context = creates[0].body["@context"].to_string();
    for term in [
        "joinMode",
        "externalParticipationUrl",
        "timezone",
        "eventStatus",
        "addressLocality",
    ] {
        assert!(context.contains(term), "{term} defined in @context");
    }

    // The actor's upcoming events (FEP-8a8e) list future shows only (this one was in June).
    let mut future = so36();
    future["starts_at"] = json!("2036-06-06T20:00:00");
    future["ends_at"] = json!(null);
    future["doors_at"] = json!(null);
    let (_, later) = app
        .api(reqwest::Method::POST, &token, "/api/v1/shows", Some(future))
        .await;
    let (_, _, actor) = app.get_ap(&app.url("/users/band")).await;
    let (status, _, upcoming) = app.get_ap(actor["upcomingEvents"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(upcoming["totalItems"], 1);
    assert_eq!(upcoming["orderedItems"][0], later["url"]);

    // Served at its id as JSON and as a page with schema.org data.
    let url = show["url"].as_str().unwrap();
    let (status, _, served) = app.get_ap(url).await;
    assert_eq!(status, 200);
    assert_eq!(served["startTime"], event["startTime"]);
    let page = app
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#""@type":"MusicEvent""#), "{page}");
    assert!(page.contains("SO36"));
}

async fn cancellation_and_moves_are_updates_that_say_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = follower(&app).await;
    let (_, show) = app
        .api(reqwest::Method::POST, &token, "/api/v1/shows", Some(so36()))
        .await;
    let id = show["id"].as_i64().unwrap();
    app.run_deliveries().await;

    // Moved a week later, in winter time.
    let mut moved = so36();
    moved["starts_at"] = json!("2026-11-07T20:00:00");
    moved["ends_at"] = json!(null);
    moved["doors_at"] = json!(null);
    moved["status"] = json!("rescheduled");
    let (status, updated) = app
        .api(
            reqwest::Method::PUT,
            &token,
            &format!("/api/v1/shows/{id}"),
            Some(moved.clone()),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    app.run_deliveries().await;
    let updates = peer.received_of_type("Update");
    assert_eq!(updates.len(), 1);
    let event = &updates[0].body["object"];
    assert_eq!(event["startTime"], "2026-11-07T20:00:00+01:00");
    let summary = event["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("RESCHEDULED · New time: Sat 7 Nov 2026 20:00 CET"),
        "{summary}"
    );
    assert_eq!(event["eventStatus"], "EventRescheduled");

    // Cancelled.
    moved["status"] = json!("cancelled");
    app.api(
        reqwest::Method::PUT,
        &token,
        &format!("/api/v1/shows/{id}"),
        Some(moved),
    )
    .await;
    app.run_deliveries().await;
    let updates = peer.received_of_type("Update");
    assert_eq!(updates.len(), 2);
    let event = &updates[1].body["object"];
    assert!(
        event["name"].as_str().unwrap().starts_with("CANCELLED: "),
        "{event}"
    );
    let summary = event["summary"].as_str().unwrap();
    assert!(summary.starts_with("CANCELLED · "), "{summary}");
    assert!(
        !summary.contains("Tickets"),
        "no ticket link for a cancelled show: {summary}"
    );
    assert_eq!(event["eventStatus"], "EventCancelled");
    let first: chrono::DateTime<chrono::Utc> = updates[0].body["object"]["updated"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let second: chrono::DateTime<chrono::Utc> = event["updated"].as_str().unwrap().parse().unwrap();
    assert!(second > first, "each Update carries a newer `updated`");

    // Deleted.
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &token,
            &format!("/api/v1/shows/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    app.run_deliveries().await;
    let deletes = peer.received_of_type("Delete");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].body["object"]["formerType"], "Event");
    let (status, _, _) = app.get_ap(show["url"].as_str().unwrap()).await;
    assert_eq!(status, 410);
}

async fn invalid_shows_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    for (change, why) in [
        (json!({"timezone": "Mars/Olympus"}), "unknown zone"),
        (json!({"country": "Germany"}), "country not ISO"),
        (
            json!({"ends_at": "2026-06-06T19:00:00"}),
            "ends before start",
        ),
        (
            json!({"ticket_url": "javascript:alert(1)"}),
            "bad ticket link",
        ),
        (json!({"latitude": 123.0}), "bad latitude"),
        (json!({"status": "maybe"}), "unknown status"),
        (json!({"venue_name": ""}), "no venue"),
    ] {
        let mut body = so36();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, res) = app
            .api(reqwest::Method::POST, &token, "/api/v1/shows", Some(body))
            .await;
        assert_eq!(status, 422, "{why}: {res}");
    }
    let (_, list) = app
        .api(reqwest::Method::GET, &token, "/api/v1/shows", None)
        .await;
    assert_eq!(list, json!([]));
}

async fn pinned_shows_are_featured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = follower(&app).await;
    let mut ids = Vec::new();
    for day in 1..=6 {
        let mut show = so36();
        show["starts_at"] = json!(format!("2036-06-0{day}T20:00:00"));
        show["ends_at"] = json!(null);
        show["doors_at"] = json!(null);
        let (status, created) = app
            .api(reqwest::Method::POST, &token, "/api/v1/shows", Some(show))
            .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_i64().unwrap());
    }
    let featured = app.url("/users/band/collections/featured");
    let (_, _, empty) = app.get_ap(&featured).await;
    assert_eq!(empty["totalItems"], 0);

    let (status, pinned) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/shows/{}/pin", ids[0]),
            None,
        )
        .await;
    assert_eq!(status, 200, "{pinned}");
    assert_eq!(pinned["pinned"], true);
    // Pinning twice changes nothing and sends nothing more.
    app.api(
        reqwest::Method::POST,
        &token,
        &format!("/api/v1/shows/{}/pin", ids[0]),
        None,
    )
    .await;
    app.run_deliveries().await;
    let adds = peer.received_of_type("Add");
    assert_eq!(adds.len(), 1);
    let add = &adds[0].body;
    let show_id = app.url(&format!("/users/band/shows/{}", ids[0]));
    assert_eq!(add["object"], json!(show_id));
    assert_eq!(add["target"], json!(featured));
    assert_eq!(add["actor"], json!(app.url("/users/band")));
    assert!(adds[0].signature_valid);

    let (status, _, collection) = app.get_ap(&featured).await;
    assert_eq!(status, 200);
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["orderedItems"], json!([show_id]));
    let (_, _, actor) = app.get_ap(&app.url("/users/band")).await;
    assert_eq!(actor["featured"], json!(featured));

    // At most five pins.
    for id in &ids[1..5] {
        let (status, _) = app
            .api(
                reqwest::Method::POST,
                &token,
                &format!("/api/v1/shows/{id}/pin"),
                None,
            )
            .await;
        assert_eq!(status, 200);
    }
    let (status, body) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/shows/{}/pin", ids[5]),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");

    // Unpinning sends a Remove; a deleted show leaves the collection.
    app.api(
        reqwest::Method::POST,
        &token,
        &format!("/api/v1/shows/{}/unpin", ids[0]),
        None,
    )
    .await;
    app.api(
        reqwest::Method::DELETE,
        &token,
        &format!("/api/v1/shows/{}", ids[1]),
        None,
    )
    .await;
    app.run_deliveries().await;
    let removes = peer.received_of_type("Remove");
    assert_eq!(removes.len(), 1);
    assert_eq!(removes[0].body["object"], json!(show_id));
    let (_, _, collection) = app.get_ap(&featured).await;
    assert_eq!(collection["totalItems"], 3, "{collection}");
    let items = collection["orderedItems"].to_string();
    assert!(
        !items.contains(&format!("/shows/{}\"", ids[0]))
            && !items.contains(&format!("/shows/{}\"", ids[1]))
    );

    // Another artist cannot pin this artist's show.
    let (_, other) = app.artist_with_token("other").await;
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &other,
            &format!("/api/v1/shows/{}/pin", ids[5]),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

async fn tour_page_lists_shows_with_calendar_links(backend: Backend) {
    use icalendar::Component;
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let mut upcoming = so36();
    upcoming["starts_at"] = json!("2036-12-12T21:30:00");
    upcoming["ends_at"] = json!(null);
    upcoming["doors_at"] = json!(null);
    let (_, created) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/shows",
            Some(upcoming),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    let mut past = so36();
    past["starts_at"] = json!("2020-02-02T20:00:00");
    past["ends_at"] = json!(null);
    past["doors_at"] = json!(null);
    past["venue_name"] = json!("Lido");
    let (status, _) = app
        .api(reqwest::Method::POST, &token, "/api/v1/shows", Some(past))
        .await;
    assert_eq!(status, 201);

    let res = app.http.get(app.url("/@band/shows")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let upcoming_part = &html[..html.find("Past shows").expect("past shows listed")];
    // Local time at the venue, with its zone.
    assert!(
        upcoming_part.contains("Fri 12 Dec 2036, 21:30 CET"),
        "{html}"
    );
    assert!(upcoming_part.contains("SO36") && !upcoming_part.contains("Lido"));
    assert!(html[html.find("Past shows").unwrap()..].contains("Lido"));
    let ics = format!("/users/band/shows/{id}/calendar.ics");
    assert!(html.contains(&app.url(&ics)));
    assert!(html.contains("webcal://") && html.contains("/@band/shows.ics"));
    // Google's "new event" link carries the UTC times (21:30 CET = 20:30 UTC; 3 h by default).
    assert!(
        html.contains("dates=20361212T203000Z%2F20361212T233000Z"),
        "{html}"
    );

    let res = app.http.get(app.url(&ics)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(".ics"));
    let calendar: icalendar::Calendar = res.text().await.unwrap().parse().expect("iCalendar");
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].get_summary(), Some("band (band) at SO36"));

    // The show page links to it and to the tour page.
    let page = app
        .http
        .get(app.url(&format!("/users/band/shows/{id}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&app.url(&ics)) && page.contains(&app.url("/@band/shows")));

    // Deleted: 410; another artist's id under this name: 404.
    app.api(
        reqwest::Method::DELETE,
        &token,
        &format!("/api/v1/shows/{id}"),
        None,
    )
    .await;
    let res = app.http.get(app.url(&ics)).send().await.unwrap();
    assert_eq!(res.status(), 410);
    let res = app
        .http
        .get(app.url(&format!("/users/nobody/shows/{id}/calendar.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
