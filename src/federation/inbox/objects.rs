//! Which local object an inbound activity is about, and whether fans may interact with it.

use activitypub_federation::config::Data;
use url::Url;

use crate::{
    app::Ctx,
    db::{self, interactions::ObjectKey},
    federation::FederationError,
};

/// A local post or release that is public (public or unlisted posts; published releases), not
/// deleted. `None` for anything else: not ours, private, unknown or gone.
pub async fn public_object(
    data: &Data<Ctx>,
    url: &Url,
) -> Result<Option<ObjectKey>, FederationError> {
    let Some((username, kind, id)) = data.urls.local_object(url) else {
        return Ok(None);
    };
    let Some(artist) = db::artists::by_username(&data.db, &username).await? else {
        return Ok(None);
    };
    let public = match kind {
        "post" => db::posts::by_id(&data.db, id).await?.is_some_and(|p| {
            p.artist_id == artist.id && p.deleted_at.is_none() && p.visibility != "followers"
        }),
        _ => db::releases::by_id(&data.db, id).await?.is_some_and(|r| {
            r.artist_id == artist.id && r.deleted_at.is_none() && r.state == "published"
        }),
    };
    Ok(public.then_some(ObjectKey {
        artist_id: artist.id,
        kind,
        id,
    }))
}
