//! Trend pictures for the TV: the last 12 months of a resident's blood
//! pressure or glucose, drawn on the server as a small PNG.
//!
//! Set-top box browsers get no SVG and no JavaScript charting, so the picture
//! is drawn pixel by pixel with the `image` crate: a dark plot matching
//! tv.css, grid lines with the scale's numbers, a month number under each
//! month, the "high" threshold line(s) dashed in red, one coloured line per
//! series with round points (a red ring around points at or above their
//! threshold). Labels use a tiny built-in 5x7 bitmap font (digits and
//! `- / . :`), drawn three times larger so they read from the sofa; Chinese
//! captions and the legend are HTML beside the picture.
//!
//! Times are local calendar times (the caller converts from UTC).

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use image::{ImageEncoder, Rgb, RgbImage};

use super::flags::Thresholds;
use crate::error::{AppError, AppResult};

/// An RGB colour.
pub type Colour = [u8; 3];

/// The page's background (tv.css `#0f2238`).
pub const BACKGROUND: Colour = [0x0f, 0x22, 0x38];
/// The plot area, a shade lighter (tv.css cards are `#18375b`).
pub const PLOT: Colour = [0x15, 0x30, 0x50];
pub const GRID: Colour = [0x2c, 0x4a, 0x6e];
pub const AXIS: Colour = [0x9d, 0xb2, 0xcc];
pub const TEXT: Colour = [0xd2, 0xdc, 0xe8];
/// The threshold line and the ring around readings at or above it.
pub const THRESHOLD: Colour = [0xff, 0x4d, 0x4d];
pub const SYSTOLIC: Colour = [0xff, 0xa5, 0x2e];
pub const DIASTOLIC: Colour = [0x5c, 0xc8, 0xff];
pub const GLUCOSE: Colour = [0x6f, 0xe0, 0x7e];

/// The size the member page shows a trend at (two of them: 2 x 520 x 184 x
/// 4 bytes decoded, well inside TV.md's 2,000,000).
pub const WIDTH: u32 = 520;
pub const HEIGHT: u32 = 184;

/// Months a trend covers, the current one last.
pub const MONTHS: u32 = 12;

/// Font: 5x7 cells, drawn `SCALE` times larger, one scaled column apart.
const SCALE: i64 = 3;
const GLYPH_W: i64 = 5;
const GLYPH_H: i64 = 7;

const LINE_WIDTH: f64 = 3.0;
const POINT_RADIUS: f64 = 5.5;
const RING_RADIUS: f64 = 8.5;
const THRESHOLD_WIDTH: i64 = 3;
const DASH: i64 = 14;
const GAP: i64 = 8;

/// One series: a line through its points, in time order.
#[derive(Debug, Clone)]
pub struct Line {
    pub colour: Colour,
    pub points: Vec<(NaiveDateTime, f64)>,
    /// Points at or above this value get a red ring.
    pub alarm: Option<f64>,
}

/// The vertical scale: from `min` to `max` with grid lines every `step`. It
/// grows (by whole steps) to fit the values, but not past `floor` and
/// `ceiling`; values beyond those are drawn at the edge with an arrow.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub floor: f64,
    pub ceiling: f64,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub width: u32,
    pub height: u32,
    /// Any day of the last month shown.
    pub last_month: NaiveDate,
    pub scale: Scale,
    /// Values of the dashed threshold lines.
    pub thresholds: Vec<f64>,
    pub lines: Vec<Line>,
}

/// The first day of the month `n` months after (or before) `d`'s month.
pub fn add_months(d: NaiveDate, n: i32) -> NaiveDate {
    let index = d.year() * 12 + d.month0() as i32 + n;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(NaiveDate::MIN)
}

/// The first day of the first month a trend ending in `last_month` shows.
pub fn window_start(last_month: NaiveDate) -> NaiveDate {
    add_months(last_month, 1 - MONTHS as i32)
}

impl Chart {
    /// The months shown, oldest first (first days).
    pub fn months(&self) -> Vec<NaiveDate> {
        let start = window_start(self.last_month);
        (0..MONTHS as i32).map(|i| add_months(start, i)).collect()
    }

