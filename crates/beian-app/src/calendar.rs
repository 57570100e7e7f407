//! The working-day calendar in force: the years built into this release plus the years an
//! administrator added (or corrected) since, kept as one setting so that every instance of a
//! deployment counts with the same days.
//!
//! Due dates are counted here ([`Admin::calendar`]); a date that reaches a year without an entry
//! carries that year, and the pages and `/readyz` say so. This module never guesses a year's
//! holidays: a year is on file only with the notice it comes from.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use beian_core::calendar::{Calendar, Due, YearEntry};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::areas::Admin;
use crate::{AppError, AppResult, Ctx, FieldError, Role};

/// The setting holding the years administrators added.
const SETTING: &str = "calendar";

/// How long one instance keeps the calendar before reading it again (another instance may have
/// added a year).
const REFRESH: Duration = Duration::from_secs(30);

/// `/readyz` warns this many days before the calendar runs out.
pub const WARN_DAYS: i64 = 60;

/// The calendar read from the setting, and when it was read.
#[derive(Debug, Default)]
pub(crate) struct CalendarCache {
    cell: Mutex<Option<(Instant, Arc<Calendar>)>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Added {
    years: Vec<YearEntry>,
}

/// Where a year's entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum YearOrigin {
    /// Shipped with this release (`beian-core/data/holidays.toml`).
    BuiltIn,
    /// Added or corrected by an administrator.
    Added,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CalendarYearView {
    #[serde(flatten)]
    pub entry: YearEntry,
    pub origin: YearOrigin,
}

/// The calendar in force.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CalendarView {
    /// Version of the administrators' additions (send it as `If-Match`; 0 when none yet).
    pub version: i64,
    pub years: Vec<CalendarYearView>,
    /// The last day counted with known holidays (`YYYY-MM-DD`); due dates after it are
    /// counted by weekends alone and flagged.
    pub covers_until: Option<String>,
}

/// One year's schedule as an administrator enters it (the year is in the path).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YearInput {
    /// Inclusive ranges of days off, `[["2027-01-01", "2027-01-03"], …]`.
    pub holidays: Vec<[String; 2]>,
    /// Saturdays and Sundays that are working days.
    #[serde(default)]
    pub workdays: Vec<String>,
    /// The notice the dates come from.
    pub source: String,
    /// The day the notice was read, `YYYY-MM-DD`.
    pub read_on: String,
}

/// A due date with the year it could not count exactly, as views carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDate {
    pub date: String,
    pub year_without_calendar: Option<i32>,
}

impl From<Due> for DueDate {
    fn from(d: Due) -> DueDate {
        DueDate { date: d.date.to_string(), year_without_calendar: d.year_without_calendar }
    }
}

fn merged(added: &Added) -> Calendar {
    let mut cal = Calendar::builtin().clone();
    for e in &added.years {
        // Checked when saved; an entry that no longer passes (a stricter release) is skipped
        // rather than taking the service down.
        if let Ok(y) = e.clone().check() {
            cal.insert(y);
        }
    }
    cal
}

