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
//! * real camera photos, `../shared/qr-bench/real-photos/{jsqr-e2e,zxing-cpp-extra}` (65
//!   images, each with the exact expected text and the tags of `manifest.json`): the same table
//!   per set, then each decoder's rate per tag (an image with several tags counts under each).
//!   Some photos show several codes of which only the labelled one is known: there a code of
//!   another text counts as a misread only if it lies on the labelled code (where the manifest
//!   says where that is), and is listed as another code otherwise.
//!
//! Set `TALLY_BENCH_ONLY=zxing`, `=synth`, `=sheet` or `=real` to run one part.

#[path = "../tests/common/corpus.rs"]
mod corpus;

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
    /// Texts of other codes known to be in the image (not misreads).
    also: Vec<&'static str>,
    /// The manifest's tags (real photos; empty otherwise).
    tags: Vec<String>,
    /// On an image with codes of unknown text beside the labelled one: where the labelled code
    /// is, if known (`None`: any other text counts as another code).
    others: Option<Option<[[f32; 2]; 4]>>,
}

impl Image {
    fn new(group: String, name: String, (w, h, luma): (u32, u32, Vec<u8>), want: String) -> Self {
        let key = format!("{group}/{name}");
        let also = ALSO_PRESENT
            .iter()
            .filter(|&&(k, _)| k == key)
            .map(|&(_, v)| v)
            .collect();
        Image {
            group,
            name,
            w,
            h,
            luma,
            want,
            also,
            tags: Vec::new(),
            others: None,
        }
    }

    /// Whether a code read is a misread: neither the expected text, nor a code known to be
    /// present, nor (on a multi-code image) a code away from the labelled one.
    fn misread(&self, c: &tally_scan::Code) -> bool {
        if c.text == self.want || self.also.contains(&c.text.as_str()) {
            return false;
        }
        match self.others {
            None => true,
            Some(None) => false,
            Some(Some(q)) => inside(c.center(), q),
        }
    }
}

