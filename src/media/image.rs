//! Images: detected from their bytes, decoded within limits, re-encoded (which drops EXIF, GPS
//! and every other metadata but the colour profile), with a JPEG thumbnail and a blurhash.

use std::io::Cursor;

use image::{
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
    DynamicImage, ImageDecoder, ImageEncoder, ImageError, ImageFormat, ImageReader,
};

use super::MediaError;

/// Largest image accepted, in pixels (40 megapixels).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIZE: u32 = 400;
/// JPEG quality of re-encoded images.
pub const JPEG_QUALITY: u8 = 85;
const THUMBNAIL_QUALITY: u8 = 80;

/// The format an image is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Jpeg,
    Png,
}

impl OutputFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Png => "png",
        }
    }

    pub fn from_extension(ext: &str) -> Option<OutputFormat> {
        match ext {
            "jpg" => Some(OutputFormat::Jpeg),
            "png" => Some(OutputFormat::Png),
            _ => None,
        }
    }
}

/// The image formats accepted, by their first bytes.
pub fn sniff(head: &[u8]) -> Option<ImageFormat> {
    match image::guess_format(head) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)) => {
            Some(f)
        }
        _ => None,
    }
}

/// A re-encoded image and what was learnt from it.
#[derive(Debug)]
pub struct ProcessedImage {
    pub format: OutputFormat,
    /// The re-encoded image, without metadata (orientation applied).
    pub bytes: Vec<u8>,
    /// A JPEG whose longest side is at most [`THUMBNAIL_SIZE`].
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Blurhash with 4×3 components.
    pub blurhash: String,
}

/// Decodes `data` (at most `max_pixels` pixels; the size is read from the header before any
/// pixel buffer is allocated), applies its EXIF orientation and re-encodes it: JPEG stays JPEG,
/// PNG stays PNG, WebP becomes PNG when it has transparency and JPEG otherwise, GIF becomes a
/// PNG of its first frame. CPU-bound: call it from a blocking thread.
pub fn process(data: &[u8], max_pixels: u64) -> Result<ProcessedImage, MediaError> {
    let format = sniff(data).ok_or_else(|| {
        MediaError::Unsupported("images must be JPEG, PNG, WebP or GIF".to_owned())
    })?;
    let mut limits = image::Limits::default();
    // The decoded buffer (up to 16-bit RGBA) and nothing much more.
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(MediaError::Invalid("the image has no pixels".to_owned()));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(MediaError::TooLarge(format!(
            "images are limited to {} megapixels",
            max_pixels / 1_000_000
        )));
    }
    limits
        .reserve(decoder.total_bytes())
        .map_err(decode_error)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);

    let output = match format {
        ImageFormat::Jpeg => OutputFormat::Jpeg,
        ImageFormat::WebP if !img.color().has_alpha() => OutputFormat::Jpeg,
        _ => OutputFormat::Png,
    };
    let bytes = encode(&img, output, icc)?;
    let thumbnail = if img.width().max(img.height()) > THUMBNAIL_SIZE {
        img.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
    } else {
        img.clone()
    };
    let mut thumb_bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut thumb_bytes, THUMBNAIL_QUALITY)
        .write_image(
            &on_white(&thumbnail),
            thumbnail.width(),
            thumbnail.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(encode_error)?;
    let small = img.thumbnail(32, 32).to_rgba8();
    let blurhash = blurhash::encode(4, 3, small.width(), small.height(), small.as_raw())
        .map_err(|e| MediaError::Io(std::io::Error::other(format!("blurhash: {e:?}"))))?;
    Ok(ProcessedImage {
        format: output,
        bytes,
        thumbnail: thumb_bytes,
        width: img.width(),
        height: img.height(),
        blurhash,
    })
}

