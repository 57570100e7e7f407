//! One test per rule: a valid order and context that raise no finding at all, and for every
//! rule code a mutation that makes exactly that rule fire. A meta-test checks that every
//! rule in the catalog has a case here, so a new rule cannot land untested.

use std::collections::BTreeSet;

use time::macros::date;

use super::*;
use crate::id::resident_id_check_char;
use crate::model::*;
use crate::number::ServiceKind;
use crate::province::ProvinceCode;

pub(crate) fn resident_id(first17: &str) -> String {
    let b: [u8; 17] = first17.as_bytes().try_into().unwrap();
    format!("{first17}{}", resident_id_check_char(&b))
}

fn person(name: &str, id17: &str, mobile: &str, email: &str) -> Person {
    Person {
        name: name.into(),
        certificate: Certificate { kind: CertificateKind::ResidentId, number: resident_id(id17) },
        certificate_valid_until: Some(ValidUntil::Date(date!(2035 - 06 - 30))),
        mobile: mobile.into(),
        emergency_phone: "0571-85022088".into(),
        office_phone: Some("0571-85022088".into()),
        email: email.into(),
        authorization_letter: false,
    }
}

fn site(name: &str, domain: &str, head: Person) -> Website {
    Website {
        name: name.into(),
        domains: vec![domain.into()],
        service_content: vec!["企业官网".into()],
        languages: vec!["中文简体".into()],
        pre_approvals: vec![],
        head,
        access: Access {
            ips: vec!["47.96.1.10".into()],
            service_number: Some("4f9f0d9c-0001".into()),
            method: None,
        },
        remark: None,
        existing_number: None,
    }
}

/// A Zhejiang company's first filing with three sites: clean under the built-in policy.
pub(crate) fn company_order() -> Order {
    let head = person("王五", "33010619800101123", "13800138000", "wangwu@aliyun.com");
    let site_head = person("赵六", "33010619850202234", "13900139000", "zhaoliu@aliyun.com");
    Order {
        kind: OrderKind::FirstFiling,
        province: ProvinceCode::parse("33").unwrap(),
        subject: Subject {
            nature: SubjectNature::Enterprise,
            name: "阿里云计算有限公司".into(),
            certificate: Certificate {
                kind: CertificateKind::BusinessLicence,
                number: "91330106673959654P".into(),
            },
            region: "330106".into(),
            certificate_address: "浙江省杭州市西湖区转塘科技经济区块12号".into(),
            mailing_address: "浙江省杭州市西湖区文一西路969号3号楼".into(),
            head: head.clone(),
            head_is_legal_representative: true,
            residence_permit: false,
            investor: None,
            existing_number: None,
            remark: None,
        },
        websites: vec![
            site("阿里云计算官网", "aliyun.com", head.clone()),
            site("阿里云文档中心", "alibabacloud.com", site_head.clone()),
            site("阿里云计算学习站", "aliyuncs.com", site_head),
        ],
        apps: vec![],
        target_numbers: vec![],
        cancel_reason: None,
        remark: None,
    }
}

/// The matching context: registry facts all in order, IPs in the provider's pool.
pub(crate) fn company_context() -> Context {
    let mut ctx = Context::new(date!(2026 - 11 - 28));
    ctx.provider_ip_pools = vec![Cidr::parse("47.96.0.0/11").unwrap()];
    ctx.require_service_number = true;
    for d in ["aliyun.com", "alibabacloud.com", "aliyuncs.com", "example.cn"] {
        ctx.domains.insert(
            d.into(),
            DomainFacts {
                holder_name: Some("阿里云计算有限公司".into()),
                holder_certificate: Some("91330106673959654P".into()),
                realname_record: Some(true),
                realname_verified_on: Some(date!(2026 - 01 - 05)),
                expires_on: Some(date!(2030 - 01 - 01)),
                registrar_approved: Some(true),
                registrar: Some("阿里云计算有限公司（万网）".into()),
                resolves: Some(false),
            },
        );
    }
    ctx
}

/// A Beijing individual's first filing of a personal blog.
fn individual_order() -> Order {
    let me = person("李雷", "11010519900307123", "13700137000", "lilei@qq.com");
    let mut o = company_order();
    o.province = ProvinceCode::parse("11").unwrap();
    o.subject = Subject {
        nature: SubjectNature::Individual,
        name: "李雷".into(),
        certificate: me.certificate.clone(),
        region: "110105".into(),
        certificate_address: "北京市朝阳区建国路1号".into(),
        mailing_address: "北京市朝阳区建国路1号院2号楼301室".into(),
        head: me.clone(),
        head_is_legal_representative: false,
        residence_permit: false,
        investor: None,
        existing_number: None,
        remark: None,
    };
    let mut w = site("李雷的读书笔记", "lilei.cn", me);
    w.service_content = vec!["博客/个人空间".into()];
    w.remark = Some("个人读书笔记，记录读过的书和感想，无经营性内容。".into());
    o.websites = vec![w];
    o
}

fn individual_context() -> Context {
    let mut ctx = company_context();
    ctx.domains.insert(
        "lilei.cn".into(),
        DomainFacts {
            holder_name: Some("李雷".into()),
            holder_certificate: Some(resident_id("11010519900307123")),
            realname_record: Some(true),
            realname_verified_on: Some(date!(2026 - 01 - 05)),
            expires_on: Some(date!(2030 - 01 - 01)),
            registrar_approved: Some(true),
            registrar: None,
            resolves: Some(false),
        },
    );
    ctx
}

