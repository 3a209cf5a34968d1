//! The throughput chart (docs/throughput.svg), written as plain SVG: requests per second
//! against concurrency, both on log scales, one line per client.

use serde_json::Value;

use crate::clients::median;

struct Series {
    name: String,
    color: &'static str,
    dash: &'static str,
    points: Vec<(f64, f64)>,
}

/// The plot area and its two log scales.
#[derive(Clone, Copy)]
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    top: f64,
    /// Plot width and height.
    pw: f64,
    ph: f64,
    /// The decades (log10) at the bottom and the top of the y axis.
    dlo: f64,
    dhi: f64,
}

impl Frame {
    fn new(series: &[Series]) -> Frame {
        let (w, h) = (860.0, 480.0);
        let (left, right, top, bottom) = (80.0, 230.0, 60.0, 60.0);
        let all: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|v| *v > 0.0)
            .collect();
        let lo = all.iter().cloned().fold(f64::INFINITY, f64::min).max(1.0);
        let hi = all.iter().cloned().fold(0.0, f64::max).max(10.0);
        let dlo = lo.log10().floor();
        let dhi = hi.log10().ceil().max(dlo + 1.0);
        Frame {
            w,
            h,
            left,
            top,
            pw: w - left - right,
            ph: h - top - bottom,
            dlo,
            dhi,
        }
    }

    /// Concurrency 1 … 256 (powers of 4) across the plot.
    fn x(&self, c: f64) -> f64 {
        self.left + (c.log(4.0) / 4.0) * self.pw
    }

    fn y(&self, v: f64) -> f64 {
        self.top + self.ph - (v.max(1e-9).log10() - self.dlo) / (self.dhi - self.dlo) * self.ph
    }
}

fn svg_chart(series: &[Series], subtitle: &str) -> String {
    let f = Frame::new(series);
    let mut s = header(&f, subtitle);
    grid(&mut s, &f);
    for (i, se) in series.iter().enumerate() {
        plot(&mut s, &f, i, se);
    }
    s.push_str("</svg>\n");
    s
}

fn header(f: &Frame, subtitle: &str) -> String {
    let Frame { w, h, left, pw, .. } = *f;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="24" font-size="16" font-weight="bold" text-anchor="middle">GET /v2/user/{{id}} on loopback: requests per second vs concurrency</text>
<text x="{}" y="42" fill="#555" text-anchor="middle">{}</text>
"##,
        left + pw / 2.0,
        left + pw / 2.0,
        xml(subtitle)
    )
}

/// Horizontal lines at each decade and its 2× and 5×, vertical ones at each concurrency,
/// the frame and the axis titles.
fn grid(s: &mut String, f: &Frame) {
    let Frame {
        h,
        left,
        top,
        pw,
        ph,
        dlo,
        dhi,
        ..
    } = *f;
    let mut d = dlo;
    while d <= dhi {
        for m in [1.0, 2.0, 5.0] {
            let v = 10f64.powf(d) * m;
            if v.log10() > dhi + 1e-9 {
                continue;
            }
            let y = f.y(v);
            let major = m == 1.0;
            s.push_str(&format!(
                r#"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{}" stroke-width="1"/>
"#,
                left + pw,
                if major { "#ccc" } else { "#eee" }
            ));
            s.push_str(&format!(
                r#"<text x="{}" y="{:.1}" text-anchor="end" fill="{}">{}</text>
"#,
                left - 6.0,
                y + 4.0,
                if major { "#333" } else { "#888" },
                human(v)
            ));
        }
        d += 1.0;
    }
    for c in [1.0f64, 4.0, 16.0, 64.0, 256.0] {
        let x = f.x(c);
        s.push_str(&format!(
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{}" stroke="#eee"/><text x="{x:.1}" y="{}" text-anchor="middle">{c}</text>
"##,
            top + ph,
            top + ph + 18.0
        ));
    }
    s.push_str(&format!(
        r##"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>
<text x="{}" y="{}" text-anchor="middle">concurrent requests in flight (log scale)</text>
<text transform="translate(20 {}) rotate(-90)" text-anchor="middle">requests per second (log scale)</text>
"##,
        left + pw / 2.0,
        h - 16.0,
        top + ph / 2.0
    ));
}

