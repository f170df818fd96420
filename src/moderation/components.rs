//! The moderation pages: the admins' queue and takedown requests, the public log, and the
//! takedown form and status page. Server HTML with plain forms: every action is a post that
//! answers with a redirect back here, saying what was done or, beside the item, why not.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    admin_takedowns, get_moderation_queue, get_takedown, get_takedown_subject, moderation_log,
    DecideTakedown, HeldItem, LogPage, ModerateComment, ModerationQueue, ReportedItem,
    RequestTakedown, ReviewHeld, SuspendAuthor, TakedownAdminItem, TakedownStatus, TakedownSubject,
    TakedownView,
};
use crate::error::AppError;
use crate::site::{error_view, format_date_time, plural, use_page_number};

/// A time as `<time>` with date and minute, UTC.
#[component]
fn When(ms: i64) -> impl IntoView {
    let (machine, human) = format_date_time(ms);
    view! { <time datetime=machine>{human}</time> }
}

/// What `?done=` says was just done, for the status line.
fn done_message() -> Option<&'static str> {
    let query = use_query_map();
    let done = query.read_untracked().get("done")?;
    Some(match done.as_str() {
        "dismissed" => "Reports dismissed.",
        "hidden" => "Comment hidden.",
        "restored" => "Comment restored.",
        "suspended" => "Author suspended.",
        "approved" => "Comment approved.",
        "rejected" => "Comment rejected.",
        "reviewing" => "Request marked under review.",
        "removed" => "Article unpublished.",
        "declined" => "Request declined.",
        "republished" => "Article republished.",
        _ => return None,
    })
}

/// The refusal of a form posted from this page to one of `paths`, when it was about item
/// `key`: its field and message, and the reason typed.
#[derive(Clone, Default)]
struct ItemRefusal {
    message: Option<String>,
    reason: String,
}

fn refusal_for(paths: &[&str], key: &str) -> ItemRefusal {
    let Some((path, err)) = crate::site::refused_form() else {
        return ItemRefusal::default();
    };
    if !paths.contains(&path.as_str()) || err.kept_value("id").as_deref() != Some(key) {
        return ItemRefusal::default();
    }
    let field = ["reason", "duration", "form"]
        .into_iter()
        .find(|f| err.field_message(f).is_some());
    ItemRefusal {
        message: Some(
            field
                .and_then(|f| err.field_message(f))
                .unwrap_or_else(|| err.to_string()),
        ),
        reason: err.kept_value("reason").unwrap_or_default(),
    }
}

/// A "Reason" box with the item's refusal under it.
#[component]
fn ReasonField(
    /// Element id, unique on the page.
    id: String,
    /// Visible label.
    label: &'static str,
    /// What this item's last refused form said, if anything.
    refusal: ItemRefusal,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let message = refusal.message.clone();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name="reason"
                type="text"
                maxlength="500"
                aria-required="true"
                value=refusal.reason
                aria-invalid=message.as_ref().map(|_| "true")
                aria-describedby=message.as_ref().map(|_| error_id.clone())
            />
            {message
                .map(|message| {
                    view! {
                        <p class="field-error" id=error_id role="alert">
                            {message}
                        </p>
                    }
                })}
        </div>
    }
}

/// The status line after an action.
#[component]
fn Done() -> impl IntoView {
    view! {
        <p class="status-line" role="status">
            {done_message()}
        </p>
    }
}

/// A page read with one server function: "Loading…" until its data is in, then `render`,
/// or the error's page (404 for admin pages to everyone but admins).
fn loaded<T, V>(
    data: Resource<Result<T, AppError>>,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(value) => render(value).into_any(),
                        Err(err) => error_view(err),
                    }
                })
            }}
        </Suspense>
    }
}

/// `/admin/moderation`: what waits for a moderator (admins only, 404 for everyone else).
#[component]
pub fn ModerationQueuePage() -> impl IntoView {
    let queue = Resource::new(|| (), |_| get_moderation_queue());
    loaded(queue, |queue| view! { <Queue queue /> })
}

