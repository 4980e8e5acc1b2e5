//! The instance actor (`Application` at `/actor`): it signs Roadie's own GET requests, for
//! servers that require signed fetches ("authorized fetch").

use activitypub_federation::{
    config::Data,
    traits::{Actor, Object},
};
use async_trait::async_trait;
use url::Url;

use super::FederationError;
use crate::app::Ctx;

/// What the federation library needs to sign fetches as the instance actor.
#[derive(Debug, Clone)]
pub struct InstanceActor {
    pub id: Url,
    pub inbox: Url,
    pub public_key_pem: String,
    pub private_key_pem: String,
}

#[async_trait]
impl Object for InstanceActor {
    type DataType = Ctx;
    type Kind = serde_json::Value;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }
    async fn read_from_id(_id: Url, _data: &Data<Ctx>) -> Result<Option<Self>, FederationError> {
        Ok(None)
    }
    async fn into_json(self, _data: &Data<Ctx>) -> Result<serde_json::Value, FederationError> {
        Err(FederationError::NotFound("instance actor document"))
    }
    async fn verify(
        _json: &serde_json::Value,
        _expected: &Url,
        _data: &Data<Ctx>,
    ) -> Result<(), FederationError> {
        Err(FederationError::Forbidden(
            "the instance actor is never received".to_owned(),
        ))
    }
    async fn from_json(
        _json: serde_json::Value,
        _data: &Data<Ctx>,
    ) -> Result<Self, FederationError> {
        Err(FederationError::Forbidden(
            "the instance actor is never received".to_owned(),
        ))
    }
}

impl Actor for InstanceActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }
    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_key_pem.clone())
    }
    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}
