//! The reading pages: home, article, author and tag. Server HTML only: the controls in them
//! (likes, ratings, follows, the discussion) are islands of their own features.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::{
    get_article, get_author_page, get_tag_page, list_articles, ArticleListItem, ArticleListPage,
    ArticleView, AuthorPageData,
};
use crate::accounts::{sign_in_href, use_auth, CurrentUser};
use crate::discussion::{get_comments, CommentPage, Discussion};
use crate::error::AppError;
use crate::feedback::{
    FollowControl, FollowState, LikeControl, LikeState, RateArticle, RatingControl, RatingSummary,
    RemoveRating, SetFollow, SetLike,
};
use crate::reading_list::{SaveOrSignIn, SetSaved};
use crate::site::{
    error_view, path_segment, use_page_number, use_site_info, DateTime, Refused, SiteInfo,
};
use leptos::server_fn::ServerFn;

/// The home page: newest articles first.
#[component]
pub fn HomePage() -> impl IntoView {
    let page = use_page_number();
    let listing = Resource::new(move || page.get(), list_articles);
    let site = use_site_info();
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading articles…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = matches!(auth.user.await, Ok(Some(_)));
                let site = site.get().await;
                match (listing.await, site) {
                    (Ok(listing), Ok(site)) => {
                        view! {
                            <Title text="Latest articles" />
                            <Meta
                                name="description"
                                content=format!(
                                    "{}: curated tech articles, distilled, republished and discussed.",
                                    site.site_name,
                                )
                            />
                            <Link rel="canonical" href=page_url(&site.public_url, "/", listing.page) />
                            <h1 class="page-title">"Latest articles"</h1>
                            <ArticleList listing base="/".to_owned() signed_in />
                        }
                            .into_any()
                    }
                    (Err(err), _) | (_, Err(err)) => error_view(err),
                }
            })}
        </Suspense>
    }
}

fn page_url(public_url: &str, base: &str, page: u32) -> String {
    if page > 1 {
        format!("{public_url}{base}?page={page}")
    } else {
        format!("{public_url}{base}")
    }
}

/// A page of article cards with previous/next links that work without JavaScript.
#[component]
fn ArticleList(listing: ArticleListPage, base: String, signed_in: bool) -> impl IntoView {
    let ArticleListPage {
        page,
        items,
        has_next,
    } = listing;
    if items.is_empty() {
        return view! { <p>"No articles here yet."</p> }.into_any();
    }
    let newer = (page > 1).then(|| {
        let href = if page == 2 {
            base.clone()
        } else {
            format!("{base}?page={}", page - 1)
        };
        view! {
            <a href=href rel="prev">
                "Newer articles"
            </a>
        }
    });
    let older = has_next.then(|| {
        view! {
            <a href=format!("{base}?page={}", page + 1) rel="next">
                "Older articles"
            </a>
        }
    });
    view! {
        <ol class="article-list">
            {items.into_iter().map(|item| view! { <ArticleCard item signed_in /> }).collect_view()}
        </ol>
        {(newer.is_some() || older.is_some())
            .then(|| {
                view! {
                    <nav class="pager" aria-label="More articles">
                        {newer}
                        {older}
                    </nav>
                }
            })}
    }
    .into_any()
}

/// One item of a listing: title, summary, byline, tags and "Save" ("Sign in to save" when
/// `signed_in` is false). Any listing may show articles with it (search results too); a save
/// posted without JavaScript comes back to the listing it was made on.
#[component]
pub fn ArticleCard(item: ArticleListItem, signed_in: bool) -> impl IntoView {
    let back = current_path();
    view! {
        <li class="article-card">
            <h2 class="article-card-title">
                <a href=format!("/articles/{}", item.slug)>{item.title}</a>
            </h2>
            <p class="article-card-summary">{item.summary}</p>
            <Byline
                author_name=item.author_name
                author_handle=item.author_handle
                published_at=item.published_at
                reading_minutes=item.reading_minutes
            />
            {(!item.tags.is_empty()).then(|| view! { <TagLinks tags=item.tags /> })}
            <SaveOrSignIn slug=item.slug saved=item.saved signed_in back />
        </li>
    }
}