/// A company order with one Android and iOS app instead of websites.
fn app_order() -> Order {
    let mut o = company_order();
    let head = o.subject.head.clone();
    o.websites.clear();
    o.apps = vec![App {
        name: "阿里云".into(),
        kind: ServiceKind::App,
        platforms: vec![
            AppPlatform {
                platform: Platform::Android,
                package_id: "com.alibaba.aliyun".into(),
                signature_hash: "4ac37fbfd3f2a1c5e0d9d6bf3e2f1a77".into(),
                public_key: "9".repeat(300),
            },
            AppPlatform {
                platform: Platform::Ios,
                package_id: "com.alibaba.aliyun".into(),
                signature_hash: "3f786850e387550fdab836ed7e6dc881de23001b".into(),
                public_key: "c1".repeat(128),
            },
        ],
        domains: vec!["aliyun.com".into()],
        service_content: vec!["软件开发".into()],
        languages: vec!["中文简体".into()],
        pre_approvals: vec![],
        head,
        access: Access {
            ips: vec!["47.96.1.10".into()],
            service_number: Some("4f9f0d9c-0002".into()),
            method: None,
        },
        remark: None,
        existing_number: None,
    }];
    o
}

fn filed(services: Vec<FiledService>) -> FiledSubject {
    FiledSubject {
        number: "浙ICP备2026012345号".into(),
        head_certificate: Some(resident_id("33010619800101123")),
        certificate: Some("91330106673959654P".into()),
        services,
    }
}

fn filed_site(seq: u32, domain: &str) -> FiledService {
    FiledService {
        number: format!("浙ICP备2026012345号-{seq}"),
        kind: ServiceKind::Website,
        domains: vec![domain.into()],
        reachable: Some(true),
        footer_ok: Some(true),
    }
}

/// Turns the company fixture into a new-site order of a filed subject.
fn as_new_site(o: &mut Order, c: &mut Context) {
    o.kind = OrderKind::NewServiceHere;
    o.subject.existing_number = Some("浙ICP备2026012345号".into());
    o.websites.truncate(1);
    c.on_file = Some(filed(vec![filed_site(1, "taobao.com")]));
}

type Mutation = fn(&mut Order, &mut Context);

enum Base {
    Company,
    Individual,
    App,
}

fn base(b: &Base) -> (Order, Context) {
    match b {
        Base::Company => (company_order(), company_context()),
        Base::Individual => (individual_order(), individual_context()),
        Base::App => (app_order(), company_context()),
    }
}

fn js(o: &mut Order) {
    o.province = ProvinceCode::parse("32").unwrap();
    o.subject.region = "320102".into();
    o.subject.certificate.number = uscc_in("320102");
    o.subject.mailing_address = "江苏省南京市玄武区中山路1号".into();
    o.subject.head.office_phone = Some("025-84561234".into());
}

fn uscc_in(region: &str) -> String {
    let first17 = format!("91{region}673959654");
    let b: [u8; 17] = first17.as_bytes().try_into().unwrap();
    format!("{first17}{}", crate::id::uscc_check_char(&b))
}

