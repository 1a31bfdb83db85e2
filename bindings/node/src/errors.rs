//! Config errors travel back to JS out of band: a constructor writes a
//! status to the scratch buffer and leaves the error here, where the JS
//! wrapper reads it to throw a `RangeError` that names the field.

use std::cell::RefCell;

use napi_derive::napi;
use weir_core::ConfigError;

use crate::layout::created as placed;
use crate::scratch::{status, Scratch};
use crate::table::Table;

thread_local! {
    static LAST: RefCell<Option<[String; 3]>> = const { RefCell::new(None) };
}

pub fn set(e: &ConfigError) {
    set_parts(e.field(), e.rule(), &e.got().to_string());
}

/// Records an error the binding found itself: a config field (empty for an
/// error that is not about one), the rule or message, and the value given.
pub fn set_parts(field: &str, rule: &str, got: &str) {
    LAST.with(|l| *l.borrow_mut() = Some([field.to_owned(), rule.to_owned(), got.to_owned()]));
}

/// `[field, rule, got]` of the last config error on this thread, once.
#[napi(js_name = "lastError")]
pub fn last_error() -> Option<Vec<String>> {
    LAST.with(|l| l.borrow_mut().take()).map(Vec::from)
}

/// Writes the outcome of a constructor: a status, then where it was placed.
pub fn created<T>(s: Scratch, table: &Table<T>, built: Result<T, ConfigError>) {
    match built {
        Err(e) => {
            set(&e);
            s.status(status::CONFIG);
        }
        Ok(value) => match table.insert(value) {
            None => s.status(status::FULL),
            Some(at) => {
                s.status(status::OK);
                s.set_f(placed::INDEX, at.index as f64);
                s.set_f(placed::GEN, at.gen as f64);
            }
        },
    }
}
