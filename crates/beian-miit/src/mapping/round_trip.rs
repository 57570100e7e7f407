//! Orders through the interface and back: the public example filings become records, the
//! records a file that `xmllint` accepts against the published XSD, and the file, read back
//! strictly, the same filing.

use beian_core::model::{Order, OrderKind};

use super::outbound::{self, Attachment, FiledSite, Input, OnFile, Provider, Record};
use super::{MappingError, inbound};
use crate::jcdm::{CodeTables, Table};
use crate::schema::upload::{UploadData, UploadDataChoice};
use crate::xml::{self, Mode};

/// The simulator's tables (beian-regulator's data file) with the GB/T 2260 regions.
pub(crate) fn tables() -> CodeTables {
    CodeTables::from_toml(include_str!("../../../beian-regulator/data/jcdm.toml"))
        .unwrap()
        .with_gb2260_regions()
        .with_provincial_bureaus()
}

pub(crate) fn example(name: &str) -> Order {
    let text = match name {
        "company" => include_str!("../../../../docs/examples/first-filing-company.json"),
        "individual" => include_str!("../../../../docs/examples/first-filing-individual.json"),
        "new-site" => include_str!("../../../../docs/examples/new-site.json"),
        "app" => include_str!("../../../../docs/examples/first-filing-app.json"),
        other => panic!("no example {other}"),
    };
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    serde_json::from_value(v["order"].clone()).unwrap()
}

pub(crate) fn provider() -> Provider {
    Provider { unit_id: 7, server_region: "330106".into(), access_method: "cloud_server".into() }
}

fn counter() -> impl FnMut() -> i64 {
    let mut n = 100;
    move || {
        n += 1;
        n
    }
}

fn jpeg() -> Vec<u8> {
    // Not a real picture: the mapping only carries bytes; the provider re-encodes documents.
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend(std::iter::repeat_n(7u8, 2000));
    v
}

fn input(order: &Order) -> Input<'_> {
    Input { order, attachments: &[], on_file: None, filing_password: None, cancel_reason: None }
}

fn validated(records: Vec<Record>) -> UploadData {
    let file = outbound::upload_file("V.3.0", 7, records);
    let gbk = xml::to_gbk(&file).unwrap();
    crate::testing::assert_valid("upload.xsd", &gbk);
    let back: UploadData = xml::from_bytes(&gbk, Mode::Strict).unwrap();
    assert!(back == file);
    back
}

#[test]
fn a_first_filing_goes_through_xzba_and_back() {
    let order = example("company");
    let attachments = vec![
        Attachment { path: "subject".into(), document: "business_licence".into(), jpeg: jpeg() },
        Attachment { path: "subject.head".into(), document: "id_front".into(), jpeg: jpeg() },
        Attachment { path: "websites[1].head".into(), document: "id_back".into(), jpeg: jpeg() },
        Attachment { path: "websites[0].head".into(), document: "face_photo".into(), jpeg: jpeg() },
    ];
    let (record, ids) = outbound::record(
        &tables(),
        &provider(),
        Input { attachments: &attachments, ..input(&order) },
        counter(),
    )
    .unwrap();
    assert_eq!(record.operation(), 1);
    assert_eq!(ids.subject, Some(101));
    assert_eq!(ids.websites.len(), 3);
    let file = validated(vec![record]);
    let UploadDataChoice::Icp(icp) = file.choice else { panic!("not ICP") };
    let baxx = &icp.xzba.unwrap().baxx[0];
    // Three documents travel (the face photo stays with the provider), each with its owner.
    assert_eq!(baxx.fj.len(), 3);
    assert_eq!(baxx.fj.iter().filter(|f| f.fjxx.fjssdx.ssdxlx == 1).count(), 2);
    // Coded fields are the tables' ids: 企业 is 3, 工商营业执照 1, 企业官网 1, 云服务器 4.
    assert_eq!(baxx.zt_xx.dwxz, Some(3));
    assert_eq!(baxx.zt_xx.zj.zjlx, 1);
    assert_eq!(
        (baxx.zt_xx.txdz.shengid, baxx.zt_xx.txdz.shiid, baxx.zt_xx.txdz.xianid),
        (330000, 330100, Some(330106))
    );
    assert_eq!(baxx.wz_xx[0].fwnr.fwnr_id, vec![1]);
    assert_eq!(baxx.wz_xx[0].jr_xx[0].wzjrfs.jrfs, vec![4]);
    // Zhejiang is the 11th filing province, its bureau the 11th row.
    assert_eq!(baxx.wz_xx[0].jr_xx[0].wzfb.fbdd, vec![11]);

    let (back, back_ids) = inbound::xzba(&tables(), baxx).unwrap();
    assert_eq!(back_ids, ids);
    assert_eq!(back.kind, OrderKind::FirstFiling);
    assert_eq!(back.province, order.province);
    let (s, t) = (&back.subject, &order.subject);
    assert_eq!(
        (&s.name, &s.certificate, &s.region, s.nature),
        (&t.name, &t.certificate, &t.region, t.nature)
    );
    assert_eq!(
        (&s.head.name, &s.head.mobile, &s.head.certificate),
        (&t.head.name, &t.head.mobile, &t.head.certificate)
    );
    for (b, o) in back.websites.iter().zip(&order.websites) {
        assert_eq!(
            (&b.name, &b.domains, &b.service_content, &b.languages),
            (&o.name, &o.domains, &o.service_content, &o.languages)
        );
        assert_eq!(b.access.ips, o.access.ips);
        assert_eq!(b.access.method.as_deref(), Some("cloud_server"));
        assert_eq!((&b.head.mobile, &b.head.certificate), (&o.head.mobile, &o.head.certificate));
    }
}

