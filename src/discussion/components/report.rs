//! "Report": a reason and an optional note for the moderators, sent in place with
//! JavaScript and as a plain form post without it.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::query::Open;
use super::state::use_ctx;
use crate::moderation::{report_comment, ReportComment, ReportReason, NOTE_MAX_CHARS};

/// What the reader reads once their report is in.
pub(super) const THANKS: &str = "Thanks, a moderator will look at it";

/// The report form under comment `id`.
#[component]
pub(super) fn ReportForm(id: i64) -> impl IntoView {
    let ctx = use_ctx();
    // A form posted without JavaScript that came back refused, for this comment.
    let refused = ctx
        .refused
        .get_value()
        .filter(|r| r.path == ReportComment::PATH && r.target == Some(id));
    let error = RwSignal::new(refused.as_ref().map(|r| r.message.clone()));
    let reason = RwSignal::new(String::new());
    let note = RwSignal::new(refused.as_ref().map(|r| r.text.clone()).unwrap_or_default());
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        let chosen = reason.get_untracked();
        let typed = note.get_untracked();
        leptos::task::spawn_local(async move {
            let result =
                report_comment(id, (!chosen.is_empty()).then_some(chosen), Some(typed)).await;
            pending.set(false);
            match result {
                Ok(()) => {
                    ctx.open.set(Open::Nothing);
                    ctx.reported.set(Some(id));
                }
                Err(err) => error.set(Some(
                    ["reason", "note", "form"]
                        .into_iter()
                        .find_map(|field| err.field_message(field))
                        .unwrap_or_else(|| err.to_string()),
                )),
            }
        });
    };
    let cancel = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        ctx.open.set(Open::Nothing);
    };
    let legend_id = format!("report-{id}-legend");
    let error_id = format!("report-{id}-error");
    let note_id = format!("report-{id}-note");
    view! {
        <form
            method="post"
            action=ReportComment::PATH
            class="report-form"
            on:submit=on_submit
            aria-describedby=move || error.get().map(|_| error_id.clone())
        >
            <input type="hidden" name="id" value=id.to_string() />
            <fieldset>
                <legend id=legend_id>"Why are you reporting this comment?"</legend>
                {ReportReason::ALL
                    .into_iter()
                    .map(|choice| {
                        let value = choice.as_param();
                        // The label wraps its radio, which names it.
                        view! {
                            <label class="report-reason">
                                <input
                                    type="radio"
                                    name="reason"
                                    value=value
                                    on:change=move |_| reason.set(value.to_owned())
                                />
                                {choice.label()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <label for=note_id.clone()>"Note"</label>
            <textarea
                id=note_id
                name="note"
                rows="3"
                maxlength=NOTE_MAX_CHARS.to_string()
                placeholder="Optional: what should a moderator know?"
                on:input=move |ev| note.set(event_target_value(&ev))
            >
                {note.get_untracked()}
            </textarea>
            <p class="form-error" id=format!("report-{id}-error") role="alert">
                {move || error.get()}
            </p>
            <button type="submit" disabled=move || pending.get()>
                "Send report"
            </button>
            " "
            <a class="cancel" href=ctx.href(&[], &format!("#comment-{id}")) on:click=cancel>
                "Cancel"
            </a>
        </form>
    }
}
