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
    // Every boost and like asks this, mostly about the same few objects.
    let changes = db::interactions::object_changes();
    let key = (username, kind, id);
    if let Some(object) = data.public_objects.get(&key, changes) {
        return Ok(Some(object));
    }
    let object = db::interactions::public_object(&data.db, &key.0, kind, id).await?;
    if let Some(object) = object {
        data.public_objects.put(key, changes, object);
    }
    Ok(object)
}