/// (rule code, base fixture, mutation that must make the rule fire)
fn cases() -> Vec<(&'static str, Base, Mutation)> {
    use Base::*;
    vec![
        // Subject
        ("SUBJECT_NAME_MISSING", Company, |o, _| o.subject.name = " ".into()),
        ("SUBJECT_NAME_FORM", Company, |o, _| o.subject.name = "aliyun.com".into()),
        ("SUBJECT_NATURE_MISMATCH", Company, |o, _| o.subject.nature = SubjectNature::Institution),
        ("SUBJECT_CERT_KIND", Company, |o, _| o.subject.certificate.kind = CertificateKind::ResidentId),
        ("SUBJECT_CERT_INVALID", Company, |o, _| o.subject.certificate.number = "91330106673959654I".into()),
        ("SUBJECT_CERT_CHECK_CHAR", Company, |o, _| {
            o.subject.certificate.number = "91330106673959654X".into()
        }),
        ("SUBJECT_SOLE_PROPRIETOR_NATURE", Company, |o, _| o.subject.nature = SubjectNature::SoleProprietor),
        ("SUBJECT_CERT_PILOT_CHECK", Company, |o, c| {
            o.subject.certificate.number = uscc_in("330106").replacen("673959654", "673959650", 1);
            let first17 = &o.subject.certificate.number[..17];
            let b: [u8; 17] = first17.as_bytes().try_into().unwrap();
            o.subject.certificate.number = format!("{first17}{}", crate::id::uscc_check_char(&b));
            for f in c.domains.values_mut() {
                f.holder_certificate = None;
            }
        }),
        ("SUBJECT_CROSS_PROVINCE", Company, |o, c| {
            o.subject.certificate.number = uscc_in("110105");
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
        }),
        ("SUBJECT_REGION_INVALID", Company, |o, _| o.subject.region = "330199".into()),
        ("SUBJECT_REGION_PROVINCE", Company, |o, _| o.subject.region = "320102".into()),
        ("SUBJECT_ADDRESS_MISSING", Company, |o, _| o.subject.certificate_address = String::new()),
        ("SUBJECT_ADDRESS_DETAIL", Company, |o, _| o.subject.mailing_address = "浙江省杭州市西湖区".into()),
        ("SUBJECT_ADDRESS_PROVINCE", Company, |o, _| {
            o.subject.mailing_address = "江苏省南京市中山路1号".into()
        }),
        ("SUBJECT_ADDRESS_CITY", Company, |o, c| {
            // Hebei requires the same city: a Shijiazhuang subject with a Tangshan address.
            o.province = ProvinceCode::parse("13").unwrap();
            o.subject.region = "130102".into();
            o.subject.certificate.number = uscc_in("130102");
            o.subject.mailing_address = "河北省唐山市路北区建设路8号".into();
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
        }),
        ("SUBJECT_HEAD_LEGAL_REP", Company, |o, _| o.subject.head_is_legal_representative = false),
        ("SUBJECT_INDIVIDUAL_IDENTITY", Individual, |o, _| o.subject.name = "韩梅梅".into()),
        ("SUBJECT_INDIVIDUAL_AGE", Individual, |o, c| {
            // Tianjin: individuals must be 18.
            let id = resident_id("12010120100307123");
            o.province = ProvinceCode::parse("12").unwrap();
            o.subject.region = "120101".into();
            o.subject.mailing_address = "天津市和平区南京路1号".into();
            o.subject.certificate.number = id.clone();
            o.subject.head.certificate.number = id.clone();
            o.websites[0].head.certificate.number = id.clone();
            c.domains.get_mut("lilei.cn").unwrap().holder_certificate = Some(id);
        }),
        ("SUBJECT_INDIVIDUAL_AGE_REVIEW", Individual, |o, c| {
            // Jiangsu: 16-17 go to review.
            let id = resident_id("32010220090307123");
            o.province = ProvinceCode::parse("32").unwrap();
            o.subject.region = "320102".into();
            o.subject.mailing_address = "江苏省南京市玄武区中山路1号".into();
            o.subject.certificate.number = id.clone();
            o.subject.head.certificate.number = id.clone();
            o.websites[0].head.certificate.number = id.clone();
            c.domains.get_mut("lilei.cn").unwrap().holder_certificate = Some(id);
        }),
        ("SUBJECT_INDIVIDUAL_RESIDENCE", Individual, |o, _| {
            // Shanghai accepts a residence permit, which this applicant does not have.
            o.province = ProvinceCode::parse("31").unwrap();
            o.subject.region = "310101".into();
            o.subject.mailing_address = "上海市黄浦区南京东路1号".into();
        }),
        ("SUBJECT_INDIVIDUAL_RESIDENCE_REVIEW", Individual, |o, _| {
            // Hainan's rule is not on file.
            o.province = ProvinceCode::parse("46").unwrap();
            o.subject.region = "460105".into();
            o.subject.mailing_address = "海南省海口市秀英区海秀路1号".into();
        }),
        ("SUBJECT_NUMBER_REQUIRED", Company, |o, c| {
            as_new_site(o, c);
            o.subject.existing_number = None;
        }),
        ("SUBJECT_NUMBER_INVALID", Company, |o, c| {
            as_new_site(o, c);
            o.subject.existing_number = Some("浙ICP备XXXXXXXX号".into());
        }),
        ("SUBJECT_NUMBER_PROVINCE", Company, |o, c| {
            as_new_site(o, c);
            o.subject.existing_number = Some("京ICP备16020626号".into());
        }),
        ("SUBJECT_GOVERNMENT_DOMAIN", Company, |o, _| {
            o.subject.nature = SubjectNature::Government;
            o.subject.name = "杭州市西湖区人民政府".into();
            o.subject.certificate.kind = CertificateKind::UsccCertificate;
            o.websites.truncate(1);
            o.websites[0].name = "西湖区人民政府门户网站".into();
        }),
        // Persons
        ("PERSON_NAME_INVALID", Company, |o, _| o.websites[1].head.name = "赵6".into()),
        ("PERSON_CERT_INVALID", Company, |o, _| {
            o.websites[1].head.certificate.number = "330106198502022340".into()
        }),
        ("PERSON_CERT_KIND", Company, |o, _| {
            o.websites[1].head.certificate.kind = CertificateKind::BusinessLicence
        }),
        ("PERSON_CERT_EXPIRED", Company, |o, _| {
            o.websites[1].head.certificate_valid_until = Some(ValidUntil::Date(date!(2026 - 01 - 01)))
        }),
        ("PERSON_CERT_EXPIRING", Company, |o, _| {
            o.websites[1].head.certificate_valid_until = Some(ValidUntil::Date(date!(2027 - 01 - 15)))
        }),
        ("PERSON_MOBILE_INVALID", Company, |o, _| o.websites[1].head.mobile = "1390013900".into()),
        ("PERSON_MOBILE_VIRTUAL", Company, |o, _| {
            for w in &mut o.websites[1..] {
                w.head.mobile = "17012345678".into();
            }
        }),
        ("PERSON_MOBILE_NOT_LOCAL", Company, |o, _| {
            // Jiangsu wants the site heads' mobiles from Jiangsu: a Zhejiang number.
            js(o);
            o.websites[1].head.mobile = "13575712345".into();
        }),
        ("PERSON_EMERGENCY_INVALID", Company, |o, _| o.websites[1].head.emergency_phone = "12345".into()),
        ("PERSON_EMERGENCY_SAME", Company, |o, _| o.websites[1].head.emergency_phone = "13800138000".into()),
        ("PERSON_EMAIL_INVALID", Company, |o, _| o.websites[1].head.email = "zhaoliu@".into()),
        ("PERSON_CONTACT_SHARED", Company, |o, _| o.websites[1].head.mobile = "13800138000".into()),
        ("PERSON_MOBILE_OTHER_SUBJECT", Company, |_, c| {
            c.mobiles_used_by_other_subjects = vec!["+86 139 0013 9000".into()]
        }),
        ("PERSON_OFFICE_PHONE_INVALID", Company, |o, _| {
            o.websites[1].head.office_phone = Some("办公室".into())
        }),
        ("PERSON_OFFICE_LANDLINE_REQUIRED", Company, |o, c| {
            js(o);
            o.subject.head.office_phone = Some("13800138000".into());
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
        }),
        ("PERSON_OFFICE_SAME_AS_MOBILE", Individual, |o, _| {
            o.subject.head.office_phone = Some("13700137000".into())
        }),
        ("PERSON_MINOR", Company, |o, _| {
            o.websites[1].head.certificate.number = resident_id("33010620100202234")
        }),
        ("PERSON_SITE_HEAD_OTHER_COMPANY", Company, |o, c| {
            c.site_heads_of_other_companies = vec![o.websites[1].head.certificate.number.to_lowercase()]
        }),
        ("PERSON_SITE_HEAD_REPEATED", Company, |o, c| {
            o.province = ProvinceCode::parse("44").unwrap();
            o.subject.region = "440106".into();
            o.subject.certificate.number = uscc_in("440106");
            o.subject.mailing_address = "广东省广州市天河区体育西路1号".into();
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
            c.site_heads_of_other_subjects = vec![o.websites[1].head.certificate.number.clone()];
        }),
        ("PERSON_AUTHORIZATION_REQUIRED", Company, |o, c| {
            // Shanghai: site heads who are not the legal representative need a letter.
            o.province = ProvinceCode::parse("31").unwrap();
            o.subject.region = "310101".into();
            o.subject.certificate.number = uscc_in("310101");
            o.subject.mailing_address = "上海市黄浦区南京东路1号".into();
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
            c.domains.values_mut().for_each(|f| f.expires_on = Some(date!(2031 - 01 - 01)));
        }),
        ("PERSON_SITE_HEAD_SAME", Company, |o, c| {
            js(o);
            o.subject.head_is_legal_representative = false;
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
        }),
        ("PERSON_HEAD_CHANGED", Company, |o, c| {
            js(o);
            as_new_site(o, c);
            o.subject.existing_number = Some("苏ICP备2026012345号".into());
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
            c.on_file.as_mut().unwrap().head_certificate = Some(resident_id("32010219700101123"));
        }),
        // Services
        ("SERVICE_NAME_MISSING", Company, |o, _| o.websites[1].name = String::new()),
        ("SERVICE_NAME_TOO_SHORT", Company, |o, _| o.websites[1].name = "阿里".into()),
        ("SERVICE_NAME_FORM", Company, |o, _| o.websites[1].name = "Aliyun Docs".into()),
        ("SERVICE_NAME_SYMBOLS", Company, |o, _| o.websites[1].name = "阿里云文档中心!".into()),
        ("SERVICE_NAME_NATIONAL", Company, |o, _| o.websites[1].name = "阿里云中国文档中心".into()),
        ("SERVICE_NAME_SENSITIVE", Company, |o, _| o.websites[1].name = "阿里云维权中心".into()),
        ("SERVICE_NAME_GOVERNMENT", Company, |o, _| o.websites[1].name = "阿里云政务服务".into()),
        ("SERVICE_NAME_INDIVIDUAL", Individual, |o, _| o.websites[0].name = "李雷的读书网站".into()),
        ("SERVICE_NAME_INDIVIDUAL_DISCOURAGED", Individual, |o, _| {
            o.websites[0].name = "李雷的设计笔记".into()
        }),
        ("SERVICE_NAME_COMPANY_FORM", Individual, |o, _| o.websites[0].name = "李雷读书有限公司".into()),
        ("SERVICE_NAME_PRE_APPROVAL", Company, |o, _| o.websites[1].name = "阿里云视频中心".into()),
        ("SERVICE_NAME_UNRELATED", Company, |o, _| o.websites[1].name = "淘宝购物中心".into()),
        ("SERVICE_NAME_OTHER_ORG", Company, |o, _| o.websites[1].name = "腾讯科技有限公司官网".into()),
        ("SERVICE_NAME_INTERNATIONAL", Company, |o, _| o.websites[1].name = "阿里云联合国文档中心".into()),
        ("SERVICE_TEXT_PRE_APPROVAL", Company, |o, _| {
            o.websites[1].remark = Some("介绍阿里云产品，并提供理财产品的购买入口。".into())
        }),
        ("SERVICE_REMARK_INTERACTIVE", Individual, |o, _| {
            o.websites[0].remark = Some("个人读书笔记，网友可以在每篇文章下留言讨论。".into())
        }),
        ("SERVICE_CONTENT_MISSING", Company, |o, _| o.websites[1].service_content.clear()),
        ("SERVICE_CONTENT_INDIVIDUAL", Individual, |o, _| {
            o.websites[0].service_content = vec!["企业官网".into()]
        }),
        ("SERVICE_CONTENT_TOO_MANY", Company, |o, _| {
            o.websites[1].service_content = (1..=6).map(|i| format!("内容{i}")).collect()
        }),
        ("SERVICE_LANGUAGE_MISSING", Company, |o, _| o.websites[1].languages.clear()),
        ("SERVICE_REMARK_REQUIRED", Individual, |o, _| o.websites[0].remark = Some("读书".into())),
        ("PRE_APPROVAL_KIND_UNKNOWN", Company, |o, _| {
            o.websites[1].pre_approvals =
                vec![PreApproval { kind: "astrology".into(), number: "1".into(), document: None }]
        }),
        ("PRE_APPROVAL_DUPLICATE", Company, |o, _| {
            let p = PreApproval { kind: "news".into(), number: "10120170001".into(), document: None };
            o.websites[1].pre_approvals = vec![p.clone(), p];
        }),
        ("PRE_APPROVAL_NUMBER_MISSING", Company, |o, _| {
            o.websites[1].pre_approvals =
                vec![PreApproval { kind: "news".into(), number: " ".into(), document: None }]
        }),
        ("PRE_APPROVAL_INDIVIDUAL", Individual, |o, _| {
            o.websites[0].pre_approvals =
                vec![PreApproval { kind: "news".into(), number: "1".into(), document: None }]
        }),
        // Domains
        ("DOMAIN_MISSING", Company, |o, _| o.websites[1].domains.clear()),
        ("DOMAIN_INVALID", Company, |o, _| o.websites[1].domains = vec!["http://alibabacloud.com/".into()]),
        ("DOMAIN_NOT_REGISTRABLE", Company, |o, _| {
            o.websites[1].domains = vec!["www.alibabacloud.com".into()]
        }),
        ("DOMAIN_TLD_NOT_APPROVED", Company, |o, _| o.websites[1].domains = vec!["alibabacloud.io".into()]),
        ("DOMAIN_DUPLICATE", Company, |o, _| o.websites[1].domains = vec!["ALIYUN.com".into()]),
        ("DOMAIN_ORDER_LIMIT", Company, |o, c| {
            // Hubei: one domain per order.
            o.province = ProvinceCode::parse("42").unwrap();
            o.subject.region = "420102".into();
            o.subject.certificate.number = uscc_in("420102");
            o.subject.mailing_address = "湖北省武汉市江岸区沿江大道1号".into();
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
            for w in &mut o.websites {
                w.head = o.subject.head.clone();
                w.head.authorization_letter = true;
            }
        }),
        ("DOMAIN_REALNAME_MISSING", Company, |_, c| {
            c.domains.get_mut("aliyuncs.com").unwrap().realname_record = Some(false);
        }),
        ("DOMAIN_SITE_LIMIT", Company, |o, _| {
            // Xinjiang: one domain per site.
            o.province = ProvinceCode::parse("65").unwrap();
            o.websites[0].domains.push("example.cn".into());
        }),
        ("DOMAIN_FIRST_FILING_LIMIT", Company, |o, _| {
            // Hainan: one domain at first filing; the fixture files three.
            o.province = ProvinceCode::parse("46").unwrap();
        }),
        ("DOMAIN_REALNAME_UNKNOWN", Company, |_, c| {
            c.domains.remove("aliyuncs.com");
        }),
        ("DOMAIN_REALNAME_NOT_SYNCED", Company, |_, c| {
            c.domains.get_mut("aliyuncs.com").unwrap().realname_verified_on = Some(date!(2026 - 11 - 26))
        }),
        ("DOMAIN_HOLDER_MISMATCH", Company, |_, c| {
            c.domains.get_mut("aliyuncs.com").unwrap().holder_name = Some("王五".into())
        }),
        ("DOMAIN_EXPIRED", Company, |_, c| {
            c.domains.get_mut("aliyuncs.com").unwrap().expires_on = Some(date!(2026 - 11 - 01))
        }),
        ("DOMAIN_EXPIRING", Company, |_, c| {
            c.domains.get_mut("aliyuncs.com").unwrap().expires_on = Some(date!(2027 - 01 - 01))
        }),
        ("DOMAIN_REGISTRAR_NOT_APPROVED", Company, |_, c| {
            c.domains.get_mut("aliyuncs.com").unwrap().registrar_approved = Some(false)
        }),
        ("DOMAIN_FILED_ELSEWHERE", Company, |_, c| {
            c.domains_filed_elsewhere = vec!["www.aliyuncs.com".into()]
        }),
        ("DOMAIN_BLACKLISTED", Company, |_, c| c.domains_blacklisted = vec!["aliyuncs.com".into()]),
        ("DOMAIN_SERVED_UNFILED", Company, |_, c| c.domains_served_unfiled = vec!["www.aliyuncs.com".into()]),
        ("SUBJECT_BLACKLISTED", Company, |_, c| c.subject_blacklisted = true),
        ("DOMAIN_RESOLVES_DURING_REVIEW", Company, |_, c| {
            c.domains.get_mut("aliyuncs.com").unwrap().resolves = Some(true)
        }),
        ("DOMAIN_CONSTRUCTION_PLAN", Company, |o, c| {
            js(o);
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
            c.on_file = Some(filed((1..=30).map(|i| filed_site(i, &format!("site{i}.cn"))).collect()));
            o.kind = OrderKind::NewServiceHere;
            o.subject.existing_number = Some("苏ICP备2026012345号".into());
            c.on_file.as_mut().unwrap().number = "苏ICP备2026012345号".into();
            c.on_file.as_mut().unwrap().head_certificate = None;
            for w in &mut o.websites {
                w.head = o.subject.head.clone();
            }
        }),
        // Access
        ("ACCESS_IP_MISSING", Company, |o, _| o.websites[1].access.ips.clear()),
        ("ACCESS_IP_INVALID", Company, |o, _| o.websites[1].access.ips = vec!["192.168.1.10".into()]),
        ("ACCESS_IP_NOT_PROVIDER", Company, |o, _| o.websites[1].access.ips = vec!["8.8.8.8".into()]),
        ("ACCESS_SERVICE_NUMBER_MISSING", Company, |o, _| o.websites[1].access.service_number = None),
        ("ACCESS_SERVICE_NUMBER_UNKNOWN", Company, |_, c| {
            c.service_numbers = Some([("7d1e55aa-0009".to_owned(), 5)].into_iter().collect());
        }),
        ("ACCESS_SERVICE_NUMBER_EXHAUSTED", Company, |o, c| {
            for w in &mut o.websites {
                w.access.service_number = Some("4f9f0d9c-0001".into());
            }
            c.service_numbers = Some([("4f9f0d9c-0001".to_owned(), 2)].into_iter().collect());
        }),
        // Apps
        ("APP_PLATFORM_MISSING", App, |o, _| o.apps[0].platforms.clear()),
        ("APP_PLATFORM_DUPLICATE", App, |o, _| o.apps[0].platforms[1].platform = Platform::Android),
        ("APP_PACKAGE_ID_INVALID", App, |o, _| o.apps[0].platforms[0].package_id = "aliyun".into()),
        ("APP_SIGNATURE_FORMAT", App, |o, _| {
            // The classic mistake: an MD5 in the iOS field.
            o.apps[0].platforms[1].signature_hash = "4ac37fbfd3f2a1c5e0d9d6bf3e2f1a77".into()
        }),
        ("APP_PUBLIC_KEY_FORMAT", App, |o, _| {
            o.apps[0].platforms[0].public_key = "-----BEGIN PUBLIC KEY-----MIIBIjANBgkqhkiG9w0B".into()
        }),
        ("APP_NAME_MARKETING", App, |o, _| o.apps[0].name = "阿里云免费版".into()),
        ("APP_NAME_EMOJI", App, |o, _| o.apps[0].name = "阿里云☁".into()),
        // Order
        ("ORDER_NO_SERVICES", Company, |o, _| o.websites.clear()),
        ("ORDER_SERVICE_LIMIT", Individual, |o, c| {
            let mut second = o.websites[0].clone();
            second.domains = vec!["example.cn".into()];
            o.websites.push(second);
            c.domains.get_mut("example.cn").unwrap().holder_name = Some("李雷".into());
            c.domains.get_mut("example.cn").unwrap().holder_certificate = None;
        }),
        ("ORDER_INDIVIDUAL_SERVICE_LIMIT", Individual, |_, c| {
            c.on_file = Some(filed((1..=5).map(|i| filed_site(i, &format!("site{i}.cn"))).collect()));
        }),
        ("ORDER_INDIVIDUAL_MIXED", Individual, |o, _| {
            let mut app = app_order().apps.remove(0);
            app.head = o.subject.head.clone();
            o.apps.push(app);
        }),
        ("ORDER_KIND_MISMATCH", Company, |_, c| c.on_file = Some(filed(vec![filed_site(1, "taobao.com")]))),
        ("ORDER_OPEN_ORDER", Company, |_, c| c.open_orders = 1),
        ("ORDER_CHANGE_PENDING", Company, |o, c| {
            as_new_site(o, c);
            c.pending_change = true;
        }),
        ("ORDER_EXISTING_SITE_UNREACHABLE", Company, |o, c| {
            as_new_site(o, c);
            c.on_file.as_mut().unwrap().services[0].reachable = Some(false);
        }),
        ("ORDER_EXISTING_SITE_FOOTER", Company, |o, c| {
            as_new_site(o, c);
            c.on_file.as_mut().unwrap().services[0].footer_ok = Some(false);
        }),
        ("ORDER_SHELL_SUBJECT", Company, |o, c| {
            // Hubei does not let an empty shell add a service.
            as_new_site(o, c);
            o.province = ProvinceCode::parse("42").unwrap();
            o.subject.region = "420102".into();
            o.subject.certificate.number = uscc_in("420102");
            o.subject.mailing_address = "湖北省武汉市江岸区沿江大道1号".into();
            o.subject.existing_number = Some("鄂ICP备2026012345号".into());
            o.websites[0].head.authorization_letter = true;
            c.domains.values_mut().for_each(|f| f.holder_certificate = None);
            c.on_file.as_mut().unwrap().services.clear();
        }),
        ("ORDER_TARGET_REQUIRED", Company, |o, c| {
            as_new_site(o, c);
            o.kind = OrderKind::CancelService;
        }),
        ("ORDER_TARGET_INVALID", Company, |o, c| {
            as_new_site(o, c);
            o.kind = OrderKind::CancelService;
            o.target_numbers = vec!["浙ICP备2026012345号-7".into()];
        }),
        ("ORDER_MIGRATION_NOT_ALLOWED", Company, |o, c| {
            as_new_site(o, c);
            o.kind = OrderKind::MigrateService;
            c.on_file.as_mut().unwrap().services[0].number = "浙ICP备2026012345号-1A".into();
            c.on_file.as_mut().unwrap().services[0].kind = ServiceKind::App;
            o.target_numbers = vec!["浙ICP备2026012345号-1A".into()];
        }),
        ("ORDER_CHANGE_IMMUTABLE", Company, |o, c| {
            as_new_site(o, c);
            o.kind = OrderKind::ChangeSubject;
            c.on_file.as_mut().unwrap().certificate = Some("91310110666007217T".into());
        }),
        ("ORDER_CHANGE_EMPTY", Company, |o, c| {
            as_new_site(o, c);
            o.kind = OrderKind::ChangeService;
            o.websites[0].existing_number = Some("浙ICP备2026012345号-1".into());
            c.as_filed = Some(Box::new(o.clone()));
        }),
    ]
}

