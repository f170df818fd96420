//! The box to write a comment, a reply or an edit.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::query::Open;
use super::state::use_ctx;
use crate::discussion::{
    edit_comment, post_comment, preview_comment, Comment, EditComment, PostComment, Posted,
};
use crate::error::AppError;

/// What a comment box is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// "Add a comment" at the top of the discussion.
    New,
    /// "Reply" under comment ID.
    Reply(i64),
    /// "Edit comment" ID.
    Edit(i64),
}

/// The box to write a comment, a reply or an edit: Markdown with a "Preview" toggle, errors
/// beside the box, and the text kept until the server has it.
#[component]
pub(super) fn Composer(mode: Mode, #[prop(optional)] initial: String) -> impl IntoView {
    let ctx = use_ctx();
    let (label, button, busy, dom_id, path) = match mode {
        Mode::New => (
            "Add a comment",
            "Post comment",
            "Posting…",
            "comment-new".to_owned(),
            PostComment::PATH,
        ),
        Mode::Reply(id) => (
            "Reply",
            "Post reply",
            "Posting…",
            format!("reply-{id}"),
            PostComment::PATH,
        ),
        Mode::Edit(id) => (
            "Edit comment",
            "Save",
            "Saving…",
            format!("edit-{id}"),
            EditComment::PATH,
        ),
    };
    let target = match mode {
        Mode::New => None,
        Mode::Reply(id) | Mode::Edit(id) => Some(id),
    };
    // A form posted without JavaScript that came back refused, for this very box.
    let refused = ctx
        .refused
        .get_value()
        .filter(|r| r.path == path && r.target == target);
    let from_query =
        refused.is_some() || (mode != Mode::New && ctx.open.get_untracked() != Open::Nothing);
    let initial = refused.as_ref().map(|r| r.text.clone()).unwrap_or(initial);
    let text = RwSignal::new(initial.clone());
    let error = RwSignal::new(refused.map(|r| r.message));
    let preview = RwSignal::new(None::<String>);
    let previewing = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        hydrated.set(true);
        // A box opened in place takes the focus, so keyboard and screen-reader users land in it.
        if mode != Mode::New {
            if let Some(el) = textarea.get_untracked() {
                let _ = el.focus();
            }
        }
    });

    // Server functions called directly, one call at a time (an action's machinery per call
    // type would weigh on the WASM).
    let pending = RwSignal::new(false);
    let failed = move |err: AppError| {
        error.set(Some(
            err.field_message("body").unwrap_or_else(|| err.to_string()),
        ));
    };
    let posted = move |Posted { comment, total }: Posted| {
        let held = comment.held;
        if held {
            // Shown to the reader alone, apart from the threads, until a moderator approves.
            ctx.held.update(|list| list.push(comment));
        } else {
            ctx.total.set(total);
            ctx.insert(comment);
            // Posting follows the discussion: the follow buttons (another island) hear it.
            #[cfg(feature = "hydrate")]
            if let Ok(event) = leptos::web_sys::Event::new(crate::notifications::COMMENTED_EVENT) {
                let _ = window().dispatch_event(&event);
            }
        }
        text.set(String::new());
        previewing.set(false);
        error.set(None);
        if mode != Mode::New {
            ctx.open.set(Open::Nothing);
        }
        ctx.status.set(Some(
            match (held, mode == Mode::New) {
                (true, _) => "Your comment is waiting for a moderator: only you can see it until it is approved.",
                (false, true) => "Your comment was posted.",
                (false, false) => "Your reply was posted.",
            }
            .to_owned(),
        ));
    };
    let saved = move |comment: Comment| {
        if let Some(node) = ctx.node(comment.id) {
            node.comment.set(comment);
        }
        error.set(None);
        ctx.open.set(Open::Nothing);
        ctx.status.set(Some("Your changes were saved.".to_owned()));
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        error.set(None);
        pending.set(true);
        let body = text.get_untracked();
        leptos::task::spawn_local(async move {
            let slug = ctx.slug.get_value();
            let outcome = match mode {
                Mode::New | Mode::Reply(_) => {
                    // `target` is the comment replied to. Its live event may come first: the discussion waits for this answer
                    // to tell the reader's comment from other readers'.
                    ctx.posting();
                    let result = post_comment(slug, body, target).await;
                    ctx.posted(
                        result
                            .as_ref()
                            .ok()
                            .filter(|p| !p.comment.held)
                            .map(|p| p.comment.id),
                    );
                    result.map(posted)
                }
                Mode::Edit(id) => edit_comment(id, body).await.map(saved),
            };
            pending.set(false);
            if let Err(err) = outcome {
                failed(err);
            }
        });
    };
    let pending = move || pending.get();
    let toggle_preview = move |_| {
        if previewing.get_untracked() {
            previewing.set(false);
            return;
        }
        let body = text.get_untracked();
        leptos::task::spawn_local(async move {
            match preview_comment(body).await {
                Ok(html) => {
                    error.set(None);
                    preview.set(Some(html));
                    previewing.set(true);
                }
                Err(err) => failed(err),
            }
        });
    };
    let input_id = format!("{dom_id}-body");
    let error_id = format!("{dom_id}-error");
    let hint_id = format!("{dom_id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || match error.get() {
            Some(_) => format!("{error_id} {hint_id}"),
            None => hint_id.clone(),
        }
    };
    let cancel = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        ctx.open.set(Open::Nothing);
    };
    view! {
        <form
            method="post"
            action=path
            class=if mode == Mode::New { "comment-form" } else { "comment-form nested" }
            id=dom_id.clone()
            on:submit=on_submit
            novalidate
        >
            // The fields the server function takes besides the body.
            {
                let (name, value) = match mode {
                    Mode::Edit(id) => ("id", id.to_string()),
                    Mode::New | Mode::Reply(_) => ("slug", ctx.slug.get_value()),
                };
                view! { <input type="hidden" name=name value=value /> }
            }
            {match mode {
                Mode::Reply(parent) => Some(view! { <input type="hidden" name="parent" value=parent.to_string() /> }),
                _ => None,
            }}
            <label for=input_id.clone()>{label}</label>
            <textarea
                id=input_id
                name="body"
                rows=if mode == Mode::New { "5" } else { "4" }
                dir="auto"
                autofocus=from_query
                node_ref=textarea
                hidden=move || previewing.get()
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described_by
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                // The text typed before a form post without JavaScript, as the textarea's
                // content (not a text child, which would render an empty box as " "). The
                // parser drops one newline right after the tag, so a leading one is kept.
                inner_html=format!("\n{}", escape_text(&initial))
            ></textarea>
            <div
                class="comment-body comment-preview"
                dir="auto"
                hidden=move || !previewing.get()
                inner_html=move || preview.get().unwrap_or_default()
            ></div>
            <p class="field-hint" id=hint_id>
                "Markdown works: *emphasis*, [links](https://…), `code`, lists and > quotes."
            </p>
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=pending>
                    {move || if pending() { busy } else { button }}
                </button>
                <button
                    type="button"
                    class="secondary"
                    hidden=move || !hydrated.get()
                    aria-pressed=move || previewing.get().to_string()
                    on:click=toggle_preview
                >
                    "Preview"
                </button>
                {(mode != Mode::New)
                    .then(|| {
                        view! {
                            <a class="cancel" href=ctx.href(&[], &format!("#comment-{}", target.unwrap_or_default())) on:click=cancel>
                                "Cancel"
                            </a>
                        }
                    })}
            </div>
        </form>
    }
}

/// `text` escaped for the content of an element.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
