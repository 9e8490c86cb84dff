//! The landing page (drop zone, file picker, sample) and the load progress panel.

use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;

use super::fmt;
use crate::engine::protocol::Progress;

#[derive(Properties, PartialEq)]
pub struct LandingProps {
    pub on_file: Callback<File>,
    pub on_sample: Callback<()>,
    #[prop_or_default]
    pub children: Html,
}

fn first_file(files: Option<web_sys::FileList>) -> Option<File> {
    files.and_then(|f| f.get(0))
}

#[function_component]
pub fn Landing(props: &LandingProps) -> Html {
    let over = use_state(|| false);
    let ondragover = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
        })
    };
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let ondrop = {
        let over = over.clone();
        let on_file = props.on_file.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(false);
            if let Some(f) = first_file(e.data_transfer().and_then(|d| d.files())) {
                on_file.emit(f);
            }
        })
    };
    let onchange = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = first_file(input.files()) {
                on_file.emit(f);
            }
            // Choosing the same file again must fire `change` again.
            input.set_value("");
        })
    };
    let sample = props.on_sample.reform(|_: MouseEvent| ());
    html! {
        <div class="landing">
            <h1>{ "dumpscope" }</h1>
            <p class="lead">{ "Find what keeps memory alive in a Go heap dump (" }
                <span class="mono">{ "runtime/debug.WriteHeapDump" }</span>{ ")." }</p>
            <label class={classes!("drop-zone", (*over).then_some("over"))} data-testid="drop-zone"
                {ondragover} {ondragleave} {ondrop}>
                <span class="big">{ "Drop a heap dump here" }</span>
                <span class="muted">{ "or click to choose a file" }</span>
                <input type="file" data-testid="file-input" {onchange} />
            </label>
            <div class="row center-row">
                <button class="link" data-testid="sample-button" onclick={sample}>{ "Try a sample dump" }</button>
            </div>
            { props.children.clone() }
            <p class="privacy muted">
                { "The file is analysed inside this browser tab, in a Web Worker. \
                   Nothing is uploaded: the page makes no requests beyond its own files, \
                   and works offline after the first visit." }
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct FileButtonProps {
    pub label: AttrValue,
    pub testid: AttrValue,
    #[prop_or_default]
    pub title: Option<AttrValue>,
    pub on_file: Callback<File>,
}

/// A header button that picks one file: "Open another dump…", "Add the executable…" (the
/// Go binary that wrote the dump, read by the worker like the dump, never uploaded).
#[function_component]
pub fn FileButton(props: &FileButtonProps) -> Html {
    let onchange = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = first_file(input.files()) {
                on_file.emit(f);
            }
            input.set_value("");
        })
    };
    html! {
        <label class="button" title={props.title.clone()}>
            { props.label.clone() }
            <input type="file" data-testid={props.testid.clone()} {onchange} />
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    pub name: String,
    pub progress: Option<Progress>,
    pub on_cancel: Callback<()>,
}

#[function_component]
pub fn ProgressPanel(props: &ProgressProps) -> Html {
    let p = props.progress.clone().unwrap_or(Progress {
        phase: "starting".into(),
        fraction: 0.0,
        bytes_read: 0,
        total_bytes: 0,
        objects: 0,
        elapsed_ms: 0.0,
    });
    let rate = if p.elapsed_ms > 0.0 {
        p.bytes_read as f64 / 1e6 / (p.elapsed_ms / 1000.0)
    } else {
        0.0
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <div class="progress-panel" data-testid="progress-panel">
            <div class="row">
                <strong>{ format!("Analysing {}", props.name) }</strong>
                <span class="spacer-x"></span>
                <button data-testid="cancel-button" onclick={cancel}>{ "Cancel" }</button>
            </div>
            <progress data-testid="progress" max="1" value={format!("{:.4}", p.fraction)}></progress>
            <div class="muted row">
                <span data-testid="progress-phase">{ &p.phase }</span>
                <span>{ format!("{:.0}%", p.fraction * 100.0) }</span>
                <span>{ format!("{} of {}", fmt::bytes(p.bytes_read), fmt::bytes(p.total_bytes)) }</span>
                <span>{ format!("{rate:.0} MB/s") }</span>
                <span>{ format!("{} objects", fmt::count(p.objects)) }</span>
                <span>{ fmt::ms(p.elapsed_ms) }</span>
            </div>
        </div>
    }
}
