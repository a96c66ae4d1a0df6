use crate::api::schedule::get_schedule;
use crate::components::{use_auth, ErrorNotice, Loading, PageTitle, SessionCard};
use crate::deferred::deferred;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use mozi_core::{AppError, SessionSummary};

lazy_page!(ScheduleRoute, SchedulePage, schedule_route_view);

/// `/?day=N`: the programme of one day, one tab per day.
#[component]
fn SchedulePage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    // An unreadable day becomes 0, which the server answers with "no such day".
    let day = move || {
        query
            .read()
            .get("day")
            .map_or(1, |day| day.parse::<u8>().unwrap_or(0))
    };
    let schedule = Resource::new(
        move || (day(), auth.generation()),
        |(day, _)| get_schedule(day),
    );

    view! {
        <PageTitle text="Schedule"/>
        <Transition fallback=Loading>
            <ErrorBoundary fallback=|errors| view! { <ErrorNotice errors/> }>
                {move || Suspend::new(async move {
                    let signed_in = auth.is_signed_in().await;
                    let schedule = schedule.await?;
                    let tabs = schedule
                        .days
                        .iter()
                        .map(|day| {
                            let current = day.number == schedule.day;
                            view! {
                                <a
                                    href=format!("/?day={}", day.number)
                                    aria-current=current.then_some("page")
                                >
                                    <span class="day-number">{format!("Day {}", day.number)}</span>
                                    <span class="day-label">{day.label.clone()}</span>
                                </a>
                            }
                        })
                        .collect_view();
                    let slots = by_start_time(schedule.sessions)
                        .into_iter()
                        .map(|(start, sessions)| {
                            // Each time slot hydrates in a task of its own:
                            // a day's programme is the longest hydration of
                            // any page.
                            deferred(view! {
                                <section class="slot">
                                    <h2 class="slot-time">{start}</h2>
                                    <ul class="sessions">
                                        {sessions
                                            .into_iter()
                                            .map(|session| view! { <SessionCard session signed_in/> })
                                            .collect_view()}
                                    </ul>
                                </section>
                            })
                        })
                        .collect_view();
                    Ok::<_, AppError>(view! {
                        <h1>{schedule.name}</h1>
                        <nav class="day-tabs" aria-label="Conference days">{tabs}</nav>
                        {slots}
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// Groups sessions (already in time order) by their start time.
fn by_start_time(sessions: Vec<SessionSummary>) -> Vec<(String, Vec<SessionSummary>)> {
    let mut slots: Vec<(String, Vec<SessionSummary>)> = Vec::new();
    for session in sessions {
        match slots.last_mut() {
            Some((start, group)) if *start == session.starts_at => group.push(session),
            _ => slots.push((session.starts_at.clone(), vec![session])),
        }
    }
    slots
}
