//! The dashboard tab: the figures of the last computed dashboard as server-rendered SVG charts.

use super::kit::*;

/// A horizontal bar chart as inline SVG: one bar per (label, value), the value printed at the
/// bar's end. Labels are escaped here; numbers are formatted by us. No script, no style
/// attribute (the CSP allows neither inline).
pub(super) fn bar_chart(title: &str, bars: &[(String, f64, String)], color: &str) -> String {
    use beian_core::text::escape_html as esc;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1e-9);
    let (row, label_w, bar_w) = (26.0, 190.0, 300.0);
    let height = row * bars.len().max(1) as f64 + 8.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title>{t}</title>",
        t = esc(title),
        w = label_w + bar_w + 90.0,
    );
    for (i, (label, value, shown)) in bars.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let len = (value / max * bar_w).max(if *value > 0.0 { 2.0 } else { 0.0 });
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"13\" fill=\"#1f2328\">{l}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{len:.1}\" height=\"{h}\" rx=\"3\" fill=\"{color}\"></rect>\
             <text x=\"{vx:.1}\" y=\"{ty}\" font-size=\"13\" fill=\"#57606a\">{v}</text>",
            lx = label_w - 8.0,
            ty = y + 15.0,
            l = esc(label),
            bx = label_w,
            h = row - 8.0,
            vx = label_w + len + 6.0,
            v = esc(shown),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A line of daily shares (0–100 %) as inline SVG, with the first and last day labelled.
pub(super) fn share_chart(title: &str, days: &[(String, f64)]) -> String {
    use beian_core::text::escape_html as esc;
    let (w, h, pad) = (560.0, 160.0, 30.0);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\"><title>{t}</title>\
         <line x1=\"{pad}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#d0d7de\"></line>\
         <text x=\"2\" y=\"{top}\" font-size=\"11\" fill=\"#57606a\">100%</text><text x=\"2\" y=\"{b}\" font-size=\"11\" fill=\"#57606a\">0%</text>",
        t = esc(title),
        b = h - pad,
        r = w - 10.0,
        top = pad - 8.0 + 8.0,
    );
    if !days.is_empty() {
        let step = if days.len() > 1 { (w - pad - 20.0) / (days.len() - 1) as f64 } else { 0.0 };
        let point = |i: usize, v: f64| (pad + step * i as f64, (h - pad) - v / 100.0 * (h - 2.0 * pad));
        let points: Vec<String> = days
            .iter()
            .enumerate()
            .map(|(i, (_, v))| {
                let (x, y) = point(i, *v);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        svg.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1a7f37\" stroke-width=\"2\"></polyline>",
            points.join(" ")
        ));
        for (i, (_, v)) in days.iter().enumerate() {
            let (x, y) = point(i, *v);
            svg.push_str(&format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#1a7f37\"></circle>"));
        }
        let first = &days[0].0;
        let last = &days[days.len() - 1].0;
        svg.push_str(&format!(
            "<text x=\"{pad}\" y=\"{y}\" font-size=\"11\" fill=\"#57606a\">{}</text><text x=\"{r}\" y=\"{y}\" text-anchor=\"end\" font-size=\"11\" fill=\"#57606a\">{}</text>",
            esc(first),
            esc(last),
            y = h - 8.0,
            r = w - 10.0,
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The dashboard: orders by stage, stage times, what returns were about, footer compliance.
pub(in crate::ui) async fn dashboard(
    State(s): State<AppState>,
    axum::Extension(p): axum::Extension<PageCtx>,
) -> Result<Response, Response> {
    admin_only(&p)?;
    let Some(d) = loaded(&p, s.app.admin().dashboard(&p.ctx)).await? else {
        // The first figures after a start are being computed in the background.
        let mut sec = Section::new(t(&p, "admin.dashboard"));
        sec.note = Some(t(&p, "admin.dash.computing"));
        return Ok(page(&p, "", None, vec![sec]));
    };
    let state_label = |st: &str| t(&p, &format!("state.{st}"));
    let mut sections = Vec::new();

    let title = t(&p, "admin.dash.by_state");
    let bars: Vec<(String, f64, String)> =
        d.by_state.iter().map(|(st, n)| (state_label(st), *n as f64, n.to_string())).collect();
    let mut sec = Section::new(title.clone());
    sec.note =
        Some(format!("{} {}", t(&p, "admin.dash.as_of"), short_time(&beian_app::rfc3339(d.computed_at))));
    sec.svg = Some(bar_chart(&title, &bars, "#0b5cad"));
    sec.table = Some(Table {
        headers: vec![t(&p, "admin.col.state"), t(&p, "admin.col.count")],
        rows: d
            .by_state
            .iter()
            .map(|(st, n)| Row {
                cells: vec![cell(state_label(st)), cell(n.to_string())],
                actions: Vec::new(),
            })
            .collect(),
    });
    sections.push(sec);

    let title = format!("{} ({} {})", t(&p, "admin.dash.stage_times"), d.window_days, t(&p, "review.days"));
    let hours = |h: f64| if h >= 48.0 { format!("{:.1} d", h / 24.0) } else { format!("{h:.1} h") };
    let bars: Vec<(String, f64, String)> = d
        .stage_times
        .iter()
        .map(|st| {
            (
                state_label(&st.state),
                st.p90_hours,
                format!("{} / {}", hours(st.median_hours), hours(st.p90_hours)),
            )
        })
        .collect();
    let mut sec = Section::new(title.clone());
    sec.note = Some(t(&p, "admin.dash.stage_times.note"));
    sec.svg = Some(bar_chart(&title, &bars, "#9a6700"));
    sec.table = Some(Table {
        headers: vec![
            t(&p, "admin.col.state"),
            t(&p, "admin.dash.median"),
            t(&p, "admin.dash.p90"),
            t(&p, "admin.col.count"),
        ],
        rows: d
            .stage_times
            .iter()
            .map(|st| Row {
                cells: vec![
                    cell(state_label(&st.state)),
                    cell(hours(st.median_hours)),
                    cell(hours(st.p90_hours)),
                    cell(st.samples.to_string()),
                ],
                actions: Vec::new(),
            })
            .collect(),
    });
    sections.push(sec);

    let title = t(&p, "admin.dash.returns");
    let bars: Vec<(String, f64, String)> =
        d.return_fields.iter().map(|(f, n)| (f.clone(), *n as f64, n.to_string())).collect();
    let mut sec = Section::new(title.clone());
    if bars.is_empty() {
        sec.note = Some(t(&p, "admin.dash.none"));
    } else {
        sec.svg = Some(bar_chart(&title, &bars, "#cf222e"));
    }
    sections.push(sec);

    let title = t(&p, "admin.dash.compliance");
    let days: Vec<(String, f64)> = d
        .compliance
        .iter()
        .map(|c| (c.day.to_string(), 100.0 * c.compliant as f64 / c.scanned.max(1) as f64))
        .collect();
    let mut sec = Section::new(title.clone());
    if days.is_empty() {
        sec.note = Some(t(&p, "admin.dash.none"));
    } else {
        sec.svg = Some(share_chart(&title, &days));
        sec.note = d.compliance.last().map(|c| format!("{}: {}/{}", c.day, c.compliant, c.scanned));
    }
    sections.push(sec);
    Ok(page(&p, "", None, sections))
}