/// The `i`-th series: its line, a point with a tooltip per concurrency, its legend entry.
fn plot(s: &mut String, f: &Frame, i: usize, se: &Series) {
    let pts: Vec<String> = se
        .points
        .iter()
        .filter(|p| p.1 > 0.0)
        .map(|(c, v)| format!("{:.1},{:.1}", f.x(*c), f.y(*v)))
        .collect();
    if pts.is_empty() {
        return;
    }
    s.push_str(&format!(
        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/>
"#,
        pts.join(" "),
        se.color,
        se.dash
    ));
    for (c, v) in se.points.iter().filter(|p| p.1 > 0.0) {
        s.push_str(&format!(
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{}"><title>{}: {} req/s at concurrency {}</title></circle>
"#,
            f.x(*c),
            f.y(*v),
            se.color,
            xml(&se.name),
            v.round(),
            c
        ));
    }
    let ly = f.top + 10.0 + i as f64 * 22.0;
    let lx = f.left + f.pw + 16.0;
    s.push_str(&format!(
        r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{}" stroke-width="2.5" stroke-dasharray="{}"/><circle cx="{}" cy="{ly}" r="4" fill="{}"/><text x="{}" y="{}">{}</text>
"#,
        lx + 28.0,
        se.color,
        se.dash,
        lx + 14.0,
        se.color,
        lx + 34.0,
        ly + 4.0,
        xml(&se.name)
    ));
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn human(v: f64) -> String {
    if v >= 1000.0 {
        format!("{}k", v / 1000.0)
    } else {
        format!("{v}")
    }
}

/// Median req/s per concurrency for one peer/mode from tools/peers JSON lines.
fn peer_points(lines: &[Value], peer: &str, mode: &str) -> Vec<(f64, f64)> {
    let mut by: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
    for l in lines {
        if l["peer"] == peer
            && l["mode"] == mode
            && l["errors"].as_u64() == Some(0)
            && l.get("shared_client").is_none()
        {
            if let (Some(c), Some(r)) = (l["concurrency"].as_u64(), l["req_per_s"].as_f64()) {
                by.entry(c).or_default().push(r);
            }
        }
    }
    by.into_iter()
        .map(|(c, v)| (c as f64, median(&v)))
        .collect()
}

/// `(concurrency, field)` for each throughput row of the results.
fn throughput_points(results: &Value, field: &str) -> Vec<(f64, f64)> {
    results["throughput"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["concurrency"].as_f64().unwrap(),
                r[field].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Writes the chart of `results` (and of the peers' JSON lines) to `path`.
pub fn write(results: &Value, peers: &[Value], path: &str) {
    let mut series = vec![
        Series {
            name: "naftiko Runtime::call".into(),
            color: "#d62728",
            dash: "none",
            points: throughput_points(results, "naftiko_rps_median"),
        },
        Series {
            name: "hand-written reqwest".into(),
            color: "#1f77b4",
            dash: "6 3",
            points: throughput_points(results, "reqwest_rps_median"),
        },
    ];
    for (peer, mode, name, color, dash) in [
        (
            "python-sdk",
            "sync",
            "Python SDK, sync threads",
            "#2ca02c",
            "none",
        ),
        ("python-sdk", "async", "Python SDK, async", "#98df8a", "4 3"),
        ("node-sdk", "async", "Node SDK", "#9467bd", "2 3"),
    ] {
        let p = peer_points(peers, peer, mode);
        if !p.is_empty() {
            series.push(Series {
                name: name.into(),
                color,
                dash,
                points: p,
            });
        }
    }
    let subtitle = format!(
        "same loopback server, same session; {} cores; median of interleaved runs ({} s windows)",
        results["machine"]["cores"], results["config"]["secs"]
    );
    if let Some(dir) = std::path::Path::new(path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(path, svg_chart(&series, &subtitle)).expect("write svg");
    eprintln!("[e2e] wrote {path}");
}
