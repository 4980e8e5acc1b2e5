//! Tour dates: a show at a venue, at a local time in the venue's time zone, with tickets and a
//! status. Publishing, every change and deletion are announced to followers.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{DomainError, Publisher};
use crate::db::{
    self,
    artists::Artist,
    shows::{ShowFields, ShowRow},
    Db,
};

/// Where a show stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShowStatus {
    Scheduled,
    Postponed,
    Rescheduled,
    Cancelled,
    #[serde(rename = "soldout")]
    SoldOut,
}

impl ShowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShowStatus::Scheduled => "scheduled",
            ShowStatus::Postponed => "postponed",
            ShowStatus::Rescheduled => "rescheduled",
            ShowStatus::Cancelled => "cancelled",
            ShowStatus::SoldOut => "soldout",
        }
    }

    pub fn parse(s: &str) -> Option<ShowStatus> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    /// The words fans read first when the status is not the usual one.
    pub fn headline(self) -> Option<&'static str> {
        match self {
            ShowStatus::Scheduled => None,
            ShowStatus::Postponed => Some("POSTPONED"),
            ShowStatus::Rescheduled => Some("RESCHEDULED"),
            ShowStatus::Cancelled => Some("CANCELLED"),
            ShowStatus::SoldOut => Some("SOLD OUT"),
        }
    }

    /// schema.org `eventStatus`.
    pub fn schema_org(self) -> &'static str {
        match self {
            ShowStatus::Scheduled | ShowStatus::SoldOut => "EventScheduled",
            ShowStatus::Postponed => "EventPostponed",
            ShowStatus::Rescheduled => "EventRescheduled",
            ShowStatus::Cancelled => "EventCancelled",
        }
    }
}

/// A show as the artist writes it; times are local to `timezone`.
#[derive(Debug, Clone)]
pub struct ShowInput {
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub doors_at: Option<NaiveDateTime>,
    pub timezone: String,
    pub venue_name: String,
    pub street_address: String,
    pub postal_code: String,
    pub city: String,
    pub region: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub ticket_url: Option<String>,
    pub price_note: String,
    pub support_acts: Vec<String>,
    pub poster_media_id: Option<String>,
    pub status: ShowStatus,
    /// Markdown.
    pub description: String,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// A local wall-clock time in `tz` as UTC; in a DST gap the time after the gap is used.
fn to_utc(local: NaiveDateTime, tz: Tz) -> Result<NaiveDateTime, DomainError> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.naive_utc())
        .ok_or_else(|| invalid("that local time does not exist in the show's time zone"))
}

/// The time zone of a show.
pub fn tz(show: &ShowRow) -> Tz {
    show.timezone.parse().unwrap_or(Tz::UTC)
}

/// The support acts of a show.
pub fn support_acts(show: &ShowRow) -> Vec<String> {
    serde_json::from_str(&show.support_acts).unwrap_or_default()
}

async fn validate(db: &Db, artist: &Artist, input: ShowInput) -> Result<ShowFields, DomainError> {
    let tz: Tz = input.timezone.parse().map_err(|_| {
        invalid(format!(
            "{:?} is not an IANA time zone such as Europe/Berlin",
            input.timezone
        ))
    })?;
    let venue = input.venue_name.trim().to_owned();
    let city = input.city.trim().to_owned();
    if venue.is_empty()
        || venue.chars().count() > 200
        || city.is_empty()
        || city.chars().count() > 200
    {
        return Err(invalid("venue and city must be 1-200 characters"));
    }
    let country = input.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid("country must be a two-letter ISO code such as DE"));
    }
    let starts_at = to_utc(input.starts_at, tz)?;
    let ends_at = input.ends_at.map(|t| to_utc(t, tz)).transpose()?;
    let doors_at = input.doors_at.map(|t| to_utc(t, tz)).transpose()?;
    if ends_at.is_some_and(|e| e <= starts_at) {
        return Err(invalid("the show must end after it starts"));
    }
    if doors_at.is_some_and(|d| d > starts_at) {
        return Err(invalid("doors must open before the show starts"));
    }
    let (latitude, longitude) = match (input.latitude, input.longitude) {
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            (Some(lat), Some(lon))
        }
        // Only a city: its coordinates from the gazetteer, when it knows the place for sure.
        (None, None) => match crate::geo::lookup(&format!("{city}, {country}")) {
            crate::geo::Lookup::Found(c) if c.country_code == country => {
                (Some(c.latitude), Some(c.longitude))
            }
            _ => (None, None),
        },
        _ => {
            return Err(invalid(
                "latitude and longitude go together, within -90..90 and -180..180",
            ))
        }
    };
    if let Some(url) = &input.ticket_url {
        let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(invalid("the ticket link must be an http or https URL"));
        }
    }
    let acts: Vec<String> = input
        .support_acts
        .iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    if acts.len() > 20 || acts.iter().any(|a| a.chars().count() > 200) {
        return Err(invalid("at most 20 support acts of up to 200 characters"));
    }
    if let Some(poster) = &input.poster_media_id {
        match db::media::by_id(db, poster).await? {
            Some(m) if m.artist_id == artist.id && m.kind == "image" => {}
            _ => {
                return Err(invalid(format!(
                    "{poster} is not one of your image uploads"
                )))
            }
        }
    }
    Ok(ShowFields {
        starts_at,
        ends_at,
        doors_at,
        timezone: tz.name().to_owned(),
        venue_name: venue,
        street_address: input.street_address.trim().to_owned(),
        postal_code: input.postal_code.trim().to_owned(),
        city,
        region: input.region.trim().to_owned(),
        country,
        latitude,
        longitude,
        ticket_url: input.ticket_url,
        price_note: input.price_note.trim().to_owned(),
        support_acts: serde_json::to_string(&acts)
            .map_err(|e| DomainError::Internal(e.to_string()))?,
        poster_media_id: input.poster_media_id,
        status: input.status.as_str().to_owned(),
        description_html: super::posts::render_markdown(&input.description),
        description_source: input.description,
    })
}

