//! Numbers for people.

pub use crate::report::human_bytes as bytes;

pub use crate::units::count;

pub fn signed(n: i64) -> String {
    if n >= 0 {
        format!("+{}", count(n as u64))
    } else {
        format!("-{}", count(n.unsigned_abs()))
    }
}

pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".into();
    }
    let p = 100.0 * part as f64 / whole as f64;
    if p > 0.0 && p < 0.1 {
        "<0.1%".into()
    } else {
        format!("{p:.1}%")
    }
}

/// `1.2 ms`, `850 µs`, `2.1 s`.
pub fn duration_ns(ns: u64) -> String {
    let v = ns as f64;
    if v >= 1e9 {
        format!("{:.2} s", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} µs", v / 1e3)
    } else {
        format!("{ns} ns")
    }
}

pub fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else {
        format!("{v:.0} ms")
    }
}

pub fn hex(v: u64) -> String {
    format!("0x{v:x}")
}

/// `s` cut to `chars` characters with an ellipsis (labels inside SVG charts).
pub fn fit(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        s.chars()
            .take(chars.saturating_sub(1))
            .chain(std::iter::once('…'))
            .collect()
    }
}
