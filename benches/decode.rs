//! Response decoders (BENCHMARKS.md "Response formats"): the same 1,000 (and 10,000) user
//! records as each `outputRawFormat` would carry them, decoded to JSON values by
//! `naftiko::__bench::decode_as`, against the baseline `serde_json::from_slice::<Value>` of the
//! same records as JSON, in the same run.
//!
//! `cargo bench --bench decode`; `python3 tools/criterion_table.py` prints the table.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::Value;

/// One record's fields, in order.
fn record(i: usize) -> [(&'static str, String); 5] {
    [
        ("id", format!("u-{i:06}")),
        ("name", format!("User Number {i}")),
        ("email", format!("user{i}@example.test")),
        ("active", (!i.is_multiple_of(3)).to_string()),
        ("score", format!("{}", i * 7 % 1000)),
    ]
}

/// The records in `format`.
fn body(format: &str, n: usize) -> Vec<u8> {
    let rows: Vec<_> = (0..n).map(record).collect();
    let sep = match format {
        "tsv" => "\t",
        "psv" => "|",
        _ => ",",
    };
    let mut out = String::new();
    match format {
        "json" => {
            let v: Vec<Value> = rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|(k, v)| (k.to_string(), Value::from(v.as_str())))
                        .collect()
                })
                .collect();
            return serde_json::to_vec(&v).unwrap();
        }
        "xml" => {
            out.push_str("<users>");
            for r in &rows {
                out.push_str("<user>");
                for (k, v) in r {
                    out.push_str(&format!("<{k}>{v}</{k}>"));
                }
                out.push_str("</user>");
            }
            out.push_str("</users>");
        }
        "yaml" => {
            for r in &rows {
                for (j, (k, v)) in r.iter().enumerate() {
                    out.push_str(if j == 0 { "- " } else { "  " });
                    out.push_str(&format!("{k}: \"{v}\"\n"));
                }
            }
        }
        "csv" | "tsv" | "psv" => {
            let header: Vec<&str> = rows[0].iter().map(|(k, _)| *k).collect();
            out.push_str(&header.join(sep));
            out.push('\n');
            for r in &rows {
                let cells: Vec<&str> = r.iter().map(|(_, v)| v.as_str()).collect();
                out.push_str(&cells.join(sep));
                out.push('\n');
            }
        }
        "html" => {
            out.push_str("<html><body><table><thead><tr>");
            for (k, _) in &rows[0] {
                out.push_str(&format!("<th>{k}</th>"));
            }
            out.push_str("</tr></thead><tbody>");
            for r in &rows {
                out.push_str("<tr>");
                for (_, v) in r {
                    out.push_str(&format!("<td>{v}</td>"));
                }
                out.push_str("</tr>");
            }
            out.push_str("</tbody></table></body></html>");
        }
        "markdown" => {
            out.push_str("---\ntitle: users\n---\n");
            for r in &rows {
                out.push_str(&format!("## {}\n\n", r[0].1));
                for (k, v) in &r[1..] {
                    out.push_str(&format!("- {k}: {v}\n"));
                }
                out.push('\n');
            }
        }
        other => panic!("no sample for {other}"),
    }
    out.into_bytes()
}

const FORMATS: [&str; 8] = [
    "json", "xml", "yaml", "csv", "tsv", "psv", "html", "markdown",
];

fn bench_decode(c: &mut Criterion) {
    for n in [1_000usize, 10_000] {
        let mut g = c.benchmark_group(format!("decode/{n}"));
        g.sample_size(20).measurement_time(Duration::from_secs(3));
        let json = body("json", n);
        g.bench_function("from_slice", |b| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(&json)).unwrap())
        });
        for format in FORMATS {
            let bytes = body(format, n);
            // Every sample decodes (a broken sample would measure an error path).
            naftiko::__bench::decode_as(format, &bytes).expect(format);
            g.bench_with_input(BenchmarkId::from_parameter(format), &bytes, |b, bytes| {
                b.iter(|| naftiko::__bench::decode_as(format, black_box(bytes)).unwrap())
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500));
    targets = bench_decode
}
criterion_main!(benches);