/// The path and query of the page being rendered, for forms that come back to it.
fn current_path() -> String {
    let location = use_location();
    let path = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    let search = search.trim_start_matches('?');
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

/// Author link, publication date and reading time.
#[component]
pub fn Byline(
    author_name: String,
    author_handle: String,
    published_at: i64,
    reading_minutes: i64,
) -> impl IntoView {
    view! {
        <p class="byline">
            <a href=format!("/authors/{}", path_segment(&author_handle))>{author_name}</a>
            " · "
            <DateTime ms=published_at />
            " · "
            <span>{format!("{reading_minutes} min read")}</span>
        </p>
    }
}

/// Tags as links to their pages ("#rust").
#[component]
pub fn TagLinks(tags: Vec<String>) -> impl IntoView {
    view! {
        <ul class="tag-list">
            {tags
                .into_iter()
                .map(|tag| {
                    view! {
                        <li>
                            <a class="tag" href=format!("/tags/{}", path_segment(&tag))>
                                {format!("#{tag}")}
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// The article page.
#[component]
pub fn ArticlePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let article = Resource::new(slug, get_article);
    // The discussion has its own resource, so changing its order or page reloads only it.
    let query = use_query_map();
    let comments = Resource::new(
        move || {
            let query = query.read();
            (
                slug(),
                query.get("sort"),
                query.get("page").and_then(|p| p.parse::<u32>().ok()),
            )
        },
        |(slug, sort, page)| get_comments(slug, sort, page),
    );
    let site = use_site_info();
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading article…"</p> }>
            {move || Suspend::new(async move {
                let user = auth.user.await.ok().flatten();
                match (article.await, site.get().await) {
                    (Ok(article), Ok(site)) => {
                        view! { <ArticleReader article site user comments /> }.into_any()
                    }
                    (Err(err), _) | (_, Err(err)) => error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ArticleReader(
    article: ArticleView,
    site: SiteInfo,
    user: Option<CurrentUser>,
    comments: Resource<Result<CommentPage, AppError>>,
) -> impl IntoView {
    let path = format!("/articles/{}", article.slug);
    let signed_in = user.is_some();
    let (published, _) = crate::site::format_date(article.published_at);
    view! {
        <Title text=article.title.clone() />
        <Meta name="description" content=article.summary.clone() />
        <Link rel="canonical" href=article.canonical_url.clone() />
        <Meta property="og:type" content="article" />
        <Meta property="og:title" content=article.title.clone() />
        <Meta property="og:description" content=article.summary.clone() />
        <Meta property="og:url" content=article.canonical_url.clone() />
        <Meta property="og:site_name" content=site.site_name.clone() />
        <Meta property="og:locale" content=article.lang.replace('-', "_") />
        <Meta property="article:published_time" content=published />
        <Meta property="article:author" content=article.author_name.clone() />
        <script type="application/ld+json" inner_html=article.json_ld.clone()></script>
        <article class="article" lang=article.lang.clone()>
            <header class="article-header">
                <h1>{article.title.clone()}</h1>
                <p class="article-summary">{article.summary.clone()}</p>
                <Byline
                    author_name=article.author_name.clone()
                    author_handle=article.author_handle.clone()
                    published_at=article.published_at
                    reading_minutes=article.reading_minutes
                />
                <SaveOrSignIn
                    slug=article.slug.clone()
                    saved=article.saved
                    signed_in
                    back=path.clone()
                />
                <Refused paths=&[SetSaved::PATH] what="Not saved" />
            </header>
            <div class="prose" inner_html=article.body_html.clone()></div>
        </article>

        <section class="panel" id="original-source" aria-labelledby="original-source-heading">
            <h2 id="original-source-heading">"Original Source"</h2>
            {if signed_in {
                view! {
                    <p>
                        <a href=format!("{path}/source") rel="noopener noreferrer">
                            "Open original source"
                        </a>
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <p>
                        <a href=sign_in_href(&path, "#original-source")>"Sign in to view source"</a>
                    </p>
                }
                    .into_any()
            }}
        </section>

        <section class="panel notice" id="republication-notice" aria-labelledby="notice-heading">
            <h2 id="notice-heading">"Republication Notice"</h2>
            <p>{site.republication_notice.clone()}</p>
            <p>
                "Rights holders: "
                <a href=format!("mailto:{}", site.contact_email)>{site.contact_email.clone()}</a>
                " · "
                <a href=format!("{path}/takedown")>"Request a takedown"</a>
            </p>
        </section>

        <nav class="panel tags" aria-label="Tags">
            <TagLinks tags=article.tags.clone() />
        </nav>

        <section class="panel" id="written-by" aria-labelledby="written-by-heading">
            <h2 id="written-by-heading">"Written by"</h2>
            <p class="author-name">
                <a href=format!("/authors/{}", path_segment(&article.author_handle))>
                    {article.author_name.clone()}
                </a>
            </p>
            <p class="author-bio">{article.author_bio.clone()}</p>
            <FollowControl
                handle=article.author_handle.clone()
                initial=FollowState {
                    following: article.following,
                    followers: article.author_followers,
                }
                back=format!("{path}#written-by")
                can_follow=user.as_ref().is_some_and(|u| article.author_user_id != Some(u.id))
                live=Some(article.slug.clone())
            />
            <Refused paths=&[SetFollow::PATH] what="Not saved" />
            {(!signed_in)
                .then(|| {
                    view! {
                        <p>
                            <a href=sign_in_href(&path, "#written-by")>"Sign in to follow"</a>
                        </p>
                    }
                })}
        </section>

        <ReaderFeedback article=article.clone() path=path.clone() signed_in />

        <Discussion slug=article.slug.clone() signed_in comments />
    }
}

#[component]
fn ReaderFeedback(article: ArticleView, path: String, signed_in: bool) -> impl IntoView {
    let summary = RatingSummary {
        count: article.rating_count,
        sum: article.rating_sum,
        stars: [
            article.rating_1,
            article.rating_2,
            article.rating_3,
            article.rating_4,
            article.rating_5,
        ],
        mine: article.my_rating,
    };
    let sign_in = (!signed_in).then(|| sign_in_href(&path, "#reader-feedback"));
    view! {
        <section class="panel" id="reader-feedback" aria-labelledby="reader-feedback-heading">
            <h2 id="reader-feedback-heading">"Reader feedback"</h2>
            <p class="lede">"How this landed with the community"</p>
            // Islands for signed-out readers too (a link to sign in instead of the form), so
            // that everyone's counts follow the article's live events.
            <div class="feedback-likes">
                <LikeControl
                    slug=article.slug.clone()
                    initial=LikeState {
                        liked: article.liked,
                        count: article.like_count,
                    }
                    sign_in=sign_in.clone()
                />
                <Refused paths=&[SetLike::PATH] what="Your like was not saved" />
            </div>
            <div class="feedback-rating">
                <h3 id="rate-heading">"Rate this article"</h3>
                <p>"Was this worth your time?"</p>
                <RatingControl slug=article.slug.clone() initial=summary sign_in />
                <Refused
                    paths=&[RateArticle::PATH, RemoveRating::PATH]
                    what="Your rating was not saved"
                />
            </div>
        </section>
    }
}

/// `/authors/{handle}`: the author, their followers and their articles.
#[component]
pub fn AuthorPage() -> impl IntoView {
    let params = use_params_map();
    let page = use_page_number();
    let data = Resource::new(
        move || (params.read().get("handle").unwrap_or_default(), page.get()),
        |(handle, page)| get_author_page(handle, page),
    );
    let site = use_site_info();
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading author…"</p> }>
            {move || Suspend::new(async move {
                let user = auth.user.await.ok().flatten();
                match (data.await, site.get().await) {
                    (Ok(data), Ok(site)) => view! { <AuthorView data site user /> }.into_any(),
                    (Err(err), _) | (_, Err(err)) => error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuthorView(data: AuthorPageData, site: SiteInfo, user: Option<CurrentUser>) -> impl IntoView {
    let AuthorPageData {
        author,
        articles,
        following,
    } = data;
    let base = format!("/authors/{}", path_segment(&author.handle));
    view! {
        <Title text=author.name.clone() />
        <Meta name="description" content=author.bio.clone() />
        <Link rel="canonical" href=page_url(&site.public_url, &base, articles.page) />
        <Link
            rel="alternate"
            type_="application/atom+xml"
            title=format!("{} (Atom)", author.name)
            href=format!("{base}/feed.xml")
        />
        <header class="profile">
            <h1>{author.name.clone()}</h1>
            <p class="author-bio">{author.bio.clone()}</p>
            <FollowControl
                handle=author.handle.clone()
                initial=FollowState {
                    following,
                    followers: author.follower_count,
                }
                back=base.clone()
                can_follow=user.as_ref().is_some_and(|u| author.user_id != Some(u.id))
                live=None
            />
            <Refused paths=&[SetFollow::PATH] what="Not saved" />
            {user
                .is_none()
                .then(|| {
                    view! {
                        <p>
                            <a href=sign_in_href(&base, "")>"Sign in to follow"</a>
                        </p>
                    }
                })}
        </header>
        <h2 class="section-title">{format!("Articles by {}", author.name)}</h2>
        <ArticleList listing=articles base signed_in=user.is_some() />
    }
}

/// `/tags/{tag}`: the articles with that tag.
#[component]
pub fn TagPage() -> impl IntoView {
    let params = use_params_map();
    let page = use_page_number();
    let tag = move || params.read().get("tag").unwrap_or_default();
    let data = Resource::new(
        move || (tag(), page.get()),
        |(tag, page)| get_tag_page(tag, page),
    );
    let site = use_site_info();
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading tag…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = matches!(auth.user.await, Ok(Some(_)));
                let tag = tag();
                match (data.await, site.get().await) {
                    (Ok(listing), Ok(site)) => {
                        let base = format!("/tags/{}", path_segment(&tag));
                        view! {
                            <Title text=format!("#{tag}") />
                            <Meta name="description" content=format!("Articles tagged {tag} on {}", site.site_name) />
                            <Link rel="canonical" href=page_url(&site.public_url, &base, listing.page) />
                            <Link
                                rel="alternate"
                                type_="application/atom+xml"
                                title=format!("#{tag} (Atom)")
                                href=format!("{base}/feed.xml")
                            />
                            <h1 class="page-title">{tag.clone()}</h1>
                            <ArticleList listing base signed_in />
                        }
                            .into_any()
                    }
                    (Err(err), _) | (_, Err(err)) => error_view(err),
                }
            })}
        </Suspense>
    }
}
