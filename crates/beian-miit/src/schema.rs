//! The wire types, generated at build time from the published XSDs in `spec/` (`build.rs`).
//!
//! Each XSD element with a complex type is a Rust type named after it (`Zt_xx` → `ZtXx`),
//! in a module named after its parent (`upload::icp::xzba::baxx::ZtXx`); a root's children
//! sit beside it (`upload::Icp`). `xs:sequence` and `xs:all` are structs whose fields follow
//! the XSD's order (`Option` for `minOccurs="0"`, `Vec` for repeated elements), `xs:choice`
//! is an enum, `xs:long` is `i64`, every other leaf a `String`. The XSD's documentation is
//! each type's and field's doc comment. `Debug` prints no values: they are personal data.

// Generated code: variants mirror the XSD (some far larger than others), and the samples'
// closures are uniform on purpose.
#![allow(clippy::large_enum_variant, clippy::redundant_closure)]

/// `UploadData` (企业上报数据格式.xsd): every file a provider uploads.
pub mod upload {
    include!(concat!(env!("OUT_DIR"), "/upload.rs"));
}

/// `DownloadData` (企业下载数据格式.xsd): every file the bureau hands down.
pub mod download {
    include!(concat!(env!("OUT_DIR"), "/download.rs"));
}

impl download::Icp {
    /// An ICP download with none of its parts: an answer fills in the one it carries.
    pub fn empty() -> download::Icp {
        download::Icp {
            basj: None,
            zxsj: None,
            hmdlb: None,
            ffjrhmd: None,
            wbawzlb: None,
            bajg: None,
            hsrw: None,
            hcjg: None,
            xgtz: None,
        }
    }
}

/// The answer of `isp_upload` (企业上报数据方法调用返回数据格式.xsd).
pub mod upload_return {
    include!(concat!(env!("OUT_DIR"), "/upload_return.rs"));
}

/// The answer of `isp_download` (企业下载数据方法调用返回数据格式.xsd).
pub mod download_return {
    include!(concat!(env!("OUT_DIR"), "/download_return.rs"));
}

/// The answer of `isp_downloadack` (企业数据下载确认方法调用返回数据格式.xsd).
pub mod downloadack_return {
    include!(concat!(env!("OUT_DIR"), "/downloadack_return.rs"));
}

/// The answer of `isp_querypreviousupload` (企业最近上载数据查询方法调用返回数据格式.xsd).
pub mod querypreviousupload_return {
    include!(concat!(env!("OUT_DIR"), "/querypreviousupload_return.rs"));
}

/// The answer of `isp_querybeianstatus` (是否备案查询方法调用返回数据格式.xsd).
pub mod querybeianstatus_return {
    include!(concat!(env!("OUT_DIR"), "/querybeianstatus_return.rs"));
}

/// The answer of `isp_verifybamm`: the spec publishes no XSD for it, so this one is beian's
/// (`spec/beian/verifybamm-return.xsd`), in the shape of the others.
pub mod verifybamm_return {
    include!(concat!(env!("OUT_DIR"), "/verifybamm_return.rs"));
}
