use super::BookmarkButton;
use leptos::either::Either;
use leptos::prelude::*;
use mozi_core::SessionSummary;

/// One session in a list: time, room, title, track and the bookmark toggle.
#[component]
pub fn SessionCard(
    session: SessionSummary,
    /// Signed-out visitors get a sign-in link instead of the toggle.
    signed_in: bool,
    /// Shows the day too, for lists that span days.
    #[prop(optional)]
    show_day: bool,
) -> impl IntoView {
    let href = format!("/sessions/{}", session.id);
    let when = if show_day {
        format!(
            "Day {} · {}–{}",
            session.day, session.starts_at, session.ends_at
        )
    } else {
        format!("{}–{}", session.starts_at, session.ends_at)
    };
    let (id, bookmarked) = (session.id, session.bookmarked);
    view! {
        <li class="session-card">
            <p class="when">
                <span class="time">{when}</span>
                " · "
                <span class="room">{session.room}</span>
            </p>
            <h3><a href=href>{session.title}</a></h3>
            <p class="meta">
                <span class="track">{session.track}</span>
                " · "
                <span class="speakers">{session.speakers.join(", ")}</span>
            </p>
            // Fixed for the page's life: no `<Show>`, whose reactive
            // condition every card would set up while hydrating.
            {if signed_in {
                Either::Left(view! { <BookmarkButton session=id bookmarked/> })
            } else {
                Either::Right(view! { <a class="bookmark-signin" href="/login">"Sign in to bookmark"</a> })
            }}
        </li>
    }
}
