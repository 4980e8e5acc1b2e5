//! The URL scheme of every local object. Federation ids and HTML links are built only here, so
//! an id, once published, never changes by accident.

use url::Url;

use crate::config::Config;

/// Builds local URLs for one instance.
#[derive(Clone, Debug)]
pub struct Urls {
    base: String,
    /// `ROADIE_MEDIA_BASE_URL` (ends in `/`), when media are published elsewhere.
    media_base: Option<Url>,
}

impl Urls {
    pub fn new(config: &Config) -> Self {
        Urls {
            base: config.base_url(),
            media_base: config.media.base_url.clone(),
        }
    }

    fn at(&self, path: &str) -> Url {
        Url::parse(&format!("{}{}", self.base, path))
            .unwrap_or_else(|_| panic!("local path {path:?} must form a valid URL"))
    }

    pub fn base(&self) -> Url {
        self.at("/")
    }
    pub fn actor(&self, username: &str) -> Url {
        self.at(&format!("/users/{username}"))
    }
    pub fn key_id(&self, username: &str) -> Url {
        self.at(&format!("/users/{username}#main-key"))
    }
    /// The human-facing profile page.
    pub fn profile(&self, username: &str) -> Url {
        self.at(&format!("/@{username}"))
    }
    pub fn inbox(&self, username: &str) -> Url {
        self.at(&format!("/users/{username}/inbox"))
    }
    pub fn outbox(&self, username: &str) -> Url {
        self.at(&format!("/users/{username}/outbox"))
    }
    pub fn followers(&self, username: &str) -> Url {
        self.at(&format!("/users/{username}/followers"))
    }
    pub fn following(&self, username: &str) -> Url {
        self.at(&format!("/users/{username}/following"))
    }
    /// FEP-8a8e: the artist's upcoming shows.
    pub fn upcoming_events(&self, username: &str) -> Url {
        self.at(&format!("/users/{username}/upcoming_events"))
    }
    pub fn featured(&self, username: &str) -> Url {
        self.at(&format!("/users/{username}/collections/featured"))
    }
    pub fn post(&self, username: &str, id: i64) -> Url {
        self.at(&format!("/users/{username}/posts/{id}"))
    }
    pub fn post_activity(&self, username: &str, id: i64) -> Url {
        self.at(&format!("/users/{username}/posts/{id}/activity"))
    }
    /// A fresh id for an activity that is not itself served (Accept, Reject, Delete).
    pub fn new_activity(&self) -> Url {
        self.at(&format!("/activities/{}", uuid::Uuid::new_v4()))
    }
    /// A one-time link that creates an account (set-up or invite).
    pub fn join(&self, token: &str) -> Url {
        self.at(&format!("/join/{token}"))
    }
    /// The page where a fan types their handle to follow from their own server.
    pub fn remote_follow(&self, username: &str) -> Url {
        self.at(&format!("/@{username}/follow"))
    }
    pub fn artist_feed(&self, username: &str) -> Url {
        self.at(&format!("/@{username}/feed.atom"))
    }
    pub fn instance_feed(&self) -> Url {
        self.at("/feed.atom")
    }
    /// The oEmbed endpoint for one of our pages.
    pub fn oembed(&self, page: &Url) -> Url {
        let mut url = self.at("/api/oembed");
        url.query_pairs_mut()
            .append_pair("url", page.as_str())
            .append_pair("format", "json");
        url
    }
    /// A hashtag's page.
    pub fn tag(&self, name: &str) -> Url {
        let mut url = self.at("/tags/");
        url.path_segments_mut()
            .map(|mut s| {
                s.pop_if_empty().push(name);
            })
            .ok();
        url
    }
    /// A stored media file: under `ROADIE_MEDIA_BASE_URL` when set, else served by Roadie at
    /// `/media/{file_name}` (which also keeps answering when a base URL is set).
    pub fn media(&self, file_name: &str) -> Url {
        match &self.media_base {
            // Stored names are `[0-9a-f.a-z]` only, so joining cannot leave the base path.
            Some(base) => base
                .join(file_name)
                .unwrap_or_else(|_| panic!("media name {file_name:?} must form a valid URL")),
            None => self.at(&format!("/media/{file_name}")),
        }
    }
    pub fn show(&self, username: &str, id: i64) -> Url {
        self.at(&format!("/users/{username}/shows/{id}"))
    }
    /// One show as an iCalendar file ("add to calendar").
    pub fn show_calendar(&self, username: &str, id: i64) -> Url {
        self.at(&format!("/users/{username}/shows/{id}/calendar.ics"))
    }
    /// The artist's tour page: upcoming and past shows, calendar links, alert sign-up.
    pub fn tour(&self, username: &str) -> Url {
        self.at(&format!("/@{username}/shows"))
    }
    /// Where the tour page's alert form posts.
    pub fn tour_alerts(&self, username: &str) -> Url {
        self.at(&format!("/@{username}/alerts"))
    }
    /// The artist's calendar feed (`.ics`).
    pub fn artist_calendar(&self, username: &str) -> Url {
        self.at(&format!("/@{username}/shows.ics"))
    }
    pub fn show_activity(&self, username: &str, id: i64) -> Url {
        self.at(&format!("/users/{username}/shows/{id}/activity"))
    }
    pub fn release(&self, username: &str, id: i64) -> Url {
        self.at(&format!("/users/{username}/releases/{id}"))
    }
    pub fn release_activity(&self, username: &str, id: i64) -> Url {
        self.at(&format!("/users/{username}/releases/{id}/activity"))
    }
    /// The small player page embedded by oEmbed and `twitter:player`.
    pub fn release_embed(&self, username: &str, id: i64) -> Url {
        self.at(&format!("/embed/users/{username}/releases/{id}"))
    }
    pub fn shared_inbox(&self) -> Url {
        self.at("/inbox")
    }
    pub fn instance_actor(&self) -> Url {
        self.at("/actor")
    }
    pub fn instance_outbox(&self) -> Url {
        self.at("/actor/outbox")
    }
    pub fn instance_key_id(&self) -> Url {
        self.at("/actor#main-key")
    }
    /// The NodeInfo document of schema `version` (`"2.1"` or `"2.0"`).
    pub fn nodeinfo(&self, version: &str) -> Url {
        self.at(&format!("/nodeinfo/{version}"))
    }
    pub fn webfinger_template(&self) -> String {
        format!("{}/.well-known/webfinger?resource={{uri}}", self.base)
    }

    /// The local username an actor URL names (`/users/NAME` or `/@NAME`), if it is ours.
    pub fn username_of(&self, url: &Url) -> Option<String> {
        let base = self.base();
        if url.scheme() != base.scheme()
            || url.host_str() != base.host_str()
            || url.port() != base.port()
        {
            return None;
        }
        let path = url.path();
        let name = path
            .strip_prefix("/users/")
            .or_else(|| path.strip_prefix("/@"))?;
        if name.is_empty() || name.contains('/') {
            return None;
        }
        Some(name.to_owned())
    }

    /// The local post or release a URL names: `(username, "post" | "release", id)`.
    pub fn local_object(&self, url: &Url) -> Option<(String, &'static str, i64)> {
        if !self.is_local(url) {
            return None;
        }
        let segments: Vec<&str> = url.path_segments()?.collect();
        match segments.as_slice() {
            ["users", username, "posts", id] => {
                Some((username.to_string(), "post", id.parse().ok()?))
            }
            ["users", username, "releases", id] => {
                Some((username.to_string(), "release", id.parse().ok()?))
            }
            _ => None,
        }
    }

    /// True when the URL is on this instance.
    pub fn is_local(&self, url: &Url) -> bool {
        let base = self.base();
        url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default()
    }
}