/// Whether `p` lies inside the convex quadrilateral `q`.
fn inside(p: [f32; 2], q: [[f32; 2]; 4]) -> bool {
    let side =
        |a: [f32; 2], b: [f32; 2]| (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
    let s: Vec<f32> = (0..4).map(|i| side(q[i], q[(i + 1) % 4])).collect();
    s.iter().all(|&v| v >= 0.0) || s.iter().all(|&v| v <= 0.0)
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

/// The folder `../shared/qr-bench/<name>` beside the repository, or `None` (with a message
/// saying which part is skipped) when it is missing.
fn bench_dir(name: &str, part: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/qr-bench")
        .join(name);
    if root.is_dir() {
        Some(root)
    } else {
        eprintln!("bench: {} not found; skipping {part}", root.display());
        None
    }
}

/// Every image of one folder (PNG, JPEG, GIF, sorted by name) with the expected text of the
/// `.txt` beside it, grouped under the folder's name.
fn load_dir(d: &Path) -> Vec<Image> {
    corpus::labelled(d)
        .into_iter()
        .map(|l| {
            let bytes = std::fs::read(&l.path).expect("readable image");
            let frame = tally_scan::load_luma(&bytes).expect("loadable image");
            Image::new(l.group, l.file, frame, l.want)
        })
        .collect()
}

fn zxing_set() -> Vec<Image> {
    let Some(root) = bench_dir("zxing-blackbox", "the ZXing set") else {
        return Vec::new();
    };
    corpus::subdirs(&root)
        .iter()
        .flat_map(|d| load_dir(d))
        .collect()
}

/// The real-photo sets, each image with its manifest tags and, on multi-code images, where the
/// labelled code is (zxing-cpp's corners, else jsQR's).
fn real_set() -> Vec<Image> {
    let Some(root) = bench_dir("real-photos", "the real-photo sets") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in corpus::subdirs(&root) {
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join("manifest.json")).expect("manifest.json in each set"),
        )
        .expect("valid manifest.json");
        let entries = manifest["images"].as_array().expect("manifest images");
        for mut im in load_dir(&d) {
            let e = entries
                .iter()
                .find(|e| e["image"] == im.name.as_str())
                .unwrap_or_else(|| panic!("{} not in its manifest", im.name));
            im.tags = e["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .map(|t| t.as_str().expect("tag").to_owned())
                .collect();
            if im.tags.iter().any(|t| t == "multi-code") {
                im.others = Some(labelled_corners(e));
            }
            out.push(im);
        }
    }
    out
}

/// The labelled code's corners in a manifest entry (TL, TR, BR, BL), if a decoder gave them.
fn labelled_corners(e: &serde_json::Value) -> Option<[[f32; 2]; 4]> {
    let xy = |v: &serde_json::Value| Some([v[0].as_f64()? as f32, v[1].as_f64()? as f32]);
    let z = &e["corners_zxingcpp"];
    let zx = || {
        Some([
            xy(&z["top_left"])?,
            xy(&z["top_right"])?,
            xy(&z["bottom_right"])?,
            xy(&z["bottom_left"])?,
        ])
    };
    let j = &e["corners_jsqr_output_json"];
    let pt = |k: &str| Some([j[k]["x"].as_f64()? as f32, j[k]["y"].as_f64()? as f32]);
    let js = || {
        Some([
            pt("topLeftCorner")?,
            pt("topRightCorner")?,
            pt("bottomRightCorner")?,
            pt("bottomLeftCorner")?,
        ])
    };
    zx().or_else(js)
}

fn synth_set(n: u64) -> Vec<Image> {
    Category::ALL
        .iter()
        .flat_map(|&c| (0..n).map(move |i| (c, i)))
        .map(|(c, i)| {
            let s = synth::sample(c, SEED, i);
            Image::new(
                c.name().to_owned(),
                format!("{}#{i}", c.name()),
                (s.width, s.height, s.luma),
                s.text,
            )
        })
        .collect()
}

/// What the decoders made of one image: whether each read the expected text, and which pipeline
/// pass read it.
struct Outcome {
    read: Vec<bool>,
    pass: Option<&'static str>,
}

/// Runs every decoder over `images` and prints the table per group and overall.
fn run(title: &str, images: &[Image], verbose: bool) -> Vec<Outcome> {
    let decs = decoders();
    let mut outcomes = Vec::new();
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
        let mut outcome = Outcome {
            read: Vec::new(),
            pass: None,
        };
        for (k, (_, strategy)) in decs.iter().enumerate() {
            let t = Instant::now();
            let report = decode_luma_report(im.w, im.h, &im.luma, *strategy, Budget::IMAGE)
                .expect("frame within limits");
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let codes = report.codes;
            let ok = codes.iter().any(|c| c.text == im.want);
            let bad = codes.iter().any(|c| im.misread(c));
            outcome.read.push(ok);
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
                outcome.pass = codes.iter().find(|c| c.text == im.want).map(|c| c.pass);
                let other = |c: &&tally_scan::Code| c.text != im.want && !im.misread(c);
                if im.others.is_some() && verbose {
                    for c in codes.iter().filter(other) {
                        println!("{}/{}: another code {:?}", im.group, im.name, c.text);
                    }
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
        outcomes.push(outcome);
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
    outcomes
}

/// The real-photo sets: the table per set, then each decoder's rate per manifest tag (most
/// frequent first) and, verbose, which pass read each photo.
fn real(verbose: bool) {
    let set = real_set();
    if set.is_empty() {
        return;
    }
    let outcomes = run("Real camera photos (exact text)", &set, verbose);
    let decs = decoders();
    let mut tags: BTreeMap<&str, (usize, Vec<usize>)> = BTreeMap::new();
    for (im, o) in set.iter().zip(&outcomes) {
        for t in &im.tags {
            let e = tags.entry(t).or_insert_with(|| (0, vec![0; decs.len()]));
            e.0 += 1;
            for (n, &ok) in e.1.iter_mut().zip(&o.read) {
                *n += usize::from(ok);
            }
        }
    }
    let mut tags: Vec<_> = tags.into_iter().collect();
    tags.sort_by_key(|(t, (n, _))| (std::cmp::Reverse(*n), *t));
    println!("\n### Real photos per tag (an image counts under each of its tags)\n");
    let names: Vec<&str> = decs.iter().map(|d| d.0).collect();
    println!("| tag | images | {} |", names.join(" | "));
    println!("|---|---:|{}", "---:|".repeat(names.len()));
    for (t, (n, read)) in &tags {
        let cells: Vec<String> = read
            .iter()
            .map(|&r| format!("{r} ({:.0}%)", 100.0 * r as f64 / *n as f64))
            .collect();
        println!("| {t} | {n} | {} |", cells.join(" | "));
    }
    if verbose {
        println!();
        for (im, o) in set.iter().zip(&outcomes) {
            println!(
                "pipeline: {}/{}: {}",
                im.group,
                im.name,
                o.pass.unwrap_or("not read")
            );
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
    if only.is_empty() || only == "real" {
        real(verbose);
    }
}