    /// The scale actually drawn: grown to fit the values, within bounds.
    pub fn effective_scale(&self) -> (f64, f64) {
        let s = self.scale;
        let step = if s.step > 0.0 { s.step } else { 1.0 };
        let values = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite());
        let (mut lo, mut hi) = (s.min, s.max);
        for v in values {
            if v > hi {
                hi = s.min + ((v - s.min) / step).ceil() * step;
            }
            if v < lo {
                lo = s.min - ((s.min - v) / step).ceil() * step;
            }
        }
        let hi = hi.min(s.ceiling.max(s.max));
        let lo = lo.max(s.floor.min(s.min));
        if hi > lo {
            (lo, hi)
        } else {
            (lo, lo + step)
        }
    }

    /// Draws the picture.
    pub fn draw(&self) -> RgbImage {
        let (w, h) = (self.width.max(64) as i64, self.height.max(64) as i64);
        let mut img = RgbImage::from_pixel(w as u32, h as u32, Rgb(BACKGROUND));
        let glyph_h = GLYPH_H * SCALE;
        let (lo, hi) = self.effective_scale();
        let step = if self.scale.step > 0.0 {
            self.scale.step
        } else {
            1.0
        };
        let ticks: Vec<f64> = (0..=((hi - lo) / step).round() as i64)
            .map(|i| lo + i as f64 * step)
            .collect();
        let widest = ticks
            .iter()
            .map(|v| text_width(&number(*v, step), SCALE))
            .max()
            .unwrap_or(0);
        // Plot area: room on the left for the scale, below for the months,
        // above for arrows of values beyond the scale.
        let left = widest + 12;
        let right = w - 12;
        let top = 14;
        let bottom = h - glyph_h - 14;
        if right - left < 40 || bottom - top < 40 {
            return img;
        }
        fill_rect(&mut img, left, top, right, bottom, PLOT);

        let y_of = |v: f64| -> f64 {
            let v = v.clamp(lo, hi);
            bottom as f64 - (v - lo) / (hi - lo) * (bottom - top) as f64
        };
        // Grid lines and the scale's numbers; numbers too close to the one
        // before them are left out (the line stays).
        let mut last_label_y = i64::MAX;
        for v in &ticks {
            let y = y_of(*v).round() as i64;
            fill_rect(&mut img, left, y - 1, right, y + 1, GRID);
            let label = number(*v, step);
            let ty = (y - glyph_h / 2).clamp(0, h - glyph_h);
            if last_label_y - ty >= glyph_h + 4 {
                let tx = left - 8 - text_width(&label, SCALE);
                draw_text(&mut img, tx, ty, SCALE, TEXT, &label);
                last_label_y = ty;
            }
        }

        // Months: a tick at each boundary, the month's number in its middle.
        let months = self.months();
        let start = months[0];
        let end = add_months(start, MONTHS as i32);
        let span = (end - start).num_seconds().max(1) as f64;
        let x_of = |t: NaiveDateTime| -> f64 {
            let s = (t - start.and_time(chrono::NaiveTime::MIN)).num_seconds() as f64;
            left as f64 + s / span * (right - left) as f64
        };
        let slot = (right - left) as f64 / MONTHS as f64;
        // On a narrow chart (an SD screen) two-digit months would touch:
        // label every `stride`-th month, counted back from the latest.
        let widest_month = months
            .iter()
            .map(|m| text_width(&m.month().to_string(), SCALE))
            .max()
            .unwrap_or(0);
        let stride = (1..MONTHS)
            .find(|k| *k as f64 * slot >= (widest_month + 6) as f64)
            .unwrap_or(MONTHS) as usize;
        for (i, m) in months.iter().enumerate() {
            let x0 = left as f64 + i as f64 * slot;
            if i > 0 {
                let x = x0.round() as i64;
                fill_rect(&mut img, x - 1, bottom, x, bottom + 8, AXIS);
            }
            if !(months.len() - 1 - i).is_multiple_of(stride) {
                continue;
            }
            let label = m.month().to_string();
            let tw = text_width(&label, SCALE);
            let tx = (x0 + slot / 2.0).round() as i64 - tw / 2;
            draw_text(&mut img, tx, bottom + 10, SCALE, TEXT, &label);
        }

        // Threshold lines, dashed, under the data.
        for t in &self.thresholds {
            if !t.is_finite() || *t < lo || *t > hi {
                continue;
            }
            let y = y_of(*t).round() as i64;
            let mut x = left;
            while x < right {
                let x1 = (x + DASH).min(right);
                fill_rect(
                    &mut img,
                    x,
                    y - THRESHOLD_WIDTH / 2,
                    x1 - 1,
                    y + THRESHOLD_WIDTH / 2,
                    THRESHOLD,
                );
                x += DASH + GAP;
            }
        }

        // Axes.
        fill_rect(&mut img, left - 3, top, left - 1, bottom + 2, AXIS);
        fill_rect(&mut img, left - 3, bottom, right, bottom + 2, AXIS);

        // Series: lines first, then points on top.
        for line in &self.lines {
            let pts: Vec<(f64, f64, f64)> = line
                .points
                .iter()
                .filter(|(t, v)| v.is_finite() && t.date() >= start && t.date() < end)
                .map(|(t, v)| (x_of(*t), y_of(*v), *v))
                .collect();
            for pair in pts.windows(2) {
                thick_line(
                    &mut img,
                    (pair[0].0, pair[0].1),
                    (pair[1].0, pair[1].1),
                    LINE_WIDTH / 2.0,
                    line.colour,
                );
            }
            for (x, y, v) in &pts {
                if line.alarm.is_some_and(|a| *v >= a) {
                    ring(&mut img, *x, *y, RING_RADIUS, 2.5, THRESHOLD);
                }
                if *v > hi {
                    arrow(&mut img, *x, top as f64, true, line.colour);
                } else if *v < lo {
                    arrow(&mut img, *x, bottom as f64, false, line.colour);
                } else {
                    disc(&mut img, *x, *y, POINT_RADIUS, line.colour);
                }
            }
        }
        img
    }

    /// The picture as PNG bytes.
    pub fn png(&self) -> AppResult<Vec<u8>> {
        let img = self.draw();
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::Adaptive,
        )
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(AppError::because("chart png"))?;
        Ok(out)
    }
}