/// A change started from the filing: its kind must be what changed.
#[test]
fn a_change_names_the_kind_of_what_it_changed() {
    let (mut o, mut c) = base(&Base::Company);
    as_new_site(&mut o, &mut c);
    o.kind = OrderKind::ChangeSubject;
    c.as_filed = Some(Box::new(o.clone()));
    o.websites[0].name = "新的网站名称".into();
    let f = check(&o, &c);
    let m = f.iter().find(|f| f.code == "ORDER_KIND_MISMATCH").expect("the kind is the site's change");
    assert!(m.message.get(crate::message::Lang::Zh).contains("变更网站"), "{m:?}");
    o.kind = OrderKind::ChangeService;
    assert!(!codes(&check(&o, &c)).contains("ORDER_KIND_MISMATCH"));
    assert!(!codes(&check(&o, &c)).contains("ORDER_CHANGE_IMMUTABLE"));
    // What a change cannot change: the nature, the certificate kind, a site's number.
    for (field, edit) in [
        ("subject.nature", (|o: &mut Order| o.subject.nature = SubjectNature::Institution) as fn(&mut Order)),
        ("subject.certificate.kind", |o| o.subject.certificate.kind = CertificateKind::UsccCertificate),
        ("websites", |o| o.websites[0].existing_number = Some("浙ICP备2026012345号-9".into())),
    ] {
        let mut d = o.clone();
        edit(&mut d);
        let f = check(&d, &c);
        assert!(
            f.iter().any(|f| f.code == "ORDER_CHANGE_IMMUTABLE" && f.field == field),
            "{field}: {:?}",
            codes(&f)
        );
    }
}

