use core::fmt;

/// The offending value carried by a [`ConfigError`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An unsigned integer.
    Unsigned(u64),
    /// A floating point number (possibly NaN or infinite).
    Float(f64),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unsigned(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
        }
    }
}

/// A configuration that a constructor refused: which field, which rule, what
/// it got. Displays as `"burst must be >= 1, got 0"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConfigError {
    field: &'static str,
    rule: &'static str,
    got: Value,
}

impl ConfigError {
    /// An error for `field` breaking `rule` (phrased to follow "must be").
    pub const fn new(field: &'static str, rule: &'static str, got: Value) -> Self {
        Self { field, rule, got }
    }

    /// The config field, as hosts spell it in snake case (`"burst"`).
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// The rule the field broke, phrased to follow "must be" (`">= 1"`).
    pub const fn rule(&self) -> &'static str {
        self.rule
    }

    /// The value that broke the rule.
    pub const fn got(&self) -> Value {
        self.got
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} must be {}, got {}", self.field, self.rule, self.got)
    }
}

impl core::error::Error for ConfigError {}

/// Validation helpers shared by every config so the wording stays uniform.
pub(crate) mod check {
    use super::{ConfigError, Value};

    pub(crate) fn at_least(field: &'static str, rule: &'static str, got: u64, min: u64) -> Result<u64, ConfigError> {
        if got >= min {
            Ok(got)
        } else {
            Err(ConfigError::new(field, rule, Value::Unsigned(got)))
        }
    }

    pub(crate) fn at_most(field: &'static str, rule: &'static str, got: u64, max: u64) -> Result<u64, ConfigError> {
        if got <= max {
            Ok(got)
        } else {
            Err(ConfigError::new(field, rule, Value::Unsigned(got)))
        }
    }

    /// A finite float in `[min, max]`; NaN and infinities are refused by name.
    pub(crate) fn float_in(
        field: &'static str,
        rule: &'static str,
        got: f64,
        min: f64,
        max: f64,
    ) -> Result<f64, ConfigError> {
        if got.is_finite() && got >= min && got <= max {
            Ok(got)
        } else {
            Err(ConfigError::new(field, rule, Value::Float(got)))
        }
    }
}
