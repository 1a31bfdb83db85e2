//! The plugin configuration: JSON in, validated rules out.
//!
//! Parsed by hand over `serde_json::Value` so that every refusal names the
//! rule and the dotted field (`rule #2 "api": limit.burst must be ...`),
//! which serde's derive errors cannot do for nested fields.

use serde_json::{Map, Value};
use std::fmt;
use weir_core::limiter::{Gcra, LimiterConfig};

/// A refused configuration: where, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// `rule #N "name"` (or `rule #N` before the name is known); empty for top-level fields.
    pub rule: String,
    /// The dotted field, e.g. `limit.rate`.
    pub field: String,
    /// Phrased to follow the field name: "must be ..., got ...".
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rule.is_empty() {
            write!(f, "{} {}", self.field, self.message)
        } else {
            write!(f, "{}: {} {}", self.rule, self.field, self.message)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Shadow,
}

/// What a rule does when its shared state cannot be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnStateError {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderMatch {
    Present(String),
    Equals(String, String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    pub path_exact: Option<String>,
    pub path_prefix: Option<String>,
    pub method: Option<String>,
    pub headers: Vec<HeaderMatch>,
}

impl Match {
    pub fn needs_path(&self) -> bool {
        self.path_exact.is_some() || self.path_prefix.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    None,
    Header(String),
    ClientAddress,
    Path,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub gcra: Gcra,
    pub burst: u64,
    pub cost: u64,
    /// A request header whose integer value is the cost (weighted requests);
    /// `cost` applies when it is absent or not an integer.
    pub cost_header: Option<String>,
    pub key: KeySource,
    /// Keyed entries in shared data, a multiple of 8 (one shared-data value per 8).
    pub max_keys: u64,
    pub status: u32,
    /// Adds `x-ratelimit-*` to admitted responses too, as Envoy's native filter can.
    pub headers_on_success: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub matcher: Match,
    pub limit: Option<Limit>,
    pub mode: Mode,
    pub on_state_error: OnStateError,
    /// Adds `x-weir-reason`, `x-weir-retry-after-ns` and `x-weir-reset-after-ns`
    /// to answers: the exact decision, for tests and diagnosis.
    pub debug_headers: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub rules: Vec<Rule>,
}

const MAX_RULES: usize = 64;
const MAX_KEYS: u64 = 1 << 20;

/// Parses and validates a plugin configuration.
pub fn parse(bytes: &[u8]) -> Result<Config, ConfigProblem> {
    let top = |field: &str, message: String| ConfigProblem { rule: String::new(), field: field.into(), message };
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| top("configuration", format!("must be a JSON object, got a parse error: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| top("configuration", format!("must be a JSON object, got {}", kind(&value))))?;
    if let Some(k) = obj.keys().find(|k| k.as_str() != "rules") {
        return Err(top(k, "is not a known field (known: rules)".into()));
    }
    let rules = obj.get("rules").ok_or_else(|| top("rules", "must be present (a list of rules)".into()))?;
    let rules = rules.as_array().ok_or_else(|| top("rules", format!("must be a list, got {}", kind(rules))))?;
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(top("rules", format!("must hold 1 to {MAX_RULES} rules, got {}", rules.len())));
    }
    let mut out: Vec<Rule> = Vec::with_capacity(rules.len());
    for (i, raw) in rules.iter().enumerate() {
        let rule = parse_rule(i + 1, raw)?;
        if out.iter().any(|r| r.name == rule.name) {
            return Err(ConfigProblem {
                rule: format!("rule #{} \"{}\"", i + 1, rule.name),
                field: "name".into(),
                message: "must be unique, got a name an earlier rule uses".into(),
            });
        }
        out.push(rule);
    }
    Ok(Config { rules: out })
}

/// Field access for one rule, carrying its label into every error.
struct Ctx {
    rule: String,
}

impl Ctx {
    fn err(&self, field: &str, message: String) -> ConfigProblem {
        ConfigProblem { rule: self.rule.clone(), field: field.into(), message }
    }

    fn object<'a>(&self, field: &str, v: &'a Value, known: &[&str]) -> Result<&'a Map<String, Value>, ConfigProblem> {
        let obj = v.as_object().ok_or_else(|| self.err(field, format!("must be an object, got {}", kind(v))))?;
        if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
            let path = if field.is_empty() { k.clone() } else { format!("{field}.{k}") };
            return Err(self.err(&path, format!("is not a known field (known: {})", known.join(", "))));
        }
        Ok(obj)
    }

    fn string(&self, field: &str, v: &Value) -> Result<String, ConfigProblem> {
        match v.as_str() {
            Some(s) if !s.is_empty() => Ok(s.to_owned()),
            _ => Err(self.err(field, format!("must be a non-empty string, got {}", kind(v)))),
        }
    }

    fn uint(&self, field: &str, v: &Value, min: u64, max: u64) -> Result<u64, ConfigProblem> {
        match v.as_u64() {
            Some(n) if n >= min && n <= max => Ok(n),
            _ => Err(self.err(field, format!("must be an integer in [{min}, {max}], got {}", show(v)))),
        }
    }

    fn boolean(&self, field: &str, v: &Value) -> Result<bool, ConfigProblem> {
        v.as_bool().ok_or_else(|| self.err(field, format!("must be true or false, got {}", show(v))))
    }
}