/// The blood-pressure trend: systolic and diastolic lines, their "high"
/// thresholds. `readings`: (local time, systolic, diastolic).
pub fn blood_pressure(
    readings: &[(NaiveDateTime, f64, Option<f64>)],
    t: &Thresholds,
    last_month: NaiveDate,
) -> Chart {
    Chart {
        width: WIDTH,
        height: HEIGHT,
        last_month,
        scale: Scale {
            min: 40.0,
            max: 200.0,
            step: 40.0,
            floor: 0.0,
            ceiling: 280.0,
        },
        thresholds: vec![t.bp_high_systolic, t.bp_high_diastolic],
        lines: vec![
            Line {
                colour: SYSTOLIC,
                points: readings.iter().map(|r| (r.0, r.1)).collect(),
                alarm: Some(t.bp_high_systolic),
            },
            Line {
                colour: DIASTOLIC,
                points: readings
                    .iter()
                    .filter_map(|r| r.2.map(|d| (r.0, d)))
                    .collect(),
                alarm: Some(t.bp_high_diastolic),
            },
        ],
    }
}

/// The glucose trend (mmol/L) with its "high" threshold.
pub fn glucose(readings: &[(NaiveDateTime, f64)], t: &Thresholds, last_month: NaiveDate) -> Chart {
    Chart {
        width: WIDTH,
        height: HEIGHT,
        last_month,
        scale: Scale {
            min: 2.0,
            max: 14.0,
            step: 4.0,
            floor: 0.0,
            ceiling: 34.0,
        },
        thresholds: vec![t.glucose_high],
        lines: vec![Line {
            colour: GLUCOSE,
            points: readings.to_vec(),
            alarm: Some(t.glucose_high),
        }],
    }
}

