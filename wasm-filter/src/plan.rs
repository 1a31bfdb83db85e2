//! A validated configuration bound to one VM: shared-data keys created,
//! counters defined. Built in `on_configure`, shared by the VM's streams.

use crate::config::{Config, KeySource, Rule};
use crate::host;
use crate::keyed;
use crate::shared::{self, Store};

/// Counters of one rule, named `weir.<rule>.<outcome>` so an Envoy
/// `stats_tags` regex can lift the rule name into a tag.
#[derive(Debug, Default)]
pub struct Counters {
    pub admitted: Option<u32>,
    pub limited: Option<u32>,
    pub shadow_limited: Option<u32>,
    pub state_error: Option<u32>,
}

impl Counters {
    fn define(rule: &str) -> Self {
        let c = |outcome: &str| host::define_counter(&format!("weir.{rule}.{outcome}"));
        Self {
            admitted: c("admitted"),
            limited: c("limited"),
            shadow_limited: c("shadow_limited"),
            state_error: c("state_error"),
        }
    }
}

pub struct RulePlan {
    pub rule: Rule,
    /// The shared-data key of an unkeyed limit, or the prefix of a keyed one's sets.
    pub state_key: String,
    pub sets: u64,
    pub counters: Counters,
}

pub struct Plan {
    pub rules: Vec<RulePlan>,
    pub needs_path: bool,
    pub needs_method: bool,
}

/// Binds `config` to this VM, creating every shared-data value the rules
/// will CAS on. Fails with a log-ready message if the host refuses one.
pub fn build(config: Config, store: &impl Store) -> Result<Plan, String> {
    let mut rules = Vec::with_capacity(config.rules.len());
    for rule in config.rules {
        let state_key = format!("weir.limit.{}", rule.name);
        let mut sets = 0;
        if let Some(limit) = &rule.limit {
            if limit.key == KeySource::None {
                shared::ensure(store, &state_key, &0u64.to_le_bytes())
                    .map_err(|e| format!("rule \"{}\": cannot create shared state {state_key}: {e:?}", rule.name))?;
            } else {
                sets = limit.max_keys / weir_core::limiter::WAYS as u64;
                let empty = [0u8; keyed::SET_BYTES];
                for i in 0..sets {
                    let key = keyed::set_key(&state_key, i);
                    shared::ensure(store, &key, &empty)
                        .map_err(|e| format!("rule \"{}\": cannot create shared state {key}: {e:?}", rule.name))?;
                }
            }
        }
        let counters = Counters::define(&rule.name);
        rules.push(RulePlan { rule, state_key, sets, counters });
    }
    let needs_path = rules
        .iter()
        .any(|r| r.rule.matcher.needs_path() || r.rule.limit.as_ref().is_some_and(|l| l.key == KeySource::Path));
    let needs_method = rules.iter().any(|r| r.rule.matcher.method.is_some());
    Ok(Plan { rules, needs_path, needs_method })
}
