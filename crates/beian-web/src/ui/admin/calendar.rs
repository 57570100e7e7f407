//! The calendar tab: each year's public holidays and make-up working days with the notice they
//! come from, and the form that adds the next year (or corrects one) when the State Council
//! publishes it. Dates are typed one range per line (`2027-01-01~2027-01-03`); the `App` checks
//! them and names the line of a bad one.

use super::kit::*;
use beian_app::i18n::Text;

pub(in crate::ui) async fn calendar(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Query(o): Query<Outcome>,
    h: HeaderMap,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let view = loaded(&p, s.app.admin().calendar_view(&p.ctx)).await?;
    let mut sec = Section::new(t(&p, "admin.calendar"));
    let until = view.covers_until.clone().unwrap_or_default();
    sec.note = Some(t(&p, "admin.calendar.note").replace("{until}", &until));
    let version = view.version.to_string();
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.calendar.year"),
            t(&p, "admin.calendar.holidays"),
            t(&p, "admin.calendar.workdays"),
            t(&p, "admin.calendar.source"),
        ],
        rows: view
            .years
            .into_iter()
            .map(|y| {
                let origin = t(
                    &p,
                    if y.origin == beian_app::calendar::YearOrigin::Added {
                        "admin.calendar.added"
                    } else {
                        "admin.calendar.built_in"
                    },
                );
                let actions = match y.origin {
                    beian_app::calendar::YearOrigin::Added => vec![RowAction {
                        action: format!("/admin/calendar/{}/delete", y.entry.year),
                        label: t(&p, "admin.delete"),
                        fields: vec![input("version", "", "hidden", version.clone())],
                    }],
                    beian_app::calendar::YearOrigin::BuiltIn => Vec::new(),
                };
                let ranges: Vec<String> = y
                    .entry
                    .holidays
                    .iter()
                    .map(|[a, b]| if a == b { a.clone() } else { format!("{a}~{b}") })
                    .collect();
                Row {
                    cells: vec![
                        cell(format!("{} ({origin})", y.entry.year)),
                        mono(ranges.join(", ")),
                        mono(y.entry.workdays.join(", ")),
                        cell(format!("{} · {}", y.entry.source, y.entry.read_on)),
                    ],
                    actions,
                }
            })
            .collect(),
    });
    let next_year = view.covers_until.as_deref().and_then(|d| d.get(..4)?.parse::<i32>().ok()).map(|y| y + 1);
    sec.forms.push(add_form(
        &p,
        "/admin/calendar",
        "calendar-form",
        vec![
            input("version", "", "hidden", version),
            input(
                "year",
                &t(&p, "admin.calendar.year"),
                "number",
                next_year.map(|y| y.to_string()).unwrap_or_default(),
            ),
            input("holidays", &t(&p, "admin.calendar.holidays_input"), "textarea", ""),
            input("workdays", &t(&p, "admin.calendar.workdays_input"), "text", ""),
            input("source", &t(&p, "admin.calendar.source"), "text", ""),
            input("read_on", &t(&p, "admin.calendar.read_on"), "date", ""),
        ],
    ));
    Ok(page(&p, "calendar", o.notice(&p, &h), vec![sec]))
}

/// The ranges typed in the form, one per line or separated by commas: `A~B`, `A至B`, `A..B`,
/// or a single day. Kept as typed so that the `App` names a bad one.
fn ranges(text: &str) -> Vec<[String; 2]> {
    text.split(['\n', ',', '，', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('~').or_else(|| s.split_once('至')).or_else(|| s.split_once("..")) {
            Some((a, b)) => [a.trim().to_owned(), b.trim().to_owned()],
            None => [s.to_owned(), s.to_owned()],
        })
        .collect()
}

fn days(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | ';' | '；' | '、'))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(in crate::ui) async fn put_calendar_year(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Form(f): Form<Pairs>,
) -> Response {
    let Ok(year) = one(&f, "year").parse::<i32>() else {
        let e = AppError::field("year", "CALENDAR_YEAR_INVALID", Text::new("problem.calendar_year_invalid"));
        return step(&p, "calendar", async { Err::<(), _>(e) }).await;
    };
    let input = beian_app::calendar::YearInput {
        holidays: ranges(one(&f, "holidays")),
        workdays: days(one(&f, "workdays")),
        source: one(&f, "source").to_owned(),
        read_on: one(&f, "read_on").to_owned(),
    };
    let version = one(&f, "version").parse().ok();
    step(&p, "calendar", s.app.admin().put_calendar_year(&p.ctx, version, year, input)).await
}

pub(in crate::ui) async fn delete_calendar_year(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
    Path(year): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let Ok(year) = year.parse::<i32>() else {
        return error_page(p.lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    let version = one(&f, "version").parse().ok();
    step(&p, "calendar", s.app.admin().delete_calendar_year(&p.ctx, version, year)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_ranges_read_as_the_admin_wrote_them() {
        assert_eq!(
            ranges("2027-01-01~2027-01-03\n2027-02-06 至 2027-02-14，2027-04-05"),
            [
                ["2027-01-01".to_owned(), "2027-01-03".to_owned()],
                ["2027-02-06".to_owned(), "2027-02-14".to_owned()],
                ["2027-04-05".to_owned(), "2027-04-05".to_owned()],
            ]
        );
        assert_eq!(days("2027-02-07, 2027-02-20 2027-09-26、"), ["2027-02-07", "2027-02-20", "2027-09-26"]);
        assert!(ranges(" \n ").is_empty());
    }
}
