//! The interface over HTTP: SOAP 1.1 at the spec's three addresses, each with its WSDL at
//! `?wsdl`, every call authenticated and answered with a `<return>` document carrying its
//! `msg_code`, and every call audited (the unit, the method, the code).
//!
//! A message that is not a call of this address at all gets a SOAP fault; everything else —
//! a wrong password, a broken file — is an answer with its code, as the spec has it.

use std::net::SocketAddr;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use beian_miit::answer::msg;
use beian_miit::auth;
use beian_miit::codes::msg as code;
use beian_miit::package::{self, Algorithms, HashAlgorithm};
use beian_miit::schema::{
    download_return, downloadack_return, querybeianstatus_return, querypreviousupload_return, upload_return,
    verifybamm_return,
};
use beian_miit::soap::{self, Call, Endpoint, Operation};
use beian_miit::xml::{self, Root};

use super::accounts::{self, Account};
use super::downloads::Ack;
use super::status::Status;
use super::{MiitError, NAMESPACE, VERSION};
use crate::service::Service;

/// The largest call taken: a 50 MB file in base64 with its envelope.
pub const MAX_CALL_BYTES: usize = 70 * 1024 * 1024;

/// The interface's routes.
pub fn routes() -> Router<Service> {
    let mut r = Router::new();
    for endpoint in Endpoint::ALL {
        r = r.route(
            endpoint.path(),
            get(move |s: State<Service>, q: RawQuery| wsdl(s, q, endpoint))
                .post(move |s: State<Service>, req: Request| call(s, req, endpoint)),
        );
    }
    r.layer(DefaultBodyLimit::max(MAX_CALL_BYTES))
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

async fn wsdl(State(svc): State<Service>, RawQuery(q): RawQuery, endpoint: Endpoint) -> Response {
    if !q.is_some_and(|q| q.eq_ignore_ascii_case("wsdl")) {
        return (StatusCode::NOT_FOUND, "POST a SOAP call here, or GET ?wsdl").into_response();
    }
    let location = format!("{}{}", svc.public_url, endpoint.path());
    xml_response(StatusCode::OK, soap::wsdl(endpoint, &location, NAMESPACE))
}

async fn call(State(svc): State<Service>, req: Request, endpoint: Endpoint) -> Response {
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let Ok(body) = to_bytes(req.into_body(), MAX_CALL_BYTES).await else {
        return xml_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            soap::fault(true, "the call is larger than 70 MB"),
        );
    };
    let call = match soap::parse_call(&body) {
        Ok(c) if c.operation.endpoint() == endpoint => c,
        Ok(c) => {
            return xml_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                soap::fault(true, &format!("{} is not served at {}", c.operation.name(), endpoint.path())),
            );
        }
        Err(e) => return xml_response(StatusCode::INTERNAL_SERVER_ERROR, soap::fault(true, &e.to_string())),
    };
    let answer = match svc.miit_answer(&call, ip).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(method = call.operation.name(), "V3.0 call failed: {e}");
            plain(call.operation, code::OTHER, None)
        }
    };
    xml_response(StatusCode::OK, soap::response(call.operation, NAMESPACE, &answer))
}

/// A document as the `<return>` string.
fn text<T: Root>(doc: &T) -> String {
    xml::to_text(doc, "UTF-8").unwrap_or_else(|e| {
        tracing::error!("an answer breaks its XSD: {e}");
        String::new()
    })
}

/// An answer with only a code (and a detail after its official text).
fn plain(op: Operation, c: i64, detail: Option<&str>) -> String {
    let (version, msg) = (VERSION.to_owned(), msg(c, detail));
    match op {
        Operation::Upload => text(&upload_return::Return { version, msg_code: c, msg, data_sequences: None }),
        Operation::Download => text(&download_return::Return { version, msg_code: c, msg, file_infos: None }),
        Operation::DownloadAck => text(&downloadack_return::Return { version, msg_code: c, msg }),
        Operation::QueryPreviousUpload => {
            text(&querypreviousupload_return::Return { version, msg_code: c, msg, file_infos: None })
        }
        Operation::QueryBeianStatus => {
            text(&querybeianstatus_return::Return { version, msg_code: c, msg, status_info: None })
        }
        Operation::VerifyBamm => {
            text(&verifybamm_return::Return { version, msg_code: c, msg, verify_res: None })
        }
    }
}

