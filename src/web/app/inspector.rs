//! The object inspector: one object's numbers, roots, allocation stack, its bytes (read
//! again from the file by the worker, a few KiB at a time) with pointer words as links, and
//! its outgoing and incoming references.

use std::collections::HashMap;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::route::{parse_addr, Route, ViewKind};
use super::virtual_table::{source_tag, VirtualTable};
use crate::engine::protocol::*;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub addr: Option<u64>,
}

/// "Go to address" box, shared by the inspector and the retainers view.
#[derive(Properties, PartialEq)]
pub struct AddressBoxProps {
    pub view: ViewKind,
}

#[function_component]
pub fn AddressBox(props: &AddressBoxProps) -> Html {
    let input = use_node_ref();
    let error = use_state(|| false);
    let onsubmit = {
        let input = input.clone();
        let error = error.clone();
        let view = props.view;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(el) = input.cast::<HtmlInputElement>() else {
                return;
            };
            match parse_addr(&el.value()) {
                Some(a) => {
                    error.set(false);
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_hash(&Route::object(view, a).to_hash());
                    }
                }
                None => error.set(true),
            }
        })
    };
    html! {
        <form class="row addr-box" {onsubmit}>
            <input ref={input} type="text" placeholder="0xc000123450" aria-label="object address"
                data-testid="address-input" spellcheck="false" />
            <button type="submit">{ "Go" }</button>
            if *error { <span class="err">{ "not an address" }</span> }
        </form>
    }
}

