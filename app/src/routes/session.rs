use crate::api::schedule::get_session;
use crate::components::{use_auth, BookmarkButton, ErrorNotice, Loading, PageTitle};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use mozi_core::{AppError, SessionId};

lazy_page!(SessionRoute, SessionPage, session_route_view);

/// `/sessions/:id`.
#[component]
fn SessionPage() -> impl IntoView {
    let auth = use_auth();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<SessionId>().ok())
    };
    let detail = Resource::new(
        move || (id(), auth.generation()),
        |(id, _)| async move {
            match id {
                Some(id) => get_session(id).await,
                None => Err(AppError::not_found("There is no such session.")),
            }
        },
    );

    view! {
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let signed_in = auth.is_signed_in().await;
                    let detail = detail.await?;
                    let session = detail.summary;
                    Ok::<_, AppError>(view! {
                        <PageTitle text=session.title.clone()/>
                        <article class="session-page">
                            <p class="back"><a href=format!("/?day={}", session.day)>"← Day "{session.day}</a></p>
                            <h1>{session.title}</h1>
                            <p class="when">
                                {detail.date_label}" · "{session.starts_at}"–"{session.ends_at}
                                " · "{session.room}
                            </p>
                            <p class="track">{session.track}</p>
                            {if signed_in {
                                Either::Left(view! { <BookmarkButton session=session.id bookmarked=session.bookmarked/> })
                            } else {
                                Either::Right(view! { <a class="bookmark-signin" href=format!("/login?next=/sessions/{}", session.id)>"Sign in to bookmark"</a> })
                            }}
                            <h2>"About"</h2>
                            <p class="abstract">{detail.abstract_text}</p>
                            <h2>"Speakers"</h2>
                            <ul class="speakers">
                                {detail
                                    .speakers
                                    .into_iter()
                                    .map(|speaker| view! {
                                        <li>
                                            <img class="speaker-photo" src=speaker.photo_url alt="" width="48" height="48"/>
                                            <span><strong>{speaker.name}</strong>", "{speaker.affiliation}</span>
                                        </li>
                                    })
                                    .collect_view()}
                            </ul>
                        </article>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
