//! "Coming to your town": fans ask by direct message to hear about an artist's shows near a
//! place; when a show within their radius is announced (or later cancelled or moved), each gets
//! one direct message. A fan's place is known only to them and Roadie.

use super::{
    posts::{self, Mention, Visibility},
    shows::{self, ShowStatus},
    DomainError, Publisher,
};
use crate::{
    db::{self, artists::Artist, remote_actors::RemoteActorRow, shows::ShowRow, Db},
    geo::{self, Lookup},
};

/// Radius when the fan names none, and the largest one accepted.
pub const DEFAULT_RADIUS_KM: f64 = 50.0;
pub const MAX_RADIUS_KM: f64 = 500.0;

/// Parses "near Leeds, UK within 80 km" (the words after "alert me").
pub fn parse_place(words: &str) -> Option<(String, f64)> {
    let lower = words.to_lowercase();
    let rest = lower.trim().strip_prefix("near")?.trim();
    let (place, radius) = match rest.rsplit_once(" within ") {
        Some((place, radius)) => {
            let number: String = radius
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let km: f64 = number.parse().ok()?;
            let km = if radius.contains("mi") {
                km * 1.609_344
            } else {
                km
            };
            (place, km)
        }
        None => (rest, DEFAULT_RADIUS_KM),
    };
    let place = place
        .trim()
        .trim_end_matches(['.', '!', '?'])
        .trim()
        .to_owned();
    (!place.is_empty()).then_some((place, radius.clamp(1.0, MAX_RADIUS_KM)))
}

/// Subscribes a fan and returns the answer to send them.
pub async fn subscribe(
    db: &Db,
    artist: &Artist,
    fan: &RemoteActorRow,
    place: &str,
    radius_km: f64,
) -> Result<String, DomainError> {
    Ok(match geo::lookup(place) {
        Lookup::Found(city) => {
            db::alerts::subscribe(db, artist.id, fan.id, &city.display(), city.latitude, city.longitude, radius_km).await?;
            format!(
                "Done: I will tell you when {} announces a show within {} km of {}. Send \"stop\" to end this.",
                artist.display_name,
                radius_km.round(),
                city.display()
            )
        }
        Lookup::Ambiguous(cities) => format!(
            "There is more than one {place}. Which one? Answer for example \"alert me near {}\".",
            cities.iter().take(5).map(|c| c.display()).collect::<Vec<_>>().join("\" or \"alert me near ")
        ),
        Lookup::NotFound { suggestions } if !suggestions.is_empty() => format!(
            "I could not find {place}. Did you mean {}?",
            suggestions.iter().take(5).map(|c| c.display()).collect::<Vec<_>>().join(", ")
        ),
        Lookup::NotFound { .. } => format!("I could not find {place}. Try a nearby larger city, like \"alert me near Berlin, DE\"."),
    })
}

/// How long a request made on the web page waits for the fan's "yes".
pub const REQUEST_VALID_FOR: chrono::Duration = chrono::Duration::days(7);

/// A fan is not asked again about a request sooner than this, so nobody can flood someone's
/// inbox through the web form.
pub const REQUEST_QUIET_PERIOD: chrono::Duration = chrono::Duration::minutes(30);

/// What became of a request for alerts made on the web page.
#[derive(Debug, Clone, PartialEq)]
pub enum WebRequest {
    /// The fan was sent a direct message asking them to confirm.
    ConfirmationSent { place: String },
    /// The fan was asked recently; the request was updated but no new message sent.
    AlreadyAsked { place: String },
    /// The place has several matches; the form asks which one.
    Ambiguous(Vec<String>),
    /// No such place; perhaps one of these.
    NotFound(Vec<String>),
}

/// Where a place typed on the web page is, or what to ask instead.
pub fn place_for_web(place: &str) -> Result<geo::City, WebRequest> {
    match geo::lookup(place) {
        Lookup::Found(city) => Ok(city),
        Lookup::Ambiguous(cities) => Err(WebRequest::Ambiguous(
            cities.iter().take(8).map(|c| c.display()).collect(),
        )),
        Lookup::NotFound { suggestions } => Err(WebRequest::NotFound(
            suggestions.iter().take(5).map(|c| c.display()).collect(),
        )),
    }
}