#[function_component]
pub fn Inspector(props: &InspectorProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let detail = use_state(|| None::<Result<ObjectDetail, String>>);
    let more = use_state(Vec::<Contents>::new);
    let loading_more = use_state(|| false);
    {
        let detail = detail.clone();
        let more = more.clone();
        let bridge = app.bridge.clone();
        use_effect_with((props.addr, app.generation), move |(addr, _)| {
            detail.set(None);
            more.set(Vec::new());
            let id = addr.map(|addr| {
                bridge.request(
                    Request::Object { addr },
                    None,
                    Callback::from(move |r: Reply| match r.resp {
                        Response::Object(d) => detail.set(Some(Ok(*d))),
                        Response::Error { message } => detail.set(Some(Err(message))),
                        _ => {}
                    }),
                )
            });
            move || {
                if let Some(id) = id {
                    bridge.forget(id)
                }
            }
        });
    }
    let Some(addr) = props.addr else {
        return html! {
            <div class="panel">
                <h2>{ "Object inspector" }</h2>
                <p>{ "Pick an object in the Objects, Dominator tree or Classes view, or go to an address:" }</p>
                <AddressBox view={ViewKind::Inspector} />
            </div>
        };
    };
    let d = match &*detail {
        None => {
            return html! { <div class="panel"><p class="muted">{ format!("loading 0x{addr:x}…") }</p></div> }
        }
        Some(Err(e)) => {
            return html! {
                <div class="panel">
                    <h2>{ "Object inspector" }</h2>
                    <p class="err">{ e }</p>
                    <AddressBox view={ViewKind::Inspector} />
                </div>
            }
        }
        Some(Ok(d)) => d,
    };
    let r = &d.row;
    let reachable = app.loaded.summary.reachable_bytes.max(1);
    let loaded_end = more
        .last()
        .map(|c| c.offset + c.bytes.len() as u64)
        .unwrap_or(d.contents.offset + d.contents.bytes.len() as u64);
    let load_more = {
        let more = more.clone();
        let loading_more = loading_more.clone();
        let bridge = app.bridge.clone();
        let addr = r.addr;
        Callback::from(move |_: MouseEvent| {
            loading_more.set(true);
            let more = more.clone();
            let loading_more = loading_more.clone();
            bridge.request(
                Request::Contents {
                    addr,
                    offset: loaded_end,
                    len: 16 << 10,
                },
                None,
                Callback::from(move |reply: Reply| {
                    loading_more.set(false);
                    if let Response::Contents(c) = reply.resp {
                        let mut v = (*more).clone();
                        v.push(c);
                        more.set(v);
                    }
                }),
            );
        })
    };
    html! {
        <div class="inspector" data-testid="inspector">
            <section class="panel">
                <div class="row">
                    <h2 class="mono" data-testid="inspector-address">{ &r.address }</h2>
                    <span class={classes!("badge", if r.reachable { "ok" } else { "bad" })}>
                        { if r.reachable { "reachable" } else { "unreachable" } }
                    </span>
                    <span class="spacer-x"></span>
                    <a class="button" href={Route::object(ViewKind::Retainers, r.addr).to_hash()}
                        data-testid="show-retainers">{ "Retainers →" }</a>
                </div>
                <div class="cls-line">
                    <span class={classes!("src", r.class_source.key())}>{ source_tag(r.class_source) }</span>
                    <span data-testid="inspector-class">{ &r.class }</span>
                    <span class="muted">{ format!(" (named by {})", r.class_source.label()) }</span>
                </div>
                <table class="kv">
                    <tr><th>{ "size" }</th><td>{ format!("{} ({} B)", fmt::bytes(r.shallow), r.shallow) }</td></tr>
                    <tr><th>{ "retained" }</th><td>{ format!("{} ({} B, {} of reachable)", fmt::bytes(r.retained), r.retained,
                        fmt::percent(r.retained, reachable)) }</td></tr>
                    <tr><th>{ "dominates" }</th><td>{ format!("{} objects directly", fmt::count(u64::from(r.dominated))) }</td></tr>
                    if d.slot_addr != r.addr {
                        <tr><th>{ "slot" }</th><td class="mono">{ format!("{} (8-byte malloc header first)", fmt::hex(d.slot_addr)) }</td></tr>
                    }
                    if let Some(t) = &d.malloc_header_type {
                        <tr><th>{ "header type" }</th><td class="mono">{ t }</td></tr>
                    }
                    <tr><th>{ "dominator" }</th><td>
                        if let Some(dom) = &d.dominator {
                            <a class="mono" href={Route::object(ViewKind::Inspector, dom.addr).to_hash()}>{ &dom.address }</a>
                            { " " }<span class="muted">{ &dom.class }</span>
                        } else if r.reachable {
                            { "the GC roots (no single object keeps it alive)" }
                        } else {
                            { "none: unreachable" }
                        }
                    </td></tr>
                </table>
            </section>

            if !d.roots.is_empty() {
                <section class="panel">
                    <h3>{ format!("Held directly by {} root{}", d.roots.len(), if d.roots.len() == 1 { "" } else { "s" }) }</h3>
                    <ul class="roots">
                        { for d.roots.iter().map(|root| html! {
                            <li><span class="badge">{ &root.kind }</span>{ " " }<span class="mono">{ &root.label }</span></li>
                        }) }
                    </ul>
                </section>
            }

            <section class="panel">
                <h3>{ "Allocation stack" }</h3>
                if d.alloc_stack.is_empty() {
                    <p class="muted" data-testid="unsampled">{ crate::analysis::naming::unsampled_advice(app.loaded.summary.alloc_samples) }</p>
                } else {
                    <ol class="stack mono" data-testid="alloc-stack">
                        { for d.alloc_stack.iter().map(|f| html! {
                            <li><span>{ &f.func }</span>{ " " }<span class="muted">{ format!("{}:{}", f.file, f.line) }</span></li>
                        }) }
                    </ol>
                }
            </section>

            <section class="panel">
                <h3>{ format!("Contents ({} B)", d.contents.size) }</h3>
                <div class="hex mono" data-testid="hex-dump">
                    { hex_lines(&d.contents) }
                    { for more.iter().map(hex_lines) }
                </div>
                if loaded_end < d.contents.size {
                    <button disabled={*loading_more} onclick={load_more}>
                        { format!("show more ({} of {} shown)", fmt::bytes(loaded_end), fmt::bytes(d.contents.size)) }
                    </button>
                }
            </section>

            <div class="two">
                <section class="panel">
                    <h3>{ format!("Points to ({})", fmt::count(d.outgoing)) }</h3>
                    <VirtualTable table={TableKind::Outgoing { addr: r.addr }} class="short" row_testid="outgoing-row" />
                </section>
                <section class="panel">
                    <h3>{ format!("Pointed to by ({})", fmt::count(d.incoming)) }</h3>
                    <VirtualTable table={TableKind::Incoming { addr: r.addr }} class="short" row_testid="incoming-row" />
                </section>
            </div>
        </div>
    }
}

/// 16 bytes a line: address, hex grouped by pointer-sized word (pointer words are links),
/// ASCII.
fn hex_lines(c: &Contents) -> Html {
    let word = usize::from(c.pointer_size.max(1));
    let ptrs: HashMap<u64, u64> = c.pointers.iter().copied().collect();
    let lines = c.bytes.chunks(16).enumerate().map(|(li, line)| {
        let off = c.offset + (li * 16) as u64;
        let words = line.chunks(word).enumerate().map(|(wi, w)| {
            let woff = off + (wi * word) as u64;
            let text: String = w
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ");
            match ptrs.get(&woff) {
                Some(&target) => html! {
                    <a class="ptr" href={Route::object(ViewKind::Inspector, target).to_hash()}
                        title={format!("pointer to {}", fmt::hex(target))}>{ text }</a>
                },
                None => html! { <span class="w">{ text }</span> },
            }
        });
        let ascii: String = line
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        html! {
            <div class="hl" key={off}>
                <span class="ha">{ format!("{:>12x}", c.slot_addr + off) }</span>
                <span class="hb">{ for words }</span>
                <span class="hc">{ ascii }</span>
            </div>
        }
    });
    html! { <>{ for lines }</> }
}