#[test]
fn an_individual_and_a_new_site_map_too() {
    let order = example("individual");
    let (record, _) = outbound::record(&tables(), &provider(), input(&order), counter()).unwrap();
    validated(vec![record]);
    let order = example("new-site");
    let (record, ids) = outbound::record(&tables(), &provider(), input(&order), counter()).unwrap();
    assert_eq!(record.operation(), 2);
    assert_eq!(ids.subject, None);
    let file = validated(vec![record]);
    let UploadDataChoice::Icp(icp) = file.choice else { panic!("not ICP") };
    let x = &icp.xzwz.unwrap().xzxx[0];
    let (back, _) = inbound::xzwz(&tables(), x, order.subject.clone(), order.province).unwrap();
    assert_eq!(back.websites[0].domains, order.websites[0].domains);
}

#[test]
fn changes_and_cancellations_need_the_bureaus_ids() {
    let mut order = example("company");
    order.kind = OrderKind::ChangeFiling;
    order.subject.existing_number = Some("浙ICP备2026000001号".into());
    for (i, w) in order.websites.iter_mut().enumerate() {
        w.existing_number = Some(format!("浙ICP备2026000001号-{}", i + 1));
    }
    let missing = outbound::record(&tables(), &provider(), input(&order), counter()).unwrap_err();
    assert_eq!(missing.field(), Some("subject.existing_number"));
    let on_file = OnFile {
        subject_id: 9001,
        subject_number: "浙ICP备2026000001号".into(),
        websites: (1..=3)
            .map(|i| {
                (
                    format!("浙ICP备2026000001号-{i}"),
                    FiledSite { id: 9100 + i, access_id: Some(9200 + i), domains: Default::default() },
                )
            })
            .collect(),
    };
    let (record, _) = outbound::record(
        &tables(),
        &provider(),
        Input { on_file: Some(&on_file), ..input(&order) },
        counter(),
    )
    .unwrap();
    assert_eq!(record.operation(), 4);
    let file = validated(vec![record]);
    let UploadDataChoice::Icp(icp) = file.choice else { panic!("not ICP") };
    let (back, _) = inbound::bgba(&tables(), &icp.bgba.unwrap().bgxx[0], &order.subject).unwrap();
    assert_eq!(back.websites[2].existing_number.as_deref(), Some("浙ICP备2026000001号-3"));

    let mut cancel = example("company");
    cancel.kind = OrderKind::CancelAccess;
    cancel.websites.clear();
    cancel.target_numbers = vec!["浙ICP备2026000001号-1".into(), "浙ICP备2026000001号-2".into()];
    let (record, _) = outbound::record(
        &tables(),
        &provider(),
        Input { on_file: Some(&on_file), ..input(&cancel) },
        counter(),
    )
    .unwrap();
    let Record::Zxba(z) = &record else { panic!("not ZXBA") };
    assert_eq!(z.iter().map(|z| (z.zxlb, z.jlid)).collect::<Vec<_>>(), vec![(2, 9201), (2, 9202)]);
    validated(vec![record]);
}

