//! The plugin configuration: JSON in, validated rules out.
//!
//! Parsed by hand over `serde_json::Value` so that every refusal names the
//! rule and the dotted field (`rule #2 "api": limit.burst must be ...`),
//! which serde's derive errors cannot do for nested fields. Each action a
//! rule can carry has its own file.

mod breaker;
mod deadline;
mod fallback;
pub mod grpc;
mod gutter;
mod key;
mod limit;
mod pick;
mod shed;
mod throttle;

pub use breaker::BreakerRule;
pub use deadline::{DeadlineRule, GrpcWrite};
pub use fallback::Fallback;
pub use gutter::Gutter;
pub use limit::{KeySource, Limit, MAX_LIMITS};
pub use pick::Pick;
pub use shed::{Shed, ShedMode, LATENCY_GRADIENT2};
pub use throttle::Throttle;

use serde_json::{Map, Value};
use std::fmt;
use weir_core::hash::HashSeed;

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

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub matcher: Match,
    /// Decided in this order; the first refusal answers.
    pub limits: Vec<Limit>,
    pub shed: Option<Shed>,
    pub throttle: Option<Throttle>,
    pub pick: Option<Pick>,
    pub deadline: Option<DeadlineRule>,
    /// A circuit breaker per upstream cluster.
    pub breaker: Option<BreakerRule>,
    /// What answers instead of this rule's refusals.
    pub fallback: Option<Fallback>,
    pub mode: Mode,
    pub on_state_error: OnStateError,
    /// Adds `x-weir-reason`, `x-weir-retry-after-ns` and `x-weir-reset-after-ns`
    /// to answers: the exact decision, for tests and diagnosis.
    pub debug_headers: bool,
}

/// Settings for tests only; never set them in production.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Debug {
    /// A request carrying this header makes the filter trap on purpose, so
    /// tests can watch what Envoy's `failure_policy` does with a dead VM.
    pub trap_on_header: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub rules: Vec<Rule>,
    /// The key-hash seed from the `seed` secret; `None`: the store chooses
    /// one its workers share (`LimitStore::key_seed`).
    pub seed: Option<HashSeed>,
    /// How often batched counter increments reach the host's stats.
    pub stats_flush_ms: u32,
    pub debug: Debug,
    /// A path the host answers itself, to loopback clients only, with
    /// every keyed limit's hot keys as JSON (`hot_keys_path`).
    pub hot_keys_path: Option<String>,
}

const MAX_RULES: usize = 64;
const TOP_FIELDS: [&str; 5] = ["rules", "stats_flush", "debug", "seed", "hot_keys_path"];

/// Parses and validates a plugin configuration.
pub fn parse(bytes: &[u8]) -> Result<Config, ConfigProblem> {
    let top = |field: &str, message: String| ConfigProblem { rule: String::new(), field: field.into(), message };
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| top("configuration", format!("must be a JSON object, got a parse error: {e}")))?;
    let obj = value
        .as_object()
        .ok_or_else(|| top("configuration", format!("must be a JSON object, got {}", kind(&value))))?;
    if let Some(k) = obj.keys().find(|k| !TOP_FIELDS.contains(&k.as_str())) {
        return Err(top(k, format!("is not a known field (known: {})", TOP_FIELDS.join(", "))));
    }
    let stats_flush_ms = match obj.get("stats_flush") {
        None => 1000,
        Some(v) => match duration(v).map(|ns| ns / weir_core::MILLISECOND) {
            Some(ms @ 1..=60_000) => ms as u32,
            _ => {
                return Err(top("stats_flush", format!("must be a duration from \"1ms\" to \"60s\", got {}", show(v))))
            }
        },
    };
    let debug = match obj.get("debug") {
        None => Debug::default(),
        Some(v) => parse_debug(v)?,
    };
    // The secret itself never appears in a refusal: only its kind.
    let seed = match obj.get("seed") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(HashSeed::from_secret(s.as_bytes())),
        Some(v) => return Err(top("seed", format!("must be a non-empty string (a secret), got {}", kind(v)))),
    };
    let hot_keys_path = match obj.get("hot_keys_path") {
        None => None,
        Some(Value::String(p)) if p.starts_with('/') && !p.contains(['?', '#']) => Some(p.clone()),
        Some(v) => {
            return Err(top("hot_keys_path", format!("must be a path starting with \"/\" (no query), got {}", show(v))))
        }
    };
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
    Ok(Config { rules: out, seed, stats_flush_ms, debug, hot_keys_path })
}

fn parse_debug(v: &Value) -> Result<Debug, ConfigProblem> {
    let ctx = Ctx { rule: String::new(), name: String::new() };
    let obj = ctx.object("debug", v, &["trap_on_header"])?;
    let trap_on_header = match obj.get("trap_on_header") {
        None => None,
        Some(h) => Some(ctx.header_name("debug.trap_on_header", h)?),
    };
    Ok(Debug { trap_on_header })
}

/// Field access for one rule, carrying its label into every error.
pub(crate) struct Ctx {
    rule: String,
    /// The rule's name once known (empty for top-level fields).
    name: String,
}

impl Ctx {
    pub(crate) fn rule_name(&self) -> &str {
        &self.name
    }

    pub(crate) fn err(&self, field: &str, message: String) -> ConfigProblem {
        ConfigProblem { rule: self.rule.clone(), field: field.into(), message }
    }