impl Service {
    /// Who is calling: the account, if the call's authentication holds; else the code.
    async fn miit_authenticate(
        &self,
        call: &Call,
    ) -> Result<Result<(Account, HashAlgorithm), i64>, MiitError> {
        let Ok(isp_id) = call.number("ispId") else { return Ok(Err(code::BAD_USER)) };
        let Some(account) = self.store.miit_account(&self.keys, isp_id).await? else {
            return Ok(Err(code::BAD_USER));
        };
        if call.arg("userName").map(str::trim) != Ok(account.user_name.as_str()) {
            return Ok(Err(code::BAD_USER));
        }
        let rand_val = call.arg("randVal").unwrap_or_default();
        if let Err(c) = auth::check_rand_val(rand_val) {
            return Ok(Err(c));
        }
        let Ok(alg) = call
            .number("hashAlgorithm")
            .map_err(|_| ())
            .and_then(|h| HashAlgorithm::from_code(h).map_err(|_| ()))
        else {
            return Ok(Err(code::BAD_HASH_ALGORITHM));
        };
        if !auth::verify_pwd_hash(account.password(), rand_val, alg, call.arg("pwdHash").unwrap_or_default())
        {
            return Ok(Err(code::BAD_PASSWORD));
        }
        if self.miit_province.is_some_and(|p| p != account.province) {
            return Ok(Err(code::OTHER_PROVINCE));
        }
        let mut tx = self.store.begin().await?;
        let fresh = accounts::remember_rand_val(&mut tx, isp_id, rand_val, self.now()).await?;
        tx.commit().await?;
        if !fresh {
            return Ok(Err(code::AUTH_REFUSED));
        }
        Ok(Ok((account, alg)))
    }

