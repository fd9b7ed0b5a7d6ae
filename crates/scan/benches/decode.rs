//! Decode-rate and speed benchmark: `cargo bench -p tally-scan --bench decode`.
//!
//! Runs, side by side in one process on one thread, Tally's pipeline, zxing-cpp alone (its
//! defaults, one call) and rqrr alone (one call, its own decoder) over
//!
//! * ZXing's black-box QR set, `../shared/qr-bench/zxing-blackbox/qrcode-1..6` (179 images,
//!   each with the exact expected text), and
//! * the synthetic stress set of `tally_scan::synth` (seed 2026, `TALLY_BENCH_N` frames per
//!   category, default 40).
//!
//! For each decoder and category it prints: codes read with the exact text, misreads (a code
//! returned whose text differs from the expected one), the rate, how many images a limit of the
//! default image budget cut short, and median / 90th-percentile / largest milliseconds per image
//! (decoding only; file reading is excluded). `TALLY_BENCH_VERBOSE=1`
//! lists the images the pipeline misses and which pass read each code.
//!
//! * sheets of 19×19 labels in one 6840×6840 PNG (`tally_scan::synth::sheet` and
//!   `damaged_sheet`): hundreds of symbols in one file, the images the retry budget exists for;
//!   decoded from the PNG bytes once per decoder, as `tally decode` does.
//!
//! Set `TALLY_BENCH_ONLY=zxing`, `=synth` or `=sheet` to run one part.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tally_scan::synth::{self, Category};
use tally_scan::{decode_image_report, decode_luma_report, Budget, Strategy};

const SEED: u64 = 2026;

/// Images that truly hold more than one code, with the texts of the codes beside the labelled
/// one. `qrcode-2/16.png` is a "double QR": a small code printed inside a large one; the `.txt`
/// names the outer code, and the inner one says so itself ("[内側QRコード]" = "inner QR code").
const ALSO_PRESENT: &[(&str, &str)] = &[(
    "qrcode-2/16.png",
    "[内側QRコード]\r\n\r\n*ダブルQR*\r\nhttp://d-qr.net/ex/",
)];

struct Image {
    group: String,
    name: String,
    w: u32,
    h: u32,
    luma: Vec<u8>,
    want: String,
}

#[derive(Default)]
struct Tally {
    total: usize,
    read: usize,
    misread: usize,
    /// Images where a limit of the budget cut the search short.
    cut: usize,
    ms: Vec<f64>,
}

impl Tally {
    fn median(&mut self, q: f64) -> f64 {
        self.ms.sort_by(|a, b| a.total_cmp(b));
        if self.ms.is_empty() {
            return 0.0;
        }
        let i = ((self.ms.len() - 1) as f64 * q).round() as usize;
        self.ms[i]
    }
}

fn decoders() -> Vec<(&'static str, Strategy)> {
    let mut v = vec![("tally pipeline", Strategy::Pipeline)];
    if cfg!(feature = "zxing") {
        v.push(("zxing-cpp alone", Strategy::ZxingOnly));
    }
    v.push(("rqrr alone", Strategy::RqrrOnly));
    v
}

fn zxing_set() -> Vec<Image> {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/qr-bench/zxing-blackbox");
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        eprintln!(
            "bench: {} not found; skipping the ZXing set",
            root.display()
        );
        return out;
    };
    let mut dirs: Vec<PathBuf> = dirs
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .expect("readable directory")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("png" | "jpg" | "gif")
                )
            })
            .collect();
        files.sort();
        for f in files {
            let want = std::fs::read_to_string(f.with_extension("txt"))
                .expect("expected text beside the image");
            let bytes = std::fs::read(&f).expect("readable image");
            let (w, h, luma) = tally_scan::load_luma(&bytes).expect("loadable image");
            out.push(Image {
                group: d.file_name().unwrap().to_string_lossy().into_owned(),
                name: f.file_name().unwrap().to_string_lossy().into_owned(),
                w,
                h,
                luma,
                want,
            });
        }
    }
    out
}

fn synth_set(n: u64) -> Vec<Image> {
    Category::ALL
        .iter()
        .flat_map(|&c| (0..n).map(move |i| (c, i)))
        .map(|(c, i)| {
            let s = synth::sample(c, SEED, i);
            Image {
                group: c.name().to_owned(),
                name: format!("{}#{i}", c.name()),
                w: s.width,
                h: s.height,
                luma: s.luma,
                want: s.text,
            }
        })
        .collect()
}

