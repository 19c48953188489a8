//! Typed reads and writes: the transport's JSON calls, converted through the
//! model on the way in and out.

use crate::error::QboError;
use crate::transport::{QboClient, RequestId, TokenSource};

use super::{ModelError, QboEntity};

/// An answer QBO sent that does not fit the model.
fn unreadable_answer(error: ModelError) -> QboError {
    QboError::protocol(Some(200), error.to_string(), None)
}

/// A typed entity that could not be written as JSON.
fn unwritable_body(error: ModelError) -> QboError {
    QboError::protocol(None, error.to_string(), None)
}

impl<T: TokenSource> QboClient<T> {
    /// Reads one entity by id as its typed model (for `CompanyInfo` the id is
    /// the realm id).
    pub async fn read<E: QboEntity>(&self, id: &str) -> Result<E, QboError> {
        let json = self.get_entity(E::TYPE.name(), id).await?;
        E::from_json(json).map_err(unreadable_answer)
    }

    /// Creates `entity` (without `Id`) and returns it as QBO stored it.
    pub async fn create_typed<E: QboEntity>(
        &self,
        entity: &E,
        request_id: &RequestId,
    ) -> Result<E, QboError> {
        let body = entity.to_json().map_err(unwritable_body)?;
        let created = self.create(E::TYPE.name(), &body, request_id).await?;
        E::from_json(created).map_err(unreadable_answer)
    }

    /// A full update from the typed entity. Every member it was read with
    /// is sent back, those it keeps in `extra` too, so the update clears
    /// only what the caller removed (API.md §3.3).
    pub async fn update_typed<E: QboEntity>(
        &self,
        entity: &E,
        request_id: &RequestId,
    ) -> Result<E, QboError> {
        let body = entity.to_json().map_err(unwritable_body)?;
        let updated = self.update(E::TYPE.name(), &body, request_id).await?;
        E::from_json(updated).map_err(unreadable_answer)
    }
}