fn parse_rule(index: usize, raw: &Value) -> Result<Rule, ConfigProblem> {
    let mut ctx = Ctx { rule: format!("rule #{index}") };
    let known = ["name", "match", "limit", "mode", "on_state_error", "debug_headers"];
    let obj = ctx.object("", raw, &known)?;
    let name = ctx.string("name", obj.get("name").unwrap_or(&Value::Null))?;
    if name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(ctx.err(
            "name",
            format!("must be 1-64 characters of [A-Za-z0-9_-] (it names metrics), got {}", show_str(&name)),
        ));
    }
    ctx.rule = format!("rule #{index} \"{name}\"");
    let matcher = match obj.get("match") {
        None => Match::default(),
        Some(m) => parse_match(&ctx, m)?,
    };
    let mode = match obj.get("mode") {
        None => Mode::Enforce,
        Some(v) => match v.as_str() {
            Some("enforce") => Mode::Enforce,
            Some("shadow") => Mode::Shadow,
            _ => return Err(ctx.err("mode", format!("must be \"enforce\" or \"shadow\", got {}", show(v)))),
        },
    };
    let on_state_error = match obj.get("on_state_error") {
        None => OnStateError::Deny,
        Some(v) => match v.as_str() {
            Some("allow") => OnStateError::Allow,
            Some("deny") => OnStateError::Deny,
            _ => return Err(ctx.err("on_state_error", format!("must be \"allow\" or \"deny\", got {}", show(v)))),
        },
    };
    let debug_headers = match obj.get("debug_headers") {
        None => false,
        Some(v) => ctx.boolean("debug_headers", v)?,
    };
    let limit = obj.get("limit").map(|l| parse_limit(&ctx, l)).transpose()?;
    if limit.is_none() {
        return Err(ctx.err("limit", "must be present (a rule needs something to enforce)".into()));
    }
    Ok(Rule { name, matcher, limit, mode, on_state_error, debug_headers })
}

fn parse_match(ctx: &Ctx, v: &Value) -> Result<Match, ConfigProblem> {
    let obj = ctx.object("match", v, &["path_exact", "path_prefix", "method", "headers"])?;
    let mut m = Match::default();
    if let Some(p) = obj.get("path_exact") {
        m.path_exact = Some(ctx.string("match.path_exact", p)?);
    }
    if let Some(p) = obj.get("path_prefix") {
        m.path_prefix = Some(ctx.string("match.path_prefix", p)?);
    }
    if m.path_exact.is_some() && m.path_prefix.is_some() {
        return Err(ctx.err("match.path_prefix", "must not be set together with match.path_exact".into()));
    }
    if let Some(meth) = obj.get("method") {
        m.method = Some(ctx.string("match.method", meth)?.to_ascii_uppercase());
    }
    if let Some(hs) = obj.get("headers") {
        let list =
            hs.as_array().ok_or_else(|| ctx.err("match.headers", format!("must be a list, got {}", kind(hs))))?;
        for (i, h) in list.iter().enumerate() {
            let field = format!("match.headers[{i}]");
            let ho = ctx.object(&field, h, &["name", "equals"])?;
            let name = ctx.string(&format!("{field}.name"), ho.get("name").unwrap_or(&Value::Null))?;
            let name = name.to_ascii_lowercase();
            m.headers.push(match ho.get("equals") {
                None => HeaderMatch::Present(name),
                Some(e) => match e.as_str() {
                    Some(s) => HeaderMatch::Equals(name, s.to_owned()),
                    None => {
                        return Err(ctx.err(&format!("{field}.equals"), format!("must be a string, got {}", kind(e))))
                    }
                },
            });
        }
    }
    Ok(m)
}

