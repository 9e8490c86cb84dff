//! The memstats record with every value named as in Go's `runtime.MemStats`.

use serde::{Deserialize, Serialize};

/// `runtime.MemStats` as written by the heap dump: 24 scalars, the PauseNs ring and NumGC.
/// `PauseEnd`, `NumForcedGC`, `GCCPUFraction`, `EnableGC`, `DebugGC` and `BySize` are not
/// in the dump.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct MemStats {
    pub alloc: u64,
    pub total_alloc: u64,
    pub sys: u64,
    pub lookups: u64,
    pub mallocs: u64,
    pub frees: u64,
    pub heap_alloc: u64,
    pub heap_sys: u64,
    pub heap_idle: u64,
    pub heap_inuse: u64,
    pub heap_released: u64,
    pub heap_objects: u64,
    pub stack_inuse: u64,
    pub stack_sys: u64,
    #[serde(rename = "MSpanInuse")]
    pub mspan_inuse: u64,
    #[serde(rename = "MSpanSys")]
    pub mspan_sys: u64,
    #[serde(rename = "MCacheInuse")]
    pub mcache_inuse: u64,
    #[serde(rename = "MCacheSys")]
    pub mcache_sys: u64,
    pub buck_hash_sys: u64,
    #[serde(rename = "GCSys")]
    pub gc_sys: u64,
    pub other_sys: u64,
    #[serde(rename = "NextGC")]
    pub next_gc: u64,
    /// Wall clock, nanoseconds since the Unix epoch.
    #[serde(rename = "LastGC")]
    pub last_gc: u64,
    pub pause_total_ns: u64,
    /// The circular buffer as stored: the most recent pause is at `(NumGC + 255) % 256`.
    pub pause_ns: Vec<u64>,
    #[serde(rename = "NumGC")]
    pub num_gc: u64,
}

impl MemStats {
    /// Every scalar field by its Go name, in declaration order (the PauseNs ring left out):
    /// what the overview and the report list.
    pub fn named_values(&self) -> Vec<(String, u64)> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m
                .into_iter()
                .filter_map(|(k, v)| v.as_u64().map(|v| (k, v)))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn from_values(v: &[u64; crate::format::MEMSTATS_LEN]) -> MemStats {
        MemStats {
            alloc: v[0],
            total_alloc: v[1],
            sys: v[2],
            lookups: v[3],
            mallocs: v[4],
            frees: v[5],
            heap_alloc: v[6],
            heap_sys: v[7],
            heap_idle: v[8],
            heap_inuse: v[9],
            heap_released: v[10],
            heap_objects: v[11],
            stack_inuse: v[12],
            stack_sys: v[13],
            mspan_inuse: v[14],
            mspan_sys: v[15],
            mcache_inuse: v[16],
            mcache_sys: v[17],
            buck_hash_sys: v[18],
            gc_sys: v[19],
            other_sys: v[20],
            next_gc: v[21],
            last_gc: v[22],
            pause_total_ns: v[23],
            pause_ns: v[24..280].to_vec(),
            num_gc: v[280],
        }
    }

    /// The most recent pauses, oldest first (at most 256).
    pub fn recent_pauses(&self) -> Vec<u64> {
        let n = self.num_gc.min(256) as usize;
        (0..n)
            .map(|k| {
                // Modulo first: NumGC comes from the file and may be near 2^64.
                let i = ((self.num_gc % 256) as usize + 256 - n + k) % 256;
                self.pause_ns[i]
            })
            .collect()
    }
}
