//! The view and its arguments live in the URL hash, so a reload (or a shared link, with
//! the same dump) comes back to the same place: `#/object/0xc000012340`,
//! `#/objects?q=main.Node`, `#/retainers/0xc000012340?ignore=0xc000010000`. `src=sample`
//! records that the sample dump is open, so a reload opens it again.

/// The views in the sidebar, in order. A new view goes here and in `App::view_body`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    Overview,
    Leaks,
    Dominators,
    Flame,
    Objects,
    Classes,
    Goroutines,
    Lost,
    Inspector,
    Retainers,
    Compare,
    Export,
}

impl ViewKind {
    pub const SIDEBAR: [ViewKind; 12] = [
        ViewKind::Overview,
        ViewKind::Leaks,
        ViewKind::Dominators,
        ViewKind::Flame,
        ViewKind::Objects,
        ViewKind::Classes,
        ViewKind::Goroutines,
        ViewKind::Lost,
        ViewKind::Inspector,
        ViewKind::Retainers,
        ViewKind::Compare,
        ViewKind::Export,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ViewKind::Overview => "overview",
            ViewKind::Leaks => "leaks",
            ViewKind::Dominators => "dominators",
            ViewKind::Flame => "flame",
            ViewKind::Objects => "objects",
            ViewKind::Classes => "classes",
            ViewKind::Goroutines => "goroutines",
            ViewKind::Lost => "lost",
            ViewKind::Inspector => "object",
            ViewKind::Retainers => "retainers",
            ViewKind::Compare => "compare",
            ViewKind::Export => "export",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Overview => "Overview",
            ViewKind::Leaks => "Leak suspects",
            ViewKind::Dominators => "Dominator tree",
            ViewKind::Flame => "Flame graph",
            ViewKind::Objects => "Objects",
            ViewKind::Classes => "Classes",
            ViewKind::Goroutines => "Goroutines",
            ViewKind::Lost => "Lost objects",
            ViewKind::Inspector => "Object inspector",
            ViewKind::Retainers => "Retainers",
            ViewKind::Compare => "Compare dumps",
            ViewKind::Export => "Export",
        }
    }

    fn from_slug(s: &str) -> Option<ViewKind> {
        ViewKind::SIDEBAR.into_iter().find(|v| v.slug() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub view: ViewKind,
    /// The selected object (inspector, retainers).
    pub object: Option<u64>,
    /// Table filter (objects, classes, goroutines).
    pub filter: String,
    /// Retainers ignored in the retainers view.
    pub ignore: Vec<u64>,
    /// The sample dump is the one open.
    pub sample: bool,
}

impl Default for Route {
    fn default() -> Route {
        Route {
            view: ViewKind::Overview,
            object: None,
            filter: String::new(),
            ignore: Vec::new(),
            sample: false,
        }
    }
}

pub fn parse_addr(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn decode(s: &str) -> String {
    js_sys::decode_uri_component(s)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| s.to_string())
}

fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

impl Route {
    pub fn to(view: ViewKind) -> Route {
        Route {
            view,
            ..Route::default()
        }
    }

    pub fn object(view: ViewKind, addr: u64) -> Route {
        Route {
            view,
            object: Some(addr),
            ..Route::default()
        }
    }

    pub fn with_filter(view: ViewKind, filter: &str) -> Route {
        Route {
            view,
            filter: filter.to_string(),
            ..Route::default()
        }
    }

    pub fn parse(hash: &str) -> Route {
        let h = hash.trim_start_matches('#').trim_start_matches('/');
        let (path, query) = h.split_once('?').unwrap_or((h, ""));
        let mut parts = path.split('/');
        let mut r = Route::default();
        if let Some(v) = parts.next().and_then(ViewKind::from_slug) {
            r.view = v;
        }
        r.object = parts.next().and_then(parse_addr);
        for kv in query.split('&') {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                "q" => r.filter = decode(v),
                "ignore" => r.ignore = v.split(',').filter_map(parse_addr).collect(),
                "src" => r.sample = v == "sample",
                _ => {}
            }
        }
        r
    }

    pub fn to_hash(&self) -> String {
        let mut h = format!("#/{}", self.view.slug());
        if let Some(a) = self.object {
            h.push_str(&format!("/0x{a:x}"));
        }
        let mut q = Vec::new();
        if !self.filter.is_empty() {
            q.push(format!("q={}", encode(&self.filter)));
        }
        if !self.ignore.is_empty() {
            let list: Vec<String> = self.ignore.iter().map(|a| format!("0x{a:x}")).collect();
            q.push(format!("ignore={}", list.join(",")));
        }
        if self.sample {
            q.push("src=sample".to_string());
        }
        if !q.is_empty() {
            h.push('?');
            h.push_str(&q.join("&"));
        }
        h
    }
}
