//! Where every native call reads its inputs and writes its answer in the
//! scratch buffer, and the kinds of object a handle names, declared once. The
//! callbacks name their slots from these maps, `attach` and `release` match on
//! [`Kind`], and `lib/layout.js` is emitted from them (a test keeps the two
//! equal, others that JS names every slot and kind from it), so JS and Rust
//! cannot drift apart. In a map, inputs and outputs may share
//! a word: the call reads its inputs before it writes its answer.

/// Declares each slot map as a module of `usize` consts and lists them all
/// in [`MAPS`]; every slot is checked at compile time to fit the buffer.
macro_rules! layout {
    ($($(#[doc = $doc:literal])+ $map:ident { $($name:ident = $slot:expr),+ $(,)? })+) => {
        $(
            $(#[doc = $doc])+
            pub mod $map {
                $(pub const $name: usize = $slot;)+
            }
        )+
        /// Every map: its name, its description and its slots by name.
        pub const MAPS: &[(&str, &[&str], &[(&str, usize)])] =
            &[$((stringify!($map), &[$($doc),+], &[$((stringify!($name), $map::$name)),+])),+];
        const _: () = { $($(assert!($map::$name < SLOTS);)+)+ };
    };
}

/// Words in the buffer.
pub const SLOTS: usize = 32;

/// Status codes written to [`call::STATUS`] by calls that can fail.
pub mod status {
    pub const OK: f64 = 0.0;
    pub const CONFIG: f64 = 1.0;
    pub const FULL: f64 = 2.0;
    pub const BAD_HANDLE: f64 = 3.0;
    /// A Redis URL that does not parse (`fleetNew`; the message is in `lastFleetError`).
    pub const BAD_URL: f64 = 4.0;
    /// A refill thread that could not start (`fleetNew`).
    pub const NO_THREAD: f64 = 5.0;
    /// A system call failed or a file was not what it should be; the last
    /// error's rule holds the message.
    pub const SYSTEM: f64 = 6.0;
    /// Every code by name, for `lib/layout.js`.
    pub const ALL: [(&str, f64); 7] = [
        ("OK", OK),
        ("CONFIG", CONFIG),
        ("FULL", FULL),
        ("BAD_HANDLE", BAD_HANDLE),
        ("BAD_URL", BAD_URL),
        ("NO_THREAD", NO_THREAD),
        ("SYSTEM", SYSTEM),
    ];
}

/// Declares the kinds of native object once: the [`Kind`] enum numbered in
/// declaration order, and [`Kind::ALL`] that `lib/layout.js` emits as `KIND`.
macro_rules! kinds {
    ($($name:ident),+ $(,)?) => {
        /// Which process-wide table a JS handle's index points into (`KIND`
        /// in JS; `attach` and `release` dispatch on it).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Kind {
            $($name),+
        }

        impl Kind {
            /// Every kind with its JS name, in code order.
            pub const ALL: &[(&str, Kind)] = &[$((stringify!($name), Kind::$name)),+];
        }
    };
}

kinds! {
    Limiter, KeyedLimiter, ConcurrencyLimiter, Shedder, Throttle, Picker, RetryBudget, Backoff, SingleFlight,
    FleetLimiter, Lease, CircuitBreaker, AdaptiveLimiter, MultiLimiter,
}

impl Kind {
    /// The kind JS wrote as `code`, if it is one.
    pub fn from_code(code: u32) -> Option<Kind> {
        Kind::ALL.iter().map(|(_, kind)| *kind).find(|kind| *kind as u32 == code)
    }
}

layout! {
    /// Every call: the object's handle; `now` when the mode is exact; the status
    /// of a constructor or a change; the flag a decision raises when it queued an
    /// event (JS clears it); the mode (0: the call reads the clock and answers in
    /// f64, 1: it takes `now` and answers in exact u64, as the vectors replay).
    call { HANDLE = 0, NOW = 1, STATUS = 1, EVENTS = 30, MODE = 31 }
    /// A constructor's answer after an OK status: the table index and generation.
    created { INDEX = 2, GEN = 3 }
    /// A decision: reason code, then retry_after, remaining and reset_after.
    decision { REASON = 1, RETRY_AFTER = 2, REMAINING = 3, RESET_AFTER = 4 }
    /// `clock`: the monotonic clock in ns, as u64 and as f64.
    clock { NS = 1, NS_F64 = 2 }
    /// `attach` and `release`: the table kind and generation; 1 in ATTACHED when attached.
    table { KIND = 1, GEN = 2, ATTACHED = 1 }
    /// `*NextEvent` of the shedder, throttle, budget and keyed table: 1 in TAKEN
    /// when an event was taken, then its fields, and the events dropped so far.
    event { TAKEN = 1, KIND = 2, REASON = 3, AT = 4, COUNT = 5, SINCE = 6, DROPPED = 7 }

    /// `limiterNew`, `limiterOpenShared`, `keyedNew`: rate (f64) per PER ns, the
    /// burst (f64) if HAS_BURST, a keyed table's capacity.
    limiter_new { RATE = 1, PER = 2, BURST = 3, CAPACITY = 4, HAS_BURST = 5 }
    /// `limiterAcquire`, `keyedAcquire(Str)`, `multiAcquire`, `fleetAcquire`:
    /// the cost and a keyed table's u64 key; the answer is a decision.
    acquire { NOW = 1, COST = 2, KEY = 3 }
    /// `keyedStats`: the live entries and the capacity.
    keyed_stats { LIVE = 1, CAPACITY = 2 }
    /// `limiterDecisions`, `keyedDecisions`, `shedderDecisions`, `throttleDecisions`:
    /// the decisions made so far with reason code `r` in slot `FIRST + r`.
    decision_counts { FIRST = 1 }
    /// `limiterSet`, `keyedSet`, `multiSet`: which CHANGE (1 rate per PER, 2
    /// burst, 3 core's config as u64 at AT), and a multi limiter's rate INDEX.
    limiter_set { RATE = 1, PER = 2, BURST = 3, CHANGE = 4, AT = 5, INDEX = 6 }
    /// `multiNew`: COUNT rates, rate `i` in the WORDS words from `RATES + WORDS * i`.
    multi_new { COUNT = 1, RATES = 2, WORDS = 3 }
    /// One rate of `multiNew`, from its first word: the burst is NaN for the default.
    multi_rate { RATE = 0, PER = 1, BURST = 2 }

    /// `adaptiveNew`: the algorithm code, a mask of the fields given (bit
    /// `slot - INITIAL_LIMIT`), the fields (counts and ns exact, ratios f64).
    adaptive_new {
        ALGORITHM = 1, GIVEN = 2, INITIAL_LIMIT = 3, MIN_LIMIT = 4, MAX_LIMIT = 5, SMOOTHING = 6,
        RTT_TOLERANCE = 7, LONG_WINDOW = 8, QUEUE_SIZE = 9, ALPHA = 10, BETA = 11, PROBE_MULTIPLIER = 12,
        BACKOFF_RATIO = 13, TIMEOUT = 14,
    }
    /// `adaptiveAcquire`: after the decision, the permit's in-flight count and start.
    adaptive_acquire { IN_FLIGHT = 5, STARTED_AT = 6 }
    /// `adaptiveRelease`: the permit, its RTT (exact mode) or start, the outcome
    /// code; the answer is the new limit.
    adaptive_release { IN_FLIGHT = 2, RTT = 3, STARTED_AT = 3, OUTCOME = 4, LIMIT = 1 }
    /// `adaptiveStats` (estimate and baseline RTT in f64).
    adaptive_stats { LIMIT = 1, IN_FLIGHT = 2, ESTIMATE = 3, BASELINE_RTT = 4, ADMITTED = 5, REFUSED = 6 }

    /// `breakerNew` and `breakerDefaults`: the window kind (1 time), the fields
    /// (counts and ns exact, the rate thresholds f64).
    breaker_config {
        WINDOW = 1, WINDOW_CALLS = 2, WINDOW_NS = 3, BUCKETS = 4, MINIMUM_CALLS = 5,
        FAILURE_RATE_THRESHOLD = 6, SLOW_CALL_RATE_THRESHOLD = 7, SLOW_CALL = 8, CONSECUTIVE_FAILURES = 9,
        OPEN = 10, HALF_OPEN_PROBES = 11, HALF_OPEN_MAX = 12,
    }
    /// `breakerAcquire`: after the decision, the permit's bits, its start, 1 for
    /// a probe, 1 in MOVED when the breaker changed state.
    breaker_acquire { PERMIT = 5, STARTED_AT = 6, PROBE = 7, MOVED = 8 }
    /// `breakerRecord`, `breakerRelease`, `breakerCommand`: the permit's bits,
    /// whether it failed, its duration (exact mode) or start; the command (0
    /// force open, 1 disable, 2 reset). Answers: RELEASED, MOVED.
    breaker_call { PERMIT = 2, COMMAND = 2, FAILED = 3, DURATION = 4, STARTED_AT = 4, RELEASED = 1, MOVED = 8 }
    /// `breakerNextEvent`: 1 in TAKEN when a move was taken, then its fields.
    breaker_event {
        TAKEN = 1, FROM = 2, TO = 3, CAUSE = 4, CALLS = 5, FAILURES = 6, SLOW = 7, CONSECUTIVE_FAILURES = 8, AT = 9,
    }
    /// `breakerStats`.
    breaker_stats {
        STATE = 1, CALLS = 2, FAILURES = 3, SLOW = 4, CONSECUTIVE_FAILURES = 5, PROBES_ISSUED = 6,
        PROBES_RETURNED = 7, OPEN_LEFT = 8, ADMITTED = 9, REFUSED_OPEN = 10, REFUSED_HALF_OPEN = 11,
        EVENTS_DROPPED = 12,
    }

    /// `concurrencyNew`: the cap, and the queue and wait when HAS_* says given.
    concurrency_new { MAX = 1, MAX_QUEUE = 2, MAX_WAIT = 3, HAS_MAX_QUEUE = 4, HAS_MAX_WAIT = 5 }
    /// `concurrencyEnqueue`: the caller's own wait (ns, exact) if given. Answer:
    /// OUTCOME 0 acquired, 1 queued (the TICKET, the WAIT in ns), 2 refused (the
    /// REFUSAL code).
    concurrency_enqueue { MAX_WAIT = 1, HAS_MAX_WAIT = 2, OUTCOME = 1, TICKET = 2, REFUSAL = 2, WAIT = 3 }
    /// `concurrencyRelease`: whether a permit was returned, the permits in
    /// flight, the ticket it was handed to (0: freed).
    concurrency_release { RELEASED = 1, IN_FLIGHT = 2, HANDED_TO = 3 }
    /// `concurrencyCancel` (1 in TIMED_OUT for a timeout) and
    /// `concurrencyWaiting`: the ticket; 1 in ANSWER when it left the queue
    /// (cancel) or still waits (waiting).
    concurrency_ticket { TICKET = 1, TIMED_OUT = 2, ANSWER = 1 }
    /// `concurrencyStats`: the refusals by code from REFUSED on.
    concurrency_stats {
        IN_FLIGHT = 1, MAX = 2, QUEUED = 3, MAX_QUEUE = 4, MAX_WAIT = 5, ADMITTED = 6, ADMITTED_AFTER_WAIT = 7,
        REFUSED = 8,
    }

    /// `deadlineCheck`, `deadlineBudget`: the config (ns), the deadline if
    /// HAS_DEADLINE. Answer: a reason code (255 a bad config), the callee's budget.
    deadline { TIMEOUT = 2, MARGIN = 3, HAS_DEADLINE = 4, DEADLINE = 5, REASON = 1, BUDGET = 2 }
    /// The header codecs: `*Parse` answer a CODE (0 or a header error) and the
    /// NS (`retryAfterParse` takes the Unix time in seconds); `*Format` take the
    /// NS and a TEXT_CAPACITY and answer the TEXT_LENGTH bytes from word TEXT on.
    header { CODE = 1, NS = 2, NOW_UNIX_S = 2, TEXT = 3, TEXT_CAPACITY = 8, TEXT_LENGTH = 9 }

    /// `fleetNew` (with its two string arguments): counts exact, durations in ns.
    fleet_new {
        RATE = 1, PER = 2, BURST = 3, NODES = 4, MIN_BATCH = 5, MAX_BATCH = 6, BATCH_PERIOD = 7, LEAD = 8,
        LEASE_TTL = 9, REDIS_TIMEOUT = 10, RETRY_INTERVAL = 11, FALLBACK_BURST = 12, KEY_IDLE_TTL = 13,
    }
    /// `fleetStats` (f64).
    fleet_stats {
        ADMITTED = 1, REJECTED = 2, REDIS_CALLS = 3, LEASES = 4, LEASED_TOKENS = 5, FALLBACKS = 6, RESUMES = 7,
        FALLBACK_ADMITTED = 8, IN_FALLBACK = 9, LEASE_LEFT = 10, BOUND = 11, MAX_BATCH = 12,
    }
    /// `hashKey`: the key's hash as u64 after an OK status.
    hash_key { HASH = 2 }

    /// `leaseNew`: counts exact, durations in ns.
    lease_new { MIN_BATCH = 1, MAX_BATCH = 2, BATCH_PERIOD = 3, LEAD = 4, TTL = 5 }
    /// `leasePlan`: the rate, and the store's LEFT and EXPIRES_AT or (1 in OWN)
    /// this lease's own; the answer is the plan.
    lease_plan {
        RATE_TOKENS = 2, RATE_OVER = 3, LEFT = 4, EXPIRES_AT = 5, OWN = 6, ASK = 1, NEXT_AT = 2, LOW_WATER = 3,
    }
    /// `leaseGrant`: the tokens until EXPIRES_AT, or for TTL ns when TTL_GIVEN;
    /// the answer is the tokens left.
    lease_grant { TOKENS = 2, EXPIRES_AT = 3, TTL = 3, TTL_GIVEN = 4, LEFT = 1 }
    /// `leaseSpend`: OUTCOME 0 spent, 1 short, 2 expired, and the tokens left.
    lease_spend { COST = 2, OUTCOME = 1, LEFT = 2 }
    /// `leaseSnapshot` (LEFT, EXPIRES_AT) and `leaseRevoke` (the tokens DROPPED).
    lease_snapshot { LEFT = 1, EXPIRES_AT = 2, DROPPED = 1 }

    /// `pickerNew`: the capacity, durations in ns, the success floor (f64).
    picker_new {
        CAPACITY = 1, TAU = 2, FORCE_PICK = 3, SUCCESS_FLOOR = 4, CPU_CEILING = 5, LATENCY_BIAS = 6,
        INITIAL_LATENCY = 7,
    }
    /// `pickerAdd` (a node's u64 ID; answers its index, -1 when full),
    /// `pickerRemove`, `pickerSetUp`: the node's INDEX; 1 in ANSWER when changed.
    picker_change { ID = 2, INDEX = 2, UP = 3, ANSWER = 1 }
    /// `pickerPick`: the DRAW in exact mode. Answer: a reason code, the ticket,
    /// 1 in FORCED for a forced pick, the `now` used.
    picker_pick { DRAW = 2, REASON = 1, INDEX = 2, GEN = 3, FORCED = 4, AT = 5 }
    /// `pickerDone`: the ticket, the latency, or (1 in MEASURE) now - STARTED_AT;
    /// success, CPU permille (< 0: none). 1 in CURRENT when the ticket was.
    picker_done { INDEX = 2, GEN = 3, LATENCY = 4, SUCCESS = 5, CPU = 6, STARTED_AT = 7, MEASURE = 8, CURRENT = 1 }
    /// `pickerNode`: the INDEX. Answer: 1 in FOUND, then the node (STATE 0 empty,
    /// 1 up, 2 down, 3 adding; latency and success f64, the ID u64).
    picker_node {
        INDEX = 2, FOUND = 1, STATE = 2, IN_FLIGHT = 3, LATENCY = 4, SUCCESS = 5, CPU = 6, ID = 7, LAST_PICK = 8,
    }

    /// `policyCheckBare`: 0 a plain admission, 1 a verdict waits, 2 ask `check`.
    policy_check { CODE = 1 }

    /// `backoffNew`: durations in ns, the multiplier (f64), the jitter code.
    backoff_new { BASE = 1, CAP = 2, MULTIPLIER = 3, JITTER = 4, MAX_ATTEMPTS = 5, ADVISED_CAP = 6 }
    /// `backoffDelay`, `backoffNext`, `retryDecide`: the attempt, the DRAW in exact
    /// mode, the previous delay, the server's ADVICE if HAS_ADVICE, the deadline
    /// left, the BACKOFF's handle (the budget's is the call's, < 0 for none), 1 in
    /// NO_RETRY when the answer said not to retry.
    retry_ask {
        ATTEMPT = 2, DRAW = 3, PREVIOUS = 4, HAS_ADVICE = 5, ADVICE = 6, DEADLINE_LEFT = 7, BACKOFF = 8,
        NO_RETRY = 9,
    }
    /// The delays answered: `backoffDelay`'s, `backoffNext`'s (after its
    /// reason code) and `retryDecide`'s (after its decision).
    retry_delay { BACKOFF_DELAY = 1, NEXT_REASON = 1, NEXT_DELAY = 2, DECIDE_DELAY = 5 }
    /// `budgetNew`: the ratio (f64), the floor per second, the window in ns.
    budget_new { RATIO = 1, MIN_PER_SECOND = 2, WINDOW = 3, BUCKETS = 4 }
    /// `budgetDeposit` (COUNT), `budgetWithdraw` (the DELAY and the deadline
    /// left; a decision), `budgetSnapshot` (REQUESTS, RETRIES).
    budget_call { COUNT = 2, DELAY = 2, DEADLINE_LEFT = 3, REQUESTS = 1, RETRIES = 2 }

    /// `shedderNew`: durations in ns, the CPU decay (f64).
    shedder_new { WINDOW = 1, BUCKETS = 2, CPU_THRESHOLD = 3, CPU_DECAY = 4, COOL_OFF = 5, MAX_QUEUE = 6 }
    /// `shedderAcquire` (after the decision, the `now` used, which `shedderDone`
    /// takes back as STARTED_AT), `shedderCpu` (a PERMILLE; answers the smoothed
    /// CPU), `shedderSample` (the INTERVAL in ns; 1 in RUNNING).
    shedder_call { ACQUIRED_AT = 5, STARTED_AT = 2, PERMILLE = 2, CPU = 1, INTERVAL = 2, RUNNING = 1 }
    /// `shedderStats` (the CPU f64, 1 in COOLING_OFF).
    shedder_stats { IN_FLIGHT = 1, CPU = 2, MAX_PASS = 3, MIN_RT = 4, MAX_IN_FLIGHT = 5, COOLING_OFF = 6 }
    /// `throttleNew`: K and the probability f64, the window in ns.
    throttle_new { K = 1, WINDOW = 2, BUCKETS = 3, MIN_REQUESTS = 4, MAX_REJECT_PROBABILITY = 5 }
    /// `throttleAcquire` (the DRAW in exact mode; after the decision the `now`
    /// used, which `throttleForget` takes back as FORGET_AT), `throttleRecord`
    /// (1 in SUCCESS), `throttleStats`.
    throttle_call {
        DRAW = 2, ACQUIRED_AT = 5, FORGET_AT = 2, SUCCESS = 2, REQUESTS = 1, ACCEPTS = 2, REJECT_PROBABILITY = 3,
    }

    /// `flightNew`: the table's capacity.
    flight_new { CAPACITY = 1 }
    /// `flightBegin` (a u64 KEY) and `flightFinish`/`Leave`/`IsDone` (the ticket:
    /// SLOT, GEN); the table is counted when COUNT_OCCUPIED is 1. Answer: ROLE (0
    /// leader, 1 follower, 2 full) and the ticket, or 1 in OK; the slot's STATE (0
    /// free .. 3 draining) and WAITERS.
    flight { KEY = 2, SLOT = 2, GEN = 3, COUNT_OCCUPIED = 7, ROLE = 1, OK = 1, OCCUPIED = 4, STATE = 5, WAITERS = 6 }
}

#[cfg(test)]
mod tests {
    use super::{status, Kind, MAPS, SLOTS};

    const FILE: &str = "bindings/node/lib/layout.js";
    const REGENERATE: &str = "WEIR_BLESS=1 cargo test -p weir-node --lib layout";

    /// `lib/layout.js`: each map as a frozen object named in upper case.
    fn js() -> String {
        let mut out = format!(
            "// Code generated by bindings/node/src/layout.rs ({REGENERATE}). DO NOT EDIT.\n\
             'use strict';\n\
             // The scratch buffer's slots by name: F[map.NAME] is a word as f64, B[map.NAME] as u64.\n\n\
             /** Words in the buffer. */\nexports.SLOTS = {SLOTS};\n"
        );
        let codes: Vec<String> = status::ALL.iter().map(|(name, code)| format!("{name}: {code}")).collect();
        let codes = codes.join(", ");
        out.push_str(&format!(
            "\n/** Status codes a call that can fail writes to CALL.STATUS. */\nexports.STATUS = Object.freeze({{ {codes} }});\n"
        ));
        let kinds: Vec<String> =
            Kind::ALL.iter().map(|(name, kind)| format!("  {name}: {},\n", *kind as u32)).collect();
        out.push_str(&format!(
            "\n/** The kinds of native object, written to TABLE.KIND by attach and release. */\n\
             exports.KIND = Object.freeze({{\n{}}});\n",
            kinds.concat()
        ));
        for (map, doc, slots) in MAPS {
            out.push_str("\n/**\n");
            for line in *doc {
                out.push_str(&format!(" *{line}\n"));
            }
            out.push_str(" */\n");
            let fields: Vec<String> = slots.iter().map(|(name, slot)| format!("{name}: {slot}")).collect();
            let line = format!("exports.{} = Object.freeze({{ {} }});\n", map.to_uppercase(), fields.join(", "));
            if line.len() <= 120 {
                out.push_str(&line);
            } else {
                let fields: String = fields.iter().map(|f| format!("  {f},\n")).collect();
                out.push_str(&format!("exports.{} = Object.freeze({{\n{fields}}});\n", map.to_uppercase()));
            }
        }
        out
    }

    #[test]
    fn layout_js_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/lib/layout.js");
        let want = js();
        if std::env::var_os("WEIR_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(have == want, "{FILE} is stale (or missing): regenerate it with `{REGENERATE}` and commit it");
    }

    /// The JS wrappers, but the emitted file: (name, text).
    fn wrappers() -> Vec<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/lib");
        let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.retain(|p| p.extension().is_some_and(|e| e == "js") && !p.ends_with("layout.js"));
        files.sort();
        assert!(files.len() > 10, "expected the wrappers in {dir}");
        files.iter().map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap())).collect()
    }

    fn is_word(c: u8) -> bool {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
    }

    /// A slot JS names but the layout does not have reads as `undefined`, and
    /// `F[undefined] = x` writes nowhere without a word: catch it here.
    #[test]
    fn the_wrappers_name_only_declared_slots() {
        for (file, text) in wrappers() {
            let bytes = text.as_bytes();
            for (map, _, slots) in MAPS {
                let upper = format!("{}.", map.to_uppercase());
                for (at, _) in text.match_indices(&upper) {
                    if at > 0 && is_word(bytes[at - 1]) {
                        continue;
                    }
                    let start = at + upper.len();
                    let end = (start..bytes.len()).find(|&i| !is_word(bytes[i])).unwrap_or(bytes.len());
                    let name = &text[start..end];
                    assert!(slots.iter().any(|(n, _)| *n == name), "{file}: {upper}{name} is not in src/layout.rs");
                }
            }
        }
    }

    #[test]
    fn the_wrappers_number_no_slot() {
        for (file, text) in wrappers() {
            for access in ["F[", "B[", "putU64("] {
                for (at, _) in text.match_indices(access) {
                    let next = text.as_bytes().get(at + access.len()).copied().unwrap_or(b' ');
                    let line = text[..at].lines().count();
                    assert!(
                        !next.is_ascii_digit(),
                        "{file}:{line}: a slot by number ({access}...); name it from layout.js"
                    );
                }
            }
        }
    }

    /// The lines of `text` that give a kind by number or declare kinds of
    /// their own, where JS must name one from `KIND` in layout.js.
    fn kinds_by_number(text: &str) -> Vec<usize> {
        let bytes = text.as_bytes();
        let mut lines = Vec::new();
        for access in ["create(", "attach(", "kind: ", "TABLE.KIND] = "] {
            for (at, _) in text.match_indices(access) {
                if bytes.get(at + access.len()).is_some_and(u8::is_ascii_digit) {
                    lines.push(text[..at].matches('\n').count() + 1);
                }
            }
        }
        for (at, _) in text.match_indices("KIND = ") {
            if at == 0 || !(is_word(bytes[at - 1]) || bytes[at - 1] == b'.') {
                lines.push(text[..at].matches('\n').count() + 1);
            }
        }
        lines
    }

    #[test]
    fn a_kind_by_number_or_a_table_of_kinds_is_caught() {
        assert_eq!(kinds_by_number("x;\nthis.h = create(3, n.shedderNew, FIELDS);"), [2]);
        assert_eq!(kinds_by_number("attach(0, shared, 'Limiter')"), [1]);
        assert_eq!(kinds_by_number("return { index, gen, kind: 9 };"), [1]);
        assert_eq!(kinds_by_number("F[TABLE.KIND] = 4;"), [1]);
        assert_eq!(kinds_by_number("const KIND = { Limiter: 0 };"), [1]);
        let named = "create(KIND.Shedder, n.shedderNew, F); F[TABLE.KIND] = held.kind; kind: KIND.Lease";
        assert_eq!(kinds_by_number(named), [0usize; 0]);
    }

    /// JS reads every kind from `KIND` in layout.js, so a kind added,
    /// removed or renumbered here reaches JS only through the emitted file,
    /// which [`layout_js_is_current`] keeps current.
    #[test]
    fn the_wrappers_number_no_kind() {
        for (file, text) in wrappers() {
            let lines = kinds_by_number(&text);
            assert!(
                lines.is_empty(),
                "{file}:{lines:?}: a kind by number or a KIND of its own; name it from layout.js"
            );
        }
    }

    #[test]
    fn the_wrappers_name_only_declared_kinds() {
        for (file, text) in wrappers() {
            let bytes = text.as_bytes();
            for (at, _) in text.match_indices("KIND.") {
                if at > 0 && (is_word(bytes[at - 1]) || bytes[at - 1] == b'.') {
                    continue;
                }
                let start = at + "KIND.".len();
                let end = (start..bytes.len()).find(|&i| !is_word(bytes[i])).unwrap_or(bytes.len());
                let name = &text[start..end];
                assert!(
                    Kind::ALL.iter().any(|(n, _)| *n == name),
                    "{file}: KIND.{name} is not a Kind in src/layout.rs"
                );
            }
        }
    }

    #[test]
    fn a_kind_is_found_by_its_code_and_no_other() {
        for (code, (_, kind)) in Kind::ALL.iter().enumerate() {
            assert_eq!(Kind::from_code(code as u32), Some(*kind));
        }
        assert_eq!(Kind::from_code(Kind::ALL.len() as u32), None);
    }

    #[test]
    fn no_map_reaches_the_event_flag_or_the_mode() {
        for (map, _, slots) in MAPS.iter().filter(|(map, _, _)| *map != "call") {
            for (name, slot) in *slots {
                assert!(*slot < super::call::EVENTS, "{map}::{name} = {slot} overlaps the event flag or the mode");
            }
        }
    }
}
