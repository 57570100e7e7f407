//! A small JSON-path reader and writer over the order's JSON (`websites[0].head.name`): the
//! form's field names are these paths. Writing past the end of a list is ignored, never a panic.

use super::*;

/// `websites[0].head.name` → the JSON value's path segments.
pub(super) fn segments(path: &str) -> Vec<String> {
    path.replace('[', ".").replace(']', "").split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

pub(super) fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    segments(path).iter().try_fold(v, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

pub(super) fn set(v: &mut Value, path: &str, new: Value) {
    let segs = segments(path);
    let mut cur = v;
    for (n, seg) in segs.iter().enumerate() {
        let last = n + 1 == segs.len();
        cur = match cur {
            Value::Object(m) => {
                if last {
                    m.insert(seg.clone(), new);
                    return;
                }
                m.entry(seg.clone()).or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) if !last => x,
                Some(x) => {
                    *x = new;
                    return;
                }
                None => return,
            },
            _ => return,
        };
    }
}

pub(super) fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

pub(super) fn id_of(path: &str) -> String {
    path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}