#[test]
fn what_the_tables_lack_is_named_with_its_field() {
    let mut order = example("company");
    order.websites[1].service_content = vec!["赌博".into()];
    let err = outbound::record(&tables(), &provider(), input(&order), counter()).unwrap_err();
    assert_eq!(err.field(), Some("websites[1].service_content[0]"));
    assert!(matches!(&err, MappingError::Unmapped { source, .. } if source.table == Table::ServiceContent));
    assert_eq!(err.result_code(), 1034);

    let mut order = example("company");
    order.websites[0].access.ips = vec!["2001:db8::1".into()];
    let err = outbound::record(&tables(), &provider(), input(&order), counter()).unwrap_err();
    assert_eq!(err.field(), Some("websites[0].access.ips[0]"));

    let app = example("app");
    let err = outbound::record(&tables(), &provider(), input(&app), counter()).unwrap_err();
    assert_eq!(err.field(), Some("apps"));

    let order = example("company");
    let big = [Attachment {
        path: "subject".into(),
        document: "business_licence".into(),
        jpeg: vec![0; 200 * 1024],
    }];
    let err =
        outbound::record(&tables(), &provider(), Input { attachments: &big, ..input(&order) }, counter())
            .unwrap_err();
    assert_eq!(err.field(), Some("subject"));
}

#[test]
fn the_tables_travel_as_a_jcdm_download_and_back() {
    let t = tables();
    let again = CodeTables::from_download(&t.to_download());
    assert_eq!(again, t);
}

#[test]
fn an_approved_filing_comes_down_as_basj_and_teaches_the_provider_its_ids() {
    use super::filed::{self, BureauIds, Filed, SiteBureauIds};
    use crate::schema::download::{self, DownloadData, DownloadDataChoice};
    let order = example("company");
    let (_, isp) = outbound::record(&tables(), &provider(), input(&order), counter()).unwrap();
    let ids = BureauIds {
        subject: 5000,
        websites: order
            .websites
            .iter()
            .enumerate()
            .map(|(i, w)| SiteBureauIds {
                website: 5100 + i as i64,
                domains: w.domains.iter().map(|d| (d.clone(), 5200 + i as i64)).collect(),
                access: 5300 + i as i64,
                ips: vec![5400 + i as i64],
            })
            .collect(),
    };
    let mut approved = order.clone();
    for w in &mut approved.websites {
        w.access.method = Some("cloud_server".into());
    }
    let numbers: Vec<String> = (1..=3).map(|i| format!("浙ICP备2026000001号-{i}")).collect();
    let baxx = filed::basj(
        &tables(),
        Filed {
            order: &approved,
            subject_number: "浙ICP备2026000001号",
            website_numbers: &numbers,
            ids: &ids,
            isp: &isp,
            unit_id: 7,
            first_filed: "2026-12-06 10:00:00",
            changed: "2026-12-06 10:00:00",
            reviewer: Some("bureau-zj"),
        },
    )
    .unwrap();
    let icp =
        download::Icp { basj: Some(download::icp::Basj { baxx: vec![baxx] }), ..download::Icp::empty() };
    let file = DownloadData { version: "V.3.0".into(), choice: DownloadDataChoice::Icp(icp) };
    let gbk = xml::to_gbk(&file).unwrap();
    crate::testing::assert_valid("download.xsd", &gbk);
    let back: DownloadData = xml::from_bytes(&gbk, Mode::Lenient).unwrap();
    let DownloadDataChoice::Icp(icp) = back.choice else { panic!("not ICP") };
    let learned = filed::learn(&icp.basj.unwrap().baxx[0], 7);
    assert_eq!(learned.isp_subject, isp.subject);
    assert_eq!(learned.on_file.subject_id, 5000);
    assert_eq!(learned.on_file.websites["浙ICP备2026000001号-2"].access_id, Some(5301));
    let second = isp.websites[1].website.unwrap();
    assert_eq!(learned.numbers_by_isp_website[&second], "浙ICP备2026000001号-2");
}