/// A scale number: whole when the step is whole, else one decimal.
fn number(v: f64, step: f64) -> String {
    if step.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn set(img: &mut RgbImage, x: i64, y: i64, c: Colour) {
    if x >= 0 && y >= 0 && x < img.width() as i64 && y < img.height() as i64 {
        img.put_pixel(x as u32, y as u32, Rgb(c));
    }
}

/// Fills the rectangle with both corners included.
fn fill_rect(img: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, c: Colour) {
    for y in y0.max(0)..=y1.min(img.height() as i64 - 1) {
        for x in x0.max(0)..=x1.min(img.width() as i64 - 1) {
            set(img, x, y, c);
        }
    }
}

fn disc(img: &mut RgbImage, cx: f64, cy: f64, r: f64, c: Colour) {
    let reach = r.ceil() as i64;
    let (ix, iy) = (cx.round() as i64, cy.round() as i64);
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let (fx, fy) = ((ix + dx) as f64 - cx, (iy + dy) as f64 - cy);
            if fx * fx + fy * fy <= r * r {
                set(img, ix + dx, iy + dy, c);
            }
        }
    }
}

fn ring(img: &mut RgbImage, cx: f64, cy: f64, r: f64, width: f64, c: Colour) {
    let reach = r.ceil() as i64;
    let (ix, iy) = (cx.round() as i64, cy.round() as i64);
    let inner = (r - width).max(0.0);
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let (fx, fy) = ((ix + dx) as f64 - cx, (iy + dy) as f64 - cy);
            let d2 = fx * fx + fy * fy;
            if d2 <= r * r && d2 > inner * inner {
                set(img, ix + dx, iy + dy, c);
            }
        }
    }
}

/// A line `half` pixels either side of the segment, with round ends.
fn thick_line(img: &mut RgbImage, a: (f64, f64), b: (f64, f64), half: f64, c: Colour) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let steps = (dx.abs().max(dy.abs()) * 2.0).ceil().max(1.0) as i64;
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        disc(img, a.0 + dx * t, a.1 + dy * t, half, c);
    }
}

/// A filled triangle at the edge of the plot for a value beyond the scale
/// (pointing up at the top edge, down at the bottom).
fn arrow(img: &mut RgbImage, cx: f64, edge: f64, up: bool, c: Colour) {
    let (tip, base) = if up {
        (edge - 10.0, edge + 6.0)
    } else {
        (edge + 10.0, edge - 6.0)
    };
    let (y0, y1) = (tip.min(base).floor() as i64, tip.max(base).ceil() as i64);
    for y in y0..=y1 {
        let along = ((y as f64 - tip) / (base - tip)).clamp(0.0, 1.0);
        let half = 9.0 * along;
        let x0 = (cx - half).round() as i64;
        let x1 = (cx + half).round() as i64;
        fill_rect(img, x0, y, x1, y, c);
    }
}

/// Rows of a 5x7 glyph, the high bit of 5 on the left.
fn glyph(ch: char) -> Option<[u8; 7]> {
    Some(match ch {
        '0' => [
            0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110,
        ],
        '1' => [
            0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110,
        ],
        '2' => [
            0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111,
        ],
        '3' => [
            0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110,
        ],
        '4' => [
            0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010,
        ],
        '5' => [
            0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110,
        ],
        '6' => [
            0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110,
        ],
        '7' => [
            0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000,
        ],
        '8' => [
            0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110,
        ],
        '9' => [
            0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100,
        ],
        '-' => [0, 0, 0, 0b11111, 0, 0, 0],
        '/' => [
            0b00001, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b10000,
        ],
        '.' => [0, 0, 0, 0, 0, 0b01100, 0b01100],
        ':' => [0, 0b01100, 0b01100, 0, 0b01100, 0b01100, 0],
        ' ' => [0; 7],
        _ => return None,
    })
}

/// The columns a glyph's ink spans (first, count): the font is
/// proportional, so "1" and "." take less room and "10 11 12" stay apart.
fn ink(rows: &[u8; 7]) -> (i64, i64) {
    let all = rows.iter().fold(0u8, |a, r| a | r);
    if all == 0 {
        // A space: three columns.
        return (0, 3);
    }
    let first = (0..GLYPH_W)
        .find(|col| all & (1 << (GLYPH_W - 1 - col)) != 0)
        .unwrap_or(0);
    let last = (0..GLYPH_W)
        .rev()
        .find(|col| all & (1 << (GLYPH_W - 1 - col)) != 0)
        .unwrap_or(GLYPH_W - 1);
    (first, last - first + 1)
}