#[component]
fn Queue(queue: ModerationQueue) -> impl IntoView {
    let ModerationQueue {
        held,
        reported,
        hidden,
    } = queue;
    view! {
        <Title text="Moderation queue" />
        <Meta name="robots" content="noindex" />
        <div class="moderation">
            <h1>"Moderation queue"</h1>
            <p>
                "Every action needs a reason, which the public "
                <a href="/moderation">"moderation log"</a>
                " shows. Takedown requests are under "
                <a href="/admin/takedowns">"Takedown requests"</a> "."
            </p>
            <Done />
            {queue_section(
                "held",
                "Held for review",
                "No comment is waiting for approval.",
                held.into_iter().map(|item| view! { <HeldEntry item /> }.into_any()).collect(),
            )}
            {queue_section(
                "reported",
                "Reported comments",
                "No open reports.",
                reported.into_iter().map(|item| view! { <CommentEntry item /> }.into_any()).collect(),
            )}
            {queue_section(
                "hidden",
                "Hidden comments",
                "No hidden comments.",
                hidden.into_iter().map(|item| view! { <CommentEntry item /> }.into_any()).collect(),
            )}
        </div>
    }
}

/// One section of the queue: its heading, then its items, or `empty` when it has none.
fn queue_section(
    id: &'static str,
    heading: &'static str,
    empty: &'static str,
    items: Vec<AnyView>,
) -> impl IntoView {
    let heading_id = format!("{id}-heading");
    let labelled_by = heading_id.clone();
    view! {
        <section aria-labelledby=labelled_by>
            <h2 id=heading_id>{heading}</h2>
            {if items.is_empty() {
                view! { <p>{empty}</p> }.into_any()
            } else {
                view! { <ul class="queue">{items}</ul> }.into_any()
            }}
        </section>
    }
}

/// A comment's text as the queue quotes it.
#[component]
fn Quoted(
    author: String,
    title: String,
    slug: String,
    created_at: i64,
    body_html: String,
) -> impl IntoView {
    view! {
        <p class="queue-meta">
            <span class="comment-author">{author}</span>
            " on "
            <a href=format!("/articles/{slug}")>{title}</a>
            " · "
            <When ms=created_at />
        </p>
        <blockquote class="comment-body" dir="auto" inner_html=body_html></blockquote>
    }
}

#[component]
fn HeldEntry(item: HeldItem) -> impl IntoView {
    let key = format!("held-{}", item.id);
    let refusal = refusal_for(&[ReviewHeld::PATH], &key);
    view! {
        <li class="queue-item">
            <Quoted
                author=item.author_name
                title=item.article_title
                slug=item.article_slug
                created_at=item.created_at
                body_html=item.body_html
            />
            <p class="queue-why">{format!("Held: {}", item.why)}</p>
            <form method="post" action=ReviewHeld::PATH class="queue-form">
                <input type="hidden" name="id" value=item.id.to_string() />
                <ReasonField id=format!("{key}-reason") label="Reason" refusal />
                <button type="submit" name="action" value="approve">
                    "Approve"
                </button>
                " "
                <button type="submit" name="action" value="reject" class="danger">
                    "Reject"
                </button>
            </form>
        </li>
    }
}

