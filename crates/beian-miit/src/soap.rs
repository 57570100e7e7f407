//! The six methods as SOAP 1.1 calls: the envelopes both sides exchange, and the WSDL that
//! describes them.
//!
//! The spec names the methods and their arguments (all plain strings or numbers, answered by
//! an XML string whose root is `<return>`), but not the SOAP binding, the namespace or the
//! actions (its open point 8). So:
//! - the simulator serves a **document/literal wrapped** WSDL ([`wsdl`]) and, reading a call,
//!   accepts that shape and RPC style alike — both put one element named after the method in
//!   the body, its children the arguments — whatever their namespaces, with argument names
//!   matched without regard to case (`ispId`, `ispID`);
//! - the provider reads the namespace, the actions, the argument spellings and the address
//!   from the WSDL the bureau serves ([`ServiceDescription::parse`]) and builds its calls
//!   from that, so a real bureau is reached by configuration alone;
//! - the answer's `<return>` carries the answer document as escaped text (how a `String`
//!   return travels in every SOAP stack); an answer whose `<return>` holds the document as
//!   elements is read too.

use crate::xml::tree::{self, Node};
use crate::xml::{self as x};

const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// Where a method is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/ISPWebService/upDownLoad`: upload, download, ack, previous upload.
    UpDownLoad,
    /// `/BeianStatusWebService/queryBeianStatus`.
    QueryBeianStatus,
    /// `/BeianStatusWebService/verifyBamm`.
    VerifyBamm,
}

impl Endpoint {
    pub const ALL: [Endpoint; 3] = [Endpoint::UpDownLoad, Endpoint::QueryBeianStatus, Endpoint::VerifyBamm];

    /// The path the spec gives it.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::UpDownLoad => "/ISPWebService/upDownLoad",
            Endpoint::QueryBeianStatus => "/BeianStatusWebService/queryBeianStatus",
            Endpoint::VerifyBamm => "/BeianStatusWebService/verifyBamm",
        }
    }

    /// The WSDL service name.
    pub fn service(self) -> &'static str {
        match self {
            Endpoint::UpDownLoad => "ISPWebService",
            Endpoint::QueryBeianStatus => "QueryBeianStatusService",
            Endpoint::VerifyBamm => "VerifyBammService",
        }
    }

    pub fn operations(self) -> Vec<Operation> {
        Operation::ALL.into_iter().filter(|o| o.endpoint() == self).collect()
    }
}

/// A method of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Upload,
    Download,
    DownloadAck,
    QueryPreviousUpload,
    QueryBeianStatus,
    VerifyBamm,
}

/// An argument's type in the WSDL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    String,
    Long,
}

impl Operation {
    pub const ALL: [Operation; 6] = [
        Operation::Upload,
        Operation::Download,
        Operation::DownloadAck,
        Operation::QueryPreviousUpload,
        Operation::QueryBeianStatus,
        Operation::VerifyBamm,
    ];

