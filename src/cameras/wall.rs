//! The camera wall: up to nine cameras' latest pictures in one JPEG with
//! their names, so a box shows the whole village with one image request.

use std::sync::OnceLock;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::{imageops, Rgb, RgbImage};

use super::grab::Failure;
use super::picture::{self, SMALL};

/// Cameras on one wall.
pub const MAX: usize = 9;
/// The wall as its page shows it (up to 3 x 3 cells of the small size).
pub const SIZE: (u32, u32) = (SMALL.0 * 3, SMALL.1 * 3);

/// One cell: the camera's name, its small picture, whether it is offline.
pub struct Cell<'a> {
    pub name: &'a str,
    pub picture: Option<&'a [u8]>,
    pub offline: bool,
}

const BACKGROUND: Rgb<u8> = Rgb([24, 28, 36]);
const CAPTION: Rgb<u8> = Rgb([16, 18, 24]);
const TEXT: Rgb<u8> = Rgb([238, 238, 230]);

fn font() -> Option<&'static FontVec> {
    static FONT: OnceLock<Option<FontVec>> = OnceLock::new();
    FONT.get_or_init(|| {
        let path = super::grab::font_file()?;
        let data = std::fs::read(path).ok()?;
        FontVec::try_from_vec_and_index(data, 0).ok()
    })
    .as_ref()
}

/// How the cells are laid out for `n` cameras: columns, rows, and the
/// caption's font size (a wall of four reads from a sofa better than nine).
fn grid(n: usize) -> (u32, u32, f32) {
    match n {
        0 | 1 => (1, 1, 34.0),
        2..=4 => (2, 2, 28.0),
        _ => (3, n.div_ceil(3).min(3) as u32, 24.0),
    }
}

/// The wall at `size` (the page's, or a tile's), as baseline JPEG. Cells
/// keep 16:9 and the grid sits in the middle.
pub fn compose(cells: &[Cell<'_>], size: (u32, u32)) -> Result<Vec<u8>, Failure> {
    let cells = &cells[..cells.len().min(MAX)];
    let (cols, rows, font_px) = grid(cells.len());
    let cw = SIZE.0 / cols;
    let ch = cw * 9 / 16;
    let top = SIZE.1.saturating_sub(ch * rows) / 2;
    let caption = (font_px as u32) + 10;
    let mut wall = RgbImage::from_pixel(SIZE.0, SIZE.1, BACKGROUND);
    for (i, cell) in cells.iter().enumerate() {
        let (x, y) = ((i as u32 % cols) * cw, top + (i as u32 / cols) * ch);
        let decoded = cell
            .picture
            .and_then(|bytes| image::load_from_memory(bytes).ok())
            .map(|p| p.to_rgb8());
        if let Some(mut pic) = decoded {
            pic = picture::fill(&pic, (cw, ch))?;
            if cell.offline {
                // Offline: the last picture, faded, so nobody takes it for now.
                for p in pic.pixels_mut() {
                    let grey =
                        ((u32::from(p.0[0]) + u32::from(p.0[1]) + u32::from(p.0[2])) / 6) as u8;
                    *p = Rgb([grey, grey, grey]);
                }
            }
            imageops::replace(&mut wall, &pic, i64::from(x), i64::from(y));
        }
        // A dark frame between cells, and the caption strip.
        for px in x..x + cw {
            for d in 0..2 {
                wall.put_pixel(px, y + d, BACKGROUND);
                wall.put_pixel(px, y + ch - 1 - d, BACKGROUND);
            }
        }
        for py in y..y + ch {
            for d in 0..2 {
                wall.put_pixel(x + d, py, BACKGROUND);
                wall.put_pixel(x + cw - 1 - d, py, BACKGROUND);
            }
        }
        for py in y + ch - caption..y + ch - 2 {
            for px in x + 2..x + cw - 2 {
                wall.put_pixel(px, py, CAPTION);
            }
        }
        let label = match (cell.offline, cell.picture.is_none()) {
            (true, _) => format!("{}（离线）", cell.name),
            (false, true) => format!("{}（暂无画面）", cell.name),
            _ => cell.name.to_string(),
        };
        draw_text(
            &mut wall,
            &label,
            x + 10,
            y + ch - caption + 3,
            font_px,
            cw - 20,
        );
    }
    picture::jpeg(&picture::fill(&wall, size)?)
}

/// Draws `text` from (x, y) at `px` pixels, clipped to `max_width`. Without
/// a font installed the caption stays empty (the list beside names them).
fn draw_text(img: &mut RgbImage, text: &str, x: u32, y: u32, px: f32, max_width: u32) {
    let Some(font) = font() else {
        return;
    };
    let scaled = font.as_scaled(PxScale::from(px));
    let mut caret = 0.0f32;
    let baseline = y as f32 + scaled.ascent();
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        let advance = scaled.h_advance(id);
        if caret + advance > max_width as f32 {
            break;
        }
        let glyph = id.with_scale_and_position(
            PxScale::from(px),
            ab_glyph::point(x as f32 + caret, baseline),
        );
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                if px < 0 || py < 0 || px >= i64::from(img.width()) || py >= i64::from(img.height())
                {
                    return;
                }
                let p = img.get_pixel_mut(px as u32, py as u32);
                for (channel, t) in p.0.iter_mut().zip(TEXT.0) {
                    *channel =
                        (f32::from(*channel) * (1.0 - coverage) + f32::from(t) * coverage) as u8;
                }
            });
        }
        caret += advance;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walls_hold_up_to_nine_cells_at_the_asked_size() {
        let img = RgbImage::from_pixel(SMALL.0, SMALL.1, Rgb([200, 40, 40]));
        let pic = picture::jpeg(&img).unwrap();
        let cells: Vec<Cell<'_>> = (0..12)
            .map(|i| Cell {
                name: "村口",
                picture: (i % 2 == 0).then_some(&pic[..]),
                offline: i == 2,
            })
            .collect();
        let wall = compose(&cells, SIZE).unwrap();
        let decoded = image::load_from_memory(&wall).unwrap().to_rgb8();
        assert_eq!(decoded.dimensions(), SIZE);
        // Nine cells of 224x126: cell 0 red, cell 1 no picture, cell 2 offline (grey).
        let c0 = decoded.get_pixel(112, 40);
        assert!(c0.0[0] > 150 && c0.0[1] < 90, "{c0:?}");
        let c1 = decoded.get_pixel(224 + 112, 40);
        assert!(c1.0[0] < 60, "{c1:?}");
        let c2 = decoded.get_pixel(448 + 112, 40);
        assert!(c2.0[0].abs_diff(c2.0[1]) < 12, "{c2:?}");
        let tile = compose(&cells, SMALL).unwrap();
        let tile = image::load_from_memory(&tile).unwrap();
        assert_eq!((tile.width(), tile.height()), SMALL);
        // Three cameras: a 2x2 grid of 336x189 cells.
        let three = compose(&cells[..3], SIZE).unwrap();
        let three = image::load_from_memory(&three).unwrap().to_rgb8();
        let big = three.get_pixel(168, 60);
        assert!(big.0[0] > 150 && big.0[1] < 90, "{big:?}");
    }
}