#[component]
fn CommentEntry(item: ReportedItem) -> impl IntoView {
    let key = item.id.to_string();
    let refusal = refusal_for(&[ModerateComment::PATH], &key);
    let suspend_refusal = refusal_for(&[SuspendAuthor::PATH], &key);
    let reports = item.reports;
    let count = i64::try_from(reports.len()).unwrap_or(i64::MAX);
    view! {
        <li class="queue-item">
            <Quoted
                author=item.author_name
                title=item.article_title
                slug=item.article_slug
                created_at=item.created_at
                body_html=item.body_html
            />
            <p>
                <a href=item.href>"View in context"</a>
            </p>
            {(!reports.is_empty())
                .then(|| {
                    view! {
                        <p class="queue-count">{plural(count, "report", "reports")}</p>
                        <ul class="queue-reports">
                            {reports
                                .into_iter()
                                .map(|report| {
                                    view! {
                                        <li>
                                            <strong>{report.reason}</strong>
                                            {(!report.note.is_empty())
                                                .then(|| format!(": {}", report.note))}
                                            " · "
                                            <When ms=report.created_at />
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            <form method="post" action=ModerateComment::PATH class="queue-form">
                <input type="hidden" name="id" value=key.clone() />
                <ReasonField id=format!("comment-{key}-reason") label="Reason" refusal />
                {if item.hidden {
                    view! {
                        <button type="submit" name="action" value="restore">
                            "Restore"
                        </button>
                    }
                        .into_any()
                } else {
                    view! {
                        <button type="submit" name="action" value="dismiss">
                            "Dismiss"
                        </button>
                        " "
                        <button type="submit" name="action" value="hide" class="danger">
                            "Hide"
                        </button>
                    }
                        .into_any()
                }}
            </form>
            <form method="post" action=SuspendAuthor::PATH class="queue-form">
                <input type="hidden" name="id" value=key.clone() />
                <div class="field">
                    <label for=format!("comment-{key}-duration")>"Suspend for"</label>
                    <select id=format!("comment-{key}-duration") name="duration">
                        <option value="1">"1 day"</option>
                        <option value="7" selected=true>
                            "7 days"
                        </option>
                        <option value="30">"30 days"</option>
                        <option value="permanent">"Permanently"</option>
                    </select>
                </div>
                <ReasonField
                    id=format!("comment-{key}-suspend-reason")
                    label="Reason for suspension"
                    refusal=suspend_refusal
                />
                <button type="submit" class="danger">
                    "Suspend the author"
                </button>
            </form>
        </li>
    }
}

/// `/moderation`: every moderator action, newest first, 50 a page.
#[component]
pub fn ModerationLogPage() -> impl IntoView {
    let page = use_page_number();
    let log = Resource::new(move || page.get(), |page| moderation_log(Some(page)));
    loaded(log, |log| view! { <Log log /> })
}

#[component]
fn Log(log: LogPage) -> impl IntoView {
    let LogPage {
        entries,
        page,
        has_more,
    } = log;
    let newer = (page > 1).then(|| {
        let href = if page == 2 {
            "/moderation".to_owned()
        } else {
            format!("/moderation?page={}", page - 1)
        };
        view! { <a href=href rel="prev">"Newer actions"</a> }
    });
    let older = has_more.then(|| {
        view! { <a href=format!("/moderation?page={}", page + 1) rel="next">"Older actions"</a> }
    });
    view! {
        <Title text="Moderation log" />
        <div class="moderation">
            <h1>"Moderation log"</h1>
            <p>
                "Every action our moderators take, newest first, with its reason: why a comment "
                "was hidden, a reader suspended or an article taken down."
            </p>
            {if entries.is_empty() {
                view! { <p>"No moderator has acted yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="moderation-log">
                        {entries
                            .into_iter()
                            .map(|entry| {
                                view! {
                                    <li>
                                        <p class="log-line">
                                            <When ms=entry.created_at />
                                            " · "
                                            <strong>{entry.action}</strong>
                                            ": "
                                            {match entry.target_href {
                                                Some(href) => view! { <a href=href>{entry.target}</a> }.into_any(),
                                                None => view! { <span>{entry.target}</span> }.into_any(),
                                            }}
                                        </p>
                                        <p class="log-reason">{format!("Reason: {}", entry.reason)}</p>
                                        <p class="log-by">"by a moderator"</p>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
            {(newer.is_some() || older.is_some())
                .then(|| {
                    view! {
                        <nav class="pager" aria-label="More of the log">
                            {newer}
                            {older}
                        </nav>
                    }
                })}
        </div>
    }
}

/// `/articles/{slug}/takedown`: the takedown request form (no account needed).
#[component]
pub fn TakedownFormPage() -> impl IntoView {
    let params = use_params_map();
    let subject = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_takedown_subject,
    );
    loaded(subject, |subject| view! { <TakedownForm subject /> })
}

/// A field of the takedown form, its error beside it.
#[component]
fn TakedownField(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    error: Option<AppError>,
) -> impl IntoView {
    let id = format!("takedown-{name}");
    let error_id = format!("{id}-error");
    let message = error.as_ref().and_then(|e| e.field_message(name));
    let value = error
        .as_ref()
        .and_then(|e| e.kept_value(name))
        .unwrap_or_default();
    let invalid = message.as_ref().map(|_| "true");
    let described = message.as_ref().map(|_| error_id.clone());
    let input = if multiline {
        view! {
            <textarea
                id=id.clone()
                name=name
                rows="8"
                maxlength="5000"
                aria-required="true"
                aria-invalid=invalid
                aria-describedby=described
            >
                {value}
            </textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                name=name
                type=if kind.is_empty() { "text" } else { kind }
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                aria-required="true"
                value=value
                aria-invalid=invalid
                aria-describedby=described
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {input}
            {message.map(|m| view! { <p class="field-error" id=error_id>{m}</p> })}
        </div>
    }
}

#[component]
fn TakedownForm(subject: TakedownSubject) -> impl IntoView {
    let error = crate::site::refused_form()
        .filter(|(path, _)| path == RequestTakedown::PATH)
        .map(|(_, err)| err);
    let whole = error
        .as_ref()
        .filter(|e| !matches!(e, AppError::Invalid(_)))
        .map(ToString::to_string);
    view! {
        <Title text="Request a takedown" />
        <Meta name="robots" content="noindex" />
        <div class="takedown">
            <h1>"Request a takedown"</h1>
            <p>
                "About "
                <a href=format!("/articles/{}", subject.slug)>{subject.title}</a>
                ". If you hold rights in this work and object to its republication here, tell "
                "us who you are and what infringes. A moderator reviews every request; you get a "
                "private link to follow yours. No account is needed."
            </p>
            {whole.map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            {error
                .as_ref()
                .filter(|e| matches!(e, AppError::Invalid(_)))
                .map(|_| {
                    view! {
                        <p class="form-error" role="alert">
                            "The request was not sent: see the fields marked below."
                        </p>
                    }
                })}
            // The server checks every field and says what is wrong beside it, in our words.
            <form method="post" action=RequestTakedown::PATH class="takedown-form" novalidate=true>
                <input type="hidden" name="slug" value=subject.slug.clone() />
                <TakedownField name="name" label="Name" autocomplete="name" error=error.clone() />
                <TakedownField
                    name="email"
                    label="Email"
                    kind="email"
                    autocomplete="email"
                    error=error.clone()
                />
                <TakedownField
                    name="relationship"
                    label="Your relationship to the work"
                    error=error.clone()
                />
                <TakedownField
                    name="claim"
                    label="What infringes and why"
                    multiline=true
                    error=error.clone()
                />
                <button type="submit">"Send request"</button>
            </form>
        </div>
    }
}

/// `/takedowns/{token}`: a takedown request's status, for whoever holds the link.
#[component]
pub fn TakedownStatusPage() -> impl IntoView {
    let params = use_params_map();
    let request = Resource::new(
        move || params.read().get("token").unwrap_or_default(),
        get_takedown,
    );
    loaded(request, |request| view! { <TakedownStatusView request /> })
}

#[component]
fn TakedownStatusView(request: TakedownView) -> impl IntoView {
    let sent = use_query_map().read_untracked().get("sent").is_some();
    let TakedownView {
        reference,
        token,
        article_slug,
        article_title,
        status,
        reason,
        created_at,
        updated_at,
    } = request;
    view! {
        <Title text=format!("Takedown request {reference}") />
        <Meta name="robots" content="noindex" />
        <div class="takedown">
            <h1>{format!("Takedown request {reference}")}</h1>
            {sent
                .then(|| {
                    view! {
                        <div class="notice-box" role="status">
                            <p>
                                <strong>"Your request was received."</strong>
                                {format!(" Your reference is {reference}.")}
                            </p>
                            <p>
                                "Keep this link to follow your request: "
                                <a href=format!("/takedowns/{token}")>"your request's status page"</a>
                                ". Anyone with the link can read this page."
                            </p>
                        </div>
                    }
                })}
            <dl class="takedown-facts">
                <dt>"Article"</dt>
                <dd>
                    <a href=format!("/articles/{article_slug}")>{article_title}</a>
                </dd>
                <dt>"Sent"</dt>
                <dd>
                    <When ms=created_at />
                </dd>
                <dt>"Last change"</dt>
                <dd>
                    <When ms=updated_at />
                </dd>
            </dl>
            <p class="takedown-status">{format!("Status: {}", status.label())}</p>
            {reason.map(|reason| view! { <p class="takedown-reason">{format!("Reason: {reason}")}</p> })}
            {(status == TakedownStatus::Received)
                .then(|| view! { <p>"A moderator will review it shortly."</p> })}
        </div>
    }
}

/// `/admin/takedowns`: takedown requests, newest first (admins only, 404 for everyone else).
#[component]
pub fn AdminTakedownsPage() -> impl IntoView {
    let requests = Resource::new(|| (), |_| admin_takedowns());
    loaded(requests, |requests| view! { <Takedowns requests /> })
}

#[component]
fn Takedowns(requests: Vec<TakedownAdminItem>) -> impl IntoView {
    view! {
        <Title text="Takedown requests" />
        <Meta name="robots" content="noindex" />
        <div class="moderation">
            <h1>"Takedown requests"</h1>
            <p>
                "Newest first. Unpublishing answers the article's address with “This article has "
                "been removed” and your reason, and takes it off every listing; its comments are "
                "kept. Comments are moderated in the "
                <a href="/admin/moderation">"Moderation queue"</a> "."
            </p>
            <Done />
            {if requests.is_empty() {
                view! { <p>"No takedown requests."</p> }.into_any()
            } else {
                view! {
                    <ul class="queue">
                        {requests
                            .into_iter()
                            .map(|item| view! { <TakedownEntry item /> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </div>
    }
}

#[component]
fn TakedownEntry(item: TakedownAdminItem) -> impl IntoView {
    let TakedownAdminItem {
        view,
        name,
        email,
        relationship,
        claim,
        article_removed,
        ..
    } = item;
    let refusal = refusal_for(&[DecideTakedown::PATH], &view.token);
    let decided = matches!(
        view.status,
        TakedownStatus::Removed | TakedownStatus::Declined
    );
    view! {
        <li class="queue-item">
            <h2 class="queue-title">
                {format!("{} · ", view.reference)}
                <a href=format!("/articles/{}", view.article_slug)>{view.article_title.clone()}</a>
            </h2>
            <dl class="takedown-facts">
                <dt>"Status"</dt>
                <dd>{view.status.label()}</dd>
                {view.reason.clone().map(|reason| view! { <dt>"Reason"</dt> <dd>{reason}</dd> })}
                <dt>"Sent"</dt>
                <dd>
                    <When ms=view.created_at />
                </dd>
                <dt>"From"</dt>
                <dd>
                    {name} " <" <a href=format!("mailto:{email}")>{email.clone()}</a> ">"
                </dd>
                <dt>"Relationship to the work"</dt>
                <dd>{relationship}</dd>
                <dt>"What infringes and why"</dt>
                <dd class="takedown-claim">{claim}</dd>
                <dt>"Status page"</dt>
                <dd>
                    <a href=format!("/takedowns/{}", view.token)>"The requester's view"</a>
                </dd>
            </dl>
            <form method="post" action=DecideTakedown::PATH class="queue-form">
                <input type="hidden" name="token" value=view.token.clone() />
                <ReasonField id=format!("takedown-{}-reason", view.token) label="Reason" refusal />
                {(!decided && view.status != TakedownStatus::Reviewing)
                    .then(|| {
                        view! {
                            <button type="submit" name="action" value="review">
                                "Mark under review"
                            </button>
                            " "
                        }
                    })}
                {if article_removed {
                    view! {
                        <button type="submit" name="action" value="republish">
                            "Republish"
                        </button>
                    }
                        .into_any()
                } else {
                    view! {
                        <button type="submit" name="action" value="unpublish" class="danger">
                            "Unpublish"
                        </button>
                        " "
                        <button type="submit" name="action" value="decline">
                            "Decline"
                        </button>
                    }
                        .into_any()
                }}
            </form>
        </li>
    }
}