fn parse_limit(ctx: &Ctx, v: &Value) -> Result<Limit, ConfigProblem> {
    let known = ["rate", "per", "burst", "cost", "cost_header", "key", "max_keys", "status", "headers_on_success"];
    let obj = ctx.object("limit", v, &known)?;
    let rate = ctx.uint("limit.rate", obj.get("rate").unwrap_or(&Value::Null), 1, u64::MAX)?;
    let per = match obj.get("per") {
        None => weir_core::SECOND,
        Some(p) => duration(p).ok_or_else(|| {
            ctx.err(
                "limit.per",
                format!("must be a duration such as \"1s\", \"100ms\", \"1m\", \"1h\", got {}", show(p)),
            )
        })?,
    };
    let burst = match obj.get("burst") {
        None => rate,
        Some(b) => ctx.uint("limit.burst", b, 1, u64::MAX)?,
    };
    let cost = match obj.get("cost") {
        None => 1,
        Some(c) => ctx.uint("limit.cost", c, 1, burst)?,
    };
    let gcra = Gcra::new(LimiterConfig { rate, period_ns: per, burst }).map_err(|e| {
        let field = match e.field() {
            "period_ns" => "per",
            other => other,
        };
        ctx.err(&format!("limit.{field}"), format!("must be {}, got {}", e.rule(), e.got()))
    })?;
    let cost_header = match obj.get("cost_header") {
        None => None,
        Some(h) => Some(ctx.string("limit.cost_header", h)?.to_ascii_lowercase()),
    };
    let key = match obj.get("key") {
        None => KeySource::None,
        Some(k) => parse_key(ctx, k)?,
    };
    let max_keys = match obj.get("max_keys") {
        None => 1024,
        Some(m) => {
            let n = ctx.uint("limit.max_keys", m, 8, MAX_KEYS)?;
            if n % 8 != 0 {
                return Err(ctx.err("limit.max_keys", format!("must be a multiple of 8, got {n}")));
            }
            n
        }
    };
    let status = match obj.get("status") {
        None => 429,
        Some(s) => ctx.uint("limit.status", s, 200, 599)? as u32,
    };
    let headers_on_success = match obj.get("headers_on_success") {
        None => false,
        Some(h) => ctx.boolean("limit.headers_on_success", h)?,
    };
    Ok(Limit { gcra, burst, cost, cost_header, key, max_keys, status, headers_on_success })
}

fn parse_key(ctx: &Ctx, v: &Value) -> Result<KeySource, ConfigProblem> {
    let expected = "must be \"none\", \"client_address\", \"path\" or {\"header\": \"name\"}";
    match v {
        Value::String(s) => match s.as_str() {
            "none" => Ok(KeySource::None),
            "client_address" => Ok(KeySource::ClientAddress),
            "path" => Ok(KeySource::Path),
            _ => Err(ctx.err("limit.key", format!("{expected}, got {}", show(v)))),
        },
        Value::Object(_) => {
            let obj = ctx.object("limit.key", v, &["header"])?;
            let h = ctx.string("limit.key.header", obj.get("header").unwrap_or(&Value::Null))?;
            Ok(KeySource::Header(h.to_ascii_lowercase()))
        }
        _ => Err(ctx.err("limit.key", format!("{expected}, got {}", show(v)))),
    }
}

/// "250ms" -> nanoseconds. Units: ns, us, ms, s, m, h.
pub fn duration(v: &Value) -> Option<u64> {
    let s = v.as_str()?;
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let scale: u64 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    };
    n.checked_mul(scale).filter(|d| *d > 0)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value as it appeared, cut short so a log line stays one line.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::String(s) => show_str(s),
        other => {
            let mut s = other.to_string();
            truncate(&mut s);
            s
        }
    }
}

fn show_str(s: &str) -> String {
    let mut s = format!("{s:?}");
    truncate(&mut s);
    s
}

fn truncate(s: &mut String) {
    if s.len() > 80 {
        let mut cut = 77;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
}
