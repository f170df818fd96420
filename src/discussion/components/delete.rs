//! "Delete this comment?": the confirmation and the deletion.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::query::Open;
use super::state::{use_ctx, Node};
use crate::discussion::{delete_comment, DeleteComment};

/// "Delete this comment?" with "Yes, delete": in place with JavaScript, as the page a GET
/// form opens without it.
#[component]
pub(super) fn DeleteConfirm(node: Node) -> impl IntoView {
    let ctx = use_ctx();
    let id = node.id;
    // The server function called directly (an action's machinery would weigh on the WASM).
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        leptos::task::spawn_local(async move {
            let result = delete_comment(id).await;
            pending.set(false);
            match result {
                Ok(deleted) => {
                    ctx.remove(id, &deleted);
                    ctx.status.set(Some("The comment was deleted.".to_owned()));
                }
                Err(err) => ctx.status.set(Some(format!("Not deleted: {err}"))),
            }
        });
    };
    let cancel = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        ctx.open.set(Open::Nothing);
    };
    let has_replies = node.reply_count.get_untracked() > 0;
    view! {
        <div class="delete-confirm" role="group" aria-labelledby=format!("delete-{id}-question")>
            <p id=format!("delete-{id}-question")>
                {if has_replies {
                    "Delete this comment? Its replies stay, under a “[deleted]” placeholder."
                } else {
                    "Delete this comment? This cannot be undone."
                }}
            </p>
            <form method="post" action=DeleteComment::PATH class="inline-form" on:submit=on_submit>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="danger" disabled=move || pending.get()>
                    "Yes, delete"
                </button>
            </form>
            <a class="cancel" href=ctx.href(&[], &format!("#comment-{id}")) on:click=cancel>
                "Cancel"
            </a>
        </div>
    }
}