    /// The method's name in the spec.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Upload => "isp_upload",
            Operation::Download => "isp_download",
            Operation::DownloadAck => "isp_downloadack",
            Operation::QueryPreviousUpload => "isp_querypreviousupload",
            Operation::QueryBeianStatus => "isp_querybeianstatus",
            Operation::VerifyBamm => "isp_verifybamm",
        }
    }

    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.name().eq_ignore_ascii_case(name))
    }

    pub fn endpoint(self) -> Endpoint {
        match self {
            Operation::QueryBeianStatus => Endpoint::QueryBeianStatus,
            Operation::VerifyBamm => Endpoint::VerifyBamm,
            _ => Endpoint::UpDownLoad,
        }
    }

    /// The arguments in the spec's order, with their spelling in its prototypes.
    pub fn args(self) -> &'static [(&'static str, ArgType)] {
        use ArgType::{Long, String as S};
        const AUTH: [(&str, ArgType); 4] = [("ispId", S), ("userName", S), ("randVal", S), ("pwdHash", S)];
        match self {
            Operation::Upload => &[
                AUTH[0],
                AUTH[1],
                AUTH[2],
                AUTH[3],
                ("beianInfo", S),
                ("beianInfoHash", S),
                ("dataSequence", Long),
                ("encryptAlgorithm", Long),
                ("hashAlgorithm", Long),
                ("compressionFormat", Long),
            ],
            Operation::Download | Operation::QueryPreviousUpload => {
                &[AUTH[0], AUTH[1], AUTH[2], AUTH[3], ("hashAlgorithm", Long)]
            }
            Operation::DownloadAck => {
                &[AUTH[0], AUTH[1], AUTH[2], AUTH[3], ("hashAlgorithm", Long), ("fileName", S)]
            }
            Operation::QueryBeianStatus => &[
                AUTH[0],
                AUTH[1],
                AUTH[2],
                AUTH[3],
                ("hashAlgorithm", Long),
                ("queryConditionType", Long),
                ("queryCondition", S),
            ],
            Operation::VerifyBamm => {
                &[AUTH[0], AUTH[1], AUTH[2], AUTH[3], ("hashAlgorithm", Long), ("baxh", S), ("bamm", S)]
            }
        }
    }
}

/// Why a SOAP message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoapError {
    #[error("not XML: {0}")]
    Xml(String),
    #[error("not a SOAP envelope with a body")]
    NoBody,
    #[error("unknown method {0:?}")]
    UnknownMethod(String),
    #[error("argument {0} is missing")]
    MissingArgument(&'static str),
    #[error("argument {0} is not a whole number")]
    NotANumber(&'static str),
    #[error("the answer carries a fault: {0}")]
    Fault(String),
    #[error("the answer has no return value")]
    NoReturn,
    #[error("the WSDL does not describe {0}")]
    Wsdl(String),
}

/// A call as the server reads it: the method and its arguments by name.
#[derive(Clone, PartialEq, Eq)]
pub struct Call {
    pub operation: Operation,
    args: Vec<(String, String)>,
}

impl std::fmt::Debug for Call {
    // Arguments carry the password hash and the filing data: names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.args.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Call").field("operation", &self.operation).field("args", &names).finish()
    }
}

impl Call {
    pub fn new(operation: Operation, args: Vec<(String, String)>) -> Call {
        Call { operation, args }
    }

    /// An argument by its spec spelling, matched without regard to case.
    pub fn arg(&self, name: &'static str) -> Result<&str, SoapError> {
        self.args
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .ok_or(SoapError::MissingArgument(name))
    }

    /// A numeric argument.
    pub fn number(&self, name: &'static str) -> Result<i64, SoapError> {
        self.arg(name)?.trim().parse().map_err(|_| SoapError::NotANumber(name))
    }
}

fn body<'n, 'a>(envelope: &'n Node<'a>) -> Result<&'n Node<'a>, SoapError> {
    if envelope.name != "Envelope" {
        return Err(SoapError::NoBody);
    }
    envelope.child("Body").ok_or(SoapError::NoBody)
}

/// Reads a call (document/literal wrapped or RPC, any namespaces).
pub fn parse_call(bytes: &[u8]) -> Result<Call, SoapError> {
    let text = tree::decode(bytes).map_err(|e| SoapError::Xml(e.to_string()))?;
    let envelope = tree::parse_str(&text).map_err(|e| SoapError::Xml(e.to_string()))?;
    let wrapper = body(&envelope)?.children.first().ok_or(SoapError::NoBody)?;
    let operation = Operation::from_name(&wrapper.name)
        .ok_or_else(|| SoapError::UnknownMethod(wrapper.name.to_string()))?;
    let args = wrapper.children.iter().map(|c| (c.name.to_string(), c.text.to_string())).collect();
    Ok(Call { operation, args })
}

