//! The application: HTML shell, routes and the frame every page shares (header, footer).

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::accounts::AccountMenu;
use crate::accounts::{AuthProvider, SignInPage, SignUpPage};
use crate::articles::{ArticlePage, AuthorPage, HomePage, TagPage};
use crate::discussion::CommentThreadPage;
use crate::moderation::{
    AdminTakedownsPage, ModerationLogPage, ModerationQueuePage, TakedownFormPage,
    TakedownStatusPage,
};
use crate::notifications::NotificationsPage;
use crate::reading_list::SavedPage;
use crate::search::{HeaderSearch, SearchPage};
use crate::site::{provide_site_info, use_site_info, NotFound};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link
                    rel="alternate"
                    type="application/atom+xml"
                    title="Latest articles (Atom)"
                    href="/feed.xml"
                />
                // Islands: only the interactive parts of a page are hydrated. The WASM loads
                // when the browser is idle; nav.js then moves between pages without reloads.
                <HydrationScripts options islands=true />
                <script type="module" src="/nav.js"></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component, rendered on the server only (in the browser only its islands run).
///
/// Every route renders with `SsrMode::Async`: the whole page, data included, is in the first
/// response, so readers without JavaScript and crawlers see real content and the server can
/// answer 404 for unknown slugs.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_site_info();
    view! {
        <Stylesheet id="leptos" href="/pkg/besthub.css" />
        <Title formatter=|text: String| format!("{text} · BestHub") />
        <Router>
            <AuthProvider>
                <Header />
                <main id="main" class="main">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                        <Route path=path!("/articles/:slug") view=ArticlePage ssr=SsrMode::Async />
                        <Route
                            path=path!("/articles/:slug/comments/:id")
                            view=CommentThreadPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/articles/:slug/takedown")
                            view=TakedownFormPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/takedowns/:token") view=TakedownStatusPage ssr=SsrMode::Async />
                        <Route path=path!("/moderation") view=ModerationLogPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/admin/moderation")
                            view=ModerationQueuePage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/admin/takedowns")
                            view=AdminTakedownsPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/authors/:handle") view=AuthorPage ssr=SsrMode::Async />
                        <Route path=path!("/tags/:tag") view=TagPage ssr=SsrMode::Async />
                        <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async />
                        <Route path=path!("/saved") view=SavedPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/notifications")
                            view=NotificationsPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async />
                        <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async />
                    </Routes>
                </main>
                <Footer />
            </AuthProvider>
        </Router>
    }
}

/// The header of every page.
#[component]
pub fn Header() -> impl IntoView {
    let site = use_site_info();
    view! {
        <header class="site-header">
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <Suspense fallback=|| view! { <a class="brand" href="/">"BestHub"</a> }>
                {move || Suspend::new(async move {
                    let name = site
                        .get()
                        .await
                        .map(|info| info.site_name)
                        .unwrap_or_else(|_| "BestHub".to_owned());
                    view! { <a class="brand" href="/">{name}</a> }
                })}
            </Suspense>
            <HeaderSearch />
            <AccountMenu />
        </header>
    }
}

/// The footer of every page, with the takedown contact.
#[component]
pub fn Footer() -> impl IntoView {
    let site = use_site_info();
    view! {
        <footer class="site-footer">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    site
                        .get()
                        .await
                        .ok()
                        .map(|info| {
                            view! {
                                <p>
                                    {format!(
                                        "{} republishes curated articles with credit to their authors. ",
                                        info.site_name,
                                    )} "Takedown requests: "
                                    <a href=format!(
                                        "mailto:{}",
                                        info.contact_email,
                                    )>{info.contact_email.clone()}</a> " · "
                                    <a href="/moderation">"Moderation log"</a>
                                </p>
                            }
                        })
                })}
            </Suspense>
        </footer>
    }
}