fn run(title: &str, images: &[Image], verbose: bool) {
    let decs = decoders();
    // results[decoder][group]
    let mut results: Vec<BTreeMap<String, Tally>> =
        (0..decs.len()).map(|_| BTreeMap::new()).collect();
    let mut all: Vec<Tally> = (0..decs.len()).map(|_| Tally::default()).collect();
    let mut passes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut missed = Vec::new();
    let order: Vec<String> = {
        let mut o: Vec<String> = Vec::new();
        for im in images {
            if !o.contains(&im.group) {
                o.push(im.group.clone());
            }
        }
        o
    };
    for im in images {
        for (k, (_, strategy)) in decs.iter().enumerate() {
            let t = Instant::now();
            let report = decode_luma_report(im.w, im.h, &im.luma, *strategy, Budget::IMAGE)
                .expect("frame within limits");
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let codes = report.codes;
            let ok = codes.iter().any(|c| c.text == im.want);
            let key = format!("{}/{}", im.group, im.name);
            let also = |t: &str| ALSO_PRESENT.iter().any(|&(k, v)| k == key && v == t);
            let bad = codes.iter().any(|c| c.text != im.want && !also(&c.text));
            for r in [results[k].entry(im.group.clone()).or_default(), &mut all[k]] {
                r.total += 1;
                r.read += usize::from(ok);
                r.misread += usize::from(bad);
                r.cut += usize::from(report.limit.is_some());
                r.ms.push(ms);
            }
            if k == 0 {
                for c in &codes {
                    *passes.entry(c.pass).or_default() += 1;
                }
                if !ok || bad {
                    missed.push(format!(
                        "{}/{}: {}",
                        im.group,
                        im.name,
                        if bad {
                            format!(
                                "MISREAD {:?}",
                                codes.iter().map(|c| &c.text).collect::<Vec<_>>()
                            )
                        } else {
                            "not read".into()
                        }
                    ));
                }
            }
        }
    }
    println!("\n## {title}\n");
    println!(
        "| category | decoder | exact | misreads | rate | cut | median ms | p90 ms | max ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for g in order.iter().map(String::as_str).chain(["ALL"]) {
        for (k, (name, _)) in decs.iter().enumerate() {
            let r = if g == "ALL" {
                &mut all[k]
            } else {
                results[k].get_mut(g).expect("group")
            };
            let (m, p90, max) = (r.median(0.5), r.median(0.9), r.median(1.0));
            println!(
                "| {g} | {name} | {}/{} | {} | {:.1}% | {} | {m:.1} | {p90:.1} | {max:.1} |",
                r.read,
                r.total,
                r.misread,
                100.0 * r.read as f64 / r.total.max(1) as f64,
                r.cut
            );
        }
    }
    println!("\npipeline passes that read codes: {passes:?}");
    if verbose {
        for m in &missed {
            println!("pipeline: {m}");
        }
    }
}

/// The sheets of labels, readable and damaged: codes read with their exact text, misreads, the
/// limit that cut the search short and the time for the file (PNG decoding included, as for
/// `tally decode`), with the default image budget.
fn sheets() {
    for (title, sheet) in [
        ("Sheet", synth::sheet(19, 360)),
        ("Damaged sheet", synth::damaged_sheet(19, 360)),
    ] {
        let png = sheet.to_png();
        println!(
            "\n## {title} of {} labels, {}×{} PNG ({} bytes)\n",
            sheet.texts.len(),
            sheet.width,
            sheet.height,
            png.len()
        );
        println!("| decoder | exact | misreads | limit | ms |");
        println!("|---|---:|---:|---|---:|");
        for (name, strategy) in decoders() {
            let t = Instant::now();
            let r = decode_image_report(&png, strategy, Budget::IMAGE).expect("a valid PNG");
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let exact = r.codes.iter().filter(|c| sheet.texts.contains(&c.text));
            let exact = exact.count();
            println!(
                "| {name} | {exact}/{} | {} | {:?} | {ms:.0} |",
                sheet.texts.len(),
                r.codes.len() - exact,
                r.limit
            );
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a harness-less bench ignores its arguments.
    let verbose = std::env::var_os("TALLY_BENCH_VERBOSE").is_some();
    let only = std::env::var("TALLY_BENCH_ONLY").unwrap_or_default();
    let n: u64 = std::env::var("TALLY_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    println!(
        "tally-scan decode bench (features: {}), one thread",
        if cfg!(feature = "zxing") {
            "zxing (default)"
        } else {
            "pure Rust"
        }
    );
    if only.is_empty() || only == "zxing" {
        let set = zxing_set();
        if !set.is_empty() {
            run("ZXing black-box QR set (exact text)", &set, verbose);
        }
    }
    if only.is_empty() || only == "sheet" {
        sheets();
    }
    if only.is_empty() || only == "synth" {
        run(
            &format!("Synthetic stress set (seed {SEED}, {n} per category)"),
            &synth_set(n),
            verbose,
        );
    }
}