/// What changed between two versions of a show, in words for fans ("" when nothing they need to
/// know about).
pub fn what_changed(before: &ShowRow, after: &ShowRow) -> String {
    let mut changes = Vec::new();
    let status = ShowStatus::parse(&after.status).unwrap_or(ShowStatus::Scheduled);
    if before.status != after.status {
        match status.headline() {
            Some(h) => changes.push(h.to_owned()),
            None => changes.push("ON AGAIN".to_owned()),
        }
    }
    if before.starts_at != after.starts_at {
        let start = after.starts_at.and_utc().with_timezone(&tz(after));
        changes.push(format!(
            "New time: {}",
            start.format("%a %-d %b %Y %H:%M %Z")
        ));
    }
    if before.venue_name != after.venue_name || before.city != after.city {
        changes.push(format!("New venue: {}, {}", after.venue_name, after.city));
    }
    changes.join(" · ")
}

/// Creates a show and announces it (`Create{Event}`).
pub async fn create(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    input: ShowInput,
) -> Result<ShowRow, DomainError> {
    let fields = validate(db, artist, input).await?;
    let media = poster_of(db, fields.poster_media_id.as_deref()).await?;
    let show = db::shows::insert(
        db,
        artist.id,
        &fields,
        Box::new(|s: &ShowRow| publisher.show_published(artist, s, media.as_ref())),
    )
    .await?;
    super::alerts::notify(db, publisher, artist, &show, true).await?;
    publisher.queued();
    Ok(show)
}

/// One of the artist's shows, not deleted.
pub async fn own(db: &Db, artist: &Artist, id: i64) -> Result<ShowRow, DomainError> {
    let show = db::shows::by_id(db, id)
        .await?
        .filter(|s| s.artist_id == artist.id)
        .ok_or(DomainError::NotFound("show"))?;
    if show.deleted_at.is_some() {
        return Err(DomainError::Gone("show was deleted"));
    }
    Ok(show)
}

/// Replaces a show; followers get an `Update` whose summary says what changed.
pub async fn update(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    id: i64,
    input: ShowInput,
) -> Result<ShowRow, DomainError> {
    let before = own(db, artist, id).await?;
    let fields = validate(db, artist, input).await?;
    let media = poster_of(db, fields.poster_media_id.as_deref()).await?;
    let updated = db::shows::update(
        db,
        &before,
        &fields,
        Box::new(|s: &ShowRow| {
            publisher.show_updated(artist, s, &what_changed(&before, s), media.as_ref())
        }),
    )
    .await?;
    if !what_changed(&before, &updated).is_empty() {
        super::alerts::notify(db, publisher, artist, &updated, false).await?;
    }
    publisher.queued();
    Ok(updated)
}

/// Deletes a show; followers get a `Delete` and its id a Tombstone.
pub async fn delete(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    id: i64,
) -> Result<(), DomainError> {
    let show = own(db, artist, id).await?;
    let object_id = publisher.show_object_id(artist, &show);
    if db::shows::delete(
        db,
        &show,
        &object_id,
        Box::new(|s: &ShowRow| publisher.show_deleted(artist, s)),
    )
    .await?
    {
        publisher.queued();
    }
    Ok(())
}

/// How many shows an artist may pin at once (Mastodon allows five pinned posts).
pub const MAX_PINNED: usize = 5;

/// Pins a show to the artist's profile (`featured`) or unpins it; followers' servers get an
/// `Add` or `Remove`. Pinning a pinned show (or unpinning an unpinned one) changes nothing.
pub async fn set_pinned(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    id: i64,
    pinned: bool,
) -> Result<ShowRow, DomainError> {
    let show = own(db, artist, id).await?;
    if pinned && show.pinned_at.is_none() {
        let already = db::shows::pinned_of_artist(db, artist.id).await?;
        if already.len() >= MAX_PINNED {
            return Err(DomainError::Conflict(format!(
                "at most {MAX_PINNED} shows can be pinned; unpin one first"
            )));
        }
    }
    if db::shows::set_pinned(
        db,
        &show,
        pinned,
        Box::new(|s: &ShowRow| publisher.show_pinned(artist, s, pinned)),
    )
    .await?
    {
        publisher.queued();
    }
    own(db, artist, id).await
}

/// The poster of a show, if any.
pub async fn poster_of(
    db: &Db,
    id: Option<&str>,
) -> Result<Option<db::media::MediaRow>, DomainError> {
    Ok(match id {
        Some(id) => db::media::by_id(db, id).await?,
        None => None,
    })
}