/// Records a request made on the web page and asks the fan, by direct message, to confirm it
/// with "yes": the alert starts only then, so nobody can subscribe someone else.
pub async fn request_from_web(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    fan: &RemoteActorRow,
    city: &geo::City,
    radius_km: f64,
) -> Result<WebRequest, DomainError> {
    let radius_km = radius_km.clamp(1.0, MAX_RADIUS_KM);
    let place = city.display();
    let previous = db::alerts::request(
        db,
        artist.id,
        fan.id,
        &place,
        city.latitude,
        city.longitude,
        radius_km,
    )
    .await?;
    if previous.is_some_and(|at| db::now() - at < REQUEST_QUIET_PERIOD) {
        return Ok(WebRequest::AlreadyAsked { place });
    }
    let text = format!(
        "Someone (hopefully you) asked on {}'s page to get a message when {} announces a show within {} km of {place}. Answer \"yes\" to confirm. If it was not you, ignore this message: nothing happens without your answer.",
        artist.display_name,
        artist.display_name,
        radius_km.round(),
    );
    posts::create_with(
        db,
        publisher,
        artist,
        &text,
        Visibility::Direct,
        None,
        &[Mention::of(fan)],
    )
    .await?;
    Ok(WebRequest::ConfirmationSent { place })
}

/// A fan's "yes": turns their waiting web request into a subscription. Returns the answer.
pub async fn confirm(
    db: &Db,
    artist: &Artist,
    fan: &RemoteActorRow,
) -> Result<String, DomainError> {
    let not_before = db::now() - REQUEST_VALID_FOR;
    Ok(
        match db::alerts::confirm_request(db, artist.id, fan.id, not_before).await? {
            Some((place, radius_km)) => format!(
                "Done: I will tell you when {} announces a show within {} km of {place}. Send \"stop\" to end this.",
                artist.display_name,
                radius_km.round(),
            ),
            None => "There is nothing waiting for your confirmation. Send \"alert me near YOUR CITY\" to get show alerts.".to_owned(),
        },
    )
}

/// Ends a fan's subscription (their place is deleted) and returns the answer.
pub async fn unsubscribe(
    db: &Db,
    artist: &Artist,
    fan: &RemoteActorRow,
) -> Result<String, DomainError> {
    Ok(if db::alerts::unsubscribe(db, artist.id, fan.id).await? {
        format!(
            "Done: no more show alerts from {}. Your place is forgotten.",
            artist.display_name
        )
    } else {
        "You had no show alerts. Send \"alert me near YOUR CITY\" to get some.".to_owned()
    })
}

/// The coordinates of a show, from the show or else from the gazetteer.
pub fn show_coordinates(show: &ShowRow) -> Option<(f64, f64)> {
    match (show.latitude, show.longitude) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        _ => match geo::lookup(&format!("{}, {}", show.city, show.country)) {
            Lookup::Found(c) => Some((c.latitude, c.longitude)),
            _ => None,
        },
    }
}

/// What distinguishes one announcement of a show from the next: a new one goes out when the
/// status, the time or the venue changes.
fn change_key(show: &ShowRow) -> String {
    format!(
        "{}|{}|{}|{}",
        show.status, show.starts_at, show.venue_name, show.city
    )
}

/// Sends each fan whose place is within their radius of the show one direct message about it
/// (and one more after each change of status, time or venue). Returns how many were sent.
pub async fn notify(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    show: &ShowRow,
    first: bool,
) -> Result<usize, DomainError> {
    let Some((lat, lon)) = show_coordinates(show) else {
        return Ok(0);
    };
    let key = if first {
        "announced".to_owned()
    } else {
        change_key(show)
    };
    let start = show.starts_at.and_utc().with_timezone(&shows::tz(show));
    let status = ShowStatus::parse(&show.status).unwrap_or(ShowStatus::Scheduled);
    let mut text = match (first, status.headline()) {
        (true, _) => format!("{} is coming near you: ", artist.display_name),
        (false, Some(h)) => format!("{h}: {} ", artist.display_name),
        (false, None) => format!("Update from {}: ", artist.display_name),
    };
    text.push_str(&format!(
        "{}, {}, {}.",
        show.venue_name,
        show.city,
        start.format("%a %-d %b %Y %H:%M %Z")
    ));
    if let (Some(tickets), false) = (&show.ticket_url, status == ShowStatus::Cancelled) {
        text.push_str(&format!(" Tickets: {tickets}"));
    }
    text.push_str(&format!("\n\n{}", publisher.show_object_id(artist, show)));
    let mut sent = 0;
    for (sub, fan) in db::alerts::for_artist(db, artist.id).await? {
        if geo::distance_km(lat, lon, sub.latitude, sub.longitude) > sub.radius_km {
            continue;
        }
        if !first && !db::alerts::was_sent(db, show.id, fan.id, "announced").await? {
            // This fan never heard of the show: a change means nothing to them.
            continue;
        }
        if db::alerts::record_sent(db, show.id, fan.id, &key).await? {
            posts::create_with(
                db,
                publisher,
                artist,
                &text,
                Visibility::Direct,
                None,
                &[Mention::of(&fan)],
            )
            .await?;
            sent += 1;
        }
    }
    Ok(sent)
}
