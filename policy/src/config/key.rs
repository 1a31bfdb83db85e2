//! `limit.key`: what a keyed limit counts separately. One source, or a
//! list of them whose values together are the key (a tenant and a client).

use super::{show, ConfigProblem, Ctx};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    None,
    Header(String),
    ClientAddress,
    Path,
    /// A value the caller hands the engine with the request (a user id, an
    /// API key): the bindings' `key` argument. Envoy supplies none, so there
    /// a rule keyed on it does not apply.
    Caller,
    /// Test-only: the header's decimal value *is* the key hash, so core's
    /// conformance vectors (numeric keys) land in the same sets as in core.
    RawHeader(String),
    /// Every part's value, in order; a request lacking any part skips the limit.
    Composite(Vec<KeySource>),
}

impl KeySource {
    /// Whether requests are counted by a hash of the key's value (every
    /// source but none and the test-only raw hash).
    pub fn is_hashed(&self) -> bool {
        !matches!(self, KeySource::None | KeySource::RawHeader(_))
    }

    /// Whether the key reads `:path`.
    pub fn needs_path(&self) -> bool {
        match self {
            KeySource::Path => true,
            KeySource::Composite(parts) => parts.iter().any(KeySource::needs_path),
            _ => false,
        }
    }
}

const MAX_PARTS: usize = 4;
const EXPECTED: &str = "must be \"none\", \"client_address\", \"path\", \"caller\", \"header:<name>\", \
{\"header\": \"<name>\"} or a list of up to 4 of them";

pub(super) fn parse(ctx: &Ctx, field: &str, v: &Value) -> Result<KeySource, ConfigProblem> {
    match v {
        Value::Array(parts) => {
            if parts.is_empty() || parts.len() > MAX_PARTS {
                return Err(ctx.err(field, format!("{EXPECTED}, got a list of {}", parts.len())));
            }
            let mut out = Vec::with_capacity(parts.len());
            for (i, part) in parts.iter().enumerate() {
                let part_field = format!("{field}[{i}]");
                match single(ctx, &part_field, part)? {
                    KeySource::None | KeySource::RawHeader(_) => {
                        return Err(ctx.err(
                            &part_field,
                            format!("must name a value to key on (not \"none\"), got {}", show(part)),
                        ))
                    }
                    p if out.contains(&p) => {
                        return Err(ctx.err(&part_field, format!("must not repeat an earlier part, got {}", show(part))))
                    }
                    p => out.push(p),
                }
            }
            // A list of one is that one source, hashed the same way.
            if out.len() == 1 {
                return Ok(out.remove(0));
            }
            Ok(KeySource::Composite(out))
        }
        _ => single(ctx, field, v),
    }
}

fn single(ctx: &Ctx, field: &str, v: &Value) -> Result<KeySource, ConfigProblem> {
    match v {
        Value::String(s) => match s.as_str() {
            "none" => Ok(KeySource::None),
            "client_address" => Ok(KeySource::ClientAddress),
            "path" => Ok(KeySource::Path),
            "caller" => Ok(KeySource::Caller),
            _ => match s.strip_prefix("header:") {
                Some("") => Err(ctx.err(field, format!("must name the header after \"header:\", got {}", show(v)))),
                Some(name) => Ok(KeySource::Header(ctx.header_name(field, &Value::String(name.to_owned()))?)),
                None => Err(ctx.err(field, format!("{EXPECTED}, got {}", show(v)))),
            },
        },
        Value::Object(o) if o.len() == 1 && o.contains_key("debug_raw_header") => {
            let h = ctx
                .header_name(&format!("{field}.debug_raw_header"), o.get("debug_raw_header").unwrap_or(&Value::Null))?;
            Ok(KeySource::RawHeader(h))
        }
        Value::Object(_) => {
            let obj = ctx.object(field, v, &["header"])?;
            let h = ctx.header_name(&format!("{field}.header"), obj.get("header").unwrap_or(&Value::Null))?;
            Ok(KeySource::Header(h))
        }
        _ => Err(ctx.err(field, format!("{EXPECTED}, got {}", show(v)))),
    }
}