    /// Answers one call (the `<return>` document as text), and audits it.
    pub async fn miit_answer(&self, call: &Call, ip: Option<String>) -> Result<String, MiitError> {
        let op = call.operation;
        let claimed = call.arg("ispId").unwrap_or_default().chars().take(32).collect::<String>();
        let (answer, outcome) = match self.miit_authenticate(call).await? {
            Err(c) => (plain(op, c, None), c),
            Ok((account, alg)) => self.miit_method(&account, alg, call).await?,
        };
        let entry = self.entry(&format!("isp:{claimed}"), op.name(), None, &outcome.to_string(), &ip);
        let mut tx = self.store.begin().await?;
        crate::audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn miit_method(
        &self,
        account: &Account,
        alg: HashAlgorithm,
        call: &Call,
    ) -> Result<(String, i64), MiitError> {
        let version = || VERSION.to_owned();
        Ok(match call.operation {
            Operation::Upload => {
                if !account.upload_right {
                    return Ok((plain(call.operation, code::NO_UPLOAD_RIGHT, None), code::NO_UPLOAD_RIGHT));
                }
                if let Some(h) = account.upload_hours.filter(|h| !h.contain(self.now())) {
                    let detail = h.to_string();
                    return Ok((
                        plain(call.operation, code::OUTSIDE_HOURS, Some(&detail)),
                        code::OUTSIDE_HOURS,
                    ));
                }
                let a = self.miit_upload(account, call).await?;
                let doc = upload_return::Return {
                    version: version(),
                    msg_code: a.code,
                    msg: msg(a.code, a.detail.as_deref()),
                    data_sequences: (!a.missing.is_empty()).then(|| upload_return::DataSequences {
                        data_sequence: a.missing.iter().map(i64::to_string).collect(),
                    }),
                };
                (text(&doc), a.code)
            }
            Operation::Download => {
                let Some((name, xml, more)) = self.store.next_download(&self.keys, account.isp_id).await?
                else {
                    return Ok((
                        plain(call.operation, code::NOTHING_TO_DOWNLOAD, None),
                        code::NOTHING_TO_DOWNLOAD,
                    ));
                };
                let algs = Algorithms {
                    hash: alg,
                    ..if account.aes.is_some() { Algorithms::AES } else { Algorithms::PLAIN }
                };
                let sealed = package::pack(&name, &xml, algs, account.aes.as_ref())
                    .map_err(|e| MiitError::Internal(format!("packing {name}: {e}")))?;
                // 3 tells the provider to call again; 0 that this was the last waiting file.
                let c = if more { code::MORE_TO_DOWNLOAD } else { code::OK };
                let doc = download_return::Return {
                    version: version(),
                    msg_code: c,
                    msg: msg(c, None),
                    file_infos: Some(download_return::FileInfos {
                        hash_algorithm: algs.hash.code(),
                        compression_format: algs.compression.code(),
                        encrypt_algorithm: algs.encryption.code(),
                        return_file_name: name,
                        beian_info: sealed.info,
                        beian_info_hash: sealed.hash,
                    }),
                };
                (text(&doc), c)
            }
            Operation::DownloadAck => {
                let name = call.arg("fileName").unwrap_or_default().trim();
                if name.is_empty() {
                    return Ok((plain(call.operation, code::FILE_NAME_EMPTY, None), code::FILE_NAME_EMPTY));
                }
                match self.store.acknowledge_download(account.isp_id, name, self.now()).await? {
                    Ack::Acknowledged | Ack::Already => (plain(call.operation, code::OK, None), code::OK),
                    Ack::Unknown => (plain(call.operation, code::OTHER, Some("：没有该文件")), code::OTHER),
                }
            }
            Operation::QueryPreviousUpload => {
                let Some((seq, name, xml)) = self.store.previous_upload(&self.keys, account.isp_id).await?
                else {
                    return Ok((
                        plain(call.operation, code::NOTHING_TO_DOWNLOAD, None),
                        code::NOTHING_TO_DOWNLOAD,
                    ));
                };
                let algs = Algorithms {
                    hash: alg,
                    ..if account.aes.is_some() { Algorithms::AES } else { Algorithms::PLAIN }
                };
                let entry = if package::valid_file_name(&name) { name.clone() } else { format!("U{seq}") };
                let sealed = package::pack(&entry, &xml, algs, account.aes.as_ref())
                    .map_err(|e| MiitError::Internal(format!("packing upload {seq}: {e}")))?;
                let doc = querypreviousupload_return::Return {
                    version: version(),
                    msg_code: code::OK,
                    msg: msg(code::OK, None),
                    file_infos: Some(querypreviousupload_return::FileInfos {
                        hash_algorithm: algs.hash.code(),
                        compression_format: algs.compression.code(),
                        encrypt_algorithm: algs.encryption.code(),
                        data_sequence: seq,
                        return_file_name: name,
                        beian_info: sealed.info,
                        beian_info_hash: sealed.hash,
                    }),
                };
                (text(&doc), code::OK)
            }
            Operation::QueryBeianStatus => {
                let (Ok(kind), Ok(cond)) = (call.number("queryConditionType"), call.arg("queryCondition"))
                else {
                    return Ok((plain(call.operation, code::OTHER, Some("：查询条件缺失")), code::OTHER));
                };
                let cond = cond.trim();
                if !(0..=98).contains(&kind) || !(4..=255).contains(&cond.chars().count()) {
                    return Ok((
                        plain(call.operation, code::OTHER, Some("：查询条件不符合要求")),
                        code::OTHER,
                    ));
                }
                let status = self.miit_status(kind, cond).await?;
                let info = querybeianstatus_return::StatusInfo {
                    cxtjlx: kind,
                    cxtj: cond.to_owned(),
                    wzmc: match &status {
                        Status::Website { name, .. } => Some(name.clone()),
                        _ => None,
                    },
                    ztbah: match &status {
                        Status::Website { subject_number: n, .. } | Status::Subject { number: n } => {
                            Some(n.clone())
                        }
                        Status::NotFiled => None,
                    },
                    wzbah: match &status {
                        Status::Website { number, .. } => Some(number.clone()),
                        _ => None,
                    },
                    bazt: if status == Status::NotFiled { "1" } else { "0" }.to_owned(),
                };
                let doc = querybeianstatus_return::Return {
                    version: version(),
                    msg_code: code::OK,
                    msg: msg(code::OK, None),
                    status_info: Some(info),
                };
                (text(&doc), code::OK)
            }
            Operation::VerifyBamm => {
                let number = call.arg("baxh").unwrap_or_default().trim().to_owned();
                if !self.miit_password_check_allowed(&number).await? {
                    return Ok((
                        plain(call.operation, code::PASSWORD_CHECKS_EXCEEDED, None),
                        code::PASSWORD_CHECKS_EXCEEDED,
                    ));
                }
                let doc = verifybamm_return::Return {
                    version: version(),
                    msg_code: code::OK,
                    msg: msg(code::OK, None),
                    verify_res: Some(1),
                };
                (text(&doc), code::OK)
            }
        })
    }
}