/// The answer envelope of `operation` carrying `answer` (a `<return>` document) as text.
pub fn response(operation: Operation, namespace: &str, answer: &str) -> String {
    let mut out = String::with_capacity(answer.len() + 512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"");
    out.push_str(SOAP11);
    out.push_str("\"><soap:Body><ns:");
    out.push_str(operation.name());
    out.push_str("Response xmlns:ns=\"");
    x::escape_into(&mut out, namespace, true);
    out.push_str("\"><return>");
    x::escape_into(&mut out, answer, false);
    out.push_str("</return></ns:");
    out.push_str(operation.name());
    out.push_str("Response></soap:Body></soap:Envelope>");
    out
}

/// A SOAP fault (answered with HTTP 500), for a message that is not a call at all.
pub fn fault(client: bool, reason: &str) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{SOAP11}\"><soap:Body><soap:Fault><faultcode>soap:{}</faultcode><faultstring>",
        if client { "Client" } else { "Server" }
    );
    x::escape_into(&mut out, reason, false);
    out.push_str("</faultstring></soap:Fault></soap:Body></soap:Envelope>");
    out
}

/// The `<return>` document inside an answer envelope, as bytes to read with
/// [`crate::xml::from_bytes`].
pub fn parse_response(bytes: &[u8]) -> Result<Vec<u8>, SoapError> {
    let text = tree::decode(bytes).map_err(|e| SoapError::Xml(e.to_string()))?;
    let envelope = tree::parse_str(&text).map_err(|e| SoapError::Xml(e.to_string()))?;
    let b = body(&envelope)?;
    if let Some(f) = b.child("Fault") {
        let why = f.child("faultstring").or_else(|| f.child("Reason")).map(|n| n.text.trim().to_owned());
        return Err(SoapError::Fault(why.unwrap_or_default()));
    }
    let wrapper = b.children.first().ok_or(SoapError::NoReturn)?;
    let ret = wrapper.children.first().ok_or(SoapError::NoReturn)?;
    if !ret.text.trim().is_empty() {
        return Ok(ret.text.trim().as_bytes().to_vec());
    }
    // The document as elements: the `<return>` root itself, or inside the wrapper's child.
    let root =
        if ret.child("msg_code").is_some() { ret } else { ret.child("return").ok_or(SoapError::NoReturn)? };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    serialize(root, &mut out);
    Ok(out.into_bytes())
}

