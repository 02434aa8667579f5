//! From what a camera sent to what a box shows: decoded (refusing what is not
//! a picture or is far too large), privacy areas filled, scaled to the TV's
//! sizes, baseline JPEG with nothing but pixels (no EXIF, no comments).

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, Rgb, RgbImage};

use super::grab::Failure;
use super::privacy::Area;

/// The camera page's picture (704*396*4 bytes decoded, within TV.md's budget).
pub const LARGE: (u32, u32) = (704, 396);
/// A tile of the cameras list, and a cell of the wall.
pub const SMALL: (u32, u32) = (224, 126);
/// Privacy areas are filled with this grey, so a viewer sees that something
/// is hidden rather than a broken picture.
const MASK: Rgb<u8> = Rgb([72, 76, 84]);
const QUALITY: u8 = 80;

/// The two stored sizes of one grab.
pub struct Pictures {
    pub large: Vec<u8>,
    pub small: Vec<u8>,
}

/// Decodes, masks and scales what a camera sent.
pub fn process(bytes: &[u8], areas: &[Area]) -> Result<Pictures, Failure> {
    let format = crate::media::sniff(bytes).map_err(|_| Failure::NotAPicture)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(Failure::NotAPicture);
    }
    // The header alone says how large it claims to be: refuse before decoding.
    let (w, h) = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| Failure::NotAPicture)?;
    if u64::from(w) * u64::from(h) > crate::media::MAX_PIXELS
        || w > crate::media::MAX_SIDE
        || h > crate::media::MAX_SIDE
    {
        return Err(Failure::TooLarge);
    }
    let picture = crate::media::decode(bytes, format).map_err(|e| match e {
        crate::error::AppError::BadRequest(m) if m.contains("太大") => Failure::TooLarge,
        _ => Failure::NotAPicture,
    })?;
    let mut rgb = picture.into_rgb8();
    mask(&mut rgb, areas);
    let large = fill(&rgb, LARGE)?;
    let small = fill(&large, SMALL)?;
    Ok(Pictures {
        large: jpeg(&large)?,
        small: jpeg(&small)?,
    })
}

/// Scales and crops to exactly `size`. Bilinear with SIMD
/// (fast_image_resize), not the articles' Lanczos: a picture renewed every
/// half minute for every camera is worth a fraction of the CPU, not the
/// last bit of sharpness (image's own resize was a third of the worker's).
pub fn fill(picture: &RgbImage, (w, h): (u32, u32)) -> Result<RgbImage, Failure> {
    if picture.dimensions() == (w, h) {
        return Ok(picture.clone());
    }
    let mut out = RgbImage::new(w, h);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .fit_into_destination(None);
    Resizer::new()
        .resize(picture, &mut out, &options)
        .map_err(|_| Failure::NotAPicture)?;
    Ok(out)
}

/// Fills each privacy area (before scaling: nothing hidden survives in any size).
pub fn mask(picture: &mut RgbImage, areas: &[Area]) {
    let (w, h) = picture.dimensions();
    for area in areas {
        let (x, y, aw, ah) = area.pixels(w, h);
        for py in y..(y + ah).min(h) {
            for px in x..(x + aw).min(w) {
                picture.put_pixel(px, py, MASK);
            }
        }
    }
}

/// Baseline JPEG (image's encoder writes SOF0, which every box decodes).
pub fn jpeg(picture: &RgbImage) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(picture)
        .map_err(|_| Failure::NotAPicture)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 200]));
        jpeg(&img).unwrap()
    }

    #[test]
    fn pictures_come_out_at_tv_sizes_masked() {
        let bytes = sample(1920, 1080);
        let areas = [Area {
            x: 0,
            y: 0,
            w: 50,
            h: 100,
        }];
        let out = process(&bytes, &areas).unwrap();
        let large = image::load_from_memory(&out.large).unwrap().to_rgb8();
        assert_eq!(large.dimensions(), LARGE);
        let small = image::load_from_memory(&out.small).unwrap().to_rgb8();
        assert_eq!(small.dimensions(), SMALL);
        // The left half is the mask grey, the right half still the picture.
        let left = large.get_pixel(100, 200);
        assert!(
            left.0.iter().zip(MASK.0).all(|(a, b)| a.abs_diff(b) < 12),
            "{left:?}"
        );
        let right = large.get_pixel(700, 200);
        assert!(right.0[2] > 150, "{right:?}");
        // Baseline, no EXIF: SOF0 present, no APP1.
        assert!(out.large.windows(2).any(|w| w == [0xFF, 0xC0]));
        assert!(!out.large.windows(2).any(|w| w == [0xFF, 0xE1]));
    }

    #[test]
    fn html_is_not_a_picture() {
        let html = b"<!DOCTYPE html><html><body>login</body></html>";
        assert!(matches!(process(html, &[]), Err(Failure::NotAPicture)));
        assert!(matches!(process(b"", &[]), Err(Failure::NotAPicture)));
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        // A PNG header claiming 30000x30000 pixels, and nothing behind it.
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.extend([0, 0, 0, 13]);
        png.extend(b"IHDR");
        png.extend(30_000u32.to_be_bytes());
        png.extend(30_000u32.to_be_bytes());
        png.extend([8, 2, 0, 0, 0]);
        let crc = {
            let mut h = flate2::Crc::new();
            h.update(&png[12..29]);
            h.sum()
        };
        png.extend(crc.to_be_bytes());
        // An empty IDAT (decoders read up to the first one for the header).
        png.extend([0, 0, 0, 0]);
        png.extend(b"IDAT");
        let mut h = flate2::Crc::new();
        h.update(b"IDAT");
        png.extend(h.sum().to_be_bytes());
        assert!(matches!(process(&png, &[]), Err(Failure::TooLarge)));
    }
}
