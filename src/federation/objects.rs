//! Builds the ActivityStreams documents of local objects from stored rows.

use chrono::{DateTime, Utc};
use url::Url;

use super::protocol::{
    actor::{Endpoints, Image, LocalActor, PropertyValue, PublicKey},
    note::{Note, Tombstone},
    PUBLIC,
};
use crate::{
    db::{artists::Artist, posts::PostRow},
    domain::posts::Visibility,
    urls::Urls,
};

/// The artist's `Person` document.
pub fn artist_actor(artist: &Artist, urls: &Urls) -> LocalActor {
    let id = urls.actor(&artist.username);
    let links = crate::domain::artists::profile_links(artist);
    LocalActor {
        kind: "Person",
        preferred_username: artist.username.clone(),
        name: artist.display_name.clone(),
        summary: artist.summary.clone(),
        url: urls.profile(&artist.username),
        inbox: urls.inbox(&artist.username),
        outbox: urls.outbox(&artist.username),
        followers: Some(urls.followers(&artist.username)),
        following: Some(urls.following(&artist.username)),
        featured: Some(urls.featured(&artist.username)),
        endpoints: Endpoints {
            shared_inbox: Some(urls.shared_inbox()),
        },
        public_key: PublicKey {
            id: urls.key_id(&artist.username),
            owner: id.clone(),
            public_key_pem: artist.public_key_pem.clone(),
        },
        icon: artist
            .avatar_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .map(|url| Image {
                kind: "Image",
                url,
                media_type: None,
            }),
        attachment: links
            .into_iter()
            .map(|l| PropertyValue {
                kind: "PropertyValue",
                value: format!(
                    r#"<a href="{0}" rel="me nofollow noopener noreferrer" target="_blank">{0}</a>"#,
                    html_escape(&l.url)
                ),
                name: l.name,
            })
            .collect(),
        manually_approves_followers: artist.manually_approves_followers,
        discoverable: artist.discoverable,
        indexable: artist.discoverable,
        published: artist.created_at.and_utc(),
        id,
    }
}

/// The instance actor's `Application` document.
pub fn instance_actor(urls: &Urls, domain: &str, public_key_pem: &str) -> LocalActor {
    let id = urls.instance_actor();
    LocalActor {
        kind: "Application",
        preferred_username: domain.to_owned(),
        name: domain.to_owned(),
        summary: String::new(),
        url: urls.base(),
        inbox: urls.shared_inbox(),
        outbox: urls.instance_outbox(),
        followers: None,
        following: None,
        featured: None,
        endpoints: Endpoints {
            shared_inbox: Some(urls.shared_inbox()),
        },
        public_key: PublicKey {
            id: urls.instance_key_id(),
            owner: id.clone(),
            public_key_pem: public_key_pem.to_owned(),
        },
        icon: None,
        attachment: Vec::new(),
        manually_approves_followers: true,
        discoverable: false,
        indexable: false,
        published: DateTime::<Utc>::UNIX_EPOCH,
        id,
    }
}

/// `(to, cc)` for a post of the given visibility, in Mastodon's convention.
pub fn addressing(visibility: Visibility, followers: &Url) -> (Vec<String>, Vec<String>) {
    let followers = followers.to_string();
    match visibility {
        Visibility::Public => (vec![PUBLIC.to_owned()], vec![followers]),
        Visibility::Unlisted => (vec![followers], vec![PUBLIC.to_owned()]),
        Visibility::Followers => (vec![followers], Vec::new()),
    }
}

/// The `Note` of a post.
pub fn post_note(artist: &Artist, post: &PostRow, urls: &Urls) -> Note {
    let visibility = Visibility::parse(&post.visibility).unwrap_or(Visibility::Followers);
    let (to, cc) = addressing(visibility, &urls.followers(&artist.username));
    let id = urls.post(&artist.username, post.id);
    Note {
        kind: "Note",
        url: id.clone(),
        id,
        attributed_to: urls.actor(&artist.username),
        to,
        cc,
        content: post.content_html.clone(),
        media_type: "text/html",
        published: post.published_at.and_utc(),
        updated: post.updated_at.map(|u| u.and_utc()),
        sensitive: false,
        attachment: Vec::new(),
        tag: Vec::new(),
    }
}

/// What a deleted post becomes.
pub fn post_tombstone(artist: &Artist, post: &PostRow, urls: &Urls) -> Tombstone {
    Tombstone {
        kind: "Tombstone",
        id: urls.post(&artist.username, post.id),
        former_type: "Note",
        deleted: post.deleted_at.unwrap_or(post.published_at).and_utc(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