    pub(crate) fn object<'a>(
        &self,
        field: &str,
        v: &'a Value,
        known: &[&str],
    ) -> Result<&'a Map<String, Value>, ConfigProblem> {
        let obj = v.as_object().ok_or_else(|| self.err(field, format!("must be an object, got {}", kind(v))))?;
        if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
            let path = if field.is_empty() { k.clone() } else { format!("{field}.{k}") };
            return Err(self.err(&path, format!("is not a known field (known: {})", known.join(", "))));
        }
        Ok(obj)
    }

    pub(crate) fn string(&self, field: &str, v: &Value) -> Result<String, ConfigProblem> {
        match v.as_str() {
            Some(s) if !s.is_empty() => Ok(s.to_owned()),
            _ => Err(self.err(field, format!("must be a non-empty string, got {}", kind(v)))),
        }
    }

    /// A header name, lowercased as Envoy hands headers to filters.
    pub(crate) fn header_name(&self, field: &str, v: &Value) -> Result<String, ConfigProblem> {
        let s = self.string(field, v)?;
        if s.len() > 128 || !s.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            return Err(self.err(field, format!("must be a header name (printable, no ':'), got {}", show_str(&s))));
        }
        Ok(s.to_ascii_lowercase())
    }

    pub(crate) fn uint(&self, field: &str, v: &Value, min: u64, max: u64) -> Result<u64, ConfigProblem> {
        match v.as_u64() {
            Some(n) if n >= min && n <= max => Ok(n),
            _ => Err(self.err(field, format!("must be an integer in [{min}, {max}], got {}", show(v)))),
        }
    }

    pub(crate) fn float(&self, field: &str, v: &Value, min: f64, max: f64) -> Result<f64, ConfigProblem> {
        match v.as_f64() {
            Some(n) if n.is_finite() && n >= min && n <= max => Ok(n),
            _ => Err(self.err(field, format!("must be a number in [{min}, {max}], got {}", show(v)))),
        }
    }

    pub(crate) fn boolean(&self, field: &str, v: &Value) -> Result<bool, ConfigProblem> {
        v.as_bool().ok_or_else(|| self.err(field, format!("must be true or false, got {}", show(v))))
    }

    pub(crate) fn duration(&self, field: &str, v: &Value) -> Result<u64, ConfigProblem> {
        duration(v).ok_or_else(|| {
            self.err(field, format!("must be a duration such as \"1s\", \"100ms\", \"1m\", \"1h\", got {}", show(v)))
        })
    }

    /// An HTTP status for an answer the filter sends itself.
    pub(crate) fn status(&self, field: &str, v: Option<&Value>, default: u32) -> Result<u32, ConfigProblem> {
        v.map_or(Ok(default), |s| self.uint(field, s, 200, 599).map(|n| n as u32))
    }

    /// A core `ConfigError` as this rule's field, `section.<field>`.
    pub(crate) fn core(&self, section: &str, rename: &[(&str, &str)], e: weir_core::ConfigError) -> ConfigProblem {
        let field = rename.iter().find(|(core, _)| *core == e.field()).map_or(e.field(), |(_, ours)| *ours);
        self.err(&format!("{section}.{field}"), format!("must be {}, got {}", e.rule(), e.got()))
    }
}

const RULE_FIELDS: [&str; 12] = [
    "name",
    "match",
    "limit",
    "shed",
    "throttle",
    "pick",
    "deadline",
    "breaker",
    "fallback",
    "mode",
    "on_state_error",
    "debug_headers",
];

fn parse_rule(index: usize, raw: &Value) -> Result<Rule, ConfigProblem> {
    let mut ctx = Ctx { rule: format!("rule #{index}"), name: String::new() };
    let obj = ctx.object("", raw, &RULE_FIELDS)?;
    let name = ctx.string("name", obj.get("name").unwrap_or(&Value::Null))?;
    if name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(ctx.err(
            "name",
            format!("must be 1-64 characters of [A-Za-z0-9_-] (it names metrics), got {}", show_str(&name)),
        ));
    }
    ctx.rule = format!("rule #{index} \"{name}\"");
    ctx.name = name.clone();
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
    let limits = obj.get("limit").map_or(Ok(Vec::new()), |v| limit::parse_all(&ctx, v))?;
    let shed = obj.get("shed").map(|v| shed::parse(&ctx, v)).transpose()?;
    let throttle = obj.get("throttle").map(|v| throttle::parse(&ctx, v)).transpose()?;
    let pick = obj.get("pick").map(|v| pick::parse(&ctx, v)).transpose()?;
    let deadline = obj.get("deadline").map(|v| deadline::parse(&ctx, v)).transpose()?;
    let breaker = obj.get("breaker").map(|v| breaker::parse(&ctx, v)).transpose()?;
    let pick_header = pick.as_ref().map(|p| p.header.as_str());
    let fallback = obj.get("fallback").map(|v| fallback::parse(&ctx, v, pick_header)).transpose()?;
    let refuses = !limits.is_empty() || shed.is_some() || throttle.is_some() || breaker.is_some();
    if fallback.is_some() && !refuses {
        return Err(ctx.err(
            "fallback",
            "must come with limit, shed, throttle or breaker (a fallback answers their refusals)".into(),
        ));
    }
    if !refuses && pick.is_none() && deadline.is_none() {
        return Err(ctx.err(
            "limit",
            "must be present, or one of shed, throttle, breaker, pick, deadline (a rule needs something to do)".into(),
        ));
    }
    Ok(Rule {
        name,
        matcher,
        limits,
        shed,
        throttle,
        pick,
        deadline,
        breaker,
        fallback,
        mode,
        on_state_error,
        debug_headers,
    })
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
            let name = ctx.header_name(&format!("{field}.name"), ho.get("name").unwrap_or(&Value::Null))?;
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

pub(crate) fn kind(v: &Value) -> &'static str {
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
pub(crate) fn show(v: &Value) -> String {
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

pub(crate) fn show_str(s: &str) -> String {
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
