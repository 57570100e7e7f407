//! What happens to an ICP submission once received, whichever way it came (the signed JSON
//! seam or a V3.0 upload file): MIIT texts the persons its kind names a verification code and
//! a 24-hour window opens; an order that texts nobody (a cancellation) goes straight to the
//! bureau.

use beian_core::model::Order;
use beian_crypto::Keys;
use beian_store::{Tx, Uuid};

use crate::submissions::{self, SubmissionError, SubmissionStatus};
use crate::verification::{self, VerifyError};

/// Why a received submission could not start its process.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Submission(#[from] SubmissionError),
    #[error(transparent)]
    Store(#[from] beian_store::StoreError),
}

/// Starts the process of a new ICP submission `id`, in the intake's transaction.
pub async fn start_icp(
    tx: &mut Tx,
    keys: &Keys,
    id: Uuid,
    order: &Order,
    verify_url: &str,
    now: i64,
) -> Result<(), StartError> {
    let texted = verification::open_round(tx, keys, id, order, verify_url, now).await?;
    if texted.is_empty() {
        submissions::transition(tx, id, SubmissionStatus::SmsPending, SubmissionStatus::BureauReview, now)
            .await?;
        crate::events::append(tx, id, "bureau_review", serde_json::json!({}), now).await?;
    }
    Ok(())
}
