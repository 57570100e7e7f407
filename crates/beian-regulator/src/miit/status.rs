//! `isp_querybeianstatus` and `isp_verifybamm`: is this domain or certificate filed, and is
//! this a subject's filing password — answered from the records.
//!
//! The simulator issues no filing passwords (备案密码; the filing systems stopped using them),
//! so `isp_verifybamm` answers "wrong" for every number; it still counts the checks, as the
//! spec's code 22 asks: five per number in the limits' 15-minute window.

use beian_core::model::normalize_cert;
use beian_store::on;

use super::MiitError;
use crate::service::Service;

/// Checks of one number's filing password allowed per window (code 22 beyond).
pub const PASSWORD_CHECKS: i64 = 5;

/// What the status query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    NotFiled,
    /// A filed website (by domain): its name, the subject's number, its number.
    Website {
        name: String,
        subject_number: String,
        number: String,
    },
    /// A filed subject (by certificate): its number.
    Subject {
        number: String,
    },
}

impl Service {
    /// Whether the domain (`condition_type` 0) or the certificate (1–11) is filed.
    pub async fn miit_status(&self, condition_type: i64, condition: &str) -> Result<Status, MiitError> {
        let condition = condition.trim();
        if condition_type == 0 {
            let domain = condition.trim_end_matches('.').to_lowercase();
            let row: Option<(String, String, String)> = on!(store self.store.store(), |c| sqlx::query_as(
                "SELECT s.name, j.number, s.number FROM reg_service_domains d JOIN reg_services s ON s.id = d.service_id \
                 JOIN reg_subjects j ON j.id = s.subject_id WHERE d.domain = $1 AND s.status = 'filed' ORDER BY s.number LIMIT 1",
            )
            .bind(&domain)
            .fetch_optional(c)
            .await?);
            return Ok(match row {
                Some((name, subject_number, number)) => Status::Website { name, subject_number, number },
                None => Status::NotFiled,
            });
        }
        let index = self.keys.blind_index("cert", &normalize_cert(condition));
        let number: Option<String> = on!(store self.store.store(), |c| sqlx::query_scalar(
            "SELECT number FROM reg_subjects WHERE cert_index = $1 AND status = 'filed' ORDER BY number LIMIT 1",
        )
        .bind(&index)
        .fetch_optional(c)
        .await?);
        Ok(number.map_or(Status::NotFiled, |number| Status::Subject { number }))
    }

    /// Counts a filing-password check of `number`; false when the window's checks are used up.
    pub async fn miit_password_check_allowed(&self, number: &str) -> Result<bool, MiitError> {
        Ok(self.store.allow(&format!("miit-bamm:{number}"), PASSWORD_CHECKS, self.now()).await?)
    }
}
