//! The unified label (统一标识) as SVG: the grade as its five-step mark, the product's
//! names, the standard, the certificate number, the enterprise and model, and a QR code
//! of the certificate's public page.

use qrcode::{EcLevel, QrCode, render::svg};

use super::escape;
use crate::platform::Certificate;

/// The public page a certificate's QR code opens.
pub fn page_url(public_url: &str, number: &str) -> String {
    format!("{}/c/{number}", public_url.trim_end_matches('/'))
}

/// The label for `certificate`, whose product is called `name_zh` / `name_en`.
pub fn svg(certificate: &Certificate, name_zh: &str, name_en: &str, public_url: &str) -> String {
    let url = page_url(public_url, &certificate.number);
    let qr = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .expect("a page URL fits a QR code")
        .render::<svg::Color>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build();
    // The QR's own <svg> element, nested and positioned; the label widens to fit it.
    let qr_size: u32 = qr
        .split(" width=\"")
        .nth(1)
        .and_then(|w| w.split('"').next())
        .and_then(|w| w.parse().ok())
        .unwrap_or(160);
    // A line of group grades, when the module groups its indicators.
    let groups: Vec<String> = certificate
        .group_grades()
        .into_iter()
        .map(|(group, grade)| {
            format!(
                "{} {}",
                group.short_zh(),
                grade.map_or("合格", |g| g.as_str())
            )
        })
        .collect();
    let width = 480.max(300 + qr_size + 16);
    // The group line runs the label's width, below the QR code.
    let groups_y = 284.max(70 + qr_size + 18);
    let height = if groups.is_empty() {
        300.max(70 + qr_size + 16)
    } else {
        groups_y + 40
    };
    let qr = qr
        .split_once("<svg")
        .map(|(_, rest)| format!("<svg x=\"300\" y=\"70\"{rest}"))
        .unwrap_or_default();
    // One step of the ladder per letter of the mark.
    let steps = certificate.grade.as_str().len();
    let marks: String = (0..5)
        .map(|i| {
            let fill = if i < steps { "#0b5" } else { "#ddd" };
            format!(
                r##"<rect x="{}" y="96" width="44" height="44" rx="6" fill="{fill}"/><text x="{}" y="127" font-size="24" font-weight="700" fill="#fff" text-anchor="middle">A</text>"##,
                24 + i * 52,
                46 + i * 52
            )
        })
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif">
<rect x="2" y="2" width="{inner_w}" height="{inner_h}" rx="12" fill="#fff" stroke="#0b5" stroke-width="4"/>
<text x="24" y="44" font-size="22" font-weight="700" fill="#1b1b1b">产品质量分级 Quality Grade</text>
<text x="24" y="80" font-size="16" fill="#1b1b1b">{zh} {en}</text>
{marks}
<text x="24" y="172" font-size="30" font-weight="700" fill="#0b5" letter-spacing="4">{grade}</text>
<text x="24" y="204" font-size="14" fill="#333">标准 Standard: {standard}</text>
<text x="24" y="226" font-size="14" fill="#333">{enterprise} · {model}</text>
<text x="24" y="262" font-size="14" fill="#333">证书 Certificate No. {number}</text>
{groups}
<text x="24" y="{url_y}" font-size="11" fill="#666">扫码验证 Scan to verify: {url}</text>
{qr}
</svg>
"##,
        zh = escape(name_zh),
        en = escape(name_en),
        grade = certificate.grade,
        standard = escape(&certificate.standard),
        enterprise = escape(&certificate.enterprise),
        model = escape(&certificate.model),
        number = escape(&certificate.number),
        url = escape(&url),
        inner_w = width - 4,
        inner_h = height - 4,
        url_y = height - 16,
        groups = if groups.is_empty() {
            String::new()
        } else {
            format!(
                "<text x=\"24\" y=\"{groups_y}\" font-size=\"14\" font-weight=\"700\" fill=\"#0b5\">{}</text>\n",
                escape(&groups.join(" · "))
            )
        },
    )
}

/// The label as PNG, rendered from its SVG at `scale` with the system's fonts (Chinese
/// text needs a CJK font installed; the QR code and Latin text do not).
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    static FONTS: std::sync::LazyLock<std::sync::Arc<usvg::fontdb::Database>> =
        std::sync::LazyLock::new(|| {
            let mut fonts = usvg::fontdb::Database::new();
            fonts.load_system_fonts();
            std::sync::Arc::new(fonts)
        });
    let options = usvg::Options {
        fontdb: FONTS.clone(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| format!("label SVG: {e}"))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or("label size")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("label size")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| format!("label PNG: {e}"))
}