fn encode(
    img: &DynamicImage,
    format: OutputFormat,
    icc: Option<Vec<u8>>,
) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let (w, h) = (img.width(), img.height());
    match format {
        OutputFormat::Jpeg => {
            let mut enc = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            if let Some(icc) = icc {
                let _ = enc.set_icc_profile(icc);
            }
            match img {
                DynamicImage::ImageLuma8(gray) => {
                    enc.write_image(gray.as_raw(), w, h, image::ExtendedColorType::L8)
                }
                other => enc.write_image(
                    other.to_rgb8().as_raw(),
                    w,
                    h,
                    image::ExtendedColorType::Rgb8,
                ),
            }
            .map_err(encode_error)?;
        }
        OutputFormat::Png => {
            let mut enc = PngEncoder::new(&mut out);
            if let Some(icc) = icc {
                let _ = enc.set_icc_profile(icc);
            }
            match img {
                DynamicImage::ImageLuma8(_)
                | DynamicImage::ImageLumaA8(_)
                | DynamicImage::ImageRgb8(_)
                | DynamicImage::ImageRgba8(_)
                | DynamicImage::ImageLuma16(_)
                | DynamicImage::ImageLumaA16(_)
                | DynamicImage::ImageRgb16(_)
                | DynamicImage::ImageRgba16(_) => {
                    enc.write_image(img.as_bytes(), w, h, img.color().into())
                }
                other => enc.write_image(
                    other.to_rgba8().as_raw(),
                    w,
                    h,
                    image::ExtendedColorType::Rgba8,
                ),
            }
            .map_err(encode_error)?;
        }
    }
    Ok(out)
}

/// RGB pixels with any transparency composed over white.
fn on_white(img: &DynamicImage) -> Vec<u8> {
    if !img.color().has_alpha() {
        return img.to_rgb8().into_raw();
    }
    let rgba = img.to_rgba8();
    let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
    for px in rgba.pixels() {
        let a = u16::from(px[3]);
        for c in &px.0[..3] {
            out.push(((u16::from(*c) * a + 255 * (255 - a)) / 255) as u8);
        }
    }
    out
}

fn decode_error(e: ImageError) -> MediaError {
    match e {
        ImageError::Limits(_) => MediaError::TooLarge(format!(
            "the image is too large to process (at most {} megapixels)",
            MAX_PIXELS / 1_000_000
        )),
        ImageError::Unsupported(u) => MediaError::Unsupported(format!("unsupported image: {u}")),
        other => MediaError::Invalid(format!("the image is damaged or truncated: {other}")),
    }
}

fn encode_error(e: ImageError) -> MediaError {
    MediaError::Io(std::io::Error::other(format!("image encoding: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(w, h, |x, y| {
            image::Rgba([
                (x % 256) as u8,
                (y % 256) as u8,
                128,
                if x < 4 { 0 } else { 255 },
            ])
        });
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn png_stays_png_with_thumbnail_and_blurhash() {
        let p = process(&png(800, 200), MAX_PIXELS).unwrap();
        assert_eq!(p.format, OutputFormat::Png);
        assert_eq!((p.width, p.height), (800, 200));
        let thumb = image::load_from_memory(&p.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (400, 100));
        assert_eq!(
            image::guess_format(&p.thumbnail).unwrap(),
            ImageFormat::Jpeg
        );
        assert_eq!(p.blurhash.len(), 4 + 2 * 4 * 3);
    }

    #[test]
    fn refuses_too_many_pixels_before_decoding() {
        // A header claiming 10000×10000 and almost no data: refused from the header alone.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&10_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&10_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            process(&bomb, MAX_PIXELS),
            Err(MediaError::TooLarge(_))
        ));
        assert!(matches!(
            process(&png(100, 100), 5_000),
            Err(MediaError::TooLarge(_))
        ));
    }

    #[test]
    fn refuses_truncated_and_foreign_content() {
        let data = png(64, 64);
        assert!(matches!(
            process(&data[..data.len() / 2], MAX_PIXELS),
            Err(MediaError::Invalid(_))
        ));
        assert!(matches!(
            process(b"<svg></svg>", MAX_PIXELS),
            Err(MediaError::Unsupported(_))
        ));
    }
}
