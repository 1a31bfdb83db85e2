//! `grpc_failures`: the `grpc-status` codes a throttle or a picker counts
//! as the upstream failing, by number or by canonical name.

use super::{show, ConfigProblem, Ctx};
use serde_json::Value;

/// gRPC's canonical codes, by number.
pub const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// `[14, "RESOURCE_EXHAUSTED"]`: codes 1-16 (OK is never a failure).
pub(super) fn parse(ctx: &Ctx, field: &str, v: &Value) -> Result<Vec<u32>, ConfigProblem> {
    let list = v
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ctx.err(field, format!("must be a non-empty list of gRPC codes, got {}", show(v))))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let item_field = format!("{field}[{i}]");
        let code = match item {
            Value::Number(_) => ctx.uint(&item_field, item, 1, 16)? as u32,
            Value::String(s) => match CODES.iter().position(|c| c.eq_ignore_ascii_case(s)) {
                Some(n) if n > 0 => n as u32,
                _ => {
                    return Err(ctx.err(
                        &item_field,
                        format!("must be a gRPC code 1-16 or its name such as \"UNAVAILABLE\", got {}", show(item)),
                    ))
                }
            },
            _ => return Err(ctx.err(&item_field, format!("must be a gRPC code 1-16 or its name, got {}", show(item)))),
        };
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// A `grpc-status` header's value, if it is a code.
pub fn parse_status(value: &[u8]) -> Option<u32> {
    crate::request::parse_uint(value).map(|c| c.min(u64::from(u32::MAX)) as u32)
}