/// Width in pixels of `text` in the bitmap font at `scale`.
pub fn text_width(text: &str, scale: i64) -> i64 {
    let cols: Vec<i64> = text.chars().filter_map(glyph).map(|g| ink(&g).1).collect();
    if cols.is_empty() {
        0
    } else {
        (cols.iter().sum::<i64>() + cols.len() as i64 - 1) * scale
    }
}

/// Draws `text` with its top-left corner at (x, y); characters the font
/// lacks are skipped.
pub fn draw_text(img: &mut RgbImage, x: i64, y: i64, scale: i64, c: Colour, text: &str) {
    let mut pen = x;
    for ch in text.chars() {
        let Some(rows) = glyph(ch) else { continue };
        let (first, width) = ink(&rows);
        for (row, bits) in rows.iter().enumerate() {
            for col in first..first + width {
                if bits & (1 << (GLYPH_W - 1 - col)) != 0 {
                    let px = pen + (col - first) * scale;
                    let py = y + row as i64 * scale;
                    fill_rect(img, px, py, px + scale - 1, py + scale - 1, c);
                }
            }
        }
        pen += (width + 1) * scale;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .expect("date")
    }

    fn last() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn count(img: &RgbImage, c: Colour) -> usize {
        img.pixels().filter(|p| p.0 == c).count()
    }

    /// Pixels of colour `c` in the column band around x.
    fn count_near(img: &RgbImage, x: i64, c: Colour) -> usize {
        img.enumerate_pixels()
            .filter(|(px, _, p)| (*px as i64 - x).abs() <= 3 && p.0 == c)
            .count()
    }

    #[test]
    fn months_and_the_window() {
        assert_eq!(
            add_months(last(), 1),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        assert_eq!(
            add_months(last(), 2),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(
            window_start(last()),
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
        );
        let chart = glucose(&[], &Thresholds::default(), last());
        let months: Vec<u32> = chart.months().iter().map(|m| m.month()).collect();
        assert_eq!(months, vec![12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn an_empty_series_draws_axes_grid_and_threshold() {
        let chart = blood_pressure(&[], &Thresholds::default(), last());
        let img = chart.draw();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        assert!(count(&img, AXIS) > 500, "axes");
        assert!(count(&img, GRID) > 500, "grid");
        assert!(count(&img, TEXT) > 200, "labels");
        // Two dashed threshold lines, 3 px thick, over most of the width.
        assert!(count(&img, THRESHOLD) > 2 * 3 * 250, "thresholds");
        assert_eq!(count(&img, SYSTOLIC), 0);
        assert_eq!(count(&img, DIASTOLIC), 0);
    }

    #[test]
    fn one_point_is_a_dot_without_a_line() {
        let chart = glucose(&[(day(2026, 6, 15), 5.2)], &Thresholds::default(), last());
        let img = chart.draw();
        let n = count(&img, GLUCOSE);
        // A disc of radius 5.5: about 95 pixels, no line.
        assert!((60..=130).contains(&n), "{n} glucose pixels");
    }

    #[test]
    fn twelve_months_of_readings_draw_two_lines_and_rings_for_high_ones() {
        let t = Thresholds::default();
        let readings: Vec<_> = (0..12)
            .map(|i| {
                let m = add_months(window_start(last()), i);
                let at = m.and_hms_opt(8, 0, 0).unwrap() + chrono::Duration::days(14);
                (at, 120.0 + 4.0 * i as f64, Some(78.0 + 2.0 * i as f64))
            })
            .collect();
        let chart = blood_pressure(&readings, &t, last());
        let img = chart.draw();
        assert!(count(&img, SYSTOLIC) > 12 * 60, "systolic line");
        assert!(count(&img, DIASTOLIC) > 12 * 60, "diastolic line");
        // Systolic reaches 140 from the sixth month on: red rings there.
        let thresholds_only = blood_pressure(&[], &t, last()).draw();
        assert!(count(&img, THRESHOLD) > count(&thresholds_only, THRESHOLD) / 2);
        let png = chart.png().expect("png");
        let decoded = image::load_from_memory(&png).expect("decodes").to_rgb8();
        assert_eq!((decoded.width(), decoded.height()), (WIDTH, HEIGHT));
        assert_eq!(decoded.as_raw(), img.as_raw());
    }

    #[test]
    fn values_above_the_scale_grow_it_then_are_clamped_with_an_arrow() {
        let t = Thresholds::default();
        // 240 fits after growing the scale to 240.
        let grown = blood_pressure(&[(day(2026, 5, 2), 240.0, Some(150.0))], &t, last());
        assert_eq!(grown.effective_scale(), (40.0, 240.0));
        // 900 is beyond the ceiling: the scale stops at 280, the point is an arrow.
        let wild = glucose(&[(day(2026, 5, 2), 90.0)], &t, last());
        assert_eq!(wild.effective_scale(), (2.0, 34.0));
        let img = wild.draw();
        assert!(count(&img, GLUCOSE) > 40, "an arrow at the top");
        let x = {
            let months = wild.months();
            let _ = months;
            // Find the arrow's column: the glucose pixels' mean x.
            let xs: Vec<i64> = img
                .enumerate_pixels()
                .filter(|(_, _, p)| p.0 == GLUCOSE)
                .map(|(x, _, _)| x as i64)
                .collect();
            xs.iter().sum::<i64>() / xs.len() as i64
        };
        let top_rows = img
            .enumerate_pixels()
            .filter(|(_, y, p)| *y < 30 && p.0 == GLUCOSE)
            .count();
        assert!(top_rows > 20, "the arrow sits at the top edge");
        assert!(count_near(&img, x, GLUCOSE) > 10);
        // Nothing panics on absurd input either.
        let _ = glucose(
            &[
                (day(2026, 5, 2), f64::NAN),
                (day(2026, 5, 3), f64::INFINITY),
                (day(2026, 5, 4), -5.0),
                (day(1999, 1, 1), 5.0),
                (day(2099, 1, 1), 5.0),
            ],
            &t,
            last(),
        )
        .draw();
    }

    /// The month labels under the plot: runs of text columns in the band
    /// below the axis, digits of one label (one scaled column apart) merged.
    fn month_labels(img: &RgbImage) -> Vec<(i64, i64)> {
        let h = img.height() as i64;
        // The lower part of the month digits: below the lowest scale number.
        let band = (h - 20)..(h - 4);
        let cols: Vec<i64> = (0..img.width() as i64)
            .filter(|x| {
                band.clone()
                    .any(|y| img.get_pixel(*x as u32, y as u32).0 == TEXT)
            })
            .collect();
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for x in cols {
            match runs.last_mut() {
                Some(r) if x - r.1 <= SCALE + 1 => r.1 = x,
                _ => runs.push((x, x)),
            }
        }
        runs
    }

    #[test]
    fn a_narrow_chart_labels_every_other_month_so_none_touch() {
        let t = Thresholds::default();
        let wide = glucose(&[], &t, last());
        let mut narrow = glucose(&[], &t, last());
        narrow.width = 300;
        let (wide, narrow) = (month_labels(&wide.draw()), month_labels(&narrow.draw()));
        assert_eq!(wide.len(), MONTHS as usize, "{wide:?}");
        assert_eq!(narrow.len(), MONTHS as usize / 2, "{narrow:?}");
        for labels in [&wide, &narrow] {
            for pair in labels.windows(2) {
                assert!(pair[1].0 - pair[0].1 >= 6, "labels touch: {labels:?}");
            }
        }
    }

    #[test]
    fn the_font_has_the_digits_and_signs() {
        for c in "0123456789-/.:".chars() {
            assert!(glyph(c).is_some(), "{c}");
        }
        assert_eq!(text_width("12", 3), 27);
        assert_eq!(text_width("88", 3), 33);
        assert_eq!(text_width("", 3), 0);
        let mut img = RgbImage::from_pixel(60, 30, Rgb(BACKGROUND));
        draw_text(&mut img, 2, 2, 3, TEXT, "1/2");
        assert!(count(&img, TEXT) > 30);
    }
}