fn serialize(n: &Node<'_>, out: &mut String) {
    let attrs: Vec<(&str, &str)> = n
        .attrs
        .iter()
        .filter(|(k, _)| !k.starts_with("xmlns"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut w = x::Writer::new();
    w.open_with(&n.name, &attrs);
    out.push_str(&w.into_string());
    x::escape_into(out, &n.text, false);
    for c in &n.children {
        serialize(c, out);
    }
    out.push_str("</");
    out.push_str(&n.name);
    out.push('>');
}

/// What a client needs to call an endpoint, read from the WSDL the server publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDescription {
    /// The namespace of the wrapper elements (the schema's target namespace).
    pub namespace: String,
    /// Whether the arguments are namespace-qualified (the schema's `elementFormDefault`).
    pub qualified: bool,
    /// The service address (`soap:address`), if the WSDL gives one.
    pub location: Option<String>,
    operations: Vec<OperationDescription>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct OperationDescription {
    name: String,
    action: String,
    /// The arguments' spellings in the WSDL, in its order.
    args: Vec<String>,
}

impl ServiceDescription {
    /// Reads a WSDL 1.1 document with a document/literal (or RPC) SOAP 1.1 binding.
    pub fn parse(bytes: &[u8]) -> Result<ServiceDescription, SoapError> {
        let text = tree::decode(bytes).map_err(|e| SoapError::Xml(e.to_string()))?;
        let defs = tree::parse_str(&text).map_err(|e| SoapError::Xml(e.to_string()))?;
        if defs.name != "definitions" {
            return Err(SoapError::Wsdl("definitions".into()));
        }
        let target = defs.attr("targetNamespace").unwrap_or_default().to_owned();
        let schema = defs.child("types").and_then(|t| t.child("schema"));
        let namespace = schema.and_then(|s| s.attr("targetNamespace")).map(str::to_owned).unwrap_or(target);
        let qualified = schema.and_then(|s| s.attr("elementFormDefault")) == Some("qualified");
        let local = |qname: &str| qname.rsplit(':').next().unwrap_or(qname).to_owned();
        // message name → the element (document style) or the parts (RPC style).
        let messages: Vec<(&str, &Node)> = defs
            .children
            .iter()
            .filter(|c| c.name == "message")
            .filter_map(|m| Some((m.attr("name")?, m)))
            .collect();
        let element_args = |element: &str| -> Vec<String> {
            let Some(schema) = schema else { return Vec::new() };
            let Some(el) =
                schema.children.iter().find(|e| e.name == "element" && e.attr("name") == Some(element))
            else {
                return Vec::new();
            };
            let seq = el.child("complexType").and_then(|c| c.child("sequence").or_else(|| c.child("all")));
            seq.map(|s| s.children.iter().filter_map(|e| e.attr("name").map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let mut operations = Vec::new();
        let port_type = defs.child("portType").ok_or_else(|| SoapError::Wsdl("portType".into()))?;
        let binding = defs.child("binding");
        for op in port_type.children.iter().filter(|c| c.name == "operation") {
            let name = op.attr("name").unwrap_or_default().to_owned();
            let input = op.child("input").and_then(|i| i.attr("message")).map(local).unwrap_or_default();
            let args = match messages.iter().find(|(n, _)| *n == input) {
                Some((_, m)) => {
                    let parts: Vec<&Node> = m.children.iter().filter(|p| p.name == "part").collect();
                    match parts.as_slice() {
                        [p] if p.attr("element").is_some() => {
                            element_args(&local(p.attr("element").unwrap_or_default()))
                        }
                        _ => parts.iter().filter_map(|p| p.attr("name").map(str::to_owned)).collect(),
                    }
                }
                None => Vec::new(),
            };
            let action = binding
                .and_then(|b| {
                    b.children.iter().find(|o| o.name == "operation" && o.attr("name") == Some(&name))
                })
                .and_then(|o| o.child("operation"))
                .and_then(|o| o.attr("soapAction"))
                .unwrap_or_default()
                .to_owned();
            operations.push(OperationDescription { name, action, args });
        }
        let location = defs
            .child("service")
            .and_then(|s| s.child("port"))
            .and_then(|p| p.child("address"))
            .and_then(|a| a.attr("location"))
            .map(str::to_owned);
        Ok(ServiceDescription { namespace, qualified, location, operations })
    }

    fn operation(&self, op: Operation) -> Result<&OperationDescription, SoapError> {
        self.operations
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(op.name()))
            .ok_or_else(|| SoapError::Wsdl(op.name().into()))
    }

    /// The `SOAPAction` header of a call.
    pub fn action(&self, op: Operation) -> Result<String, SoapError> {
        Ok(self.operation(op)?.action.clone())
    }

    /// The request envelope of `op` with `args` (by the spec's spelling, in any order),
    /// spelled and ordered as the WSDL says.
    pub fn request(&self, op: Operation, args: &[(&str, String)]) -> Result<String, SoapError> {
        let desc = self.operation(op)?;
        let mut out = String::with_capacity(512 + args.iter().map(|(_, v)| v.len()).sum::<usize>());
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"");
        out.push_str(SOAP11);
        out.push_str("\" xmlns:ns=\"");
        x::escape_into(&mut out, &self.namespace, true);
        out.push_str("\"><soap:Body><ns:");
        out.push_str(&desc.name);
        out.push('>');
        let prefix = if self.qualified { "ns:" } else { "" };
        for (spec_name, _) in op.args() {
            let wsdl_name = desc
                .args
                .iter()
                .find(|a| a.eq_ignore_ascii_case(spec_name))
                .map_or(*spec_name, String::as_str);
            let value = args
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(spec_name))
                .map(|(_, v)| v.as_str())
                .ok_or(SoapError::MissingArgument(spec_name))?;
            out.push('<');
            out.push_str(prefix);
            out.push_str(wsdl_name);
            out.push('>');
            x::escape_into(&mut out, value, false);
            out.push_str("</");
            out.push_str(prefix);
            out.push_str(wsdl_name);
            out.push('>');
        }
        out.push_str("</ns:");
        out.push_str(&desc.name);
        out.push_str("></soap:Body></soap:Envelope>");
        Ok(out)
    }
}

/// The WSDL of `endpoint`, served at `location?wsdl`: document/literal wrapped, SOAP 1.1,
/// every argument and every answer a string or a number.
pub fn wsdl(endpoint: Endpoint, location: &str, namespace: &str) -> String {
    let mut ns = String::new();
    x::escape_into(&mut ns, namespace, true);
    let mut loc = String::new();
    x::escape_into(&mut loc, location, true);
    let service = endpoint.service();
    let ops = endpoint.operations();
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<wsdl:definitions name=\"{service}\" targetNamespace=\"{ns}\" xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:tns=\"{ns}\">\n  <wsdl:types>\n    <xsd:schema targetNamespace=\"{ns}\" elementFormDefault=\"unqualified\">\n"
    );
    for op in &ops {
        let name = op.name();
        s.push_str(&format!("      <xsd:element name=\"{name}\"><xsd:complexType><xsd:sequence>\n"));
        for (arg, ty) in op.args() {
            let t = match ty {
                ArgType::String => "xsd:string",
                ArgType::Long => "xsd:long",
            };
            s.push_str(&format!("        <xsd:element name=\"{arg}\" type=\"{t}\"/>\n"));
        }
        s.push_str("      </xsd:sequence></xsd:complexType></xsd:element>\n");
        s.push_str(&format!(
            "      <xsd:element name=\"{name}Response\"><xsd:complexType><xsd:sequence>\n        <xsd:element name=\"return\" type=\"xsd:string\"/>\n      </xsd:sequence></xsd:complexType></xsd:element>\n"
        ));
    }
    s.push_str("    </xsd:schema>\n  </wsdl:types>\n");
    for op in &ops {
        let name = op.name();
        s.push_str(&format!(
            "  <wsdl:message name=\"{name}Request\"><wsdl:part name=\"parameters\" element=\"tns:{name}\"/></wsdl:message>\n  <wsdl:message name=\"{name}Response\"><wsdl:part name=\"parameters\" element=\"tns:{name}Response\"/></wsdl:message>\n"
        ));
    }
    s.push_str(&format!("  <wsdl:portType name=\"{service}PortType\">\n"));
    for op in &ops {
        let name = op.name();
        s.push_str(&format!(
            "    <wsdl:operation name=\"{name}\"><wsdl:input message=\"tns:{name}Request\"/><wsdl:output message=\"tns:{name}Response\"/></wsdl:operation>\n"
        ));
    }
    s.push_str(&format!(
        "  </wsdl:portType>\n  <wsdl:binding name=\"{service}Binding\" type=\"tns:{service}PortType\">\n    <soap:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>\n"
    ));
    for op in &ops {
        let name = op.name();
        s.push_str(&format!(
            "    <wsdl:operation name=\"{name}\"><soap:operation soapAction=\"urn:{name}\" style=\"document\"/><wsdl:input><soap:body use=\"literal\"/></wsdl:input><wsdl:output><soap:body use=\"literal\"/></wsdl:output></wsdl:operation>\n"
        ));
    }
    s.push_str(&format!(
        "  </wsdl:binding>\n  <wsdl:service name=\"{service}\">\n    <wsdl:port name=\"{service}Port\" binding=\"tns:{service}Binding\"><soap:address location=\"{loc}\"/></wsdl:port>\n  </wsdl:service>\n</wsdl:definitions>\n"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "http://beian.example/ISPWebService";

    fn args(op: Operation) -> Vec<(&'static str, String)> {
        op.args().iter().map(|(n, _)| (*n, format!("v-{n}<&>"))).collect()
    }

    #[test]
    fn a_call_built_from_our_wsdl_reads_back() {
        for endpoint in Endpoint::ALL {
            let desc = ServiceDescription::parse(wsdl(endpoint, "http://h/x", NS).as_bytes()).unwrap();
            assert_eq!(desc.namespace, NS);
            assert_eq!(desc.location.as_deref(), Some("http://h/x"));
            for op in endpoint.operations() {
                assert_eq!(desc.action(op).unwrap(), format!("urn:{}", op.name()));
                let env = desc.request(op, &args(op)).unwrap();
                let call = parse_call(env.as_bytes()).unwrap();
                assert_eq!(call.operation, op);
                for (n, v) in args(op) {
                    assert_eq!(call.arg(n).unwrap(), v);
                }
            }
        }
    }

    #[test]
    fn calls_are_read_in_rpc_style_and_any_spelling() {
        let rpc = r#"<?xml version="1.0"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><m:isp_download xmlns:m="urn:x"><ispID>12</ispID><userName>u</userName><randVal>r</randVal><pwdHash>h</pwdHash><hashAlgorithm>0</hashAlgorithm></m:isp_download></S:Body></S:Envelope>"#;
        let call = parse_call(rpc.as_bytes()).unwrap();
        assert_eq!(call.operation, Operation::Download);
        assert_eq!(call.number("ispId").unwrap(), 12);
        assert_eq!(call.arg("fileName"), Err(SoapError::MissingArgument("fileName")));
        assert!(matches!(parse_call(b"<a/>"), Err(SoapError::NoBody)));
        assert!(matches!(
            parse_call(b"<Envelope><Body><isp_steal/></Body></Envelope>"),
            Err(SoapError::UnknownMethod(_))
        ));
    }

    #[test]
    fn the_answer_travels_as_text_or_as_elements() {
        let answer = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><return version=\"V.3.0\"><msg_code>2</msg_code><msg>无</msg></return>";
        let env = response(Operation::Download, NS, answer);
        assert_eq!(parse_response(env.as_bytes()).unwrap(), answer.as_bytes());
        let inline = format!(
            "<Envelope><Body><r:isp_downloadResponse xmlns:r=\"{NS}\"><return><return version=\"V.3.0\"><msg_code>2</msg_code><msg>无</msg></return></return></r:isp_downloadResponse></Body></Envelope>"
        );
        let doc = parse_response(inline.as_bytes()).unwrap();
        let text = tree::decode(&doc).unwrap();
        let node = tree::parse_str(&text).unwrap();
        assert_eq!(node.child("msg_code").map(|n| n.text.as_ref()), Some("2"));
        let f = fault(true, "bad <call>");
        assert_eq!(parse_response(f.as_bytes()), Err(SoapError::Fault("bad <call>".into())));
    }

    #[test]
    fn a_wsdl_with_other_spellings_and_qualified_arguments_is_followed() {
        let theirs =
            wsdl(Endpoint::UpDownLoad, "http://bureau/ISPWebService/upDownLoad", "http://ws.bureau/")
                .replace("name=\"ispId\"", "name=\"ispID\"")
                .replace("elementFormDefault=\"unqualified\"", "elementFormDefault=\"qualified\"")
                .replace("urn:isp_upload", "");
        let desc = ServiceDescription::parse(theirs.as_bytes()).unwrap();
        assert!(desc.qualified);
        assert_eq!(desc.action(Operation::Upload).unwrap(), "");
        let env = desc.request(Operation::Upload, &args(Operation::Upload)).unwrap();
        assert!(env.contains("<ns:ispID>"), "{env}");
        assert_eq!(parse_call(env.as_bytes()).unwrap().arg("ispId").unwrap(), "v-ispId<&>");
    }
}
