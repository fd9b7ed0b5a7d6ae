//! Make a label → render it as a camera would see it (rotated, blurred, noisy) → decode it with
//! `tally-scan` → the exact URI comes back, at the right place.

use tally_label::{qr_pixels, qr_png, Ec, LabelOptions};

const DL: &str = "https://id.gs1.org/01/09506000134352/10/LOT-2026-11/21/SER1001?17=281130";

/// Draws the symbol image rotated by `deg` about its centre onto a `canvas`² grey (160) frame,
/// then applies a box blur of radius `blur` and uniform noise of ±`noise` levels.
fn render(side: u32, px: &[u8], deg: f32, canvas: usize, blur: usize, noise: i32) -> Vec<u8> {
    let (s, c) = deg.to_radians().sin_cos();
    let half = side as f32 / 2.0;
    let mid = canvas as f32 / 2.0;
    let mut out = vec![160u8; canvas * canvas];
    for y in 0..canvas {
        for x in 0..canvas {
            let (dx, dy) = (x as f32 + 0.5 - mid, y as f32 + 0.5 - mid);
            let (u, v) = (c * dx + s * dy + half, -s * dx + c * dy + half);
            if u >= 0.0 && v >= 0.0 && u < side as f32 && v < side as f32 {
                out[y * canvas + x] = px[v as usize * side as usize + u as usize];
            }
        }
    }
    if blur > 0 {
        let src = out.clone();
        for y in 0..canvas {
            for x in 0..canvas {
                let (mut sum, mut n) = (0u32, 0u32);
                for yy in y.saturating_sub(blur)..(y + blur + 1).min(canvas) {
                    for xx in x.saturating_sub(blur)..(x + blur + 1).min(canvas) {
                        sum += u32::from(src[yy * canvas + xx]);
                        n += 1;
                    }
                }
                out[y * canvas + x] = (sum / n) as u8;
            }
        }
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for p in &mut out {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let r = (state % (2 * noise as u64 + 1)) as i32 - noise;
        *p = (i32::from(*p) + r).clamp(0, 255) as u8;
    }
    out
}

#[test]
fn png_decodes_to_the_exact_uri_with_its_corners() {
    let png = qr_png(DL, &LabelOptions::default()).unwrap();
    let codes = tally_scan::decode_image_bytes(&png).unwrap();
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].text, DL);
    assert_eq!(codes[0].payload().canonical(), Some(DL));
    // 37 modules at 8 px behind a 4-module quiet zone: corners at 32 and 32 + 296.
    let want = [[32.0, 32.0], [328.0, 32.0], [328.0, 328.0], [32.0, 328.0]];
    for (got, want) in codes[0].corners.iter().zip(want) {
        assert!(
            (got[0] - want[0]).abs() <= 2.0 && (got[1] - want[1]).abs() <= 2.0,
            "{:?}",
            codes[0].corners
        );
    }
}

#[test]
fn rotated_blurred_noisy_renders_decode_to_the_exact_uri() {
    for ec in [Ec::M, Ec::Q] {
        let opts = LabelOptions {
            module_px: 4,
            ec,
            ..LabelOptions::default()
        };
        let (side, px) = qr_pixels(DL, &opts).unwrap();
        for (deg, blur, noise) in [
            (0.0, 0, 0),
            (17.0, 1, 12),
            (45.0, 1, 20),
            (90.0, 2, 8),
            (133.0, 1, 25),
            (200.0, 2, 15),
            (301.0, 0, 30),
        ] {
            let canvas = 300;
            let frame = render(side, &px, deg, canvas, blur, noise);
            let codes = tally_scan::decode_luma(canvas as u32, canvas as u32, &frame);
            let texts: Vec<&str> = codes.iter().map(|c| c.text.as_str()).collect();
            assert_eq!(
                texts,
                [DL],
                "{ec:?} rotated {deg}°, blur {blur}, noise ±{noise}"
            );
            // The centre of the symbol stays at the centre of the canvas.
            let c = codes[0].center();
            assert!(
                (c[0] - 150.0).abs() < 3.0 && (c[1] - 150.0).abs() < 3.0,
                "{c:?}"
            );
        }
    }
}

#[test]
fn pure_rust_fallback_reads_the_label_too() {
    let png = qr_png(
        DL,
        &LabelOptions {
            module_px: 4,
            ..LabelOptions::default()
        },
    )
    .unwrap();
    let codes = tally_scan::decode_image_bytes_with(&png, tally_scan::Strategy::RqrrOnly).unwrap();
    assert_eq!(
        codes.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
        [DL]
    );
}