fn codes(findings: &[Finding]) -> BTreeSet<&str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn fixtures_are_clean() {
    for b in [Base::Company, Base::Individual, Base::App] {
        let (o, c) = base(&b);
        let f = check(&o, &c);
        assert!(f.is_empty(), "{:#?}", f);
    }
}

#[test]
fn every_rule_fires_on_its_failing_example() {
    let mut failures = Vec::new();
    for (code, b, mutate) in cases() {
        let (mut o, mut c) = base(&b);
        assert!(!codes(&check(&o, &c)).contains(code), "{code} fires on the clean fixture");
        mutate(&mut o, &mut c);
        let f = check(&o, &c);
        let got = codes(&f);
        if !got.contains(code) {
            failures.push(format!("{code}: got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "rules that did not fire:\n{}", failures.join("\n"));
}

#[test]
fn every_catalog_rule_has_a_case() {
    let tested: BTreeSet<&str> = cases().iter().map(|c| c.0).collect();
    let missing: Vec<&str> = crate::policy::PolicySet::builtin()
        .rules()
        .map(|r| r.code.as_str())
        // PSB rules check a PSB application; their cases are in rules/psb.rs.
        .filter(|c| !c.starts_with("PSB_") && !tested.contains(c))
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
    assert!(tested.len() >= 50);
}

/// rules.md §6.2: a real, legally issued pilot-era code failing GB 32100's check goes to a
/// reviewer; it never blocks.
#[test]
fn a_pilot_era_uscc_is_reviewed_never_blocked() {
    for pilot in ["91350211M00013FA1N", "91350100M0001TGQXM", "91350211M0000XUF46", "91350203M0001FUE2P"] {
        let (mut o, c) = base(&Base::Company);
        o.subject.certificate.number = pilot.into();
        let f = check(&o, &c);
        let flagged =
            f.iter().find(|f| f.code == "SUBJECT_CERT_CHECK_CHAR").unwrap_or_else(|| panic!("{pilot}"));
        assert_eq!(flagged.severity, crate::policy::Severity::Review);
        assert!(!f.iter().any(|f| f.code == "SUBJECT_CERT_INVALID"), "{pilot}: {f:#?}");
    }
}

/// The new name and text rules stay quiet on what is allowed: the subject's own name with its
/// form word, a declared pre-approval, a unit describing comments.
#[test]
fn name_and_text_rules_leave_the_allowed_alone() {
    let (mut o, c) = base(&Base::Company);
    o.websites[0].name = "阿里云计算有限公司官网".into();
    o.websites[1].name = "阿里云计算公司文档中心".into();
    o.websites[1].remark = Some("产品文档，读者可以在文档下留言反馈。".into());
    o.websites[2].remark = Some("新闻发布".into());
    o.websites[2].pre_approvals =
        vec![PreApproval { kind: "news".into(), number: "33120190001".into(), document: None }];
    let got = codes(&check(&o, &c)).into_iter().map(str::to_owned).collect::<Vec<_>>();
    for code in ["SERVICE_NAME_OTHER_ORG", "SERVICE_TEXT_PRE_APPROVAL", "SERVICE_REMARK_INTERACTIVE"] {
        assert!(!got.iter().any(|g| g == code), "{code} in {got:?}");
    }
}

#[test]
fn findings_carry_field_messages_fix_and_source() {
    let (mut o, c) = base(&Base::Company);
    o.websites[1].name = "阿里".into();
    let f = check(&o, &c);
    let short = f.iter().find(|f| f.code == "SERVICE_NAME_TOO_SHORT").unwrap();
    assert_eq!(short.field, "websites[1].name");
    assert_eq!(short.severity, crate::policy::Severity::Error);
    assert_eq!(short.message.zh, "名称至少需要3个汉字。");
    assert_eq!(short.message.en, "The name needs at least 3 Chinese characters.");
    assert_eq!(short.source, "TC-name-rej");
    assert!(!short.suggestion.zh.is_empty());
    assert!(has_errors(&f));
}

#[test]
fn pii_in_messages_is_masked() {
    let (mut o, mut c) = base(&Base::Company);
    c.mobiles_used_by_other_subjects = vec!["13900139000".into()];
    o.websites[1].head.mobile = "13800138000".into();
    let f = check(&o, &c);
    let text = serde_json::to_string(&f).unwrap();
    assert!(!text.contains("13800138000") && !text.contains("13900139000"), "{text}");
    assert!(text.contains("138****8000"));
    for p in o.persons() {
        assert!(!text.contains(&p.1.certificate.number), "certificate number leaked: {text}");
    }
}

#[test]
fn severity_follows_policy_overrides() {
    let set = crate::policy::PolicySet::from_toml(
        &format!(
            "{}\n[province.33.severity]\nSERVICE_NAME_TOO_SHORT = \"warning\"\n",
            include_str!("../../data/policy.toml")
        ),
        include_str!("../../data/words.toml"),
        include_str!("../../data/sms_recipients.toml"),
        include_str!("../../data/rules.toml"),
    )
    .unwrap();
    let (mut o, c) = base(&Base::Company);
    o.websites[1].name = "阿里".into();
    let f = check_with(&o, &c, &set);
    assert_eq!(
        f.iter().find(|f| f.code == "SERVICE_NAME_TOO_SHORT").unwrap().severity,
        crate::policy::Severity::Warning
    );
}

#[test]
fn check_is_deterministic() {
    let (mut o, c) = base(&Base::Company);
    o.websites[1].name = "Aliyun!".into();
    o.websites[2].head.mobile = "123".into();
    assert_eq!(check(&o, &c), check(&o, &c));
}

/// The JSON schema and the worked examples in `docs/` are generated from the types and the
/// fixtures above; this test fails when they drift. `BEIAN_BLESS=1 cargo test` rewrites them.
#[test]
fn docs_are_current() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let schema = schemars::schema_for!(Order);
    let ctx_schema = schemars::schema_for!(Context);
    let envelope = |o: &Order, c: &Context| serde_json::json!({ "order": o, "context": c });
    let mut bad = individual_order();
    bad.websites[0].name = "李雷的博客".into();
    bad.websites[0].domains = vec!["www.lilei.io".into()];
    bad.subject.head.mobile = "1370013700".into();
    let mut new_site = company_order();
    let mut new_site_ctx = company_context();
    as_new_site(&mut new_site, &mut new_site_ctx);
    let files: Vec<(&str, String)> = vec![
        ("order.schema.json", serde_json::to_string_pretty(&schema).unwrap()),
        ("context.schema.json", serde_json::to_string_pretty(&ctx_schema).unwrap()),
        (
            "examples/first-filing-company.json",
            serde_json::to_string_pretty(&envelope(&company_order(), &company_context())).unwrap(),
        ),
        (
            "examples/first-filing-individual.json",
            serde_json::to_string_pretty(&envelope(&individual_order(), &individual_context())).unwrap(),
        ),
        (
            "examples/first-filing-app.json",
            serde_json::to_string_pretty(&envelope(&app_order(), &company_context())).unwrap(),
        ),
        (
            "examples/new-site.json",
            serde_json::to_string_pretty(&envelope(&new_site, &new_site_ctx)).unwrap(),
        ),
        ("examples/individual-with-errors.json", serde_json::to_string_pretty(&bad).unwrap()),
        (
            "psb.schema.json",
            serde_json::to_string_pretty(&schemars::schema_for!(crate::psb::PsbApplication)).unwrap(),
        ),
        ("examples/psb-application.json", serde_json::to_string_pretty(&super::psb::tests::clean()).unwrap()),
    ];
    let bless = std::env::var_os("BEIAN_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, content) in files {
        let path = docs.join(name);
        let content = content + "\n";
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "docs out of date (run BEIAN_BLESS=1 cargo test -p beian-core docs_are_current): {stale:?}"
    );
}

/// Every code a rule module emits is in the catalog (the other direction of
/// `every_catalog_rule_has_a_case`), checked on the source so untested branches count too.
#[test]
fn every_emitted_code_is_in_the_catalog() {
    let sources = [
        include_str!("access.rs"),
        include_str!("apps.rs"),
        include_str!("domains.rs"),
        include_str!("order.rs"),
        include_str!("persons.rs"),
        include_str!("psb.rs"),
        include_str!("services.rs"),
        include_str!("subject.rs"),
    ];
    let set = crate::policy::PolicySet::builtin();
    let mut emitted = 0;
    for src in sources {
        for (i, _) in src.match_indices('"') {
            let rest = &src[i + 1..];
            let Some(end) = rest.find('"') else { continue };
            let lit = &rest[..end];
            let looks_like_code = lit.len() > 6
                && lit.contains('_')
                && lit.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && [
                    "SUBJECT_",
                    "PERSON_",
                    "SERVICE_",
                    "PRE_APPROVAL_",
                    "DOMAIN_",
                    "ACCESS_",
                    "APP_",
                    "ORDER_",
                    "PSB_",
                ]
                .iter()
                .any(|p| lit.starts_with(p));
            if looks_like_code {
                emitted += 1;
                assert!(set.rule(lit).is_some(), "{lit} is emitted but not in data/rules.toml");
            }
        }
    }
    assert!(emitted >= 100, "found only {emitted} emitted codes");
}

/// Access is cancelled for several services in one order; a cancellation names one.
#[test]
fn access_is_withdrawn_from_several_services_at_once_and_each_is_checked() {
    let (mut o, mut c) = base(&Base::Company);
    as_new_site(&mut o, &mut c);
    c.on_file = Some(filed(vec![filed_site(1, "taobao.com"), filed_site(2, "tmall.com")]));
    o.kind = OrderKind::CancelAccess;
    o.target_numbers = vec!["浙ICP备2026012345号-1".into(), "浙ICP备2026012345号-2".into()];
    let first = check(&o, &c);
    let got = codes(&first);
    assert!(!got.contains("ORDER_TARGET_REQUIRED") && !got.contains("ORDER_TARGET_INVALID"), "{got:?}");
    // Each is checked: one that is not the subject's, one named twice.
    o.target_numbers.push("浙ICP备2026012345号-9".into());
    o.target_numbers.push("浙ICP备2026012345号-1".into());
    let f = check(&o, &c);
    let fields: Vec<&str> =
        f.iter().filter(|x| x.code == "ORDER_TARGET_INVALID").map(|x| x.field.as_str()).collect();
    assert_eq!(fields, ["target_numbers[2]", "target_numbers[3]"]);
    // A cancellation of services still names one per order.
    o.kind = OrderKind::CancelService;
    o.target_numbers.truncate(2);
    assert!(codes(&check(&o, &c)).contains("ORDER_TARGET_REQUIRED"));
}

#[test]
fn a_local_mobile_is_asked_for_where_the_province_wants_one() {
    let not_local = |o: &Order, c: &Context| -> Vec<String> {
        check(o, c).into_iter().filter(|f| f.code == "PERSON_MOBILE_NOT_LOCAL").map(|f| f.field).collect()
    };
    let (mut o, c) = base(&Base::Company);
    // Zhejiang asks nothing of the Beijing and Shanghai numbers of the fixture.
    assert!(not_local(&o, &c).is_empty());
    // Jiangsu asks it of the site heads only: the subject head's Beijing number passes.
    js(&mut o);
    for w in &mut o.websites {
        w.head.mobile = "13951234567".into();
    }
    assert!(not_local(&o, &c).is_empty(), "Jiangsu numbers for Jiangsu sites");
    o.websites[1].head.mobile = "13575712345".into();
    assert_eq!(not_local(&o, &c), ["websites[1].head.mobile"]);
    let f = check(&o, &c).into_iter().find(|f| f.code == "PERSON_MOBILE_NOT_LOCAL").unwrap();
    let zh = f.message.get(crate::message::Lang::Zh);
    assert!(zh.contains("江苏") && zh.contains("浙江") && zh.contains("135****2345"), "{zh}");
    // Hunan asks it of everyone, the subject head too; a block the data does not place passes.
    let (mut o, c) = base(&Base::Company);
    o.province = ProvinceCode::parse("43").unwrap();
    let fields = not_local(&o, &c);
    assert!(fields.contains(&"subject.head.mobile".to_owned()), "{fields:?}");
    o.subject.head.mobile = "+86 139 0731 1234".into();
    assert!(!not_local(&o, &c).contains(&"subject.head.mobile".to_owned()));
    o.subject.head.mobile = "17112345678".into();
    assert!(!not_local(&o, &c).contains(&"subject.head.mobile".to_owned()));
}