impl Admin<'_> {
    async fn added_years(self) -> AppResult<(i64, Added)> {
        Ok(match self.store().setting(SETTING).await? {
            Some(s) => (s.version, serde_json::from_str(&s.value)?),
            None => (0, Added::default()),
        })
    }

    /// The calendar in force (cached for a few seconds per instance).
    pub async fn calendar(self) -> AppResult<Arc<Calendar>> {
        let cache = &self.inner.calendar_cache;
        if let Some((at, cal)) = cache.cell.lock().expect("calendar cache").as_ref()
            && at.elapsed() < REFRESH
        {
            return Ok(cal.clone());
        }
        let cal = Arc::new(merged(&self.added_years().await?.1));
        *cache.cell.lock().expect("calendar cache") = Some((Instant::now(), cal.clone()));
        Ok(cal)
    }

    /// The calendar with each year's source and origin, for staff.
    pub async fn calendar_view(self, ctx: &Ctx) -> AppResult<CalendarView> {
        ctx.require(&[Role::Reviewer, Role::Admin])?;
        let (version, added) = self.added_years().await?;
        let cal = merged(&added);
        let years = cal
            .years()
            .map(|y| CalendarYearView {
                entry: y.entry.clone(),
                origin: if added.years.iter().any(|a| a.year == y.entry.year) {
                    YearOrigin::Added
                } else {
                    YearOrigin::BuiltIn
                },
            })
            .collect();
        Ok(CalendarView { version, years, covers_until: cal.covers_until().map(|d| d.to_string()) })
    }

    /// Adds a year's schedule, or corrects one (built-in or added); `if_match` is the version
    /// read from [`Admin::calendar_view`].
    pub async fn put_calendar_year(
        self,
        ctx: &Ctx,
        if_match: Option<i64>,
        year: i32,
        input: YearInput,
    ) -> AppResult<CalendarView> {
        ctx.require(&[Role::Admin])?;
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let entry = YearEntry {
            year,
            holidays: input.holidays,
            workdays: input.workdays,
            source: input.source.trim().chars().take(500).collect(),
            read_on: input.read_on,
        };
        entry.clone().check().map_err(|problems| {
            AppError::Validation(problems.iter().map(|p| FieldError::new(p.field(), p)).collect())
        })?;
        let (_, mut added) = self.added_years().await?;
        added.years.retain(|e| e.year != year);
        added.years.push(entry);
        added.years.sort_by_key(|e| e.year);
        self.save_added(ctx, expected, &added, "calendar.put_year", year).await?;
        self.calendar_view(ctx).await
    }

    /// Removes a year an administrator added (a built-in year cannot be removed, only
    /// corrected).
    pub async fn delete_calendar_year(
        self,
        ctx: &Ctx,
        if_match: Option<i64>,
        year: i32,
    ) -> AppResult<CalendarView> {
        ctx.require(&[Role::Admin])?;
        let expected = if_match.ok_or(AppError::PreconditionRequired)?;
        let (_, mut added) = self.added_years().await?;
        let before = added.years.len();
        added.years.retain(|e| e.year != year);
        if added.years.len() == before {
            return Err(AppError::NotFound);
        }
        self.save_added(ctx, expected, &added, "calendar.delete_year", year).await?;
        self.calendar_view(ctx).await
    }

    async fn save_added(
        self,
        ctx: &Ctx,
        expected: i64,
        added: &Added,
        action: &str,
        year: i32,
    ) -> AppResult<()> {
        let now = self.now_us();
        let mut tx = self.store().begin().await?;
        if !tx.put_setting(SETTING, &serde_json::to_string(added)?, expected, now).await? {
            let current = self.store().setting(SETTING).await?.map_or(0, |s| s.version);
            return Err(AppError::PreconditionFailed { current_version: current });
        }
        tx.audit(&ctx.audit(action, "setting", SETTING, json!({ "year": year })), now).await?;
        tx.commit().await?;
        *self.inner.calendar_cache.cell.lock().expect("calendar cache") = None;
        Ok(())
    }

    /// A warning when the calendar ends within [`WARN_DAYS`] of today (or already has): the
    /// next year's notice must be added before due dates run into it.
    pub async fn calendar_warning(self) -> AppResult<Option<String>> {
        let cal = self.calendar().await?;
        let today = self.clock().today();
        Ok(match cal.covers_until() {
            Some(end) if (end - today).whole_days() > WARN_DAYS => None,
            Some(end) => Some(format!(
                "the holiday calendar ends on {end}: add {} at /admin/calendar (or PUT /api/v1/admin/calendar/{{year}}) once the State Council publishes it",
                end.year() + 1
            )),
            None => Some("the holiday calendar is empty".to_owned()),
        })
    }
}
