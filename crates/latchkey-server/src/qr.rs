//! QR codes as `data:image/png;base64,` URLs (Stytch's TOTP create `qr_code`): the `qrcode`
//! crate lays out the modules, the `png` crate encodes an 8-bit greyscale image with a four
//! module quiet zone (ISO/IEC 18004 §6.3.8) at six pixels a module.

use base64::Engine;
use latchkey_core::ApiError;
use qrcode::{Color, EcLevel, QrCode};

const SCALE: usize = 6;
const QUIET: usize = 4;

/// The PNG of `text`'s QR code as a data URL.
pub fn png_data_url(text: &str) -> Result<String, ApiError> {
    let fail = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "QR code rendering failed");
        ApiError::internal()
    };
    let code = QrCode::with_error_correction_level(text, EcLevel::M).map_err(|e| fail(&e))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * SCALE..(my + 1) * SCALE {
            let row = y * side;
            pixels[row + mx * SCALE..row + (mx + 1) * SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let dim = u32::try_from(side).map_err(|e| fail(&e))?;
        let mut enc = png::Encoder::new(&mut out, dim, dim);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| fail(&e))?;
        w.write_image_data(&pixels).map_err(|e| fail(&e))?;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&out);
    Ok(format!("data:image/png;base64,{b64}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn renders_a_png_data_url() {
        let url = super::png_data_url("otpauth://totp/Acme:a%40acme.com?secret=GEZDGNBV").unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
